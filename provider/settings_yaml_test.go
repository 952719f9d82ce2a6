package provider

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSettingsYAML(t *testing.T) {
	var s struct {
		S Settings `yaml:"settings"`
	}
	if err := yaml.Unmarshal([]byte("settings: {thinking: off, max_tokens: 16000, temperature: 0.3}\n"), &s); err != nil {
		t.Fatal(err)
	}
	if got := s.S.String(); got != "max_tokens=16000&temperature=0.3&thinking=off" {
		t.Fatalf("String() = %q", got)
	}
	out, err := yaml.Marshal(s)
	if err != nil || !strings.Contains(string(out), "thinking: \"off\"") && !strings.Contains(string(out), "thinking: off") {
		t.Fatalf("marshal: %s %v", out, err)
	}
	for src, want := range map[string]string{
		"settings: {thinkng: 8000}\n":        `line 1: unknown setting "thinkng"`,
		"settings: {reasoning: extreme}\n":   "reasoning=extreme",
		"settings: [thinking]\n":             "a mapping of KEY: VALUE",
		"settings:\n  thinking: {a: 1}\n":    "single value",
		"settings:\n  api: x\n  api: chat\n": "", // yaml itself rejects the duplicate key
	} {
		err := yaml.Unmarshal([]byte(src), &s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", src, err, want)
		}
	}
}
