package models

import (
	"context"
	"sort"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/provider/agentcli"
)

// Known is one model parley knows of, whether or not this machine can reach it.
type Known struct {
	Ref           string  `json:"ref"`
	Provider      string  `json:"provider"`
	Name          string  `json:"name,omitempty"`
	InputPrice    float64 `json:"input_usd_per_mtok"`
	OutputPrice   float64 `json:"output_usd_per_mtok"`
	ContextWindow int     `json:"context_window"`
	// Reachable is always decided: true when the key, binary or endpoint it needs
	// is there; Reason says which, or what is missing.
	Reachable bool   `json:"reachable"`
	Reason    string `json:"reason"`
}

// KnownModels lists every provider's models: the catalogue's (openai, anthropic,
// gemini, openrouter), the config's named endpoints, the agent CLIs and what a
// local Ollama serves, each marked reachable or not with the reason. Only Ollama's
// listing touches the network (loopback, short timeout).
func (r *Resolver) KnownModels(ctx context.Context) []Known {
	var out []Known
	keyFor := map[string]func() (bool, string){
		"openai": func() (bool, string) {
			if r.Env("OPENAI_API_KEY") != "" {
				return true, "OPENAI_API_KEY is set"
			}
			return false, "export OPENAI_API_KEY=…"
		},
		"anthropic": func() (bool, string) {
			if r.Env("ANTHROPIC_API_KEY") != "" {
				return true, "ANTHROPIC_API_KEY is set"
			}
			return false, "export ANTHROPIC_API_KEY=…"
		},
		"gemini": func() (bool, string) {
			if name, key := geminiKey(r.Env); key != "" {
				return true, name + " is set"
			}
			return false, "export GEMINI_API_KEY=… (or GOOGLE_API_KEY)"
		},
		"openrouter": func() (bool, string) {
			if r.Env("OPENROUTER_API_KEY") != "" {
				return true, "OPENROUTER_API_KEY is set"
			}
			return false, "export OPENROUTER_API_KEY=…"
		},
	}
	for _, kind := range config.Providers {
		key, catalogued := keyFor[kind] // the vendor APIs: the catalogue lists their models
		if !catalogued {
			continue
		}
		ok, why := key()
		for _, e := range CatalogEntries(kind) {
			out = append(out, Known{Ref: kind + ":" + e.ID, Provider: kind, Name: e.Name,
				InputPrice: e.Price.Input, OutputPrice: e.Price.Output, ContextWindow: e.ContextWindow,
				Reachable: ok, Reason: why})
		}
	}
	for _, k := range agentcli.Kinds {
		kn := Known{Ref: "cli:" + string(k), Provider: "cli"}
		if bin := lookPath(r.Env("PATH"), string(k)); bin != "" {
			kn.Reachable, kn.Reason = true, "`"+string(k)+"` is on PATH ("+bin+")"
		} else {
			kn.Reason = "`" + string(k) + "` is not on PATH: " + k.InstallHint()
		}
		out = append(out, kn)
	}
	for _, c := range detectOllama(ctx, r) {
		out = append(out, Known{Ref: c.Ref, Provider: "ollama", Reachable: true, Reason: c.Why})
	}
	if r.Config != nil {
		var names []string
		for name := range r.Config.Models {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ep := r.Config.Models[name]
			kn := Known{Ref: name, Provider: ep.Provider, Name: ep.Model, Reachable: true, Reason: "defined in " + r.Config.Path}
			if ref, err := r.Config.ParseRef(name); err != nil {
				kn.Reachable, kn.Reason = false, err.Error()
			} else if res, err := r.Resolve(ref); err != nil {
				kn.Reachable, kn.Reason = false, err.Error()
			} else {
				if res.Price != nil {
					kn.InputPrice, kn.OutputPrice = res.Price.Input, res.Price.Output
				}
				kn.ContextWindow = res.ContextWindow
			}
			out = append(out, kn)
		}
	}
	return out
}
