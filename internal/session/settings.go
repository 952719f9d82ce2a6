package session

import (
	"fmt"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/provider"
)

// ModeSettings are the settings a mode gives each seat: its own for every seat,
// then those of the role the seat holds.
func ModeSettings(m debate.Mode) func(seat int) ([]config.Layer, error) {
	return func(seat int) ([]config.Layer, error) {
		all, role, name := m.SeatSettings(seat)
		var out []config.Layer
		if !all.IsZero() {
			out = append(out, config.Layer{From: fmt.Sprintf("mode %s", m.Name), Settings: all})
		}
		if !role.IsZero() {
			out = append(out, config.Layer{From: fmt.Sprintf("mode %s, role %s,", m.Name, name), Settings: role})
		}
		return out, nil
	}
}

// RecordedSettings are the settings each seat of a stored debate ran with, so
// that going on with it asks the same of the models even if the mode file changed
// since (the config's current settings still apply underneath).
func RecordedSettings(panel []debate.Seat) func(seat int) ([]config.Layer, error) {
	return func(seat int) ([]config.Layer, error) {
		if seat >= len(panel) || panel[seat].Settings == "" {
			return nil, nil
		}
		s, err := provider.ParseSettings(panel[seat].Settings)
		if err != nil {
			// Not dropped: a debate recorded by another parley version with a key
			// this one does not know cannot be resumed as it ran.
			return nil, fmt.Errorf("the debate's recorded settings %q: %v", panel[seat].Settings, err)
		}
		return []config.Layer{{From: "the debate's recorded settings", Settings: s}}, nil
	}
}

// HasSeatSettings says whether the mode sets generation settings of its own or on
// a role. A role's bare temperature is not counted: the engine applies that at
// call time to any panel, eval's included.
func HasSeatSettings(m debate.Mode) bool {
	if !m.Settings.IsZero() {
		return true
	}
	for _, r := range m.Roles {
		if !r.Settings.IsZero() {
			return true
		}
	}
	return false
}
