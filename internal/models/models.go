// Package models turns model refs ("openai:gpt-5", "cli:claude", a name from the
// config) into providers, using the config and the environment, and finds what a
// machine can reach when no panel is given. Its errors are configuration errors: each
// names what is missing and how to fix it, and none contains a key.
package models

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/provider"
)

// Resolved is a ref made ready to call.
type Resolved struct {
	Ref           config.Ref
	Model         provider.Model
	Price         *config.Price // nil when unknown
	ContextWindow int
	Persona       string
	Temperature   *float64
	// Settings are the seat's generation settings (the ref's over the config's),
	// already checked against the provider and bound into Model.
	Settings provider.Settings
	// Secret is the credential the model uses, kept so that it can be scrubbed
	// from anything written; never printed.
	Secret string
}

// Resolver builds models from refs.
type Resolver struct {
	Config *config.Config
	Env    config.Env
	// HTTPClient, when set, is used for every HTTP provider (tests).
	HTTPClient *http.Client
}

// builder makes a model for one provider kind from the endpoint's settings (the
// config's, or the defaults of a plain PROVIDER:MODEL ref).
type builder func(r *Resolver, ref config.Ref, ep config.Endpoint, s provider.Settings) (Resolved, error)

// builders holds one entry per provider kind; each kind's file registers itself.
var builders = map[string]builder{}

// ConfigError is an error in what the user configured: the CLI exits 2 on it.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func configErr(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// Resolve builds the model for a ref, with the config's settings and the ref's own.
func (r *Resolver) Resolve(ref config.Ref) (Resolved, error) { return r.ResolveSeat(ref) }

// ResolveSeat builds the model for a ref with more settings between the config's
// and the ref's own (a mode's, a role's, a resumed debate's recorded ones), lowest
// precedence first. Each layer is checked against the provider on its own, so an
// error says where the offending key came from.
func (r *Resolver) ResolveSeat(ref config.Ref, layers ...config.Layer) (Resolved, error) {
	ep := config.Endpoint{Provider: ref.Provider, Model: ref.Model}
	if ref.Name != "" {
		ep = r.Config.Models[ref.Name]
	}
	b, ok := builders[ep.Provider]
	if !ok {
		return Resolved{}, configErr("model ref %q: provider %q is not supported by this build (supported: %s)", ref.Raw, ep.Provider, strings.Join(Supported(), ", "))
	}
	var below []config.Layer
	if r.Config != nil {
		below = r.Config.SettingsFor(ep.Provider, ep.Model)
	}
	settings, err := seatSettings(ref, ep, below, layers)
	if err != nil {
		return Resolved{}, err
	}
	res, err := b(r, ref, ep, settings)
	if err != nil {
		return Resolved{}, err
	}
	res.Ref = ref
	if ep.Price != nil {
		res.Price = ep.Price
	}
	if ep.ContextWindow > 0 {
		res.ContextWindow = ep.ContextWindow
	}
	if res.Price == nil || res.ContextWindow == 0 {
		res.price(ep.Provider, ep.Model)
	}
	res.Persona = ep.Persona
	res.Settings = settings
	res.Temperature = settings.Temperature
	return res, nil
}

// Supported lists the provider kinds this build can reach.
func Supported() []string {
	var out []string
	for k := range builders {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Cost prices usage, or 0 when the price is unknown.
func (res Resolved) Cost(u provider.Usage) float64 {
	if res.Price == nil {
		return 0
	}
	return (float64(u.InputTokens)*res.Price.Input + float64(u.OutputTokens)*res.Price.Output) / 1e6
}

// A detector proposes refs it can reach from the environment, best first.
type detector func(ctx context.Context, r *Resolver) []Candidate

// detectorOrder fixes which kinds come first in a default panel (init order would
// follow file names): config.Providers' order.
var detectorOrder = config.Providers

// Candidate is a ref auto-detection found, with the vendor it belongs to so that a
// panel can put different vendors before a second seat of one.
type Candidate struct {
	Ref    string
	Vendor string
	Why    string // e.g. "OPENAI_API_KEY is set"
}

var detectors = map[string][]detector{}

// Detect returns what this machine can reach, for a default panel: one seat per
// vendor first, then more of the same vendors, up to max.
func (r *Resolver) Detect(ctx context.Context, max int) []Candidate {
	var all []Candidate
	for _, kind := range detectorOrder {
		for _, d := range detectors[kind] {
			all = append(all, d(ctx, r)...)
		}
	}
	return diverse(all, max)
}

// diverse orders candidates round-robin over vendors, preserving each vendor's order.
func diverse(all []Candidate, max int) []Candidate {
	byVendor := map[string][]Candidate{}
	var vendors []string
	for _, c := range all {
		if _, ok := byVendor[c.Vendor]; !ok {
			vendors = append(vendors, c.Vendor)
		}
		byVendor[c.Vendor] = append(byVendor[c.Vendor], c)
	}
	var out []Candidate
	seen := map[string]bool{}
	for round := 0; len(out) < max; round++ {
		added := false
		for _, v := range vendors {
			if round < len(byVendor[v]) && len(out) < max {
				c := byVendor[v][round]
				if !seen[c.Ref] {
					out = append(out, c)
					seen[c.Ref] = true
				}
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

// HowToConfigure is what to tell a user on whose machine nothing was found.
const HowToConfigure = `parley found no model to debate with. Configure at least one:
  • an API key:  export OPENAI_API_KEY=…  (or ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY)
  • any OpenAI-compatible server (vLLM, llama.cpp, LM Studio):
                 export OPENAI_BASE_URL=http://127.0.0.1:8000/v1
  • Ollama:      ollama serve  (parley looks at OLLAMA_HOST, default http://127.0.0.1:11434)
  • an agent CLI you are logged into on PATH: claude, codex or gemini
Then run again, or name the panel yourself: parley -m openai:gpt-5.5,anthropic:claude-sonnet-4-6 "…"
To try parley with scripted answers and no keys (from the source tree):
  go run ./cmd/fakellm -- go run ./cmd/parley -m openai:gpt-5.5,openai:claude-sonnet-4-6,openai:gemini-3-pro-preview "…"`

// pooled is the HTTP client every API model shares. Go's default transport keeps
// only 2 idle connections per host, so many concurrent debates against one API
// would dial a new connection for nearly every call; this keeps enough to reuse.
// No overall timeout: answers stream for minutes, and the engine bounds each call.
var pooled = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
})

// HTTPClient is the shared pooled client, for callers that build models directly.
func HTTPClient() *http.Client { return pooled() }

// modelClient is the client models use: the caller's (tests) or the shared pool.
func (r *Resolver) modelClient() *http.Client {
	if r.HTTPClient != nil {
		return r.HTTPClient
	}
	return pooled()
}
