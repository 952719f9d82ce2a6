package models

import (
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/config"
)

// config.Providers is the one list of provider kinds: every kind on it has a
// detector, and no detector or catalogue serves a kind that is not on it.
func TestEveryProviderKindIsServed(t *testing.T) {
	for _, kind := range config.Providers {
		if len(detectors[kind]) == 0 {
			t.Errorf("provider kind %q has no detector", kind)
		}
	}
	for kind := range detectors {
		if !slices.Contains(config.Providers, kind) {
			t.Errorf("a detector serves %q, which config.Providers does not name", kind)
		}
	}
	for _, kind := range []string{"anthropic", "openai", "gemini", "openrouter"} {
		if len(CatalogEntries(kind)) == 0 {
			t.Errorf("the catalogue has no %s models", kind)
		}
	}
}
