package agentcli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/provider"
)

func TestSettingsReachTheCLIs(t *testing.T) {
	budget := 6000
	codex := codexInvocation(call{prompt: "p", reasoning: "high"})
	if i := slices.Index(codex.args, `model_reasoning_effort="high"`); i < 1 || codex.args[i-1] != "-c" {
		t.Fatalf("codex args %q", codex.args)
	}
	claude := claudeInvocation(call{prompt: "p", thinking: &budget})
	if !slices.Contains(claude.env, "MAX_THINKING_TOKENS=6000") {
		t.Fatalf("claude env %q", claude.env)
	}
	if plain := claudeInvocation(call{prompt: "p"}); len(plain.env) != 0 {
		t.Fatalf("claude env without settings %q", plain.env)
	}
}

func TestUnsupportedCLISettingIsRefused(t *testing.T) {
	m, err := New(Config{Kind: Gemini, Binary: "/bin/true", Settings: provider.Settings{Reasoning: "high"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Generate(context.Background(), provider.Request{Prompt: "p"}, nil)
	if err == nil || !strings.Contains(err.Error(), "cli:gemini cannot be given reasoning") {
		t.Fatalf("err = %v", err)
	}
}
