package models_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/provider"
)

func TestCatalogLookup(t *testing.T) {
	for _, tc := range []struct{ kind, model, id string }{
		{"openai", "gpt-4.1", "gpt-4.1"},
		{"anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"},
		{"gemini", "gemini-2.5-flash", "gemini-2.5-flash"},
		{"openrouter", "openai/gpt-5", "openai/gpt-5"},
	} {
		e, ok := models.Lookup(tc.kind, tc.model)
		if !ok || e.ID != tc.id || e.Price.Input <= 0 || e.Price.Output <= 0 || e.ContextWindow <= 0 {
			t.Errorf("Lookup(%s, %s) = %+v, %v; want id %s with a price and a context window", tc.kind, tc.model, e, ok, tc.id)
		}
	}
	if _, ok := models.Lookup("openai", "my-finetune-xyz"); ok {
		t.Error("an unknown model must not get a price")
	}
}

func TestResolvedCostUsesCatalogUnlessConfigured(t *testing.T) {
	env := map[string]string{"OPENAI_API_KEY": "sk-test-key-123456"}
	res, err := resolveRef(t, nil, env, "openai:gpt-4.1")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := models.Lookup("openai", "gpt-4.1")
	u := provider.Usage{InputTokens: 1_000_000, OutputTokens: 500_000}
	if got, want := res.Cost(u), e.Price.Input+e.Price.Output/2; got != want {
		t.Errorf("catalog cost %v, want %v", got, want)
	}
	cfg := &config.Config{Models: map[string]config.Endpoint{"cheap": {Provider: "openai", Model: "gpt-4.1", Price: &config.Price{Input: 1, Output: 2}}}}
	res, err = resolveRef(t, cfg, env, "cheap")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Cost(u); got != 2 {
		t.Errorf("configured price ignored: cost %v, want 2", got)
	}
	res, err = resolveRef(t, nil, map[string]string{}, "ollama:qwen3:8b")
	if err != nil || res.Price == nil || res.Cost(u) != 0 {
		t.Errorf("ollama must be priced at 0: %+v %v", res.Price, err)
	}
}
