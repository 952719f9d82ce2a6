package models

import (
	"context"
	"fmt"
)

// Availability says whether one provider kind can be reached here, and why.
type Availability struct {
	Kind       string
	Candidates []Candidate // the refs found, best first; empty when unreachable
	Missing    string      // when unreachable: what to configure
}

// hints say, per kind, what to configure when detection found nothing.
var hints = map[string]func(r *Resolver) string{
	"cli": func(*Resolver) string {
		return "no agent CLI on PATH: install one and log in (npm install -g @anthropic-ai/claude-code, @openai/codex or @google/gemini-cli)"
	},
	"anthropic": func(*Resolver) string { return "export ANTHROPIC_API_KEY=…" },
	"openai": func(*Resolver) string {
		return "export OPENAI_API_KEY=…, or OPENAI_BASE_URL=… for a self-hosted OpenAI-compatible server"
	},
	"gemini":     func(*Resolver) string { return "export GEMINI_API_KEY=… (or GOOGLE_API_KEY)" },
	"openrouter": func(*Resolver) string { return "export OPENROUTER_API_KEY=…" },
	"ollama": func(r *Resolver) string {
		return fmt.Sprintf("no Ollama answers at %s: run `ollama serve`, or set OLLAMA_HOST", ollamaHost(r.Env))
	},
}

// Survey checks every provider kind, in the default panel's order.
func (r *Resolver) Survey(ctx context.Context) []Availability {
	var out []Availability
	for _, kind := range detectorOrder {
		a := Availability{Kind: kind}
		for _, d := range detectors[kind] {
			a.Candidates = append(a.Candidates, d(ctx, r)...)
		}
		if len(a.Candidates) == 0 {
			if h, ok := hints[kind]; ok {
				a.Missing = h(r)
			}
		}
		out = append(out, a)
	}
	return out
}
