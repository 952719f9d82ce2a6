package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/models"
)

const geminiTestKey = "AIza-models-test-0123456789"

// blankGoogleEnv keeps genai, which reads GOOGLE_* variables from the process,
// from picking up a developer's real settings during the test.
func blankGoogleEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_USE_VERTEXAI",
		"GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_CLOUD_REGION"} {
		t.Setenv(k, "")
	}
}

func TestGeminiMissingKey(t *testing.T) {
	blankGoogleEnv(t)
	_, err := resolveRef(t, nil, map[string]string{"GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:1"}, "gemini:gemini-2.5-flash")
	wantConfigError(t, err, "export GEMINI_API_KEY=")
}

func TestGeminiFromEnv(t *testing.T) {
	blankGoogleEnv(t)
	srv := fakellm.Start(t, fakellm.Options{RequireKey: geminiTestKey})
	srv.Script("gemini-2.5-flash", fakellm.Script{Replies: []fakellm.Reply{{Text: "from the fake"}}})
	// GOOGLE_API_KEY is the fallback name.
	for _, keyVar := range []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"} {
		res, err := resolveRef(t, nil, map[string]string{"GOOGLE_GEMINI_BASE_URL": srv.URL(), keyVar: geminiTestKey}, "gemini:gemini-2.5-flash")
		if err != nil {
			t.Fatalf("%s: %v", keyVar, err)
		}
		if res.Secret != geminiTestKey {
			t.Fatal("Resolved.Secret is not the key")
		}
		if resp := generateOnce(t, res.Model); resp.Text != "from the fake" {
			t.Fatalf("text = %q", resp.Text)
		}
	}
	for _, c := range srv.Calls() {
		if c.Protocol != fakellm.ProtocolGemini || c.Model != "gemini-2.5-flash" || !c.Stream || c.Header.Get("X-Goog-Api-Key") != geminiTestKey {
			t.Fatalf("call = %+v", c)
		}
	}
}

func TestGeminiConfigEndpoint(t *testing.T) {
	blankGoogleEnv(t)
	srv := fakellm.Start(t, fakellm.Options{RequireKey: "gateway-key-1111"})
	cfg := &config.Config{Models: map[string]config.Endpoint{
		"gw-gemini": {Provider: "gemini", BaseURL: srv.URL() + "/gw", APIKeyEnv: "GW_GEMINI_KEY", Model: "gemini-x"},
	}}
	env := map[string]string{"GW_GEMINI_KEY": "gateway-key-1111", "GEMINI_API_KEY": geminiTestKey, "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:1"}
	res, err := resolveRef(t, cfg, env, "gw-gemini")
	if err != nil {
		t.Fatal(err)
	}
	generateOnce(t, res.Model)
	c := srv.Calls()[0]
	if c.Path != "/gw/v1beta/models/gemini-x:streamGenerateContent" || c.Header.Get("X-Goog-Api-Key") != "gateway-key-1111" {
		t.Fatalf("call = %+v", c)
	}

	delete(env, "GW_GEMINI_KEY")
	_, err = resolveRef(t, cfg, env, "gw-gemini")
	wantConfigError(t, err, "export GW_GEMINI_KEY=")
}

func TestGeminiBadBaseURLIsAConfigError(t *testing.T) {
	blankGoogleEnv(t)
	_, err := resolveRef(t, nil, map[string]string{"GEMINI_API_KEY": geminiTestKey, "GOOGLE_GEMINI_BASE_URL": "generativelanguage.example"}, "gemini:gemini-2.5-flash")
	wantConfigError(t, err, "base URL")
	if strings.Contains(err.Error(), geminiTestKey) {
		t.Fatalf("config error shows the key: %v", err)
	}
}

func TestGeminiDetect(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{})
	for _, keyVar := range []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"} {
		r := &models.Resolver{Config: &config.Config{}, Env: envOf(map[string]string{keyVar: geminiTestKey, "OLLAMA_HOST": srv.URL()})}
		var refs []string
		for _, c := range r.Detect(context.Background(), 20) {
			if c.Vendor == "google" {
				refs = append(refs, c.Ref)
				if !strings.Contains(c.Why, keyVar) {
					t.Fatalf("why = %q", c.Why)
				}
			}
		}
		if !slices.Equal(refs, []string{"gemini:gemini-3.1-pro-preview-customtools", "gemini:gemini-3-flash-preview"}) {
			t.Fatalf("%s: google candidates = %v", keyVar, refs)
		}
	}
}
