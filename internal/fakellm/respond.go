package fakellm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// obj is a JSON object under construction; the wire shapes here are easier to check
// against the providers' documentation written out than hidden behind struct tags.
type obj = map[string]any

const errNoKey = "fakellm: missing or wrong API key"

// protocol is what differs between the provider APIs: how a request reads, and how
// answers, stream events and errors are shaped. The flow (latency, faults, chunking,
// recording) is the same for all and lives in Server.generate.
type protocol interface {
	name() string
	parse(body []byte) (request, error)
	errorBody(status int, msg string) any
	complete(m meta, text string) any
	newStream(m meta) streamer
}

// request is what the server needs from a model call's body.
type request struct {
	model, prompt, system string
	stream                bool
	usageInStream         bool // OpenAI chat: stream_options.include_usage
}

// meta is what an answer carries besides its text.
type meta struct {
	id, itemID    string
	model         string
	created       time.Time
	input, output int // usage
	usageInStream bool
}

// streamer turns an answer into SSE events. start comes before any text; delta
// carries one chunk; finish carries the last chunk (possibly empty) and every event
// that marks a complete answer, so a stream cut before finish never looks complete.
type streamer interface {
	start() []event
	delta(text string) []event
	finish(last string) []event
	// deltaName is the event name that carries text, used to make malformed events
	// that a client will actually try to parse.
	deltaName() string
}

// event is one SSE event; a name of "" sends only the data line.
type event struct {
	name string
	data any // marshalled to JSON, except rawData which is sent as is
}

type rawData string

// outcome is filled as the reply goes out, so that it is recorded even when the
// connection is dropped by a panic(http.ErrAbortHandler).
type outcome struct {
	status  int
	aborted string
}

// generate serves one model call of protocol p.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, p protocol) {
	start := time.Now()
	var req request
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		req, err = p.parse(body)
	}
	rec := s.begin(Call{
		Model: req.model, Protocol: p.name(), Path: r.URL.Path,
		Prompt: req.prompt, System: req.system, Stream: req.stream,
		Header: r.Header.Clone(), Body: body, Start: start,
	})
	out := &outcome{}
	defer func() { s.end(rec, out.status, out.aborted) }()

	switch {
	case err != nil:
		s.fail(w, p, out, http.StatusBadRequest, "fakellm: bad request: "+err.Error(), "")
		return
	case !s.authorized(r):
		s.fail(w, p, out, http.StatusUnauthorized, errNoKey, "")
		return
	}

	s.mu.Lock()
	call := *rec // N is set; the copy (and its own Header) keeps Func off the record
	s.mu.Unlock()
	call.Header = call.Header.Clone()
	rep := s.pick(call)
	if s.opts.Trim != nil {
		s.mu.Lock()
		s.opts.Trim(rec)
		s.mu.Unlock()
	}

	ctx := r.Context()
	if why := s.wait(ctx, rep.Latency); why != "" {
		out.aborted = why
		dropConn(w)
		return
	}
	if rep.Hang {
		select {
		case <-ctx.Done():
			out.aborted = "client gone"
		case <-s.stopping:
			out.aborted = "server closed"
		}
		dropConn(w)
		return
	}
	if rep.Status >= 400 {
		msg := rep.ErrorMessage
		if msg == "" {
			msg = fmt.Sprintf("fakellm: scripted error %d %s", rep.Status, http.StatusText(rep.Status))
		}
		s.fail(w, p, out, rep.Status, msg, rep.RetryAfter)
		return
	}

	m := meta{
		id: s.ids.next(idKind(p)), itemID: s.ids.next("msg"),
		model: req.model, created: start,
		input: rep.InputTokens, output: rep.OutputTokens,
		usageInStream: req.usageInStream,
	}
	if req.stream {
		s.stream(ctx, w, p, m, rep, out)
	} else {
		s.whole(w, p, m, rep, out)
	}
}

func idKind(p protocol) string {
	switch p.(type) {
	case openAIChat:
		return "chatcmpl"
	case openAIResponses:
		return "resp"
	}
	return "msg"
}

// fail answers an error in the protocol's shape.
func (s *Server) fail(w http.ResponseWriter, p protocol, out *outcome, status int, msg, retryAfter string) {
	var h http.Header
	if retryAfter != "" {
		h = http.Header{"Retry-After": {retryAfter}}
	}
	out.status = status
	if err := writeJSON(w, status, h, p.errorBody(status, msg)); err != nil {
		out.aborted = err.Error()
	}
}

// whole answers without streaming.
func (s *Server) whole(w http.ResponseWriter, p protocol, m meta, rep Reply, out *outcome) {
	data, _ := json.Marshal(p.complete(m, rep.Text))
	if rep.Malformed {
		// Valid as far as it goes, so that a client fails on parsing, not earlier.
		data = []byte(`{"id": "fakellm-malformed", "choices": [{"message": {"content": "the body stops here`)
	}
	out.status = http.StatusOK
	if rep.CutAfter > 0 {
		// Promise the full length and deliver half: the client sees an unexpected EOF.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:len(data)/2])
		http.NewResponseController(w).Flush()
		out.aborted = "cut"
		dropConn(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(data); err != nil {
		out.aborted = err.Error()
	}
}

// stream answers as SSE, ChunkSize runes per delta, ChunkDelay apart.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, p protocol, m meta, rep Reply, out *outcome) {
	st := p.newStream(m)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	out.status = http.StatusOK
	rc := http.NewResponseController(w)

	send := func(evs []event) bool {
		for _, ev := range evs {
			if err := writeEvent(w, ev); err != nil {
				out.aborted = err.Error()
				return false
			}
			if err := rc.Flush(); err != nil {
				out.aborted = err.Error()
				return false
			}
		}
		return true
	}

	if !send(st.start()) {
		return
	}
	if rep.Malformed {
		send([]event{
			{name: st.deltaName(), data: rawData(`{"fakellm": "malformed", "text": "unterminated`)},
			{name: st.deltaName(), data: rawData(`this line is not JSON at all`)},
		})
		return
	}

	runes := []rune(rep.Text)
	limit, cut := len(runes), rep.CutAfter > 0
	if cut {
		limit = min(limit, rep.CutAfter)
	}
	for i := 0; i < limit || (!cut && i == 0); i += rep.ChunkSize {
		if i > 0 {
			if why := s.wait(ctx, rep.ChunkDelay); why != "" {
				out.aborted = why
				dropConn(w)
				return
			}
		}
		j := min(i+rep.ChunkSize, limit)
		chunk := string(runes[i:j])
		if !cut && j == limit {
			send(st.finish(chunk))
			return
		}
		if !send(st.delta(chunk)) {
			return
		}
	}
	out.aborted = "cut"
	dropConn(w)
}

func writeEvent(w io.Writer, ev event) error {
	var b bytes.Buffer
	if ev.name != "" {
		b.WriteString("event: " + ev.name + "\n")
	}
	b.WriteString("data: ")
	if raw, ok := ev.data.(rawData); ok {
		b.WriteString(string(raw))
	} else {
		js, err := json.Marshal(ev.data)
		if err != nil {
			return err
		}
		b.Write(js)
	}
	b.WriteString("\n\n")
	_, err := w.Write(b.Bytes())
	return err
}

// wait sleeps d unless the client goes away or the server closes first; it says
// which, or "" when the time passed.
func (s *Server) wait(ctx context.Context, d time.Duration) string {
	if d <= 0 {
		return ""
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ""
	case <-ctx.Done():
		return "client gone"
	case <-s.done:
		return "server closed"
	}
}

// dropConn closes the connection under the response without finishing it: no
// terminating chunk, no final event, so the client sees a truncated reply. Anything
// meant to reach the client must have been flushed before.
func dropConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a wrapped writer: net/http resets the stream on this panic.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, h http.Header, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, err = w.Write(data)
	return err
}

// collectText gathers the text of a decoded JSON value the way all four APIs nest
// it: plain strings, lists of parts, and objects whose text sits under "text", or
// further down under "content" or "parts". Anything else (images, tool calls,
// reasoning) carries no prompt text.
func collectText(v any, out []string) []string {
	switch t := v.(type) {
	case string:
		if t != "" {
			out = append(out, t)
		}
	case []any:
		for _, e := range t {
			out = collectText(e, out)
		}
	case map[string]any:
		if s, ok := t["text"].(string); ok {
			if s != "" {
				out = append(out, s)
			}
			return out
		}
		for _, k := range []string{"content", "parts"} {
			if c, ok := t[k]; ok {
				out = collectText(c, out)
			}
		}
	}
	return out
}

// promptBuilder joins the system and conversation text of one request.
type promptBuilder struct{ all, system []string }

func (b *promptBuilder) add(v any, isSystem bool) {
	texts := collectText(v, nil)
	b.all = append(b.all, texts...)
	if isSystem {
		b.system = append(b.system, texts...)
	}
}

func (b *promptBuilder) fill(r *request) {
	r.prompt = strings.Join(b.all, "\n")
	r.system = strings.Join(b.system, "\n")
}

func isSystemRole(role string) bool { return role == "system" || role == "developer" }
