package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
)

// The event stream of one debate (GET /api/debates/{id}/events).
//
// Each stored event goes out as
//
//	id: SEQ
//	event: KIND
//	data: {the event as JSON}
//
// from the start of the log (or after the Seq in Last-Event-ID, so a client that
// reconnects misses nothing and sees nothing twice), then live. Deltas (turn_delta)
// go out only while live, without an id line, so that they never move a client's
// Last-Event-ID. When the debate's debate_finished has gone out, one last event
// named "finished" says so and the stream ends; a debate already finished replays
// and ends the same way. Comment lines keep an idle stream open.
//
// Stored events come from the store, which is the truth; the hub only makes them
// arrive sooner. So a stream follows a debate that another process runs (it polls),
// repairs what the hub dropped for it (it notices the gap in Seq), and cannot send
// a stored event that might still be rolled back.

// streamFinished is the data of the last event of a stream.
type streamFinished struct {
	ID             string        `json:"id"`
	Status         debate.Status `json:"status"`
	StoppedBecause string        `json:"stopped_because,omitempty"`
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	after, err := lastEventID(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	// Subscribe before the first read of the store: an event appended between the
	// two then reaches us one way or the other.
	var sub *Sub
	var live <-chan debate.Event
	if s.opts.Hub != nil {
		sub = s.opts.Hub.Subscribe(id)
		defer sub.Close()
		live = sub.C
	}
	backlog, err := s.opts.Store.EventsSince(ctx, id, after)
	if s.readFailed(w, id, err) {
		return
	}

	s.active.Add(1)
	defer s.active.Add(-1)
	rc := http.NewResponseController(w)
	// A stream lasts as long as its debate: lift the deadlines that bound ordinary
	// requests. (The server's ReadTimeout would otherwise end it: net/http cancels
	// a request whose connection hits its read deadline.)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	st := &stream{w: w, rc: rc, id: id, last: after}
	st.printf(": parley events of debate %s\nretry: 2000\n\n", id)
	if st.sendStored(backlog) || st.flush() != nil {
		return
	}

	heartbeat := time.NewTicker(s.opts.Heartbeat)
	defer heartbeat.Stop()
	poll := time.NewTicker(s.opts.Poll)
	defer poll.Stop()
	heard := false // a live event arrived since the last poll
	catchUp := func() bool {
		events, err := s.opts.Store.EventsSince(ctx, id, st.last)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("event stream: reading the store", "debate", id, "error", err)
			}
			return false // try again at the next poll
		}
		return st.sendStored(events)
	}
	for {
		var done bool
		select {
		case <-ctx.Done():
			return
		case <-s.streams.Done():
			return
		case e := <-live:
			heard = true
			if sub.Lagged() {
				// Events were dropped for us: the store has every stored one.
				if done = catchUp(); done {
					break
				}
			}
			switch {
			case !e.Kind.Stored():
				if e.Seq > st.last {
					// The delta follows a stored event we have not sent: send that first.
					done = catchUp()
				}
				if !done {
					st.sendDelta(e)
				}
			case e.Seq <= st.last:
				// Sent already (from the store, by a poll that got there first).
			case e.Seq == st.last+1:
				done = st.sendStored([]debate.Event{e})
			default:
				done = catchUp()
			}
		case <-poll.C:
			if !heard {
				done = catchUp()
			}
			heard = false
		case <-heartbeat.C:
			st.printf(": keep-alive\n\n")
		}
		if done || st.flush() != nil {
			return
		}
	}
}

// lastEventID is where a stream starts: after the Seq in the Last-Event-ID header
// (which EventSource sends when it reconnects), else after ?after=N, else at the
// beginning.
func lastEventID(r *http.Request) (int, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("Last-Event-ID must be the seq of an event (a whole number ≥ 0), got %q", v)
	}
	return n, nil
}

// stream writes one client's events. Writes after the first failure do nothing; the
// failure shows at the next flush.
type stream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	id   string
	last int // the Seq of the last stored event sent
	err  error
}

func (st *stream) printf(format string, args ...any) {
	if st.err == nil {
		_, st.err = fmt.Fprintf(st.w, format, args...)
	}
}

func (st *stream) flush() error {
	if st.err == nil {
		st.err = st.rc.Flush()
	}
	return st.err
}

// sendStored sends the stored events that continue what was sent, in order, and
// reports whether the stream is over: the last of them closed the debate.
func (st *stream) sendStored(events []debate.Event) bool {
	for i, e := range events {
		if e.Seq <= st.last {
			continue
		}
		data, err := json.Marshal(e)
		if err != nil {
			st.err = err
			return true
		}
		st.printf("id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, data)
		st.last = e.Seq
		// A debate_finished ends the stream only when nothing follows it: an
		// interrupted debate that was resumed later goes on.
		if e.Kind == debate.KindDebateFinished && i == len(events)-1 {
			st.finish(e)
			return true
		}
	}
	return st.err != nil
}

func (st *stream) sendDelta(e debate.Event) {
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	st.printf("event: %s\ndata: %s\n\n", e.Kind, data)
}

func (st *stream) finish(e debate.Event) {
	f := streamFinished{ID: st.id}
	if e.Finished != nil {
		f.Status, f.StoppedBecause = e.Finished.Status, e.Finished.StoppedBecause
	}
	data, _ := json.Marshal(f)
	st.printf("event: finished\ndata: %s\n\n", data)
	st.flush()
}
