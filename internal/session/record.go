package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/callcache"
	"github.com/parleyhq/parley/internal/store"
)

// Recorder is the engine's Emit for a debate this process runs: it scrubs
// secrets, makes stored events durable, claims the debate for this process, and
// feeds the front end's progress.
type Recorder struct {
	Store    store.Store
	Secrets  []string
	Progress func(debate.Event) // nil: none
	Owner    store.Owner
	// Claimed says the debate is this process's already (a resume claims it
	// before it starts); otherwise the debate_started event claims it.
	Claimed bool
	batch   store.Batcher
}

// NewRecorder records into st for this process.
func NewRecorder(st store.Store, p *Prepared, progress func(debate.Event)) *Recorder {
	if p.Owner.PID != 0 {
		return &Recorder{Store: st, Secrets: p.Secrets, Progress: progress, Owner: p.Owner, Claimed: true}
	}
	return &Recorder{Store: st, Secrets: p.Secrets, Progress: progress, Owner: Me()}
}

// Emit is the engine's Emit.
func (r *Recorder) Emit(e debate.Event) error { return r.EmitBatch([]debate.Event{e}) }

// EmitBatch is the engine's EmitBatch: the stored events of the batch, and those
// waiting from earlier batches, go in one transaction when any of them is urgent.
func (r *Recorder) EmitBatch(events []debate.Event) error {
	started := false
	for i := range events {
		r.Scrub(&events[i])
		started = started || events[i].Kind == debate.KindDebateStarted
	}
	appended, err := r.batch.Add(r.Store, events...)
	if err != nil {
		return err
	}
	if appended && started && !r.Claimed {
		if err := r.Store.Claim(context.Background(), events[0].DebateID, store.Owner{}, r.Owner); err != nil {
			return fmt.Errorf("claiming the new debate: %w", err)
		}
		r.Claimed = true
	}
	if r.Progress != nil {
		for _, e := range events {
			r.Progress(e)
		}
	}
	return nil
}

// Scrub replaces *e with a copy free of any credential, in every string it carries
// (the parsed reply's fields too). It never writes through e's pointers: those are
// the engine's or another consumer's. The engine, given Redact as Debate.Redact,
// already emits scrubbed events; this is the second lock on the door.
func (r *Recorder) Scrub(e *debate.Event) {
	if len(r.Secrets) == 0 {
		return
	}
	*e = e.Redact(r.Redact)
}

// Redact removes the recorder's secrets from one string; it is the engine's Redact.
func (r *Recorder) Redact(x string) string {
	for _, k := range r.Secrets {
		if k != "" && strings.Contains(x, k) {
			x = strings.ReplaceAll(x, k, "[redacted]")
		}
	}
	return x
}

// Release lets go of the debate, so that another process (or `parley resume`) can
// take it up at once. Best effort: if the disk is full this fails too, and the
// process's exit makes the claim stale anyway.
func (r *Recorder) Release(ctx context.Context, id string) {
	if id != "" && r.Claimed {
		_ = r.Store.Claim(context.WithoutCancel(ctx), id, r.Owner, store.Owner{})
	}
}

// Run runs the prepared debate with its events recorded by r: every model call
// goes through the call cache of r's store, the engine redacts with r's secrets,
// and the claim is let go at the end whatever happened. emit, when not nil, wraps
// r.Emit for a front end that must see or stop the events first; nil is r.Emit.
func Run(ctx context.Context, p *Prepared, r *Recorder, emit func(debate.Event) error) (*debate.Record, error) {
	d := p.Debate
	d.Panel = callcache.Wrap(d.Panel, callcache.Of(r.Store), callcache.Record, nil)
	d.Redact = r.Redact
	if emit == nil {
		emit = r.Emit
		d.EmitBatch = r.EmitBatch
	}
	rec, err := debate.Run(ctx, d, emit)
	if rec != nil {
		r.Release(ctx, rec.ID)
	}
	return rec, err
}

// Takeover checks that the stored debate id can be taken up by this process (not
// finished, not running in a live process), rebuilds it from its log and claims
// it. Its refusals are InputErrors.
func (s *Service) Takeover(ctx context.Context, st store.Store, id string) (*Prepared, error) {
	sum, err := st.Get(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, input("parley list", "no debate with id %q in this database", id)
		}
		return nil, err
	}
	switch sum.Status {
	case debate.StatusCompleted, debate.StatusDegraded, debate.StatusFailed:
		return nil, input("parley show "+id, "debate %s is already %s; nothing to resume", id, sum.Status)
	}
	if sum.Status == debate.StatusRunning && Alive(sum.Owner) {
		return nil, input("wait for it, or stop that process first", "debate %s is still running in process %d on %s", id, sum.Owner.PID, sum.Owner.Host)
	}
	events, err := st.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := s.Rebuild(ctx, events)
	if err != nil {
		return nil, err
	}
	me := Me()
	if err := st.Claim(ctx, id, sum.Owner, me); err != nil {
		return nil, input("try again", "debate %s was taken up by another process: %v", id, err)
	}
	p.Owner = me
	return p, nil
}

// Me is this process as a debate's owner.
func Me() store.Owner {
	host, _ := os.Hostname()
	return store.Owner{Host: host, PID: os.Getpid(), Since: time.Now().UTC()}
}

// Alive reports whether the owner process still runs. Only a process on this host
// can be checked; one elsewhere is assumed alive.
func Alive(o store.Owner) bool {
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
