package models

import (
	"context"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/provider/gemini"
	"github.com/parleyhq/parley/provider"
)

func init() {
	builders["gemini"] = buildGemini
	detectors["gemini"] = append(detectors["gemini"], detectGemini)
}

// geminiKeyEnvs are where a Gemini key is looked for, in order. The SDK prefers
// GOOGLE_API_KEY when both are set; parley prefers the more specific name.
var geminiKeyEnvs = []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}

// buildGemini reaches the Gemini API: GOOGLE_GEMINI_BASE_URL (default
// generativelanguage.googleapis.com) with GEMINI_API_KEY or GOOGLE_API_KEY, unless
// the config endpoint names its own base_url or api_key_env. The SDK cannot work
// without a key, so one is always required.
func buildGemini(r *Resolver, ref config.Ref, ep config.Endpoint, s provider.Settings) (Resolved, error) {
	baseURL := r.Env("GOOGLE_GEMINI_BASE_URL")
	if ep.BaseURL != "" {
		if ep.APIKeyEnv == "" {
			return Resolved{}, configErr("model %q sets base_url: name its key's variable with api_key_env (parley does not send your default Gemini key to another host)", ref.Raw)
		}
		baseURL = ep.BaseURL
	}
	keyEnv, key := geminiKey(r.Env)
	if ep.APIKeyEnv != "" {
		keyEnv, key = ep.APIKeyEnv, r.Env(ep.APIKeyEnv)
	}
	if key == "" {
		return Resolved{}, configErr("model %q needs an API key: export %s=… (the key is read from the environment and never stored)", ref.Raw, keyEnv)
	}
	m, err := gemini.New(gemini.Config{BaseURL: baseURL, APIKey: key, Model: ep.Model, Headers: ep.Headers, HTTPClient: r.modelClient(), Settings: s})
	if err != nil {
		return Resolved{}, configErr("model %q: %v", ref.Raw, err)
	}
	return Resolved{Model: m, Secret: key}, nil
}

// geminiKey returns the first Gemini key variable that is set, or the preferred
// name with an empty key, for the message that asks for one.
func geminiKey(env config.Env) (name, key string) {
	for _, n := range geminiKeyEnvs {
		if k := env(n); k != "" {
			return n, k
		}
	}
	return geminiKeyEnvs[0], ""
}

// The catalogue's current picks are proposed when only a key is known: the strong model first,
// then a cheaper one for a second seat.

func detectGemini(ctx context.Context, r *Resolver) []Candidate {
	name, key := geminiKey(r.Env)
	if key == "" {
		return nil
	}
	var out []Candidate
	for _, n := range catalogDefaults("gemini") {
		out = append(out, Candidate{Ref: "gemini:" + n, Vendor: "google", Why: name + " is set"})
	}
	return out
}
