package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

// sink is the engine's Emit for the CLI: it scrubs secrets, makes stored events
// durable, claims the debate for this process, and feeds the progress printer.
type sink struct {
	store    store.Store
	secrets  []string
	progress func(debate.Event)
	owner    store.Owner
	claimed  bool
	pending  []debate.Event // stored events waiting for the next urgent one
}

func (s *sink) emit(e debate.Event) error {
	s.scrub(&e)
	if e.Kind.Stored() {
		s.pending = append(s.pending, e)
	}
	if e.Kind.Stored() && e.Kind.Urgent() {
		// Appends outlive a Ctrl-C: the interruption itself must be recorded. The
		// events that could wait go in the same transaction: one commit, not four.
		ctx := context.Background()
		err := s.store.Append(ctx, s.pending...)
		s.pending = s.pending[:0]
		if err != nil {
			return err
		}
		if !s.claimed && e.Kind == debate.KindDebateStarted {
			if err := s.store.Claim(ctx, e.DebateID, store.Owner{}, s.owner); err != nil {
				return fmt.Errorf("claiming the new debate: %w", err)
			}
			s.claimed = true
		}
	}
	if s.progress != nil {
		s.progress(e)
	}
	return nil
}

// scrub replaces *e with a copy free of any credential, in every string it carries
// (the parsed reply's fields too). It never writes through e's pointers: those are
// the engine's or another consumer's. The engine, given redact as Debate.Redact,
// already emits scrubbed events; this is the second lock on the door.
func (s *sink) scrub(e *debate.Event) {
	if len(s.secrets) == 0 {
		return
	}
	*e = e.Redact(s.redact)
}

// redact removes the sink's secrets from one string; it is the engine's Redact.
func (s *sink) redact(x string) string {
	for _, k := range s.secrets {
		if k != "" && strings.Contains(x, k) {
			x = strings.ReplaceAll(x, k, "[redacted]")
		}
	}
	return x
}

func openStore(ctx context.Context, path string) (store.Store, error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		// Team debates live in PostgreSQL and run as jobs of `parley serve`; the
		// local commands read and run debates in SQLite only.
		return nil, usageErr("use the team server's API (docs/SERVER.md), or a SQLite path for local debates", "a PostgreSQL database is for `parley serve --db postgres://…`; this command works on a SQLite file")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, usageErr("pass --db PATH or set PARLEY_DB to a writable file", "cannot open the database %s: %v", path, err)
	}
	return st, nil
}

func me() store.Owner {
	host, _ := os.Hostname()
	return store.Owner{Host: host, PID: os.Getpid(), Since: time.Now().UTC()}
}

// alive reports whether the owner process still runs. Only a process on this host
// can be checked; one elsewhere is assumed alive.
func alive(o store.Owner) bool {
	if o.PID == 0 {
		return false
	}
	host, _ := os.Hostname()
	if o.Host != host {
		return true
	}
	if o.PID == os.Getpid() {
		return true
	}
	return processAlive(o.PID)
}
