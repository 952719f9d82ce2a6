package config

import (
	"fmt"
	"strings"

	"github.com/parleyhq/parley/provider"
)

// Providers are the provider kinds a model ref may name: the one list of them.
// Its order is the one a default panel prefers (internal/models detects, surveys
// and lists models in it): the agent CLIs people already pay for, then the
// vendors' own APIs, then aggregators and local models.
var Providers = []string{"cli", "anthropic", "openai", "gemini", "openrouter", "ollama"}

// Ref is a parsed model reference: PROVIDER:MODEL, or a name from the config.
type Ref struct {
	Raw      string // as written, e.g. "ollama:qwen3:8b"
	Provider string
	Model    string // for cli: the CLI name with an optional /MODEL
	Name     string // set when the ref names a config endpoint
	// Settings are the ref's own generation settings, from "?key=value&…" after the
	// model; a config endpoint's settings are merged under them when it is resolved.
	Settings provider.Settings
}

// ParseRef reads one model ref. Names defined in the config take precedence; a ref
// with an unknown provider gets an error that lists the known ones.
func (c *Config) ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, fmt.Errorf("an empty model ref; write PROVIDER:MODEL, e.g. openai:gpt-5.5")
	}
	raw := s
	s, query, hasQuery := strings.Cut(s, "?")
	settings, err := provider.ParseSettings(query)
	if err != nil {
		return Ref{}, fmt.Errorf("model ref %q: %w", raw, err)
	}
	if hasQuery && settings.IsZero() {
		return Ref{}, fmt.Errorf("model ref %q: nothing after \"?\"; write e.g. %s?max_tokens=16000, or leave the \"?\" out", raw, s)
	}
	if ep, ok := c.Models[s]; ok {
		return Ref{Raw: raw, Provider: ep.Provider, Model: ep.Model, Name: s, Settings: settings}, nil
	}
	prov, model, ok := strings.Cut(s, ":")
	if !ok {
		return Ref{}, fmt.Errorf("model ref %q: write PROVIDER:MODEL (providers: %s), or define %q under models: in the config", raw, strings.Join(Providers, ", "), s)
	}
	known := false
	for _, p := range Providers {
		if p == prov {
			known = true
		}
	}
	if !known {
		return Ref{}, fmt.Errorf("model ref %q: unknown provider %q (known: %s)", raw, prov, strings.Join(Providers, ", "))
	}
	if strings.TrimSpace(model) == "" {
		return Ref{}, fmt.Errorf("model ref %q: the model is missing after %q", raw, prov+":")
	}
	return Ref{Raw: raw, Provider: prov, Model: model, Settings: settings}, nil
}

// SplitList splits a comma-separated list, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
