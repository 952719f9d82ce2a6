// Package fakellm is a scripted stand-in for the LLM APIs parley talks to: OpenAI Chat
// Completions and Responses, Anthropic Messages and Gemini, streaming included. It
// exists so that every parley test, benchmark and demo can run against real HTTP and
// real SSE, with scripted answers, latency and failures, without a key or a network.
//
// One Server is one http.Handler that routes by path suffix, so a base URL with a
// prefix (say /openrouter/api/v1) works as well as the bare host. Answers come from a
// per-model Script; with none, a deterministic default answer names the model and ends
// with the JSON block parley asks for. Every model call is recorded as a Call
// (discovery, token counting and the "/" probe are answered but not recorded).
//
// Routes (any prefix before them is ignored):
//
//	POST .../chat/completions                 OpenAI Chat Completions
//	POST .../responses                        OpenAI Responses (Codex)
//	POST .../messages, .../messages/count_tokens  Anthropic Messages (Claude Code)
//	POST .../models/M:generateContent, :streamGenerateContent, :countTokens  Gemini
//	GET  .../models, .../api/tags             model lists (OpenAI, Gemini under v1beta, Ollama)
//	GET|HEAD /                                200, for Claude Code's probe
//
// Base URLs, with u = Server.URL():
//
//	openai-go            option.WithBaseURL(u + "/v1/")
//	anthropic-sdk-go     option.WithBaseURL(u)
//	genai                HTTPOptions{BaseURL: u}
//	Codex                base_url = u + "/v1", wire_api = "responses" (CODEX_HOME/config.toml)
//	Claude Code          ANTHROPIC_BASE_URL=u
//	Gemini CLI           GOOGLE_GEMINI_BASE_URL=u
package fakellm

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Protocol names, as recorded in Call.Protocol.
const (
	ProtocolOpenAIChat      = "openai-chat"
	ProtocolOpenAIResponses = "openai-responses"
	ProtocolAnthropic       = "anthropic"
	ProtocolGemini          = "gemini"
)

// AnyModel is the Script key that answers for every model without a script of its own.
const AnyModel = "*"

// DefaultModels are what the discovery endpoints list when nothing is scripted and
// Options.Models is empty.
var DefaultModels = []string{"fake-gpt", "fake-claude", "fake-gemini"}

// maxBody bounds a request body; parley's prompts are far smaller, and a fake should
// not be the thing that runs out of memory in a benchmark gone wrong.
const maxBody = 64 << 20

// Options configure a Server.
type Options struct {
	// RequireKey, when set, makes every request without this key fail with 401 in the
	// protocol's error shape. The key is accepted as "Authorization: Bearer K",
	// "x-api-key: K", "x-goog-api-key: K" or "?key=K".
	RequireKey string
	// DefaultLatency is the wait before the first byte for replies whose Latency is zero.
	DefaultLatency time.Duration
	// Models are what the model lists show. Empty: the scripted model names, else
	// DefaultModels.
	Models []string
	// Logf, when set, gets one line per finished model call.
	Logf func(format string, args ...any)
	// Trim, when set, is applied to each call's record once its reply is picked: a
	// load test that needs only each call's timing and a tag can drop the prompt,
	// body and headers it would otherwise keep for every one of 10,000 calls.
	Trim func(*Call)
}

// Server is the fake. Create it with New, mount it anywhere as an http.Handler or run
// it with Start or Listen. It is safe for concurrent use.
type Server struct {
	opts  Options
	ids   idSource
	since time.Time // creation time, shown as the listed models' creation time

	mu       sync.Mutex
	scripts  map[string]*scriptState
	calls    []*Call
	counts   map[string]int // model -> calls so far, for Call.N
	closed   bool
	inflight sync.WaitGroup

	// stopping releases Hang replies (a graceful shutdown must not wait for them);
	// done also aborts every other wait, for an immediate Close.
	stopping, done     chan struct{}
	stopOnce, doneOnce sync.Once

	listenMu sync.Mutex
	httpSrv  *http.Server
	url      string
}

// New returns a Server that is not listening yet.
func New(opts Options) *Server {
	now := time.Now()
	return &Server{
		opts:     opts,
		ids:      idSource{prefix: strconv.FormatInt(now.UnixNano()%1e10, 36)},
		since:    now,
		scripts:  map[string]*scriptState{},
		counts:   map[string]int{},
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// TB is the part of testing.TB that Start needs; *testing.T and *testing.B satisfy it.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Start creates a Server on a loopback port and closes it when the test ends.
func Start(tb TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		tb.Fatalf("fakellm: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start serves on a free loopback port and returns s. It panics if no port can be
// had, like httptest.NewServer; use Listen to handle that error.
func (s *Server) Start() *Server {
	if err := s.Listen("127.0.0.1:0"); err != nil {
		panic("fakellm: " + err.Error())
	}
	return s
}

// Listen serves on addr (host:port; port 0 picks a free one) in the background.
func (s *Server) Listen(addr string) error {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	if s.httpSrv != nil {
		return fmt.Errorf("already listening on %s", s.url)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go s.httpSrv.Serve(ln) // returns ErrServerClosed on Close; nothing to report
	return nil
}

// URL is the base URL, "http://127.0.0.1:PORT" without a trailing slash; empty until
// the server listens.
func (s *Server) URL() string {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	return s.url
}

// Close stops the server at once: replies that are waiting or streaming are cut, and
// Close returns when every handler has. It never waits on a Hang reply. Safe to call
// more than once, and on a Server that never listened.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stopping) })
	s.doneOnce.Do(func() { close(s.done) })
	s.listenMu.Lock()
	hs := s.httpSrv
	s.listenMu.Unlock()
	if hs != nil {
		hs.Close()
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.inflight.Wait()
}

// Shutdown stops accepting requests, releases Hang replies, and lets other replies in
// flight finish until ctx ends; then it closes everything as Close does.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stopping) })
	s.listenMu.Lock()
	hs := s.httpSrv
	s.listenMu.Unlock()
	var err error
	if hs != nil {
		err = hs.Shutdown(ctx)
	}
	s.Close()
	return err
}

// Script sets the script for model (AnyModel for every model without one), replacing
// any earlier script for it and restarting its reply sequence.
func (s *Server) Script(model string, sc Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[model] = &scriptState{Script: sc, cursor: map[string]int{}}
}

// Calls returns every model call received so far, in arrival order. Calls still in
// flight have a zero End.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = *c
		out[i].Header = c.Header.Clone()
	}
	return out
}

// CallsFor returns the calls for one model, in arrival order.
func (s *Server) CallsFor(model string) []Call {
	all := s.Calls()
	out := all[:0]
	for _, c := range all {
		if c.Model == model {
			out = append(out, c)
		}
	}
	return out
}

// Reset forgets the recorded calls, the per-model call counts and where each script's
// reply sequence stands. Scripts stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.counts = map[string]int{}
	for _, st := range s.scripts {
		st.cursor = map[string]int{}
	}
}

// enter registers a handler so that Close can wait for it; false once closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.inflight.Add(1)
	return true
}

// ServeHTTP routes by method and path suffix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "fakellm: closed", http.StatusServiceUnavailable)
		return
	}
	defer s.inflight.Done()

	p := r.URL.Path
	if p == "/" || p == "" {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			// Claude Code probes the base URL before its first call.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "fakellm ok\n")
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		switch {
		case strings.HasSuffix(p, "/api/tags"):
			s.list(w, r, openAIChat{}, s.ollamaList)
			return
		case strings.HasSuffix(p, "/models") && strings.Contains(p, "v1beta"):
			s.list(w, r, geminiAPI{}, s.geminiList)
			return
		case strings.HasSuffix(p, "/models"):
			s.list(w, r, openAIChat{}, s.openAIList)
			return
		}
	case http.MethodPost:
		if g, ok := geminiAction(p); ok {
			if g.action == "countTokens" {
				s.countTokens(w, r, geminiAPI{})
				return
			}
			s.generate(w, r, geminiAPI{model: g.model, action: g.action})
			return
		}
		if strings.HasSuffix(p, "/messages/count_tokens") {
			s.countTokens(w, r, anthropicMessages{})
			return
		}
		if proto := protocolForPath(p); proto != nil {
			s.generate(w, r, proto)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, nil, openAIChat{}.errorBody(http.StatusNotFound,
		fmt.Sprintf("fakellm: no route for %s %s", r.Method, p)))
}

// protocolForPath picks the protocol of a POST path other than Gemini's.
func protocolForPath(p string) protocol {
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		return openAIChat{}
	case strings.HasSuffix(p, "/responses"):
		return openAIResponses{}
	case strings.HasSuffix(p, "/messages"):
		return anthropicMessages{}
	}
	return nil
}

type geminiPath struct{ model, action string }

// geminiAction splits ".../models/MODEL:ACTION". The model is whatever follows the
// last "/models/" (or the last slash), so "/v1beta/models/m", "/v1/models/m" and
// doubled "models/models/m" prefixes all name the model m.
func geminiAction(p string) (geminiPath, bool) {
	colon := strings.LastIndexByte(p, ':')
	if colon < 0 {
		return geminiPath{}, false
	}
	action := p[colon+1:]
	switch action {
	case "generateContent", "streamGenerateContent", "countTokens":
	default:
		return geminiPath{}, false
	}
	head := p[:colon]
	if i := strings.LastIndex(head, "/models/"); i >= 0 {
		head = head[i+len("/models/"):]
	} else if i := strings.LastIndexByte(head, '/'); i >= 0 {
		head = head[i+1:]
	}
	return geminiPath{model: head, action: action}, true
}

func (s *Server) authorized(r *http.Request) bool {
	k := s.opts.RequireKey
	if k == "" {
		return true
	}
	return r.Header.Get("Authorization") == "Bearer "+k ||
		r.Header.Get("X-Api-Key") == k ||
		r.Header.Get("X-Goog-Api-Key") == k ||
		r.URL.Query().Get("key") == k
}

// models is what discovery lists.
func (s *Server) models() []string {
	if len(s.opts.Models) > 0 {
		return s.opts.Models
	}
	s.mu.Lock()
	var names []string
	for m := range s.scripts {
		if m != AnyModel {
			names = append(names, m)
		}
	}
	s.mu.Unlock()
	if len(names) == 0 {
		return DefaultModels
	}
	slices.Sort(names)
	return names
}

// list answers a discovery request with the body that build makes.
func (s *Server) list(w http.ResponseWriter, r *http.Request, p protocol, build func([]string) obj) {
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, nil, p.errorBody(http.StatusUnauthorized, errNoKey))
		return
	}
	writeJSON(w, http.StatusOK, nil, build(s.models()))
}

func (s *Server) openAIList(models []string) obj {
	data := []obj{}
	for _, m := range models {
		data = append(data, obj{"id": m, "object": "model", "created": s.since.Unix(), "owned_by": "fakellm"})
	}
	return obj{"object": "list", "data": data}
}

func (s *Server) ollamaList(models []string) obj {
	list := []obj{}
	for _, m := range models {
		list = append(list, obj{"name": m, "model": m, "modified_at": s.since.UTC().Format(time.RFC3339), "size": 0})
	}
	return obj{"models": list}
}

func (s *Server) geminiList(models []string) obj {
	list := []obj{}
	for _, m := range models {
		list = append(list, obj{"name": "models/" + m, "displayName": m,
			"supportedGenerationMethods": []string{"generateContent", "streamGenerateContent", "countTokens"}})
	}
	return obj{"models": list}
}

// countTokens answers the token-counting endpoints some CLIs call before a turn; it
// is not a model call and is not recorded.
func (s *Server) countTokens(w http.ResponseWriter, r *http.Request, p protocol) {
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, nil, p.errorBody(http.StatusUnauthorized, errNoKey))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, nil, p.errorBody(http.StatusBadRequest, "fakellm: "+err.Error()))
		return
	}
	req, err := p.parse(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, nil, p.errorBody(http.StatusBadRequest, "fakellm: "+err.Error()))
		return
	}
	n := estimateTokens(req.prompt)
	if _, ok := p.(geminiAPI); ok {
		writeJSON(w, http.StatusOK, nil, obj{"totalTokens": n})
		return
	}
	writeJSON(w, http.StatusOK, nil, obj{"input_tokens": n})
}

// idSource makes response ids unique within a server and unlikely to repeat across
// runs, which is all the clients need.
type idSource struct {
	prefix string
	n      atomic.Int64
}

func (g *idSource) next(kind string) string {
	return fmt.Sprintf("%s_fake%s%05d", kind, g.prefix, g.n.Add(1))
}
