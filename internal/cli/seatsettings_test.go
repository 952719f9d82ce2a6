package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

// writeUserMode puts a user mode file where parley looks for one.
func (h *harness) writeUserMode(name, src string) string {
	h.t.Helper()
	p := filepath.Join(h.env["XDG_CONFIG_HOME"], "parley", "modes", name+".yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// writeConfig writes the config file parley reads.
func (h *harness) writeConfig(src string) string {
	h.t.Helper()
	p := filepath.Join(h.env["XDG_CONFIG_HOME"], "parley", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// allVendors points the Anthropic and Gemini providers at the fake server too.
func (h *harness) allVendors() {
	h.env["ANTHROPIC_BASE_URL"] = h.srv.URL()
	h.env["ANTHROPIC_API_KEY"] = secretKey
	h.env["GOOGLE_GEMINI_BASE_URL"] = h.srv.URL()
	h.env["GEMINI_API_KEY"] = secretKey
}

const vendorsMode = `name: careful
description: One independent round, settings per role.
settings: {max_tokens: 12000}
roles:
  - name: a
    persona: You are seat one.
    settings: {reasoning: low}
  - name: b
    persona: You are seat two.
    settings: {thinking: 4000}
  - name: c
    persona: You are seat three.
    settings: {thinking: 2048, temperature: 0.4}
rounds:
  - kind: independent
    prompt: independent
verdict:
  prompt: verdict
`

// A user mode's settings (mode-wide and per role) reach each vendor's request
// body, recorded by the fake server, and are recorded with the seats.
func TestModeSettingsReachEachVendor(t *testing.T) {
	h := newHarness(t)
	h.allVendors()
	h.writeUserMode("careful", vendorsMode)
	for _, m := range []string{"gpt-5.5", "claude-sonnet-4-6", "gemini-3-pro-preview"} {
		h.srv.Script(m, answers(m, 0))
	}
	res := h.run("Where do we start?", "--mode", "careful", "-q", "--format", "json",
		"-m", "openai:gpt-5.5,anthropic:claude-sonnet-4-6,gemini:gemini-3-pro-preview")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	wantSeat := []string{"max_tokens=12000&reasoning=low", "max_tokens=12000&thinking=4000", "max_tokens=12000&temperature=0.4&thinking=2048"}
	for i, s := range rec.Panel {
		if s.Settings != wantSeat[i] {
			t.Errorf("seat %s recorded %q, want %q", s.Seat, s.Settings, wantSeat[i])
		}
	}
	gpt := h.srv.CallsFor("gpt-5.5")
	if len(gpt) == 0 {
		t.Fatal("no call for gpt-5.5")
	}
	for _, c := range gpt {
		if b := c.JSON(); b["max_completion_tokens"] != float64(12000) || b["reasoning_effort"] != "low" {
			t.Errorf("openai body = %v", b)
		}
	}
	claude := h.srv.CallsFor("claude-sonnet-4-6")
	if len(claude) == 0 {
		t.Fatal("no call for claude-sonnet-4-6")
	}
	for _, c := range claude {
		b := c.JSON()
		th, _ := b["thinking"].(map[string]any)
		if b["max_tokens"] != float64(12000) || th["budget_tokens"] != float64(4000) {
			t.Errorf("anthropic body = %v", b)
		}
	}
	gem := h.srv.CallsFor("gemini-3-pro-preview")
	if len(gem) == 0 {
		t.Fatal("no call for gemini-3-pro-preview")
	}
	for _, c := range gem {
		gc, _ := c.JSON()["generationConfig"].(map[string]any)
		tc, _ := gc["thinkingConfig"].(map[string]any)
		if gc["maxOutputTokens"] != float64(12000) || gc["temperature"] != 0.4 || tc["thinkingBudget"] != float64(2048) {
			t.Errorf("gemini generationConfig = %v", gc)
		}
	}
}

// The config's settings (by provider, by model) reach the request; a mode's win
// over them, and a ref's own over everything.
func TestConfigSettingsReachTheRequest(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("settings:\n  openai: {max_tokens: 700}\n  openai:gpt-5.5: {reasoning: high}\n")
	res := h.run("q", "-q", "--rounds", "1", "-m", "openai:gpt-5.5,openai:gpt-5.4-mini")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, c := range h.srv.CallsFor("gpt-5.5") {
		if b := c.JSON(); b["max_completion_tokens"] != float64(700) || b["reasoning_effort"] != "high" {
			t.Errorf("gpt-5.5 body = %v", b)
		}
	}
	mini := h.srv.CallsFor("gpt-5.4-mini")
	if len(mini) == 0 {
		t.Fatal("no call for gpt-5.4-mini")
	}
	for _, c := range mini {
		if b := c.JSON(); b["max_completion_tokens"] != float64(700) || b["reasoning_effort"] != nil {
			t.Errorf("gpt-5.4-mini body = %v (only the provider-wide default applies)", b)
		}
	}

	h.writeUserMode("short", "name: short\ndescription: d\nsettings: {max_tokens: 800}\nrounds:\n  - {kind: independent, prompt: independent}\nverdict: {prompt: verdict}\n")
	before := len(h.srv.Calls())
	res = h.run("q", "-q", "--mode", "short", "-m", "openai:gpt-5.5?max_tokens=900,openai:gpt-5.4-mini")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, c := range h.srv.Calls()[before:] {
		want := map[string]float64{"gpt-5.5": 900, "gpt-5.4-mini": 800}[c.Model]
		if b := c.JSON(); b["max_completion_tokens"] != want {
			t.Errorf("%s: max_completion_tokens %v, want %v", c.Model, b["max_completion_tokens"], want)
		}
	}
}

// A setting a seat's provider cannot take, from a mode or the config, stops the
// run with exit 2 before any call, naming the seat and where it was set.
func TestUnsupportedSettingFromModeOrConfig(t *testing.T) {
	h := newHarness(t)
	h.writeUserMode("thinky", "name: thinky\ndescription: d\nsettings: {thinking: 4000}\nrounds:\n  - {kind: independent, prompt: independent}\nverdict: {prompt: verdict}\n")
	res := h.run("q", "--mode", "thinky", "-m", "openai:gpt-5.5,openai:gpt-5.4-mini")
	if res.code != 2 || !strings.Contains(res.stderr, "seat A") || !strings.Contains(res.stderr, "mode thinky sets thinking=4000") || !strings.Contains(res.stderr, "openai models do not take thinking") {
		t.Errorf("mode: exit %d\n%s", res.code, res.stderr)
	}
	h.writeConfig("settings:\n  openai:gpt-5.4-mini: {thinking: 2000}\n")
	res = h.run("q", "-m", "openai:gpt-5.5,openai:gpt-5.4-mini")
	if res.code != 2 || !strings.Contains(res.stderr, "seat B") || !strings.Contains(res.stderr, "settings.openai:gpt-5.4-mini sets thinking=2000") {
		t.Errorf("config: exit %d\n%s", res.code, res.stderr)
	}
	if n := len(h.srv.Calls()); n != 0 {
		t.Errorf("%d calls were made", n)
	}
}

// A misspelt setting in a mode file or the config is refused with exit 2, the
// file, the line and the known keys.
func TestMisspeltSettingIsRefused(t *testing.T) {
	h := newHarness(t)
	path := h.writeUserMode("typo", "name: typo\ndescription: d\nsettings:\n  thinkng: 4000\nrounds:\n  - {kind: independent, prompt: independent}\nverdict: {prompt: verdict}\n")
	res := h.run("q", "--mode", "typo", "-m", "openai:a,openai:b")
	if res.code != 2 || !strings.Contains(res.stderr, path) || !strings.Contains(res.stderr, `line 4: unknown setting "thinkng" (known: api, max_tokens`) {
		t.Errorf("mode: exit %d\n%s", res.code, res.stderr)
	}
	cfg := h.writeConfig("settings:\n  anthropic:\n    max_token: 5\n")
	res = h.run("q", "-m", "openai:a,openai:b")
	if res.code != 2 || !strings.Contains(res.stderr, cfg) || !strings.Contains(res.stderr, `unknown setting "max_token"`) {
		t.Errorf("config: exit %d\n%s", res.code, res.stderr)
	}
}

// --quiet=false beats the config's quiet: true; without the flag the config's
// value holds.
func TestQuietFalseOverridesTheConfig(t *testing.T) {
	h := newHarness(t)
	h.writeConfig("quiet: true\n")
	quiet := h.run("q", "--rounds", "1", "-m", "openai:a,openai:b")
	if quiet.code != 0 || strings.TrimSpace(quiet.stderr) != "" {
		t.Fatalf("quiet: true: exit %d, stderr:\n%s", quiet.code, quiet.stderr)
	}
	loud := h.run("q", "--rounds", "1", "-m", "openai:a,openai:b", "--quiet=false")
	if loud.code != 0 || !strings.Contains(loud.stderr, "Round 1") && !strings.Contains(loud.stderr, "round 1") {
		t.Fatalf("--quiet=false: exit %d, stderr:\n%s", loud.code, loud.stderr)
	}
	if res := h.run("q", "--rounds", "1", "-m", "openai:a,openai:b", "-q"); res.code != 0 || strings.TrimSpace(res.stderr) != "" {
		t.Errorf("-q still works without a value: exit %d\n%s", res.code, res.stderr)
	}
}

// Resuming a debate asks the models what they were asked when it started: the
// settings recorded with each seat (here from a mode file since deleted), not
// whatever the ref alone would give. The interrupted debate is also what
// `resume` completion offers.
func TestResumeKeepsTheRecordedSettings(t *testing.T) {
	h := newHarness(t)
	st, err := sqlite.Open(context.Background(), h.env["PARLEY_DB"])
	if err != nil {
		t.Fatal(err)
	}
	mode, _ := debate.BuiltinMode("quick")
	e := debate.Event{DebateID: "resumeme", Seq: 1, At: time.Now(), Kind: debate.KindDebateStarted,
		Started: &debate.Started{Spec: debate.Spec{Problem: "Interrupted question?", Mode: "quick", Timeout: time.Minute}, Mode: &mode,
			Panel: []debate.Seat{{Seat: "A", Model: "openai:gpt-5.5", Settings: "max_tokens=777&reasoning=low"}, {Seat: "B", Model: "openai:gpt-5.4-mini"}}}}
	if err := st.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if got, _ := h.complete("resume", ""); !strings.Contains(got["resumeme"], "Interrupted question?") {
		t.Errorf("resume completion: %v", got)
	}
	res := h.run("resume", "resumeme", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	calls := h.srv.CallsFor("gpt-5.5")
	if len(calls) == 0 {
		t.Fatal("no call for gpt-5.5")
	}
	for _, c := range calls {
		if b := c.JSON(); b["max_completion_tokens"] != float64(777) || b["reasoning_effort"] != "low" {
			t.Errorf("resumed gpt-5.5 body = %v", b)
		}
	}
	for _, c := range h.srv.CallsFor("gpt-5.4-mini") {
		if _, ok := c.JSON()["max_completion_tokens"]; ok {
			t.Errorf("seat B got seat A's settings: %v", c.JSON())
		}
	}
}

// eval resolves each model once for all its strategies, so a mode with settings
// is refused there (exit 2) rather than run without them.
func TestEvalRefusesAModeWithSettings(t *testing.T) {
	h := newHarness(t)
	h.writeUserMode("careful", vendorsMode)
	data := filepath.Join(h.dir, "data.jsonl")
	if err := os.WriteFile(data, []byte(`{"question": "2+2?", "answer": "#### 4"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := h.run("eval", data, "-m", "openai:a,openai:b", "--strategies", "careful")
	if res.code != 2 || !strings.Contains(res.stderr, "mode careful sets generation settings") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}
