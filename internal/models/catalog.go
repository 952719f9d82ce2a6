package models

import (
	"sort"
	"strings"
	"sync"

	"charm.land/catwalk/pkg/catwalk"
	"charm.land/catwalk/pkg/embedded"

	"github.com/parleyhq/parley/internal/config"
)

// catalogIDs maps parley's provider kinds to catwalk's provider ids.
var catalogIDs = map[string]catwalk.InferenceProvider{
	"openai":     catwalk.InferenceProviderOpenAI,
	"anthropic":  catwalk.InferenceProviderAnthropic,
	"gemini":     catwalk.InferenceProviderGemini,
	"openrouter": catwalk.InferenceProviderOpenRouter,
}

// catalog is catwalk's embedded model data (prices, context windows), indexed once:
// it is offline data, so pricing never makes a network call.
var catalog = sync.OnceValue(func() map[catwalk.InferenceProvider][]catwalk.Model {
	out := map[catwalk.InferenceProvider][]catwalk.Model{}
	for _, p := range embedded.GetAll() {
		out[p.ID] = p.Models
	}
	return out
})

// CatalogEntry is what the catalog knows of one model.
type CatalogEntry struct {
	ID            string
	Price         config.Price
	ContextWindow int
}

// Lookup finds a model in the catalog: an exact id, else the id with a date
// suffix (claude-sonnet-4-5 → claude-sonnet-4-5-20250929), else the longest
// catalog id the name starts with.
func Lookup(kind, model string) (CatalogEntry, bool) {
	id, ok := catalogIDs[kind]
	if !ok {
		return CatalogEntry{}, false
	}
	models := catalog()[id]
	var best *catwalk.Model
	for i := range models {
		m := &models[i]
		switch {
		case m.ID == model:
			return entry(*m), true
		case strings.HasPrefix(m.ID, model+"-") && isDateSuffix(strings.TrimPrefix(m.ID, model+"-")):
			best = m
		case best == nil && strings.HasPrefix(model, m.ID+"-"):
			best = m
		}
	}
	if best != nil {
		return entry(*best), true
	}
	return CatalogEntry{}, false
}

func entry(m catwalk.Model) CatalogEntry {
	return CatalogEntry{ID: m.ID, Price: config.Price{Input: m.CostPer1MIn, Output: m.CostPer1MOut}, ContextWindow: int(m.ContextWindow)}
}

func isDateSuffix(s string) bool {
	if len(s) != 8 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// CatalogModels lists the catalog's model ids for a provider kind, sorted.
func CatalogModels(kind string) []string {
	var ids []string
	for _, m := range catalog()[catalogIDs[kind]] {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	return ids
}

// price fills a resolved model's price and context window from the catalog where
// the config does not give them. Ollama models run locally and cost nothing.
func (res *Resolved) price(kind, model string) {
	if kind == "cli" {
		// An agent CLI with an explicit model is priced as its vendor's API model;
		// claude reports its own cost, which the engine uses as reported.
		cli, m, ok := strings.Cut(model, "/")
		if !ok {
			return
		}
		kind, model = map[string]string{"codex": "openai", "gemini": "gemini", "claude": "anthropic"}[cli], m
	}
	if kind == "ollama" && res.Price == nil {
		res.Price = &config.Price{}
		return
	}
	if e, ok := Lookup(kind, model); ok {
		if res.Price == nil {
			p := e.Price
			res.Price = &p
		}
		if res.ContextWindow == 0 {
			res.ContextWindow = e.ContextWindow
		}
	}
}
