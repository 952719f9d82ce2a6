package config

import (
	"strings"
	"testing"
)

// FuzzParse: any input either parses or fails with an error naming the source; it
// never panics, and a parsed config's refs resolve or fail cleanly.
func FuzzParse(f *testing.F) {
	f.Add(Starter)
	f.Add("panel: [openai:gpt-5, x]\nmodels:\n  x:\n    provider: openai\n    model: m\n")
	f.Add("timeout: 5m\nmax_cost: -1\n")
	f.Add("models: {a: {provider: cli}}\n")
	f.Add("panels:\n  p: [a, b]\nmode: deep\n")
	f.Add("- [\n")
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse(strings.NewReader(src), "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without the source: %v", err)
			}
			return
		}
		for _, r := range append(append([]string{}, c.Panel...), "openai:x", "bad") {
			c.ParseRef(r)
		}
	})
}
