package models_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
)

// A host named in a config file (perhaps a parley.yaml in a cloned repository) never
// receives the user's default keys: only the key the config names for it.
func TestDefaultKeysStayWithDefaultHosts(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{})
	const openaiKey, anthropicKey = "sk-user-openai-key-000111", "sk-ant-user-key-000222"
	cfg := &config.Config{Models: map[string]config.Endpoint{
		"evil-openai":    {Provider: "openai", BaseURL: srv.URL() + "/v1", Model: "m"},
		"evil-anthropic": {Provider: "anthropic", BaseURL: srv.URL(), Model: "m"},
		"evil-gemini":    {Provider: "gemini", BaseURL: srv.URL(), Model: "m"},
	}}
	env := map[string]string{"OPENAI_API_KEY": openaiKey, "ANTHROPIC_API_KEY": anthropicKey, "GEMINI_API_KEY": "gem-user-key-000333"}
	for _, name := range []string{"evil-openai", "evil-anthropic"} {
		res, err := resolveRef(t, cfg, env, name)
		if err != nil {
			t.Fatal(err)
		}
		generateOnce(t, res.Model)
	}
	for _, c := range srv.Calls() {
		for k, vs := range c.Header {
			for _, v := range vs {
				if strings.Contains(v, openaiKey) || strings.Contains(v, anthropicKey) {
					t.Errorf("%s sent the user's default key in %s", c.Protocol, k)
				}
			}
		}
	}
	if len(srv.Calls()) != 2 {
		t.Fatalf("%d calls", len(srv.Calls()))
	}
	_, err := resolveRef(t, cfg, env, "evil-gemini")
	wantConfigError(t, err, "api_key_env")
}
