package models

import (
	"context"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/provider/anthropic"
	"github.com/parleyhq/parley/provider"
)

func init() {
	builders["anthropic"] = buildAnthropic
	detectors["anthropic"] = append(detectors["anthropic"], detectAnthropic)
}

// buildAnthropic reaches the Messages API: ANTHROPIC_BASE_URL (default the SDK's,
// https://api.anthropic.com) with ANTHROPIC_API_KEY, unless the config endpoint
// names its own base_url or api_key_env.
func buildAnthropic(r *Resolver, ref config.Ref, ep config.Endpoint, s provider.Settings) (Resolved, error) {
	baseURL, keyEnv := r.Env("ANTHROPIC_BASE_URL"), "ANTHROPIC_API_KEY"
	needKey := true
	if ep.BaseURL != "" {
		// As for the OpenAI-compatible kinds: a gateway named in the config may
		// authenticate otherwise, so a key is required only when the config names one.
		baseURL = ep.BaseURL
		needKey = ep.APIKeyEnv != ""
	}
	if ep.APIKeyEnv != "" {
		keyEnv = ep.APIKeyEnv
	}
	key := ""
	if ep.BaseURL == "" || ep.APIKeyEnv != "" {
		key = r.Env(keyEnv) // never the default key to a host the config names
	}
	if needKey && key == "" {
		return Resolved{}, configErr("model %q needs an API key: export %s=… (the key is read from the environment and never stored)", ref.Raw, keyEnv)
	}
	cfg := anthropic.Config{BaseURL: baseURL, APIKey: key, Model: ep.Model, Headers: ep.Headers, HTTPClient: r.modelClient(), Settings: s}
	if e, ok := Lookup("anthropic", ep.Model); ok {
		cfg.DefaultMaxTokens = e.DefaultMaxTokens
	}
	m := anthropic.New(cfg)
	return Resolved{Model: m, Secret: key}, nil
}

// The catalogue's current picks are proposed when only a key is known: the strong model first,
// then a cheaper one for a second seat.

func detectAnthropic(ctx context.Context, r *Resolver) []Candidate {
	if r.Env("ANTHROPIC_API_KEY") == "" {
		return nil
	}
	var out []Candidate
	for _, n := range catalogDefaults("anthropic") {
		out = append(out, Candidate{Ref: "anthropic:" + n, Vendor: "anthropic", Why: "ANTHROPIC_API_KEY is set"})
	}
	return out
}
