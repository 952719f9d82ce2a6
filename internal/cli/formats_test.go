package cli_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/fakellm"
)

func TestModesJSON(t *testing.T) {
	h := newHarness(t)
	h.writeUserMode("mine", "name: mine\ndescription: Mine.\nsettings: {max_tokens: 9000}\nrounds:\n  - {kind: independent, prompt: independent}\n  - {kind: final, prompt: final}\nverdict: {prompt: verdict}\n")
	h.writeUserMode("broken", "name: broken\nrounds: []\n")
	h.writeUserMode("quick", "name: quick\ndescription: shadowed\nrounds:\n  - {kind: independent, prompt: independent}\nverdict: {prompt: verdict}\n")
	res := h.run("modes", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var modes []struct {
		Name, Description, Verdict, Settings, Source, Error string
		Rounds                                              []string
	}
	if err := json.Unmarshal([]byte(res.stdout), &modes); err != nil {
		t.Fatal(err, res.stdout)
	}
	byName := map[string][]int{}
	for i, m := range modes {
		byName[m.Name] = append(byName[m.Name], i)
	}
	std := modes[byName["standard"][0]]
	if std.Source != "built-in" || strings.Join(std.Rounds, ",") != "independent,critique,final" || std.Verdict != "chair" || std.Description == "" {
		t.Errorf("standard = %+v", std)
	}
	mine := modes[byName["mine"][0]]
	if !strings.HasSuffix(mine.Source, "modes/mine.yaml") || mine.Settings != "max_tokens=9000" || len(mine.Rounds) != 2 || mine.Error != "" {
		t.Errorf("mine = %+v", mine)
	}
	if b := modes[byName["broken"][0]]; !strings.Contains(b.Error, "no rounds") {
		t.Errorf("broken = %+v", b)
	}
	if q := byName["quick"]; len(q) != 2 || !strings.Contains(modes[q[1]].Error, "built-in mode has this name") {
		t.Errorf("a user mode shadowed by a built-in: %v %+v", q, modes)
	}
	text := h.run("modes")
	if text.code != 0 || !strings.Contains(text.stdout, "Mine. [settings: max_tokens=9000] (user mode)") || !strings.Contains(text.stdout, "(unusable)") {
		t.Errorf("text:\n%s", text.stdout)
	}
	if bad := h.run("modes", "--format", "xml"); bad.code != 2 || !strings.Contains(bad.stderr, `unknown format "xml"`) {
		t.Errorf("bad format: exit %d %s", bad.code, bad.stderr)
	}
}

func TestDoctorJSON(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("good", fakellm.Script{Replies: []fakellm.Reply{{Text: "OK"}}})
	h.srv.Script("refused", fakellm.Script{Replies: []fakellm.Reply{{Status: 404, ErrorMessage: "The model `refused` does not exist"}}})
	res := h.run("doctor", "--format", "json", "-m", "openai:good,openai:refused,anthropic:claude-sonnet-4-6")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	var out struct {
		Checks []struct {
			Ref, Reply, Class, Error, Fix string
			OK                            bool
			TookMS                        *int64 `json:"took_ms"`
			OutputTokens                  int    `json:"output_tokens"`
		}
		Failed int
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatal(err, res.stdout)
	}
	if len(out.Checks) != 3 || out.Failed != 2 {
		t.Fatalf("%+v", out)
	}
	good, refused, missing := out.Checks[0], out.Checks[1], out.Checks[2]
	if !good.OK || good.Reply != "OK" || good.TookMS == nil || good.Ref != "openai:good" {
		t.Errorf("good = %+v", good)
	}
	if refused.OK || !strings.Contains(refused.Error, "does not exist") || !strings.Contains(refused.Fix, "is the model name right?") || refused.Class == "" {
		t.Errorf("refused = %+v", refused)
	}
	if missing.OK || !strings.Contains(missing.Error, "export ANTHROPIC_API_KEY") || missing.Class != "config" {
		t.Errorf("missing = %+v", missing)
	}
	if strings.Contains(res.stdout, secretKey) {
		t.Error("the key is in doctor's JSON")
	}
	if strings.Contains(res.stdout, "✓") || strings.Contains(res.stdout, "All ") {
		t.Error("text lines mixed into the JSON")
	}
}

func TestConfigShowJSON(t *testing.T) {
	h := newHarness(t)
	path := h.writeConfig("mode: deep\npanel: [openai:gpt-5.5, gw]\nsettings:\n  anthropic: {thinking: off}\nmodels:\n  gw:\n    provider: openai\n    model: m\n    headers: {Authorization: Bearer sk-secret-in-header}\n")
	res := h.run("config", "show", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var out struct {
		Mode, DB, Source, Timeout string
		Panel                     []string
		Settings                  map[string]map[string]string
		Models                    map[string]struct {
			Provider string
			Headers  map[string]string
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatal(err, res.stdout)
	}
	if out.Mode != "deep" || out.Source != path || out.DB != h.env["PARLEY_DB"] || out.Timeout != "5m0s" || len(out.Panel) != 2 ||
		out.Settings["anthropic"]["thinking"] != "off" || out.Models["gw"].Headers["Authorization"] != "[redacted]" {
		t.Errorf("config show json:\n%s", res.stdout)
	}
	if strings.Contains(res.stdout, "sk-secret-in-header") {
		t.Error("a header's token is in the output")
	}
	yamlOut := h.run("config", "show")
	if !regexp.MustCompile(`(?m)^\s+thinking: "?off"?$`).MatchString(yamlOut.stdout) {
		t.Errorf("yaml settings:\n%s", yamlOut.stdout)
	}
}

// With nothing configured, every list in `parley models --format json` is [],
// and no field is null.
func TestModelsJSONHasNoNulls(t *testing.T) {
	h := newHarness(t)
	for _, k := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL"} {
		delete(h.env, k)
	}
	h.env["PATH"] = t.TempDir()
	res := h.run("models", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stdout, "null") {
		t.Errorf("null in the output:\n%.1500s", res.stdout)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"reachable", "configured", "default_panel"} {
		if string(out[k]) != "[]" {
			t.Errorf("%s = %s, want []", k, out[k])
		}
	}
}
