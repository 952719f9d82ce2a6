package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

// readyTimeout bounds a readiness check: a probe that hangs is worse than one that
// says no.
const readyTimeout = 3 * time.Second

// readier is a store that can tell whether it can serve (the SQLite and PostgreSQL
// stores can: the database answers and no migration is pending).
type readier interface {
	Ready(ctx context.Context) error
}

// ready answers GET /readyz: 200 {"status": "ready"} when the server can serve, else
// 503 {"status": "not ready", "reason": …}, which takes a replica out of a load
// balancer's rotation (and out of compose's healthy set) without restarting it.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": errDraining.Error()})
		return
	}
	check := s.opts.Ready
	if check == nil {
		if rd, ok := s.opts.Store.(readier); ok {
			check = rd.Ready
		}
	}
	if check != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := check(ctx); err != nil {
			s.log.Warn("not ready", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.opts.Metrics == nil {
		writeError(w, http.StatusNotFound, "this server does not serve metrics")
		return
	}
	// The handler sets its own content type; the API's no-store is harmless.
	s.opts.Metrics.ServeHTTP(w, r)
}

// cancel answers POST /api/debates/{id}/cancel: 202 once the debate is told to stop
// (it records its interruption and stays resumable), 409 when it is not running
// here, 404 when there is no such debate.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	if s.opts.Cancel == nil {
		writeError(w, http.StatusNotFound, "this server cannot cancel debates")
		return
	}
	id := r.PathValue("id")
	sum, err := s.opts.Store.Get(r.Context(), id)
	if s.readFailed(w, id, err) {
		return
	}
	if sum.Status != debate.StatusRunning {
		writeError(w, http.StatusConflict, fmt.Sprintf("debate %s is %s, not running: nothing to cancel", id, sum.Status))
		return
	}
	switch err := s.opts.Cancel(r.Context(), id); {
	case errors.Is(err, ErrNotRunningHere):
		writeError(w, http.StatusConflict, fmt.Sprintf("debate %s is not running in this server (another replica may run it); nothing to cancel here", id))
		return
	case err != nil:
		s.serverError(w, "canceling debate "+id, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": "canceling"})
}

// render answers POST /api/render {"markdown": "…"} with {"html": "…"}: an answer
// rendered as the HTML report renders it (report.RenderMarkdown: goldmark, then
// bluemonday), for the web UI, which has no Markdown renderer of its own. The same
// code for both keeps what a reader sees in the browser and in an export alike.
func (s *Server) render(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Markdown string `json:"markdown"`
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, errNotJSON.Error())
		return
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be {"markdown": "…"}, at most 1 MiB: `+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"html": string(report.RenderMarkdown(in.Markdown))})
}
