package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/callcache"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store"
)

// resumer answers POST /api/debates/{id}/resume for the backend. A team server
// needs none: a debate its replica let go stays "running" in the job queue and
// another replica takes it up by itself.
func resumer(b backend) server.ResumeFunc {
	switch b := b.(type) {
	case *localBackend:
		return b.resume
	case *teamBackend:
		return func(context.Context, string) error {
			return server.BadRequest(errors.New("a team server resumes its debates by itself: another replica takes up a debate whose replica stopped"))
		}
	}
	return nil
}

// resume continues an interrupted debate in this process, as `parley resume` does,
// and returns once it is claimed and running (the server checked its status).
func (l *localBackend) resume(ctx context.Context, id string) error {
	select {
	case l.slots <- struct{}{}:
	default:
		return server.ErrBusy
	}
	release := func() { <-l.slots }
	sum, err := l.st.Get(ctx, id)
	if err != nil {
		release()
		return err
	}
	events, err := l.st.Events(ctx, id)
	if err != nil {
		release()
		return err
	}
	d, resolved, err := l.prep.resume(ctx, events)
	if err != nil {
		release()
		return server.BadRequest(err)
	}
	if err := l.st.Claim(ctx, id, sum.Owner, me()); err != nil {
		release()
		return server.BadRequest(fmt.Errorf("debate %s was taken up by another process: %v", id, err))
	}
	s := &sink{store: l.st, secrets: secretsOf(resolved), owner: me(), claimed: true, progress: l.hub.Publish}
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		release()
		_ = l.st.Claim(context.WithoutCancel(ctx), id, s.owner, store.Owner{})
		return server.ErrBusy
	}
	l.wg.Add(1)
	l.mu.Unlock()
	var once sync.Once
	go func() {
		defer l.wg.Done()
		defer release()
		d.Panel = callcache.Wrap(d.Panel, callcache.Of(l.st), callcache.Record, nil)
		rec, err := debate.Run(l.ctx, d, s.emit)
		// Let go of it whatever happened, so that it can be resumed again at once.
		once.Do(func() { _ = l.st.Claim(context.Background(), id, s.owner, store.Owner{}) })
		switch {
		case errors.Is(err, debate.ErrInterrupted):
			l.log.Info("debate interrupted; resumable", "debate", id, "resume", "parley resume "+id)
		case err != nil:
			l.log.Warn("debate stopped", "debate", id, "error", err)
		case rec != nil:
			l.log.Info("debate finished", "debate", id, "status", rec.Status, "stopped_because", rec.StoppedBecause)
		}
	}()
	return nil
}
