package store

import (
	"fmt"

	"github.com/parleyhq/parley/debate"
)

// Check refuses an event no store can file: it is a bug in the caller, not a
// conflict. Every store runs it before writing (the SQLite and PostgreSQL stores had
// a copy each); the error names the event and what it lacks.
func Check(e *debate.Event) error {
	switch {
	case e.DebateID == "":
		return fmt.Errorf("%s event %d has no debate id", e.Kind, e.Seq)
	case e.Kind == debate.KindDebateStarted && e.Started == nil:
		return fmt.Errorf("debate_started event of debate %q has no Started payload", e.DebateID)
	case e.Kind == debate.KindDebateFinished && (e.Finished == nil || e.Finished.Status == ""):
		return fmt.Errorf("debate_finished event of debate %q has no Finished.Status", e.DebateID)
	}
	return nil
}
