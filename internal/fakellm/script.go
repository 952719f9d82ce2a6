package fakellm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Script decides what one model answers.
type Script struct {
	// Replies are used in order, one per call to the model; the last repeats once
	// the list is used up. A reply with WhenContains is not part of that sequence:
	// it answers any call whose prompt contains its text (the first such reply in
	// the list wins), and only calls that match none of them consume the sequence.
	// Under AnyModel each model walks the sequence on its own.
	Replies []Reply
	// Func, when set, decides every reply instead of Replies. It runs concurrently
	// for concurrent calls and must be safe for that.
	Func func(Call) Reply
}

// Reply is one scripted answer, or one scripted failure.
type Reply struct {
	// Text is the answer. Empty (and Empty false) means the default answer.
	Text string
	// WhenContains limits this reply to prompts containing the text; see Script.
	WhenContains string
	// Latency is the wait before the first byte; zero means Options.DefaultLatency.
	// A client that goes away during the wait ends it.
	Latency time.Duration
	// ChunkDelay is the wait between streamed chunks.
	ChunkDelay time.Duration
	// ChunkSize is the number of runes per streamed chunk; zero means 16.
	ChunkSize int
	// Status, when >= 400, is answered as an HTTP error in the protocol's shape.
	Status int
	// RetryAfter is sent as the Retry-After header with an error Status.
	RetryAfter string
	// ErrorMessage is the error's message; empty gives a generic one.
	ErrorMessage string
	// Hang never answers: the call blocks until the client goes away or the server
	// stops, and then the connection is dropped.
	Hang bool
	// CutAfter > 0 sends that many runes of the answer and then drops the connection
	// without a terminating event (a non-streamed answer is cut halfway through its
	// body instead).
	CutAfter int
	// Malformed sends unparseable data: a broken JSON body, or SSE events whose data
	// is not JSON, and no terminating event.
	Malformed bool
	// Empty is a successful answer with no text.
	Empty bool
	// InputTokens and OutputTokens override the usage reported; zero means an
	// estimate of a quarter of the prompt's and the answer's bytes, at least 1.
	InputTokens, OutputTokens int
}

// Call is one model call as the server saw it.
type Call struct {
	Model    string
	Protocol string // one of the Protocol constants
	Path     string
	// Prompt is all the text the call carried, system text included, joined by
	// newlines; System is the system part alone.
	Prompt, System string
	Stream         bool
	Header         http.Header
	// Body is the request body as received, so that tests can check the fields a
	// client sent (generation settings, stream options). Read-only: Calls shares it.
	Body []byte
	// N counts the calls to this model, from 1, since the server started or was Reset.
	N int
	// Start is when the request arrived; End when its reply was fully written (or
	// abandoned). End is zero while the call is in flight and when Func sees it.
	Start, End time.Time
	// Status is the HTTP status sent; 0 if none was (a Hang, or the client left
	// during Latency).
	Status int
	// Aborted says why the reply was not completed ("client gone", "server closed",
	// "cut", or a write error); empty when it was.
	Aborted string
}

// JSON decodes the request body into a generic map; nil when it is not a JSON object.
func (c Call) JSON() map[string]any {
	var m map[string]any
	if json.Unmarshal(c.Body, &m) != nil {
		return nil
	}
	return m
}

// scriptState is a Script plus how far each model has walked its Replies.
type scriptState struct {
	Script
	cursor map[string]int
}

// next picks the scripted reply for c; ok is false when the script has nothing for it.
// The caller holds the server's lock.
func (st *scriptState) next(c Call) (Reply, bool) {
	var fallbacks []int
	for i, r := range st.Replies {
		if r.WhenContains == "" {
			fallbacks = append(fallbacks, i)
			continue
		}
		if strings.Contains(c.Prompt, r.WhenContains) {
			return r, true
		}
	}
	if len(fallbacks) == 0 {
		return Reply{}, false
	}
	k := st.cursor[c.Model]
	st.cursor[c.Model] = k + 1
	return st.Replies[fallbacks[min(k, len(fallbacks)-1)]], true
}

// begin records a call on arrival and numbers it.
func (s *Server) begin(c Call) *Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[c.Model]++
	c.N = s.counts[c.Model]
	rec := &c
	s.calls = append(s.calls, rec)
	return rec
}

// end completes a record. Reset may have dropped it from the list meanwhile, which
// is harmless: nobody sees it any more.
func (s *Server) end(rec *Call, status int, aborted string) {
	s.mu.Lock()
	rec.End = time.Now()
	rec.Status = status
	rec.Aborted = aborted
	c := *rec
	s.mu.Unlock()
	if s.opts.Logf != nil {
		note := ""
		if aborted != "" {
			note = " aborted: " + aborted
		}
		s.opts.Logf("%s %s model=%q n=%d stream=%v status=%d in %v%s",
			c.Protocol, c.Path, c.Model, c.N, c.Stream, c.Status, c.End.Sub(c.Start).Round(time.Millisecond), note)
	}
}

// pick decides the reply to c and fills in the defaults. Func runs outside the lock:
// it is the caller's code and may be slow.
func (s *Server) pick(c Call) Reply {
	s.mu.Lock()
	st, ok := s.scripts[c.Model]
	if !ok {
		st, ok = s.scripts[AnyModel]
	}
	var r Reply
	var fn func(Call) Reply
	if ok {
		if st.Func != nil {
			fn = st.Func
		} else {
			r, _ = st.next(c)
		}
	}
	s.mu.Unlock()
	if fn != nil {
		r = fn(c)
	}

	if r.Latency == 0 {
		r.Latency = s.opts.DefaultLatency
	}
	if r.ChunkSize <= 0 {
		r.ChunkSize = 16
	}
	if r.Empty {
		r.Text = ""
	} else if r.Text == "" {
		r.Text = DefaultText(c)
	}
	if r.InputTokens <= 0 {
		r.InputTokens = estimateTokens(c.Prompt)
	}
	if r.OutputTokens <= 0 {
		r.OutputTokens = estimateTokens(r.Text)
	}
	return r
}

// DefaultText is the answer to a call no script decides: it names the model and ends
// with the JSON block parley asks participants for, or, when the prompt asks for the
// VERDICT, with a verdict block.
func DefaultText(c Call) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FAKE-REPLY from %s (call %d, %s).\n\n", c.Model, c.N, c.Protocol)
	b.WriteString("This is fakellm's default answer: no script decided this call.\n\n")
	var block any = turnBlock{Position: "FAKE position from " + c.Model, Confidence: 70}
	if strings.Contains(c.Prompt, "VERDICT") {
		block = verdictBlock{Recommendation: "FAKE recommendation from " + c.Model, Confidence: 70}.orEmpty()
	}
	js, _ := json.Marshal(block)
	fmt.Fprintf(&b, "```json\n%s\n```\n", js)
	return b.String()
}

// estimateTokens is the usual bytes/4 rule, never below 1 so that usage always
// looks like a real call's.
func estimateTokens(s string) int {
	return max(1, (len(s)+3)/4)
}

// turnBlock is the JSON block parley asks each participant to end a turn with; the
// field order is the one parley's prompt shows.
type turnBlock struct {
	Position   string `json:"position"`
	Confidence int    `json:"confidence"`
	Changed    bool   `json:"changed"`
	Converged  bool   `json:"converged"`
	Reason     string `json:"reason,omitempty"`
}

// verdictBlock is the JSON block parley asks the chair to end the verdict with.
type verdictBlock struct {
	Recommendation string   `json:"recommendation"`
	Confidence     int      `json:"confidence"`
	Consensus      []string `json:"consensus"`
	Disagreements  []string `json:"disagreements"`
	Dissent        []string `json:"dissent"`
	Risks          []string `json:"risks"`
	NextSteps      []string `json:"next_steps"`
}

// orEmpty makes nil lists encode as [] rather than null, as a model would write them.
func (v verdictBlock) orEmpty() verdictBlock {
	for _, l := range []*[]string{&v.Consensus, &v.Disagreements, &v.Dissent, &v.Risks, &v.NextSteps} {
		if *l == nil {
			*l = []string{}
		}
	}
	return v
}
