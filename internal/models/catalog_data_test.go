package models

import (
	"bytes"
	"os"
	"testing"

	"charm.land/catwalk/pkg/embedded"

	"github.com/parleyhq/parley/internal/models/gencatalog/gen"
)

// The generated table must be what gencatalog writes from the catwalk version in
// go.mod: after a catwalk bump this fails until `go generate ./internal/models`.
func TestCatalogDataIsCatwalks(t *testing.T) {
	want, err := gen.Generate(embedded.GetAll())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("catalog_data.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("catalog_data.go is not what catwalk's embedded catalogue gives: run go generate ./internal/models")
	}
}

// The table is read the way catwalk was: every vendor has models and a current pick,
// and the picks are among its models.
func TestCatalogDataHasEveryVendor(t *testing.T) {
	for _, kind := range []string{"openai", "anthropic", "gemini", "openrouter"} {
		p := catalogOf(kind)
		if p == nil || len(p.Models) == 0 {
			t.Fatalf("%s: no models in the catalogue", kind)
		}
		if _, ok := Lookup(kind, p.Large); !ok {
			t.Errorf("%s: the current pick %q is not among its models", kind, p.Large)
		}
	}
	if catalogOf("ollama") != nil {
		t.Error("ollama has a catalogue entry: local models are not priced from catwalk")
	}
}
