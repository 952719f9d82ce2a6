package models_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/models"
)

// A ref's settings, merged over its config entry's, reach the vendor's request
// body; Anthropic's cap comes from the catalogue instead of a fixed 8192.
func TestSettingsFromRefAndConfigReachAnthropic(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: anthropicTestKey})
	env := map[string]string{"ANTHROPIC_BASE_URL": srv.URL(), "ANTHROPIC_API_KEY": anthropicTestKey}
	cfg := &config.Config{Models: map[string]config.Endpoint{"deep": {Provider: "anthropic", Model: "claude-sonnet-4-5", Thinking: "4000", MaxTokens: 30000}}}
	res, err := resolveRef(t, cfg, env, "deep?thinking=9000")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Settings.String(); got != "max_tokens=30000&thinking=9000" {
		t.Fatalf("settings = %q", got)
	}
	generateOnce(t, res.Model)
	body := srv.Calls()[0].JSON()
	th, _ := body["thinking"].(map[string]any)
	if th["budget_tokens"] != float64(9000) || body["max_tokens"] != float64(30000) {
		t.Fatalf("body = %v", body)
	}

	res, err = resolveRef(t, nil, env, "anthropic:claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	generateOnce(t, res.Model)
	e, _ := models.Lookup("anthropic", "claude-sonnet-4-5")
	if got := srv.Calls()[1].JSON()["max_tokens"]; e.DefaultMaxTokens == 0 || got != float64(e.DefaultMaxTokens) {
		t.Fatalf("max_tokens = %v, want the catalogue's %d", got, e.DefaultMaxTokens)
	}
}

func TestUnsupportedSettingsNameTheSeat(t *testing.T) {
	dir := cliBinDir(t, "claude", "codex", "gemini")
	env := map[string]string{"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k", "GEMINI_API_KEY": "k", "PATH": dir}
	for ref, want := range map[string]string{
		"anthropic:claude-sonnet-4-5?reasoning=high":                "thinking=TOKENS",
		"anthropic:claude-sonnet-4-5?temperature=0.5":               "temperature",
		"anthropic:claude-sonnet-4-5?thinking=500":                  "minimum",
		"anthropic:claude-sonnet-4-5?thinking=9000&max_tokens=4000": "less than max_tokens",
		"openai:gpt-4.1?reasoning=high":                             "not a reasoning model",
		"openai:gpt-5?reasoning=xhigh":                              "takes reasoning=",
		"openai:gpt-5?thinking=2000":                                "reasoning=low|medium|high",
		"gemini:gemini-2.5-pro?api=responses":                       "api",
		"gemini:gemini-2.5-pro?reasoning=low":                       "thinking=TOKENS",
		"cli:gemini?thinking=1000":                                  "cli:gemini cannot be given thinking",
		"cli:codex?temperature=1":                                   "cli:codex cannot be given temperature",
	} {
		_, err := resolveRef(t, nil, env, ref)
		wantConfigError(t, err, want)
		if !strings.Contains(err.Error(), ref) {
			t.Errorf("the error for %s does not name the seat: %v", ref, err)
		}
	}
	for _, ok := range []string{"cli:codex?reasoning=high", "cli:claude?thinking=off", "openai:gpt-5?reasoning=minimal&max_tokens=900"} {
		if _, err := resolveRef(t, nil, env, ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// OpenAI-compatible servers keep Chat Completions whatever the model's name;
// api=responses forces the Responses API.
func TestAPIChoice(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{})
	env := map[string]string{"OPENAI_BASE_URL": srv.URL() + "/v1"}
	for ref, want := range map[string]string{
		"openai:gpt-5.5-pro":                       fakellm.ProtocolOpenAIChat,
		"openai:gpt-5.5-pro?api=responses":         fakellm.ProtocolOpenAIResponses,
		"openai:local?api=responses&reasoning=low": fakellm.ProtocolOpenAIResponses,
	} {
		srv.Reset()
		res, err := resolveRef(t, nil, env, ref)
		if err != nil {
			t.Fatal(err)
		}
		generateOnce(t, res.Model)
		if got := srv.Calls()[0].Protocol; got != want {
			t.Errorf("%s went by %s, want %s", ref, got, want)
		}
	}
	for model, want := range map[string]bool{"gpt-5.5-pro": true, "gpt-5.1-codex": true, "o3": true, "o4-mini": true, "gpt-5": true, "gpt-4.1": false, "gpt-4o-mini": false} {
		if got := models.NeedsResponses(model); got != want {
			t.Errorf("NeedsResponses(%s) = %v", model, got)
		}
	}
}
