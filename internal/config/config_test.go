package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	src := `
panel: [openai:gpt-5, local-qwen]
mode: standard
timeout: 90s
max_cost: 1.5
models:
  local-qwen:
    provider: openai
    base_url: http://127.0.0.1:8000/v1
    api_key_env: VLLM_KEY
    model: qwen3-32b
    price: {input: 0.1, output: 0.3}
`
	c, err := Parse(strings.NewReader(src), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Timeout) != 90*time.Second || c.MaxCost != 1.5 || len(c.Panel) != 2 {
		t.Fatalf("%+v", c)
	}
	ep := c.Models["local-qwen"]
	if ep.Price == nil || ep.Price.Output != 0.3 || ep.APIKeyEnv != "VLLM_KEY" {
		t.Fatalf("%+v", ep)
	}
	ref, err := c.ParseRef("local-qwen")
	if err != nil || ref.Name != "local-qwen" || ref.Provider != "openai" || ref.Model != "qwen3-32b" {
		t.Fatalf("%+v %v", ref, err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"panel: [a]\nmodles: {}\n":                                        "line 2",
		"models:\n  x:\n    provider: openai\n    model: m\n    kee: 1\n": "field kee not found",
		"timeout: soon\n":                                                 `"soon" is not a duration`,
		"models:\n  x:\n    model: m\n":                                   "provider is required",
		"models:\n  x:\n    provider: openai\n    model: m\n    api_key_env: sk-abc123\n": "NAME of an environment variable",
		"models:\n  a:b:\n    provider: openai\n    model: m\n":                           "may not contain",
	}
	for src, want := range cases {
		_, err := Parse(strings.NewReader(src), "bad.yaml")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("%q: error %v, want it to mention %q and the file", src, err, want)
		}
	}
}

func TestParseRef(t *testing.T) {
	c := &Config{}
	for in, want := range map[string]Ref{
		"openai:gpt-5":                  {Raw: "openai:gpt-5", Provider: "openai", Model: "gpt-5"},
		"ollama:qwen3:8b":               {Raw: "ollama:qwen3:8b", Provider: "ollama", Model: "qwen3:8b"},
		"cli:gemini/gemini-2.5-flash":   {Raw: "cli:gemini/gemini-2.5-flash", Provider: "cli", Model: "gemini/gemini-2.5-flash"},
		" anthropic:claude-sonnet-4-5 ": {Raw: "anthropic:claude-sonnet-4-5", Provider: "anthropic", Model: "claude-sonnet-4-5"},
	} {
		got, err := c.ParseRef(in)
		if err != nil || got != want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"gpt-5":        "write PROVIDER:MODEL",
		"openia:gpt-5": `unknown provider "openia"`,
		"openai:":      "the model is missing",
		"":             "empty model ref",
	} {
		if _, err := c.ParseRef(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRef(%q): %v, want %q", in, err, want)
		}
	}
}

func TestLoadOrderAndPaths(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "cfg")}
	get := func(k string) string { return env[k] }
	c, err := Load(get)
	if err != nil || c.Path != "" {
		t.Fatalf("no file: %+v %v", c, err)
	}
	p := filepath.Join(dir, "cfg", "parley", "config.yaml")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("mode: deep\n"), 0o644)
	if c, err = Load(get); err != nil || c.Mode != "deep" || c.Path != p {
		t.Fatalf("xdg file: %+v %v", c, err)
	}
	env["PARLEY_CONFIG"] = filepath.Join(dir, "missing.yaml")
	if _, err = Load(get); err == nil {
		t.Fatal("a missing $PARLEY_CONFIG must be an error")
	}
	if got := (&Config{}).DBPath("", get); got != filepath.Join(dir, ".local", "share", "parley", "parley.db") {
		t.Errorf("DBPath = %s", got)
	}
	env["PARLEY_DB"] = "/x.db"
	if got := (&Config{}).DBPath("/flag.db", get); got != "/flag.db" {
		t.Errorf("--db must win: %s", got)
	}
}

// The starter names every key of Config and Endpoint, and parses once uncommented.
func TestStarterNamesEveryOption(t *testing.T) {
	var b strings.Builder
	option := regexp.MustCompile(`^# ( *(?:[a-z_-]+|"[a-z0-9:._-]+"):( .*)?)$`)
	for _, line := range strings.Split(Starter, "\n") {
		// Uncomment option lines ("# key: value"), keep prose comments.
		if m := option.FindStringSubmatch(line); m != nil {
			line = m[1]
		}
		b.WriteString(line + "\n")
	}
	c, err := Parse(strings.NewReader(b.String()), "starter")
	if err != nil {
		t.Fatalf("the uncommented starter does not parse: %v\n%s", err, b.String())
	}
	ep := c.Models["local-qwen"]
	if c.Mode == "" || len(c.Panel) == 0 || len(c.Panels) == 0 || c.Timeout == 0 || c.MaxCost == 0 || c.DB == "" || c.Format == "" || c.Rounds == 0 || c.Chair == "" || c.OutDir == "" ||
		ep.BaseURL == "" || ep.APIKeyEnv == "" || ep.Price == nil || ep.ContextWindow == 0 || ep.Persona == "" || ep.Temperature == nil || len(ep.Headers) == 0 || ep.MaxTokens == 0 ||
		c.Models["deep-claude"].Thinking == "" || c.Models["careful-gpt"].Reasoning == "" || c.Models["careful-gpt"].API == "" || c.Settings["anthropic"].Thinking == nil || c.Settings["openai:gpt-5.5"].Reasoning == "" {
		t.Errorf("the starter leaves an option out: %+v %+v", c, ep)
	}
}
