package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/provider"
)

// Settings stack: the config's provider entry, its model entry, the caller's
// layers (a mode's), then the ref's own; each source is checked on its own, so
// the error names where an unsupported key came from.
func TestSettingsLayers(t *testing.T) {
	env := map[string]string{"OPENAI_API_KEY": "sk-test-key-123456"}
	cfg := &config.Config{Settings: map[string]provider.Settings{
		"openai":         {MaxTokens: 700},
		"openai:gpt-5.5": {Reasoning: "high", MaxTokens: 800},
	}}
	r := &models.Resolver{Config: cfg, Env: func(k string) string { return env[k] }}
	mode := config.Layer{From: "mode careful", Settings: provider.Settings{MaxTokens: 900}}
	for raw, want := range map[string]string{
		"openai:gpt-5.5":                   "max_tokens=900&reasoning=high",
		"openai:gpt-5.5?reasoning=low":     "max_tokens=900&reasoning=low",
		"openai:gpt-5.4-mini?max_tokens=5": "max_tokens=5",
	} {
		ref, _ := cfg.ParseRef(raw)
		res, err := r.ResolveSeat(ref, mode)
		if err != nil || res.Settings.String() != want {
			t.Errorf("%s: %q, %v; want %q", raw, res.Settings, err, want)
		}
	}
	ref, _ := cfg.ParseRef("openai:gpt-5.5")
	if res, _ := r.Resolve(ref); res.Settings.String() != "max_tokens=800&reasoning=high" {
		t.Errorf("without the mode: %q", res.Settings)
	}
	th := 4000
	_, err := r.ResolveSeat(ref, config.Layer{From: "mode careful", Settings: provider.Settings{Thinking: &th}})
	wantConfigError(t, err, `model ref "openai:gpt-5.5": mode careful sets thinking=4000: openai models do not take thinking`)

	cfg.Settings["openai"] = provider.Settings{Thinking: &th}
	_, err = r.Resolve(ref)
	wantConfigError(t, err, "the config's settings.openai sets thinking=4000")

	// Only the combination is wrong: the error lists where the keys came from.
	aenv := map[string]string{"ANTHROPIC_API_KEY": "sk-ant-test-123456"}
	acfg := &config.Config{Settings: map[string]provider.Settings{"anthropic": {Thinking: &th}}}
	ar := &models.Resolver{Config: acfg, Env: func(k string) string { return aenv[k] }}
	aref, _ := acfg.ParseRef("anthropic:claude-sonnet-4-6")
	_, err = ar.ResolveSeat(aref, config.Layer{From: "mode quick", Settings: provider.Settings{MaxTokens: 2000}})
	wantConfigError(t, err, "settings from the config's settings.anthropic, mode quick")
}

// With only an OpenRouter key, the default panel is each vendor's current pick
// in the catalogue, under its OpenRouter id.
func TestOpenRouterDefaultsFollowTheCatalogue(t *testing.T) {
	env := map[string]string{"OPENROUTER_API_KEY": "sk-or-test-123456", "OLLAMA_HOST": "127.0.0.1:1"}
	r := &models.Resolver{Config: &config.Config{}, Env: func(k string) string { return env[k] }}
	got := map[string]bool{}
	for _, c := range r.Detect(context.Background(), 8) {
		if !strings.HasPrefix(c.Ref, "openrouter:") {
			t.Fatalf("candidate %+v", c)
		}
		id := strings.TrimPrefix(c.Ref, "openrouter:")
		if _, ok := models.Lookup("openrouter", id); !ok {
			t.Errorf("%s is not in the catalogue", c.Ref)
		}
		got[id] = true
	}
	for kind, prefix := range map[string]string{"anthropic": "anthropic/", "openai": "openai/", "gemini": "google/"} {
		pick := models.CurrentPick(kind)
		if pick == "" {
			t.Fatalf("no current pick for %s", kind)
		}
		found := false
		for id := range got {
			// OpenRouter writes claude-sonnet-4-6 as claude-sonnet-4.6.
			found = found || strings.ReplaceAll(id, ".", "-") == strings.ReplaceAll(prefix+pick, ".", "-")
		}
		if !found {
			t.Errorf("%s's current pick %s is not on the OpenRouter panel %v", kind, pick, got)
		}
	}
}
