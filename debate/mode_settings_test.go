package debate_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
)

const settingsMode = `name: careful
description: d
settings: {max_tokens: 12000}
roles:
  - name: skeptic
    persona: Doubt everything.
    settings: {thinking: 4000}
  - name: builder
    persona: Ship it.
    temperature: 0.3
rounds:
  - kind: independent
    prompt: independent
verdict:
  prompt: verdict
`

// A mode's settings apply to every seat, a role's to the seats holding it, with
// roles cycling over the seats as the engine hands them out.
func TestModeSettings(t *testing.T) {
	m, err := debate.ParseMode(strings.NewReader(settingsMode), "careful.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for seat, want := range []struct{ all, role, name string }{
		{"max_tokens=12000", "thinking=4000", "skeptic"},
		{"max_tokens=12000", "temperature=0.3", "builder"},
		{"max_tokens=12000", "thinking=4000", "skeptic"},
	} {
		all, role, name := m.SeatSettings(seat)
		if all.String() != want.all || role.String() != want.role || name != want.name {
			t.Errorf("seat %d: %q %q %q, want %+v", seat, all, role, name, want)
		}
	}
	for bad, want := range map[string]string{
		strings.Replace(settingsMode, "{max_tokens: 12000}", "{max_token: 12000}", 1):                            `line 3: unknown setting "max_token"`,
		strings.Replace(settingsMode, "{thinking: 4000}", "{thinking: lots}", 1):                                 "thinking=lots",
		strings.Replace(settingsMode, "temperature: 0.3", "temperature: 0.3\n    settings: {temperature: 1}", 1): "temperature is given twice",
		strings.Replace(settingsMode, "settings: {max_tokens: 12000}", "setting: {max_tokens: 1}", 1):            "field setting not found",
	} {
		if _, err := debate.ParseMode(strings.NewReader(bad), "bad.yaml"); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("error %v, want %q and the file", err, want)
		}
	}
}
