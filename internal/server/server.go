// Package server is parley's HTTP face: the JSON API of the CONTRACT (start a
// debate, list them, read one, follow one as Server-Sent Events), the embedded web UI
// that drives it, and the hub that carries live events from running debates to the
// streams watching them.
//
// The package knows nothing of configuration, providers, SQL or job queues. The
// caller hands it a function that starts a debate (internal/cli/serve.go runs it in
// a goroutine, or queues it on River for a team server) and the store to read from;
// so the HTTP side is tested with fakes, and every way of running debates serves the
// same API.
//
// # Authentication
//
// With a token (Options.Token), every /api/ request needs "Authorization: Bearer
// TOKEN"; the comparison takes constant time. The web UI's files hold no data and are
// served to anyone: the page takes the token from its URL fragment (/#token=…, which
// browsers never send to the server), keeps it in sessionStorage and sends it as
// that header on every call, its event stream included. Without a token (loopback
// only; the command refuses otherwise) requests must name a loopback host, which
// defeats DNS rebinding: a web page elsewhere cannot drive a local parley.
package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/lazyre"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/store"
)

// Limits on what a client may send.
const (
	// MaxBody bounds a request body.
	MaxBody = 1 << 20
	// MaxProblem and MaxContext bound the text fields of a new debate, in bytes.
	MaxProblem = 100 << 10
	MaxContext = 200 << 10
	// MaxRounds bounds the rounds a client may ask for.
	MaxRounds = 20
	// MaxStance bounds one seat's stance, in bytes (as the MCP tool's).
	MaxStance = 500
	// MaxSeats is the most models a panel may have (seats A to Z).
	MaxSeats = 26
	// maxQuery bounds a search of the list (?q=).
	maxQuery = 200
)

// Request is a new debate as a client asks for it: the one Request of every front
// end (internal/session), whose JSON is POST /api/debates's body. Empty fields
// mean "the configured default".
type Request = session.Request

// StartFunc starts a debate and returns its id once the debate exists in the store
// (its debate_started event is durable), so that every route can see it at once. It
// returns an error made with BadRequest for a request that cannot run (an unknown
// model or mode), ErrBusy when no more debates can start now, and any other error
// for a failure of the server.
type StartFunc func(ctx context.Context, req Request) (id string, err error)

// ErrBusy: the server runs as many debates as it may; try again later.
var ErrBusy = errors.New("too many debates running; try again later")

// errDraining: the server is shutting down and starts nothing new.
var errDraining = errors.New("the server is shutting down")

// BadRequest marks err as the client's mistake: its message is answered, as it is,
// with status 400. It must carry no secret.
func BadRequest(err error) error { return &badRequest{err} }

type badRequest struct{ err error }

func (e *badRequest) Error() string { return e.err.Error() }
func (e *badRequest) Unwrap() error { return e.err }

// Store is the part of the debate store the server reads.
type Store interface {
	List(ctx context.Context, opts store.ListOptions) ([]store.Summary, error)
	Get(ctx context.Context, id string) (store.Summary, error)
	Events(ctx context.Context, id string) ([]debate.Event, error)
	EventsSince(ctx context.Context, id string, after int) ([]debate.Event, error)
}

// Options configure a Server.
type Options struct {
	// Store answers every read. Required.
	Store Store
	// Start starts debates. Required.
	Start StartFunc
	// Hub carries the live events of the debates this process runs; nil means
	// none: streams then follow debates by polling the store alone.
	Hub *Hub
	// Models answers GET /api/models: what the configuration and environment can
	// reach. Nil answers 404.
	Models func(ctx context.Context) (any, error)
	// Modes answers GET /api/modes. Nil answers 404.
	Modes func(ctx context.Context) (any, error)
	// Version answers GET /api/version: which build is serving. Nil answers 404.
	Version func(ctx context.Context) (any, error)
	// Token, when set, is required of every API request as a bearer token.
	Token string
	// Resume, when set, answers POST /api/debates/{id}/resume (`parley --server
	// URL resume ID`); nil answers 404.
	Resume ResumeFunc
	// MCP, when set, is served at /mcp (MCP over streamable HTTP) behind the
	// same token as the API.
	MCP http.Handler
	// Alive, when set, tells whether a debate's owner still runs, so that a debate
	// abandoned mid-run says so (a warning in its result).
	Alive func(store.Owner) bool
	// Logger gets one line per API request and the server's errors; nil discards.
	Logger *slog.Logger
	// Poll is how often an event stream rereads the store when no live event came
	// (a debate run elsewhere, or events this process dropped); default 1s.
	Poll time.Duration
	// Heartbeat is the interval of the comment lines that keep idle streams (and
	// the proxies on their way) open; default 15s.
	Heartbeat time.Duration
	// ReadTimeout bounds reading a request; default 30s. Event streams lift it once
	// their request is read.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing an answer, event streams excepted; default 60s.
	WriteTimeout time.Duration
	// Cancel stops a debate this process runs (POST /api/debates/{id}/cancel): it
	// returns ErrNotRunningHere for one it does not run. Nil answers 404.
	Cancel func(ctx context.Context, id string) error
	// Metrics serves GET /metrics (Prometheus), behind the token when there is
	// one. Nil answers 404.
	Metrics http.Handler
	// Ready, when set, is asked by GET /readyz whether the server can serve; nil
	// asks the store, if it can tell (a Ready method), else only whether the
	// server is draining.
	Ready func(ctx context.Context) error
}

// ErrNotRunningHere: the debate is not running in this process (finished, unknown,
// or run by another replica), so it cannot be canceled here.
var ErrNotRunningHere = errors.New("the debate is not running in this server")

// Server is the HTTP API and web UI. It is an http.Handler; Serve runs it.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	tokenSum [sha256.Size]byte

	draining atomic.Bool
	// streams is the context of every request: canceled when the server shuts
	// down, which ends the event streams (http.Server.Shutdown does not).
	streams     context.Context
	stopStreams context.CancelFunc
	active      atomic.Int64 // event streams being served
}

// New builds the server and its routes.
func New(opts Options) *Server {
	if opts.Store == nil || opts.Start == nil {
		panic("server.New: Store and Start are required")
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 30 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 60 * time.Second
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.Token != "" {
		s.tokenSum = sha256.Sum256([]byte(opts.Token))
	}
	s.streams, s.stopStreams = context.WithCancel(context.Background())

	api := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.apiHandler(h)) }
	api("POST /api/debates", s.create)
	api("GET /api/debates", s.list)
	api("GET /api/debates/{id}", s.get)
	api("GET /api/debates/{id}/events", s.events)
	api("GET /api/debates/{id}/chart", s.chart)
	api("GET /api/debates/{id}/report", s.report)
	api("GET /api/models", s.models)
	api("GET /api/modes", s.modes)
	api("POST /api/debates/{id}/cancel", s.cancel)
	api("POST /api/render", s.render)
	if opts.Resume != nil {
		api("POST /api/debates/{id}/resume", s.resume)
	}
	if opts.MCP != nil {
		s.mux.Handle("/mcp", s.mcpHandler(opts.MCP))
	}
	api("GET /api/version", func(w http.ResponseWriter, r *http.Request) { s.answer(w, r, s.opts.Version, "its version") })
	// Liveness: the process answers. Readiness: it can serve (see ready).
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	// /metrics is behind the token like the API: the figures say what a team
	// spends and on which providers. Prometheus sends a bearer token from its
	// scrape config (authorization: credentials_file).
	s.mux.Handle("GET /metrics", s.apiHandler(s.metrics))
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("GET /assets/{file}", s.asset)
	return s
}

// ServeHTTP implements http.Handler: host check, common headers, then the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if s.opts.Token == "" && !loopbackHost(r.Host) {
		// Without a token the server trusts whoever reaches it, which is safe on a
		// loopback address only if a web page cannot get there by DNS rebinding:
		// such a request names the attacker's host.
		writeError(w, http.StatusMisdirectedRequest, "this parley server has no token and answers only to localhost, 127.0.0.1 or [::1]")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// apiHandler wraps an API route: the token check, a deadline for the answer, and
// one log line.
func (s *Server) apiHandler(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if s.opts.Token != "" && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
			writeError(w, http.StatusUnauthorized, "this server needs a token: send the header Authorization: Bearer TOKEN (the web UI takes it from /#token=TOKEN)")
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		// A deadline for ordinary answers; the event stream lifts it. There is no
		// server-wide WriteTimeout because it would cut every stream.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
		rw := &statusWriter{ResponseWriter: w}
		h(rw, r)
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rw.code(), "ms", time.Since(start).Milliseconds())
	})
}

// authorized compares the bearer token in constant time. Comparing digests keeps
// the token's length out of the timing as well.
func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}

// loopbackHost reports whether a Host header names this machine's loopback.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// statusWriter remembers the status for the log line. It passes Flush and the
// deadline setters through (Unwrap), which the event stream needs.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// modeName is what a mode's name may look like: a user mode is a file name, and a
// name from a request must not walk out of the modes directory.
var modeName = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// errNotJSON: the body was not sent as JSON. Requiring the media type is also what
// keeps other sites from starting debates from a browser: a cross-site form cannot
// send application/json, and a script that does must ask first (CORS), which this
// server never allows.
var errNotJSON = errors.New("the body must be JSON, sent with Content-Type: application/json")

// decodeRequest reads and checks a new debate's body; the error is the message
// for the client (errNotJSON, or a bad body).
func decodeRequest(w http.ResponseWriter, r *http.Request) (Request, error) {
	var req Request
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if ct == "" {
			return req, errNotJSON
		}
		return req, fmt.Errorf("%w (got %q)", errNotJSON, ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return req, fmt.Errorf("the request body is too large (at most %d bytes)", tooBig.Limit)
		case errors.Is(err, io.EOF):
			return req, errors.New(`the body is empty; send {"problem": "…", "models": ["openai:gpt-5", …], "mode": "standard", "rounds": 3}`)
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return req, fmt.Errorf("the body is not valid JSON: %v", err)
		case errors.As(err, &typ):
			return req, fmt.Errorf("%q must be %s, got %s", typ.Field, jsonType(typ.Type.String()), typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			field := strings.TrimPrefix(err.Error(), "json: unknown field ")
			return req, fmt.Errorf("unknown field %s (known: problem, models, panel, mode, rounds, context, stances)", field)
		}
		return req, fmt.Errorf("the body is not a valid request: %v", err)
	}
	if dec.More() {
		return req, errors.New("the body holds more than one JSON value")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, errors.New("the body holds more than one JSON value")
	}
	return req, check(&req)
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array of strings"
	case goType == "int":
		return "a whole number"
	}
	return "a string"
}

// check validates what can be checked without the configuration, and normalises.
func check(req *Request) error {
	req.Problem = strings.TrimSpace(req.Problem)
	req.Mode = strings.TrimSpace(req.Mode)
	req.Panel = strings.TrimSpace(req.Panel)
	req.Context = strings.TrimSpace(req.Context)
	switch {
	case req.Problem == "":
		return errors.New(`"problem" is required: the question or decision to debate`)
	case len(req.Problem) > MaxProblem:
		return fmt.Errorf(`"problem" is too long: %d bytes, at most %d`, len(req.Problem), MaxProblem)
	case !utf8.ValidString(req.Problem) || !utf8.ValidString(req.Context):
		return errors.New(`"problem" and "context" must be UTF-8 text`)
	case len(req.Context) > MaxContext:
		return fmt.Errorf(`"context" is too long: %d bytes, at most %d`, len(req.Context), MaxContext)
	case req.Rounds < 0 || req.Rounds > MaxRounds:
		return fmt.Errorf(`"rounds" must be between 1 and %d, got %d (leave it out for the mode's own number)`, MaxRounds, req.Rounds)
	case req.Mode != "" && !modeName.MatchString(req.Mode):
		return fmt.Errorf(`"mode" %q is not a mode name (letters, digits, - and _): see GET /api/modes`, req.Mode)
	case len(req.Models) > MaxSeats:
		return fmt.Errorf(`"models" names %d models; a panel has at most %d seats`, len(req.Models), MaxSeats)
	case req.Panel != "" && len(req.Models) > 0:
		return errors.New(`give "models" or "panel", not both`)
	case len(req.Stances) > MaxSeats || len(req.Models) > 0 && len(req.Stances) > len(req.Models):
		return fmt.Errorf(`"stances" has %d entries for %d models: give one per seat, in the order of "models"`, len(req.Stances), len(req.Models))
	}
	for i, st := range req.Stances {
		if len(st) > MaxStance || !utf8.ValidString(st) {
			return fmt.Errorf(`"stances"[%d] must be UTF-8 text of at most %d bytes ("for", "against", "neutral" or one sentence)`, i, MaxStance)
		}
	}
	for i, m := range req.Models {
		m = strings.TrimSpace(m)
		if m == "" {
			return fmt.Errorf(`"models"[%d] is empty: give model refs such as "openai:gpt-5", or leave "models" out for the configured panel`, i)
		}
		req.Models[i] = m
	}
	return nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, errDraining.Error())
		return
	}
	req, err := decodeRequest(w, r)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errNotJSON) {
			status = http.StatusUnsupportedMediaType
		}
		writeError(w, status, err.Error())
		return
	}
	id, err := s.opts.Start(r.Context(), req)
	if s.launchFailed(w, err, "start") {
		return
	}
	w.Header().Set("Location", "/api/debates/"+id)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	opts := store.ListOptions{Status: debate.Status(r.URL.Query().Get("status")), Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if len(opts.Query) > maxQuery {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("q is too long: %d bytes, at most %d", len(opts.Query), maxQuery))
		return
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "limit must be a whole number ≥ 0")
			return
		}
		opts.Limit = n
	}
	list, err := s.opts.Store.List(r.Context(), opts)
	if err != nil {
		s.serverError(w, "listing debates", err)
		return
	}
	writeJSON(w, http.StatusOK, store.Rows(list))
}

// readFailed answers a failed read of debate id, 404 when there is no such
// debate, and reports whether it did.
func (s *Server) readFailed(w http.ResponseWriter, id string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no debate with id %q", id))
	default:
		s.serverError(w, "reading debate "+id, err)
	}
	return true
}

// record folds a debate's log into its Record; ok is false when an answer was
// already written (not found, or an error).
func (s *Server) record(w http.ResponseWriter, r *http.Request) (*debate.Record, bool) {
	id := r.PathValue("id")
	events, err := s.opts.Store.Events(r.Context(), id)
	if s.readFailed(w, id, err) {
		return nil, false
	}
	rec := debate.Replay(events)
	if rec.Status == debate.StatusRunning && s.opts.Alive != nil {
		if sum, err := s.opts.Store.Get(r.Context(), id); err == nil && !s.opts.Alive(sum.Owner) {
			rec.Warnings = append(rec.Warnings, "the process running this debate is gone; continue it with `parley resume "+id+"`")
		}
	}
	return rec, true
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := report.JSON(w, rec); err != nil {
		s.log.Error("writing a result", "error", err)
	}
}

// chart answers the confidence chart of the HTML report as an HTML fragment, for
// the web UI: the same drawing, by the same code, as `parley export`.
func (s *Server) chart(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", reportCSP)
	io.WriteString(w, string(report.Chart(rec)))
}

// reportCSP is the policy of the report routes: the HTML report loads nothing and
// runs nothing, and a browser opening it directly is held to that.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; sandbox"

// report answers a debate's full report: ?format=html (default), md or json.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	switch format {
	case "", "html", "md", "json":
	default:
		writeError(w, http.StatusBadRequest, "format must be html, md or json")
		return
	}
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	var err error
	switch format {
	case "md":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		err = report.Markdown(w, rec, report.Options{Transcript: true})
	case "json":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		err = report.JSON(w, rec)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", reportCSP)
		err = report.HTML(w, rec)
	}
	if err != nil {
		s.log.Error("writing a report", "error", err)
	}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, s.opts.Models, "models")
}

func (s *Server) modes(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, s.opts.Modes, "modes")
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, f func(context.Context) (any, error), what string) {
	if f == nil {
		writeError(w, http.StatusNotFound, "this server does not list "+what)
		return
	}
	v, err := f(r.Context())
	if err != nil {
		s.serverError(w, "listing "+what, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) serverError(w http.ResponseWriter, doing string, err error) {
	s.log.Error(doing, "error", err)
	writeError(w, http.StatusInternalServerError, doing+" failed")
}

// launchFailed answers an error from Start or Resume (verb says which) and reports
// whether there was one: a bad request is 400, a full server 503 with Retry-After,
// anything else 500.
func (s *Server) launchFailed(w http.ResponseWriter, err error, verb string, logAttrs ...any) bool {
	var bad *badRequest
	switch {
	case err == nil:
		return false
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, bad.Error())
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		s.log.Error("could not "+verb+" a debate", append(logAttrs, "error", err)...)
		writeError(w, http.StatusInternalServerError, "the debate could not "+verb+": "+err.Error())
	}
	return true
}
