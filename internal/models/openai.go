package models

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/provider/openai"
	"github.com/parleyhq/parley/provider"
)

const (
	openAIDefaultURL     = "https://api.openai.com/v1"
	openRouterDefaultURL = "https://openrouter.ai/api/v1"
	ollamaDefaultHost    = "http://127.0.0.1:11434"
)

func init() {
	builders["openai"] = buildOpenAICompatible
	builders["openrouter"] = buildOpenAICompatible
	builders["ollama"] = buildOpenAICompatible
	detectors["openai"] = append(detectors["openai"], detectOpenAI)
	detectors["openrouter"] = append(detectors["openrouter"], detectOpenRouter)
	detectors["ollama"] = append(detectors["ollama"], detectOllama)
}

// buildOpenAICompatible covers the three kinds that speak Chat Completions; they
// differ only in their defaults and where the key comes from.
func buildOpenAICompatible(r *Resolver, ref config.Ref, ep config.Endpoint, s provider.Settings) (Resolved, error) {
	var baseURL, keyEnv string
	needKey := true
	realOpenAI := false // OpenAI itself, which serves the Responses API
	switch ep.Provider {
	case "openai":
		baseURL, keyEnv = r.Env("OPENAI_BASE_URL"), "OPENAI_API_KEY"
		if baseURL == "" {
			baseURL, realOpenAI = openAIDefaultURL, true
		} else {
			needKey = false // a self-hosted server often needs none
		}
	case "openrouter":
		baseURL, keyEnv = openRouterDefaultURL, "OPENROUTER_API_KEY"
	case "ollama":
		baseURL, keyEnv, needKey = ollamaHost(r.Env)+"/v1", "", false
	}
	if ep.BaseURL != "" {
		baseURL = ep.BaseURL
		needKey = ep.APIKeyEnv != ""
		realOpenAI = false
	}
	if ep.APIKeyEnv != "" {
		keyEnv = ep.APIKeyEnv
	}
	key := ""
	if keyEnv != "" && (ep.BaseURL == "" || ep.APIKeyEnv != "") {
		// A host named in the config gets only the key the config names for it, never
		// the user's default key: a parley.yaml in a cloned repository must not be
		// able to send OPENAI_API_KEY somewhere else.
		key = r.Env(keyEnv)
	}
	if needKey && key == "" {
		return Resolved{}, configErr("model %q needs an API key: export %s=… (the key is read from the environment and never stored)", ref.Raw, keyEnv)
	}
	cfg := openai.Config{BaseURL: baseURL, APIKey: key, Model: ep.Model, Headers: ep.Headers, HTTPClient: r.modelClient(), Settings: s}
	// Other OpenAI-compatible servers speak Chat Completions whatever the model's
	// name; api= overrides either way.
	switch {
	case s.API == "responses":
		cfg.API = openai.APIResponses
	case s.API == "" && realOpenAI && NeedsResponses(ep.Model):
		cfg.API = openai.APIResponses
	}
	if ep.Provider == "openrouter" {
		cfg.Headers = withDefault(cfg.Headers, "X-Title", "parley")
	}
	return Resolved{Model: openai.New(cfg), Secret: key}, nil
}

func withDefault(h map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for hk, hv := range h {
		out[hk] = hv
	}
	return out
}

func ollamaHost(env config.Env) string {
	h := env("OLLAMA_HOST")
	if h == "" {
		return ollamaDefaultHost
	}
	if !strings.Contains(h, "://") {
		h = "http://" + h
	}
	return strings.TrimRight(h, "/")
}

// detectOpenAI proposes the catalogue's current OpenAI picks when only a key is
// known (large, then small), or what a self-hosted server lists.
func detectOpenAI(ctx context.Context, r *Resolver) []Candidate {
	if r.Env("OPENAI_API_KEY") == "" && r.Env("OPENAI_BASE_URL") == "" {
		return nil
	}
	why := "OPENAI_API_KEY is set"
	names := catalogDefaults("openai")
	if base := r.Env("OPENAI_BASE_URL"); base != "" {
		why = "OPENAI_BASE_URL is set"
		// A self-hosted server serves its own models: ask it which.
		if listed := listModels(ctx, r.client(), base+"/models", "data", "id", r.Env("OPENAI_API_KEY")); len(listed) > 0 {
			names = listed
		}
	}
	var out []Candidate
	for _, n := range names {
		vendor := "openai"
		if r.Env("OPENAI_BASE_URL") != "" {
			vendor = "openai-compatible#" + n // a self-hosted server's models are distinct models
		}
		out = append(out, Candidate{Ref: "openai:" + n, Vendor: vendor, Why: why})
	}
	return out
}

func detectOpenRouter(ctx context.Context, r *Resolver) []Candidate {
	if r.Env("OPENROUTER_API_KEY") == "" {
		return nil
	}
	// OpenRouter reaches many vendors: each model is its own vendor for diversity.
	var out []Candidate
	for _, m := range openRouterDefaults() {
		out = append(out, Candidate{Ref: "openrouter:" + m, Vendor: "openrouter:" + strings.Split(m, "/")[0], Why: "OPENROUTER_API_KEY is set"})
	}
	return out
}

func detectOllama(ctx context.Context, r *Resolver) []Candidate {
	var out []Candidate
	for _, n := range listModels(ctx, r.client(), ollamaHost(r.Env)+"/api/tags", "models", "name", "") {
		out = append(out, Candidate{Ref: "ollama:" + n, Vendor: "ollama#" + n, Why: "Ollama answers at " + ollamaHost(r.Env)})
	}
	return out
}

func (r *Resolver) client() *http.Client {
	if r.HTTPClient != nil {
		return r.HTTPClient
	}
	return http.DefaultClient
}

// listModels asks a server for its models with a short timeout; any failure means
// "nothing found", since detection must never hold a run up.
func listModels(ctx context.Context, c *http.Client, url, listKey, nameKey, key string) []string {
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	// Other keys ("object": "list") sit beside the list: decode only the list.
	var body map[string]json.RawMessage
	if json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&body) != nil {
		return nil
	}
	var list []map[string]any
	if json.Unmarshal(body[listKey], &list) != nil {
		return nil
	}
	var names []string
	for _, m := range list {
		if n, ok := m[nameKey].(string); ok && n != "" {
			names = append(names, n)
		}
		if len(names) == 8 {
			break
		}
	}
	return names
}
