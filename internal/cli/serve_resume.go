package cli

import (
	"context"
	"errors"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/session"
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
	p, err := l.prep.Takeover(ctx, l.st, id)
	if err != nil {
		release()
		var ie *session.InputError
		if errors.As(err, &ie) {
			return server.BadRequest(session.Hinted(err))
		}
		return err
	}
	rcd := session.NewRecorder(l.st, p, l.hub.Publish)
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		release()
		rcd.Release(ctx, id)
		return server.ErrBusy
	}
	l.wg.Add(1)
	l.mu.Unlock()
	go func() {
		defer l.wg.Done()
		defer release()
		// session.Run lets go of the debate whatever happened, so that it can be
		// resumed again at once.
		rec, err := session.Run(l.ctx, p, rcd, nil)
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
