package cli_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command, as the shell scripts do, and
// returns the offered completions (value → description) and the directive line.
func (h *harness) complete(args ...string) (map[string]string, string) {
	h.t.Helper()
	res := h.run(append([]string{"__complete"}, args...)...)
	if res.code != 0 {
		h.t.Fatalf("__complete %v: exit %d\n%s", args, res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimRight(res.stdout, "\n"), "\n")
	out := map[string]string{}
	for _, l := range lines[:len(lines)-1] {
		v, d, _ := strings.Cut(l, "\t")
		out[v] = d
	}
	return out, lines[len(lines)-1]
}

func TestCompletionOfDebateIDs(t *testing.T) {
	h := newHarness(t)
	if got, _ := h.complete("show", ""); len(got) != 0 {
		t.Fatalf("no database yet, offered %v", got)
	}
	if _, err := os.Stat(h.env["PARLEY_DB"]); !os.IsNotExist(err) {
		t.Fatalf("completion created the database: %v", err)
	}
	if res := h.run("Which queue: SQS or Kafka?", "--rounds", "1", "-q", "-m", "openai:a,openai:b"); res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var rows []struct{ ID string }
	if err := json.Unmarshal([]byte(h.run("list", "--format", "json").stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("list: %v %v", rows, err)
	}
	id := rows[0].ID
	for _, cmd := range []string{"show", "export", "replay"} {
		got, directive := h.complete(cmd, "")
		if d, ok := got[id]; !ok || !strings.Contains(d, "Which queue: SQS or Kafka?") || !strings.Contains(d, "completed") {
			t.Errorf("%s: offered %v, want %s described by its question", cmd, got, id)
		}
		if directive != ":4" { // ShellCompDirectiveNoFileComp
			t.Errorf("%s: directive %s", cmd, directive)
		}
	}
	if got, _ := h.complete("show", id[:3]); len(got) != 1 {
		t.Errorf("prefix %s: %v", id[:3], got)
	}
	if got, _ := h.complete("show", "zzzz"); len(got) != 0 {
		t.Errorf("a prefix that matches nothing: %v", got)
	}
	// A completed debate has nothing to resume.
	if got, _ := h.complete("resume", ""); len(got) != 0 {
		t.Errorf("resume offered a completed debate: %v", got)
	}
	if got, _ := h.complete("show", id, ""); len(got) != 0 {
		t.Errorf("a second id offered: %v", got)
	}
}

func TestCompletionOfModes(t *testing.T) {
	h := newHarness(t)
	h.writeUserMode("mine", "name: mine\ndescription: My own mode.\nrounds:\n  - {kind: independent, prompt: independent}\nverdict: {prompt: verdict}\n")
	h.writeUserMode("broken", "name: broken\n")
	for _, args := range [][]string{{"--mode", ""}, {"run", "--mode", ""}} {
		got, _ := h.complete(args...)
		for _, want := range []string{"quick", "standard", "deep", "adversarial", "council", "vote", "vote-first", "mine"} {
			if _, ok := got[want]; !ok {
				t.Errorf("%v: %s not offered: %v", args, want, got)
			}
		}
		if !strings.Contains(got["mine"], "My own mode. (user mode)") {
			t.Errorf("user mode described as %q", got["mine"])
		}
		if _, ok := got["broken"]; ok {
			t.Error("an invalid user mode was offered")
		}
	}
	if got, _ := h.complete("--mode", "v"); len(got) != 2 {
		t.Errorf("prefix v: %v", got)
	}
}

func TestCompletionOfModelRefs(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("models:\n  local-qwen: {provider: openai, base_url: 'http://127.0.0.1:1/v1', model: qwen3}\n")
	got, directive := h.complete("-m", "anthropic:claude-sonnet")
	if _, ok := got["anthropic:claude-sonnet-4-6"]; !ok {
		t.Errorf("anthropic:claude-sonnet-4-6 not offered: %v", got)
	}
	if !regexp.MustCompile(`\$[0-9.]+/\$[0-9.]+ per Mtok, [0-9]+k context`).MatchString(got["anthropic:claude-sonnet-4-6"]) {
		t.Errorf("description %q has no price and context", got["anthropic:claude-sonnet-4-6"])
	}
	for ref := range got {
		if !strings.HasPrefix(ref, "anthropic:claude-sonnet") {
			t.Errorf("%s does not match the prefix", ref)
		}
	}
	if directive != ":6" { // NoSpace | NoFileComp: a comma may follow
		t.Errorf("directive %s", directive)
	}
	// The last ref of a list is completed; the ones before it are kept.
	got, _ = h.complete("run", "--models", "openai:gpt-5.5,gemini:gemini-3-pro")
	if _, ok := got["openai:gpt-5.5,gemini:gemini-3-pro-preview"]; !ok {
		t.Errorf("list completion: %v", got)
	}
	got, _ = h.complete("doctor", "-m", "")
	for _, want := range []string{"local-qwen", "cli:claude", "cli:codex", "openrouter:openai/gpt-5.5", "ollama:"} {
		if _, ok := got[want]; !ok {
			t.Errorf("empty prefix: %s not offered", want)
		}
	}
	if !strings.Contains(got["local-qwen"], "openai:qwen3") {
		t.Errorf("config model described as %q", got["local-qwen"])
	}
}
