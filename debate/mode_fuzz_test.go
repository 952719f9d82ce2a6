package debate

import (
	"strings"
	"testing"
)

// FuzzParseMode: any input parses into a mode that validates, or fails with an
// error naming the source; it never panics.
func FuzzParseMode(f *testing.F) {
	for _, m := range []string{"quick", "standard", "deep", "adversarial", "council", "vote"} {
		data, err := builtinModes.ReadFile("modes/" + m + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Add("name: x\nrounds:\n  - kind: review\n    prompt: review\nverdict: {method: tally}\n")
	f.Add("name: x\nrounds: [{kind: independent, prompt: independent, sees: budget, budget: 2}]\n")
	f.Add("name: x\nchair: role:judge\nroles: [{name: a, persona: p}]\nrounds: [{kind: independent, prompt: independent}]\nverdict: {prompt: verdict}\n")
	f.Fuzz(func(t *testing.T, src string) {
		m, err := ParseMode(strings.NewReader(src), "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without the source: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("ParseMode returned a mode that does not validate: %v", err)
		}
	})
}
