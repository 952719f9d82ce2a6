package models

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/parleyhq/parley/internal/config"
)

//go:generate go run ./gencatalog

// catalogProvider is one vendor's part of catwalk's model catalogue (prices, context
// windows): offline data, so pricing never makes a network call. catalog_data.go is
// generated from catwalk (see gencatalog for why a table and not catwalk at run time).
type catalogProvider struct {
	Kind         string // parley's provider kind
	Large, Small string // the catalogue's current picks
	Models       []CatalogEntry
}

// catalogOf is a provider kind's part of the catalogue; nil for kinds it has none of.
func catalogOf(kind string) *catalogProvider {
	for i := range catalogData {
		if catalogData[i].Kind == kind {
			return &catalogData[i]
		}
	}
	return nil
}

// CatalogEntry is what the catalog knows of one model.
type CatalogEntry struct {
	ID            string
	Name          string
	Price         config.Price
	ContextWindow int
	// DefaultMaxTokens is the output cap the catalogue suggests (Anthropic's
	// max_tokens when the seat sets none); 0 when unknown.
	DefaultMaxTokens int
	CanReason        bool
	// ReasoningLevels are the reasoning efforts the model takes; empty: unknown.
	ReasoningLevels []string
}

// Lookup finds a model in the catalog: an exact id, else the id with a date
// suffix (claude-sonnet-4-5 → claude-sonnet-4-5-20250929), else the longest
// catalog id the name starts with.
func Lookup(kind, model string) (CatalogEntry, bool) {
	p := catalogOf(kind)
	if p == nil {
		return CatalogEntry{}, false
	}
	var best *CatalogEntry
	for i := range p.Models {
		m := &p.Models[i]
		switch {
		case m.ID == model:
			return *m, true
		case strings.HasPrefix(m.ID, model+"-") && isDateSuffix(strings.TrimPrefix(m.ID, model+"-")):
			best = m
		case best == nil && strings.HasPrefix(model, m.ID+"-"):
			best = m
		}
	}
	if best != nil {
		return *best, true
	}
	return CatalogEntry{}, false
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
	if p := catalogOf(kind); p != nil {
		for _, m := range p.Models {
			ids = append(ids, m.ID)
		}
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

// CatalogEntries lists what the catalog knows of a provider kind, in the
// catalogue's own order (newest first).
func CatalogEntries(kind string) []CatalogEntry {
	p := catalogOf(kind)
	if p == nil {
		return nil
	}
	return slices.Clone(p.Models)
}

// catalogDefaults are the catalogue's current picks for a provider kind: its large
// model, then its small one. These move with catwalk, so a new parley build
// proposes the models of its day instead of names fixed when the code was written.
func catalogDefaults(kind string) []string {
	p := catalogOf(kind)
	if p == nil {
		return nil
	}
	var out []string
	for _, m := range []string{p.Large, p.Small} {
		if m != "" && (len(out) == 0 || out[0] != m) {
			out = append(out, m)
		}
	}
	return out
}

// NeedsResponses says whether an OpenAI model should be called through the
// Responses API rather than Chat Completions. catwalk has no field for it, so the
// rule is by name, after OpenAI's own documentation: the -pro and codex models are
// served only by Responses, and reasoning models (the o-series, and any model the
// catalogue marks as reasoning) keep their reasoning between turns only there.
func NeedsResponses(model string) bool {
	m := strings.ToLower(model)
	if strings.Contains(m, "codex") || strings.HasSuffix(m, "-pro") || strings.Contains(m, "-pro-") {
		return true
	}
	if len(m) >= 2 && m[0] == 'o' && m[1] >= '1' && m[1] <= '9' {
		return true
	}
	if e, ok := Lookup("openai", model); ok && e.CanReason {
		return true
	}
	return false
}

// openRouterVendors are the vendors an OpenRouter panel takes a seat of, with
// their prefix in OpenRouter's model ids.
var openRouterVendors = []struct{ kind, prefix string }{{"anthropic", "anthropic"}, {"openai", "openai"}, {"gemini", "google"}}

// openRouterDefaults are the OpenRouter ids of each vendor's current pick in the
// catalogue (anthropic's claude-sonnet-4-6 is anthropic/claude-sonnet-4.6 there),
// so an OpenRouter panel is as current as a panel of direct keys; then
// OpenRouter's own large pick if it is not among them. Only ids the catalogue
// lists for OpenRouter are proposed.
func openRouterDefaults() []string {
	listed := map[string]bool{}
	for _, id := range CatalogModels("openrouter") {
		listed[id] = true
	}
	var out []string
	add := func(id string) {
		if listed[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, v := range openRouterVendors {
		picks := catalogDefaults(v.kind)
		if len(picks) == 0 {
			continue
		}
		for _, id := range openRouterIDs(v.prefix, picks[0]) {
			if listed[id] {
				add(id)
				break
			}
		}
	}
	if p := catalogDefaults("openrouter"); len(p) > 0 {
		add(p[0])
	}
	return out
}

// versionDashes matches the dash between two version digits (4-6 in
// claude-sonnet-4-6), which OpenRouter writes as a dot.
var versionDashes = regexp.MustCompile(`(\d)-(\d)`)

// openRouterIDs are the ids a vendor's model may have on OpenRouter: as is, then
// without a date suffix and with dotted versions.
func openRouterIDs(prefix, model string) []string {
	if i := strings.LastIndex(model, "-"); i > 0 && isDateSuffix(model[i+1:]) {
		model = model[:i]
	}
	return []string{prefix + "/" + model, prefix + "/" + versionDashes.ReplaceAllString(model, "$1.$2")}
}

// CurrentPick is the catalogue's current large model for a provider kind ("" when
// it has none): what a default panel proposes for that vendor.
func CurrentPick(kind string) string {
	if p := catalogDefaults(kind); len(p) > 0 {
		return p[0]
	}
	return ""
}
