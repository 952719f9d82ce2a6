package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/parleyhq/parley/debate"
)

// ResumeFunc continues a stored, interrupted debate on the server, like `parley
// resume ID`, and returns once it runs again. Its errors follow StartFunc's.
type ResumeFunc func(ctx context.Context, id string) error

// resume answers POST /api/debates/{id}/resume: 202 {id, after} once the debate
// runs again, where after is the seq of the last event stored before, so that a
// client follows GET /api/debates/{id}/events?after=AFTER for what the resumed
// debate does (from 0 the stream would end at once, on the old interruption);
// 409 when it is finished or still running, 404 for an unknown id.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, errDraining.Error())
		return
	}
	id := r.PathValue("id")
	sum, err := s.opts.Store.Get(r.Context(), id)
	if s.readFailed(w, id, err) {
		return
	}
	switch {
	case sum.Status == debate.StatusCompleted || sum.Status == debate.StatusDegraded || sum.Status == debate.StatusFailed:
		writeError(w, http.StatusConflict, fmt.Sprintf("debate %s is already %s; nothing to resume", id, sum.Status))
		return
	case sum.Status == debate.StatusRunning && (s.opts.Alive == nil || s.opts.Alive(sum.Owner)):
		writeError(w, http.StatusConflict, fmt.Sprintf("debate %s is still running; follow it with GET /api/debates/%s/events", id, id))
		return
	}
	events, err := s.opts.Store.Events(r.Context(), id)
	if err != nil || len(events) == 0 {
		s.serverError(w, "reading debate "+id, err)
		return
	}
	after := events[len(events)-1].Seq
	if s.launchFailed(w, s.opts.Resume(r.Context(), id), "resume", "debate", id) {
		return
	}
	w.Header().Set("Location", "/api/debates/"+id)
	writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "after": after})
}
