package debate

import (
	"strings"
	"testing"
)

func TestOneFamilyWarning(t *testing.T) {
	rec := Replay([]Event{{Kind: KindDebateStarted, Started: &Started{Panel: []Seat{{Seat: "A", Model: "openai:gpt-4.1"}, {Seat: "B", Model: "azure:gpt-4o-mini"}}}}})
	var found bool
	for _, w := range rec.Warnings {
		found = found || strings.Contains(w, "every seat is a gpt model")
	}
	if !found {
		t.Errorf("a panel of gpt models: warnings %q", rec.Warnings)
	}
	rec = Replay([]Event{{Kind: KindDebateStarted, Started: &Started{Panel: []Seat{{Seat: "A", Model: "openai:gpt-4.1"}, {Seat: "B", Model: "anthropic:claude-haiku-4-5"}}}}})
	for _, w := range rec.Warnings {
		if strings.Contains(w, "family") {
			t.Errorf("mixed panel warned: %q", w)
		}
	}
}
