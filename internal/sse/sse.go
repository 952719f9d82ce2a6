// Package sse reads a stream of Server-Sent Events (the HTML standard's
// text/event-stream): the remote CLI follows a debate with it, and the tests of the
// server, the CLI and the fake provider read their streams with it, so that one
// reader, not five, decides what an event is.
//
// Hand-written because what parley needs is small and the modules that do more do
// something else: the SSE client libraries reconnect and dispatch on their own (the
// client here reconnects with its own Last-Event-ID), and the vendor SDKs' decoders
// keep no event ids.
package sse

import (
	"bufio"
	"io"
	"strings"
)

// Event is one dispatched event. Name is "" for an unnamed event (the standard's
// "message"); ID is "" when the event set none (ids do not carry over here: parley's
// server gives every stored event its own and deltas none).
type Event struct {
	ID   string
	Name string
	Data string // the data lines joined with "\n"
}

// Reader reads events from a stream.
type Reader struct {
	sc *bufio.Scanner
}

// MaxEvent is the longest line a Reader takes: one event carries a whole answer.
const MaxEvent = 16 << 20

// NewReader reads events from r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxEvent)
	return &Reader{sc: sc}
}

// Next returns the next event. At the end of the stream it returns io.EOF, or the
// transport's error; an event not ended by a blank line is not returned, as the
// standard says.
func (r *Reader) Next() (Event, error) {
	var ev Event
	var data []string
	seen := false
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			if seen {
				ev.Data = strings.Join(data, "\n")
				return ev, nil
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment: the server's heartbeat
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID, seen = value, true
		case "event":
			ev.Name, seen = value, true
		case "data":
			data, seen = append(data, value), true
		}
	}
	if err := r.sc.Err(); err != nil {
		return Event{}, err
	}
	return Event{}, io.EOF
}

// ReadAll reads events until the stream ends or stop (when not nil) returns true
// for one; the events read are returned with the transport's error, if any (nil
// at a clean end).
func ReadAll(r io.Reader, stop func(Event) bool) ([]Event, error) {
	rd := NewReader(r)
	var out []Event
	for {
		ev, err := rd.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return out, err
		}
		out = append(out, ev)
		if stop != nil && stop(ev) {
			return out, nil
		}
	}
}
