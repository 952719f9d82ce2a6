package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/provider"
)

const anthropicTestKey = "sk-ant-models-test-0123456789"

// envOf makes a config.Env from a map, so that no test reads the process's.
func envOf(m map[string]string) config.Env { return func(k string) string { return m[k] } }

// resolveRef parses and resolves one ref with cfg (nil: an empty config).
func resolveRef(t *testing.T, cfg *config.Config, env map[string]string, raw string) (models.Resolved, error) {
	t.Helper()
	if cfg == nil {
		cfg = &config.Config{}
	}
	ref, err := cfg.ParseRef(raw)
	if err != nil {
		t.Fatalf("ParseRef(%q): %v", raw, err)
	}
	r := &models.Resolver{Config: cfg, Env: envOf(env)}
	return r.Resolve(ref)
}

// wantConfigError checks err is a ConfigError that tells the user what to export.
func wantConfigError(t *testing.T, err error, mention string) {
	t.Helper()
	var ce *models.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *models.ConfigError", err, err)
	}
	if !strings.Contains(ce.Msg, mention) {
		t.Fatalf("config error %q does not mention %q", ce.Msg, mention)
	}
}

func generateOnce(t *testing.T, m provider.Model) provider.Response {
	t.Helper()
	resp, err := m.Generate(context.Background(), provider.Request{System: "sys", Prompt: "hello"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestAnthropicMissingKey(t *testing.T) {
	_, err := resolveRef(t, nil, map[string]string{"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}, "anthropic:claude-sonnet-4-5")
	wantConfigError(t, err, "export ANTHROPIC_API_KEY=")
}

func TestAnthropicFromEnv(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: anthropicTestKey})
	srv.Script("claude-sonnet-4-5", fakellm.Script{Replies: []fakellm.Reply{{Text: "from the fake"}}})
	res, err := resolveRef(t, nil, map[string]string{"ANTHROPIC_BASE_URL": srv.URL(), "ANTHROPIC_API_KEY": anthropicTestKey}, "anthropic:claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	if res.Secret != anthropicTestKey {
		t.Fatal("Resolved.Secret is not the key")
	}
	if resp := generateOnce(t, res.Model); resp.Text != "from the fake" {
		t.Fatalf("text = %q", resp.Text)
	}
	c := srv.Calls()[0]
	if c.Protocol != fakellm.ProtocolAnthropic || c.Model != "claude-sonnet-4-5" || c.Header.Get("Authorization") != "Bearer "+anthropicTestKey {
		t.Fatalf("call = %+v", c)
	}
}

func TestAnthropicConfigEndpoint(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: "gateway-key-0000"})
	cfg := &config.Config{Models: map[string]config.Endpoint{
		"gw-claude": {Provider: "anthropic", BaseURL: srv.URL() + "/gw", APIKeyEnv: "GW_KEY", Model: "claude-x",
			Headers: map[string]string{"X-Team": "parley"}},
	}}
	// The endpoint's own key wins over ANTHROPIC_API_KEY, and its base URL over the env's.
	env := map[string]string{"GW_KEY": "gateway-key-0000", "ANTHROPIC_API_KEY": anthropicTestKey, "ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}
	res, err := resolveRef(t, cfg, env, "gw-claude")
	if err != nil {
		t.Fatal(err)
	}
	generateOnce(t, res.Model)
	c := srv.Calls()[0]
	if c.Path != "/gw/v1/messages" || c.Model != "claude-x" || c.Header.Get("Authorization") != "Bearer gateway-key-0000" || c.Header.Get("X-Team") != "parley" {
		t.Fatalf("call = %+v", c)
	}
	if res.Secret != "gateway-key-0000" {
		t.Fatal("Resolved.Secret is not the endpoint's key")
	}

	delete(env, "GW_KEY")
	_, err = resolveRef(t, cfg, env, "gw-claude")
	wantConfigError(t, err, "export GW_KEY=")
}

func TestAnthropicDetect(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{})
	// OLLAMA_HOST points at the fake so that detection never probes a real local Ollama.
	r := &models.Resolver{Config: &config.Config{}, Env: envOf(map[string]string{"ANTHROPIC_API_KEY": anthropicTestKey, "OLLAMA_HOST": srv.URL()})}
	var refs []string
	for _, c := range r.Detect(context.Background(), 20) {
		if c.Vendor == "anthropic" {
			refs = append(refs, c.Ref)
			if !strings.Contains(c.Why, "ANTHROPIC_API_KEY") || strings.Contains(c.Why, anthropicTestKey) {
				t.Fatalf("why = %q", c.Why)
			}
		}
	}
	if !slices.Equal(refs, []string{"anthropic:claude-sonnet-4-6", "anthropic:claude-haiku-4-5-20251001"}) {
		t.Fatalf("anthropic candidates = %v", refs)
	}

	r.Env = envOf(map[string]string{"OLLAMA_HOST": srv.URL()})
	for _, c := range r.Detect(context.Background(), 20) {
		if c.Vendor == "anthropic" {
			t.Fatalf("detected %v without a key", c)
		}
	}
}
