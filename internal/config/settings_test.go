package config

import (
	"strings"
	"testing"
)

func TestParseRefSettings(t *testing.T) {
	c := &Config{Models: map[string]Endpoint{"deep": {Provider: "anthropic", Model: "claude-sonnet-4-5", Thinking: "4000"}}}
	ref, err := c.ParseRef("anthropic:claude-sonnet-4-6?thinking=8000&max_tokens=16000")
	if err != nil {
		t.Fatal(err)
	}
	if ref.Provider != "anthropic" || ref.Model != "claude-sonnet-4-6" || ref.Raw != "anthropic:claude-sonnet-4-6?thinking=8000&max_tokens=16000" {
		t.Errorf("ref = %+v", ref)
	}
	if got := ref.Settings.String(); got != "max_tokens=16000&thinking=8000" {
		t.Errorf("canonical settings = %q", got)
	}
	// A config name takes settings too; ollama's own colon stays in the model.
	ref, err = c.ParseRef("deep?thinking=off")
	if err != nil || ref.Name != "deep" || ref.Settings.Thinking == nil || *ref.Settings.Thinking != 0 {
		t.Errorf("named ref = %+v, %v", ref, err)
	}
	ref, err = c.ParseRef("ollama:qwen3:8b?temperature=0.2")
	if err != nil || ref.Model != "qwen3:8b" || *ref.Settings.Temperature != 0.2 {
		t.Errorf("ollama ref = %+v, %v", ref, err)
	}
	for in, want := range map[string]string{
		"openai:gpt-5?reasoning=extreme":         "none, minimal, low, medium, high",
		"openai:gpt-5?effort=high":               `unknown setting "effort"`,
		"openai:gpt-5?max_tokens=-3":             "positive number",
		"openai:gpt-5?temperature=hot":           "from 0 to 2",
		"openai:gpt-5?thinking=lots":             "thinking=off",
		"openai:gpt-5?api=graphql":               "api=responses or api=chat",
		"openai:gpt-5?":                          `nothing after "?"`,
		"openai:gpt-5?max_tokens":                "KEY=VALUE",
		"openai:gpt-5?max_tokens=1&max_tokens=2": "twice",
	} {
		_, err := c.ParseRef(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseRef(%q) = %v; want an error naming the ref and %q", in, err, want)
		}
	}
}

func TestEndpointSettingsValidated(t *testing.T) {
	_, err := Parse(strings.NewReader("models:\n  x:\n    provider: openai\n    model: gpt-5\n    reasoning: huge\n"), "c.yaml")
	if err == nil || !strings.Contains(err.Error(), "models.x") || !strings.Contains(err.Error(), "reasoning=huge") {
		t.Errorf("bad reasoning in the config: %v", err)
	}
	c, err := Parse(strings.NewReader("models:\n  x:\n    provider: anthropic\n    model: m\n    thinking: 8000\n    max_tokens: 20000\n    temperature: 0.5\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Models["x"].Settings()
	if err != nil || s.String() != "max_tokens=20000&temperature=0.5&thinking=8000" {
		t.Errorf("settings = %q, %v", s.String(), err)
	}
}

// The config's settings: by provider and by model, the model's over the
// provider's; a misspelt key, an unknown provider, a models: name or a bad value
// is refused with the file and the key.
func TestConfigSettings(t *testing.T) {
	c, err := Parse(strings.NewReader("settings:\n  anthropic: {thinking: 8000, max_tokens: 20000}\n  anthropic:claude-opus-4-8: {thinking: off}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	layers := c.SettingsFor("anthropic", "claude-opus-4-8")
	if len(layers) != 2 || layers[0].From != "the config's settings.anthropic" || layers[1].Settings.String() != "thinking=off" {
		t.Fatalf("layers = %+v", layers)
	}
	if got := layers[0].Settings.Merge(layers[1].Settings).String(); got != "max_tokens=20000&thinking=off" {
		t.Errorf("merged = %q", got)
	}
	if l := c.SettingsFor("openai", "gpt-5.5"); len(l) != 0 {
		t.Errorf("openai got %+v", l)
	}
	for src, want := range map[string]string{
		"settings:\n  anthropic: {thinkng: 8000}\n":                                     `unknown setting "thinkng"`,
		"settings:\n  antropic: {thinking: 8000}\n":                                     `"antropic" is neither a provider`,
		"settings:\n  openai: {reasoning: huge}\n":                                      "reasoning=huge",
		"settings:\n  'openai:': {reasoning: high}\n":                                   "the model is missing",
		"models:\n  x: {provider: openai, model: m}\nsettings:\n  x: {max_tokens: 5}\n": "put its settings in that entry",
		"settings:\n  openai: 5\n":                                                      "a mapping of KEY: VALUE",
	} {
		_, err := Parse(strings.NewReader(src), "bad.yaml")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("%q: %v, want %q and the file", src, err, want)
		}
	}
}
