package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/cli"
	"github.com/parleyhq/parley/internal/fakellm"
)

// panelist answers whatever a mode asks, over the real HTTP protocol: votes, peer
// reviews (ranking the seats shown), summaries, verdicts and ordinary turns.
func panelist(model string) fakellm.Script {
	return fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		p := c.Prompt
		switch {
		case strings.Contains(p, "# VERDICT"):
			return fakellm.Reply{Text: "```json\n{\"recommendation\": \"profile first (" + model + ")\", \"confidence\": 77, \"consensus\": [\"measure\"], \"dissent\": []}\n```"}
		case strings.Contains(p, "# SUMMARY of round"):
			return fakellm.Reply{Text: "Summary: all seats want to profile first."}
		case strings.Contains(p, "counted in a vote"):
			return fakellm.Reply{Text: "It is 18.\n```json\n{\"answer\": \"18\", \"position\": \"18\", \"confidence\": 80}\n```"}
		case strings.Contains(p, "anonymous peer review"):
			var shown []string
			for _, m := range regexp.MustCompile(`QUOTE [0-9a-f]{8} seat ([A-Z])>>>`).FindAllStringSubmatch(p, -1) {
				shown = append(shown, `"`+m[1]+`"`)
			}
			return fakellm.Reply{Text: "```json\n{\"ranking\": [" + strings.Join(shown, ",") + "], \"position\": \"profile first\", \"confidence\": 70}\n```"}
		}
		changed := roundOf(p) == 2 && model == "c"
		return fakellm.Reply{Text: fmt.Sprintf("My view (%s).\n```json\n{\"position\": \"profile first\", \"confidence\": 70, \"changed\": %v, \"reason\": \"the others convinced me\", \"converged\": false}\n```", model, changed)}
	}}
}

func TestEveryModeEndToEnd(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{"a", "b", "c"} {
		h.srv.Script(m, panelist(m))
	}
	for _, mode := range debate.BuiltinModes() {
		t.Run(mode.Name, func(t *testing.T) {
			res := h.run("Where do we start?", "-m", "openai:a,openai:b,openai:c", "--mode", mode.Name, "--format", "json", "-q")
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(res.stdout), &raw); err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"baseline", "flips", "verdict", "rounds", "usage", "stopped_because"} {
				if v, ok := raw[key]; !ok || string(v) == "null" {
					t.Errorf("the JSON lacks %q", key)
				}
			}
			rec := decodeResult(t, res.stdout)
			want := len(mode.Rounds)
			if mode.Converge == debate.ConvergeResolved {
				want = 1 // the panelists agree at once: nothing is contested
			}
			if len(rec.Rounds) != want {
				t.Fatalf("%d rounds, want %d", len(rec.Rounds), want)
			}
			for i, r := range rec.Rounds {
				if r.Kind != mode.Rounds[i].Kind {
					t.Errorf("round %d is %s, want %s", i+1, r.Kind, mode.Rounds[i].Kind)
				}
			}
			md := h.run("show", rec.ID)
			for _, want := range []string{"Plain majority vote of the first, independent answers", "Changes of mind"} {
				if !strings.Contains(md.stdout, want) {
					t.Errorf("the Markdown report lacks %q", want)
				}
			}
			switch mode.Name {
			case "council":
				if len(rec.Ranking) != 3 || !strings.Contains(md.stdout, "## Peer review") {
					t.Errorf("council: ranking %+v", rec.Ranking)
				}
			case "vote":
				if rec.Tally == nil || rec.Verdict.Recommendation != "18" || !strings.Contains(md.stdout, "## Vote") {
					t.Errorf("vote: tally %+v verdict %+v", rec.Tally, rec.Verdict)
				}
			case "standard", "deep", "adversarial":
				if len(rec.Flips) == 0 || rec.Flips[0].Seat != "C" || rec.Flips[0].Reason != "the others convinced me" {
					t.Errorf("%s: flips %+v", mode.Name, rec.Flips)
				}
			}
		})
	}
}

func TestBadModeFile(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.env["XDG_CONFIG_HOME"], "parley", "modes")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, "mine.yaml")
	os.WriteFile(path, []byte("name: mine\nrounds:\n  - kind: independent\n    prompt: independent\n    shuffle: true\nverdict:\n  prompt: verdict\n"), 0o644)
	res := h.run("q", "-m", "openai:a,openai:b", "--mode", "mine")
	if res.code != cli.ExitUsage {
		t.Fatalf("exit %d, want 2", res.code)
	}
	for _, want := range []string{path, "line 5", "shuffle"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, res.stderr)
		}
	}
	if len(h.srv.Calls()) != 0 {
		t.Error("a model was called")
	}
	// A good user mode is listed and runs.
	os.WriteFile(path, []byte("name: mine\ndescription: two quick rounds\nrounds:\n  - kind: independent\n    prompt: independent\n  - kind: final\n    prompt: final\nverdict:\n  prompt: verdict\n"), 0o644)
	if modes := h.run("modes"); !strings.Contains(modes.stdout, "two quick rounds (user mode)") || !strings.Contains(modes.stdout, "council") {
		t.Errorf("modes:\n%s", modes.stdout)
	}
	if res := h.run("q", "-m", "openai:a,openai:b", "--mode", "mine", "-q", "--format", "json"); res.code != 0 || len(decodeResult(t, res.stdout).Rounds) != 2 {
		t.Errorf("user mode run: exit %d %s", res.code, res.stderr)
	}
}

func TestAttach(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "slow.log"), []byte("SELECT * FROM orders WHERE user_id = 7; -- 812 ms\nSLOW-QUERY-MARKER\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "models.py"), []byte("class Order(models.Model):\n    user = models.ForeignKey(User)\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "dump.bin"), []byte{0x7f, 'E', 'L', 'F', 0, 1, 2}, 0o644)

	res := h.run("Why is it slow?", "-m", "openai:a,openai:b", "--rounds", "1", "--attach", filepath.Join(dir, "*.log"), "--attach", filepath.Join(dir, "models.py"), "--format", "json", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, c := range h.srv.Calls() {
		if !strings.Contains(c.Prompt, "SLOW-QUERY-MARKER") || !strings.Contains(c.Prompt, "class Order") || !strings.Contains(c.Prompt, "user-provided material") {
			t.Errorf("a prompt lacks the attachments")
		}
	}
	rec := decodeResult(t, res.stdout)
	if len(rec.Attachments) != 2 || rec.Attachments[0].Truncated {
		t.Errorf("attachments %+v", rec.Attachments)
	}
	if md := h.run("show", rec.ID); !strings.Contains(md.stdout, "slow.log") {
		t.Errorf("the report does not list the attachments")
	}

	before := len(h.srv.Calls())
	for args, want := range map[string]string{
		filepath.Join(dir, "dump.bin"): "looks binary",
		filepath.Join(dir, "*.csv"):    "matches no file",
		dir:                            "is a directory",
	} {
		res := h.run("q", "-m", "openai:a,openai:b", "--attach", args)
		if res.code != cli.ExitUsage || !strings.Contains(res.stderr, want) {
			t.Errorf("--attach %s: exit %d, want 2 and %q:\n%s", args, res.code, want, res.stderr)
		}
	}
	if len(h.srv.Calls()) != before {
		t.Error("a bad attachment still called models")
	}
}

func TestAttachBudgetIsReported(t *testing.T) {
	h := newHarness(t)
	big := filepath.Join(t.TempDir(), "big.txt")
	os.WriteFile(big, []byte(strings.Repeat("한국어 로그 줄입니다. ", 12000)), 0o644) // ~330 KB of multi-byte text
	res := h.run("q", "-m", "openai:a,openai:b", "--rounds", "1", "--attach", big, "--format", "json", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	a := rec.Attachments[0]
	if !a.Truncated || a.Included > 100_000 || a.Bytes <= a.Included {
		t.Errorf("attachment %+v", a)
	}
	if !strings.Contains(h.srv.Calls()[0].Prompt, "parley cut this file here") {
		t.Error("the cut is not marked in the prompt")
	}
	if md := h.run("show", rec.ID); !strings.Contains(md.stdout, "cut to fit the attachment budget") {
		t.Error("the cut is not in the report")
	}
}

func TestNamedPanelAndInteractive(t *testing.T) {
	h := newHarness(t)
	cfgPath := filepath.Join(t.TempDir(), "parley.yaml")
	os.WriteFile(cfgPath, []byte("panels:\n  security: [openai:sec-a, openai:sec-b]\n"), 0o644)
	h.env["PARLEY_CONFIG"] = cfgPath
	if res := h.run("q", "--panel", "security", "--rounds", "1", "-q", "--format", "json"); res.code != 0 || decodeResult(t, res.stdout).Panel[0].Model != "openai:sec-a" {
		t.Fatalf("--panel: exit %d %s", res.code, res.stderr)
	}
	if res := h.run("q", "--panel", "nope"); res.code != cli.ExitUsage || !strings.Contains(res.stderr, "it defines: security") {
		t.Errorf("unknown panel: exit %d %s", res.code, res.stderr)
	}
	// Not a terminal: --interactive and --clarify refuse, nothing is called.
	if res := h.run("q", "--panel", "security", "--interactive"); res.code != cli.ExitUsage || !strings.Contains(res.stderr, "interactive terminal") {
		t.Errorf("--interactive without a terminal: exit %d %s", res.code, res.stderr)
	}
	// In a terminal, the note reaches the next round's prompts and the record.
	res := h.runTTY("We cannot add Redis this quarter.\n\n", "q", "--panel", "security", "--interactive", "--format", "json", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d %s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	if len(rec.Notes) != 1 || rec.Notes[0].AfterRound != 1 {
		t.Fatalf("notes %+v", rec.Notes)
	}
	for _, c := range h.srv.CallsFor("sec-a") {
		if roundOf(c.Prompt) == 2 && !strings.Contains(c.Prompt, "cannot add Redis") {
			t.Error("the note did not reach round 2")
		}
	}
}

func TestClarifyInATerminal(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{"a", "b"} {
		h.srv.Script(m, fakellm.Script{Replies: []fakellm.Reply{
			{WhenContains: "# CLARIFY", Text: "```json\n{\"questions\": [\"How many requests per second?\", \"Which database?\"]}\n```"},
			{},
		}})
	}
	res := h.runTTY("about 300\nPostgreSQL 15\n", "Our API is slow", "-m", "openai:a,openai:b", "--mode", "quick", "--clarify", "--format", "json", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "How many requests per second?") {
		t.Errorf("the questions were not shown:\n%s", res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	if rec.Clarification == nil || len(rec.Clarification.Answers) != 2 || rec.Clarification.Answers[1] != "PostgreSQL 15" {
		t.Fatalf("clarification %+v", rec.Clarification)
	}
	for _, c := range h.srv.CallsFor("b") {
		if roundOf(c.Prompt) == 1 && !strings.Contains(c.Prompt, "A: PostgreSQL 15") {
			t.Error("the answers did not join the problem")
		}
	}
}
