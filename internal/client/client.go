// Package client talks to a parley server (`parley serve`, one replica or a team)
// over its HTTP API, so that the command line can run, list, show, resume and
// export debates there instead of in the local database (`parley --server URL`).
//
// Errors are written for the person at the terminal: an unreachable server, a
// refused token and the server's own 400 messages each say what to do. No error
// carries the token.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/sse"
	"github.com/parleyhq/parley/internal/store"
)

// Client is one server's API. The zero value is not usable; call New.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	// Reconnect is the wait before a broken event stream is opened again.
	Reconnect time.Duration
}

// New checks the server's URL and returns its client. token may be empty for a
// loopback server without one.
func New(server, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Kind: KindUsage, Msg: fmt.Sprintf("the server URL %q is not an http:// or https:// URL; give it as --server http://HOST:PORT (or PARLEY_SERVER)", server)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, token: token, http: hc, Reconnect: time.Second}, nil
}

// Server is the server's URL as given, for messages.
func (c *Client) Server() string { return c.base.String() }

// Kind sorts errors by what the user can do about them.
type Kind int

const (
	// KindUsage: the request or the setup is wrong (bad URL, token, body, id).
	KindUsage Kind = iota + 1
	// KindNotFound: no such debate on the server.
	KindNotFound
	// KindUnreachable: the server could not be reached, or answered 5xx.
	KindUnreachable
)

// Error is a failed call.
type Error struct {
	Kind   Kind
	Status int // the HTTP status, 0 when none came
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Request is a new debate, as POST /api/debates takes it (internal/session's, the
// one Request of every front end).
type Request = session.Request

// Summary is one row of the list, as `parley list --format json` prints it.
type Summary = store.Row

// Start starts a debate and returns its id.
func (c *Client) Start(ctx context.Context, req Request) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	var out struct{ ID string }
	if err := c.do(ctx, "POST", "/api/debates", nil, body, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// Resume asks the server to continue an interrupted debate. It returns the seq of
// the last event stored before: Follow from it sees what the resumed debate does.
func (c *Client) Resume(ctx context.Context, id string) (after int, err error) {
	var out struct{ After int }
	err = c.do(ctx, "POST", "/api/debates/"+url.PathEscape(id)+"/resume", nil, []byte("{}"), &out)
	return out.After, err
}

// List returns the server's debates, newest first; limit 0 is the server's default.
func (c *Client) List(ctx context.Context, limit int, status string) ([]Summary, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if status != "" {
		q.Set("status", status)
	}
	var out []Summary
	err := c.do(ctx, "GET", "/api/debates", q, nil, &out)
	return out, err
}

// Get returns one debate's result.
func (c *Client) Get(ctx context.Context, id string) (*debate.Record, error) {
	var rec debate.Record
	if err := c.do(ctx, "GET", "/api/debates/"+url.PathEscape(id), nil, nil, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Follow reads the debate's event stream from the event after seq `after`,
// handing each event (live deltas included) to fn, until the server says the
// debate finished or ctx ends. A broken stream is opened again after the last
// event seen, so nothing is missed or seen twice; the server going away for good
// ends it with a KindUnreachable error.
func (c *Client) Follow(ctx context.Context, id string, after int, fn func(debate.Event)) error {
	last := after
	failures := 0
	for {
		finished, err := c.stream(ctx, id, &last, fn)
		switch {
		case finished:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		var ce *Error
		if errors.As(err, &ce) && ce.Kind != KindUnreachable {
			return err // a refused token or an unknown id does not get better
		}
		failures++
		if failures > 5 {
			if err == nil {
				err = &Error{Kind: KindUnreachable, Msg: fmt.Sprintf("the event stream of debate %s from %s kept breaking", id, c.Server())}
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.Reconnect):
		}
	}
}

// stream reads one connection of the event stream. It parses Server-Sent Events
// by hand: the server's stream uses four line kinds (id, event, data, comments),
// and a client library for that would be a dependency for thirty lines.
func (c *Client) stream(ctx context.Context, id string, last *int, fn func(debate.Event)) (bool, error) {
	req, err := c.request(ctx, "GET", "/api/debates/"+url.PathEscape(id)+"/events", nil, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", strconv.Itoa(*last))
	res, err := c.http.Do(req)
	if err != nil {
		return false, c.unreachable(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false, c.statusError(res)
	}
	rd := sse.NewReader(res.Body)
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, c.unreachable(err)
		}
		if ev.Name == "finished" {
			return true, nil
		}
		if ev.Data == "" {
			continue
		}
		var e debate.Event
		if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
			return false, fmt.Errorf("the server sent an event that is not JSON: %v", err)
		}
		if e.Seq > 0 {
			*last = e.Seq
		}
		fn(e)
	}
	return false, nil // the server ended the stream early (shutting down): reconnect
}

func (c *Client) request(ctx context.Context, method, path string, q url.Values, body []byte) (*http.Request, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any) error {
	req, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return c.statusError(res)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return &Error{Kind: KindUnreachable, Status: res.StatusCode, Msg: fmt.Sprintf("%s answered %s %s with something that is not parley's JSON (%v): is %s a parley server?", c.Server(), method, path, err, c.Server())}
	}
	return nil
}

// unreachable explains a transport failure.
func (c *Client) unreachable(err error) error {
	var ne net.Error
	hint := "check the URL and that `parley serve` runs there"
	if errors.As(err, &ne) && ne.Timeout() {
		hint = "the server did not answer in time; check the network"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is said once, below
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &Error{Kind: KindUnreachable, Msg: fmt.Sprintf("cannot reach the parley server at %s: %v (%s)", c.Server(), err, hint)}
}

// statusError turns an error answer into a message; the server's own message
// ({"error": …}) is kept, since it was written for the client.
func (c *Client) statusError(res *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var body struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &body) == nil && body.Error != "" {
		msg = body.Error
	}
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	e := &Error{Status: res.StatusCode, Msg: msg}
	switch {
	case res.StatusCode == http.StatusUnauthorized:
		e.Kind = KindUsage
		if c.token == "" {
			e.Msg = fmt.Sprintf("the parley server at %s needs a token: set PARLEY_TOKEN to the server's token", c.Server())
		} else {
			e.Msg = fmt.Sprintf("the parley server at %s refused the token in PARLEY_TOKEN (401): set it to the token the server was started with", c.Server())
		}
	case res.StatusCode == http.StatusNotFound:
		e.Kind = KindNotFound
	case res.StatusCode >= 500:
		e.Kind = KindUnreachable
		e.Msg = fmt.Sprintf("the parley server at %s failed (%d): %s", c.Server(), res.StatusCode, msg)
	default:
		e.Kind = KindUsage
	}
	return e
}
