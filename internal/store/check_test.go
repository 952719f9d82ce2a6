package store

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		e    debate.Event
		want string // "" for accepted
	}{
		{debate.Event{DebateID: "d", Seq: 2, Kind: debate.KindTurnStarted}, ""},
		{debate.Event{Seq: 3, Kind: debate.KindTurnCompleted}, "turn_completed event 3 has no debate id"},
		{debate.Event{DebateID: "d", Seq: 1, Kind: debate.KindDebateStarted}, `debate "d" has no Started payload`},
		{debate.Event{DebateID: "d", Seq: 1, Kind: debate.KindDebateStarted, Started: &debate.Started{}}, ""},
		{debate.Event{DebateID: "d", Seq: 9, Kind: debate.KindDebateFinished, Finished: &debate.Finished{}}, "has no Finished.Status"},
		{debate.Event{DebateID: "d", Seq: 9, Kind: debate.KindDebateFinished, Finished: &debate.Finished{Status: debate.StatusCompleted}}, ""},
	}
	for _, tt := range tests {
		err := Check(&tt.e)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.e.Kind, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want an error with %q", tt.e.Kind, err, tt.want)
		}
	}
}
