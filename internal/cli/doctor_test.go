package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/fakellm"
)

func TestDoctor(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("good", fakellm.Script{Replies: []fakellm.Reply{{Text: "OK"}}})
	h.srv.Script("refused", fakellm.Script{Replies: []fakellm.Reply{{Status: 404, ErrorMessage: "The model `refused` does not exist"}}})
	res := h.run("doctor", "-m", "openai:good,openai:refused,anthropic:claude-sonnet-4-5")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		`✓ openai:good answered in`, `"OK"`,
		"✗ openai:refused", "does not exist", "is the model name right?",
		"✗ anthropic:claude-sonnet-4-5", "export ANTHROPIC_API_KEY",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout+res.stderr, secretKey) {
		t.Error("doctor printed the key")
	}
	if n := len(h.srv.CallsFor("good")); n != 1 {
		t.Errorf("doctor made %d calls to a good model, want 1", n)
	}

	ok := h.run("doctor", "-m", "openai:good")
	if ok.code != 0 || !strings.Contains(ok.stdout, "All 1 models answered") {
		t.Errorf("exit %d\n%s", ok.code, ok.stdout)
	}

	h.env["OPENAI_BASE_URL"] = "http://127.0.0.1:1/v1"
	down := h.run("doctor", "-m", "openai:good")
	if down.code != 1 || !strings.Contains(down.stdout, "check OPENAI_BASE_URL") {
		t.Errorf("unreachable server: exit %d\n%s", down.code, down.stdout)
	}
}

func TestModelsListsWhatIsReachable(t *testing.T) {
	h := newHarness(t)
	res := h.run("models", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var out struct {
		Reachable    []struct{ Ref, Kind, Why string }
		Unreachable  []struct{ Kind, Fix string }
		DefaultPanel []string `json:"default_panel"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatal(err, res.stdout)
	}
	// The fake server lists its models at /v1/models; OPENAI_BASE_URL is set.
	if len(out.Reachable) == 0 || out.Reachable[0].Kind != "openai" || !strings.Contains(out.Reachable[0].Why, "OPENAI_BASE_URL") {
		t.Errorf("reachable %+v", out.Reachable)
	}
	fixes := map[string]string{}
	for _, u := range out.Unreachable {
		fixes[u.Kind] = u.Fix
	}
	if !strings.Contains(fixes["anthropic"], "ANTHROPIC_API_KEY") || !strings.Contains(fixes["ollama"], "ollama serve") || !strings.Contains(fixes["cli"], "npm install") {
		t.Errorf("unreachable %+v", out.Unreachable)
	}
	if len(out.DefaultPanel) < 2 {
		t.Errorf("default panel %v", out.DefaultPanel)
	}
	text := h.run("models")
	if !strings.Contains(text.stdout, "NOT REACHABLE") || !strings.Contains(text.stdout, "Default panel:") {
		t.Errorf("text output:\n%s", text.stdout)
	}
}

// With OPENAI_BASE_URL set, detection asks the server for its models: the fake lists
// the scripted ones, in an OpenAI-style {"object": "list", "data": [...]} body.
func TestDetectionAsksTheServer(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("served-model-x", answers("served-model-x", 0))
	res := h.run("models", "--format", "json")
	if !strings.Contains(res.stdout, `"openai:served-model-x"`) {
		t.Errorf("the server's model list was not used:\n%s", res.stdout)
	}
}
