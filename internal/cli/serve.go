package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/metrics"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/tracing"
	"github.com/parleyhq/parley/internal/version"
)

// tokenEnv names the variable holding the server's token.
const tokenEnv = "PARLEY_TOKEN"

// minTokenLen is the shortest token accepted: a token guards model calls that cost
// money, so it should not be guessable.
const minTokenLen = 16

type serveOptions struct {
	io IO

	addr       string
	token      string
	db         string
	maxDebates int
	leaseTTL   time.Duration
	poll       time.Duration
	logFormat  string
	// jobMiddleware wraps the team server's jobs (otelriver, when tracing).
	jobMiddleware []rivertype.Middleware

	// ready, when set (by tests), is called with the address once the server
	// listens.
	ready func(addr string)
}

func newServeCmd(io IO) *cobra.Command {
	return newServeCmdWith(&serveOptions{io: io})
}

// newServeCmdWith binds the command to o, whose io (and, in tests, ready) are set.
func newServeCmdWith(o *serveOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API and the web UI",
		Long: `serve answers the HTTP API (start debates, list them, read one, follow one live as
Server-Sent Events) and serves the web UI at /. See docs/SERVER.md.

It listens on 127.0.0.1:8080 by default. On any other address it needs a token (--token,
or better PARLEY_TOKEN, which does not show in the process list): every API request must
then send "Authorization: Bearer TOKEN", and the web UI is opened as http://HOST:PORT/#token=TOKEN.

Debates are stored where the other commands keep them (--db, else $PARLEY_DB, else the
user's data directory) and run in this process. Given a PostgreSQL URL instead
(--db postgres://…), serve is one replica of a team server: debates are stored in
PostgreSQL and run as River jobs that every replica on that database shares, and a
debate whose replica dies is finished by another from its event log.

Ctrl-C (or SIGTERM) stops it: running debates are interrupted and stored as such,
resumable with "parley resume ID" (on a team server, another replica takes them up).`,
		Example: `  parley serve
  PARLEY_TOKEN=$(openssl rand -hex 32) parley serve --addr 0.0.0.0:8080
  parley serve --addr :8080 --db "postgres://parley:secret@db:5432/parley"`,
		Args: exactArgs(0, "parley serve (it takes no arguments; see parley serve --help)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "the address to listen on; any but a loopback address needs a token")
	f.StringVar(&o.token, "token", "", "the token every API request must bear (default $"+tokenEnv+", which keeps it out of the process list)")
	f.StringVar(&o.db, "db", "", "the SQLite database, or postgres://… for a team server (default $PARLEY_DB, else the user's data directory)")
	f.IntVar(&o.maxDebates, "max-debates", 100, "debates this process runs at once (more are refused with 503, or wait in the queue on a team server)")
	f.DurationVar(&o.leaseTTL, "lease-ttl", jobs.DefaultLeaseTTL, "team server: how long a replica may go silent before another takes its debates over")
	f.DurationVar(&o.poll, "poll", time.Second, "how often an event stream rereads the store for events another process wrote")
	f.StringVar(&o.logFormat, "log-format", "", "json, text or auto: text on a terminal, JSON otherwise (default $PARLEY_LOG_FORMAT, else auto)")
	f.MarkHidden("lease-ttl")
	f.MarkHidden("poll")
	return cmd
}

// backend runs debates for the server: in this process (SQLite) or on the team's
// job queue (PostgreSQL).
type backend interface {
	start(ctx context.Context, req server.Request) (string, error)
	// drain stops the debates this process runs, until ctx ends.
	drain(ctx context.Context)
	store() server.Store
	// cancel stops a debate this process runs (server.ErrNotRunningHere if none).
	cancel(ctx context.Context, id string) error
	close()
}

func (o *serveOptions) run(ctx context.Context) error {
	env := o.io.Env
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	token := strings.TrimSpace(firstNonEmpty(o.token, env(tokenEnv)))
	if token != "" && len(token) < minTokenLen {
		return usageErr("PARLEY_TOKEN=$(openssl rand -hex 32) parley serve …", "the token is %d characters long; use at least %d random ones", len(token), minTokenLen)
	}
	if !loopbackAddr(o.addr) && token == "" {
		return usageErr("PARLEY_TOKEN=$(openssl rand -hex 32) parley serve --addr "+o.addr,
			"refusing to serve on %s without a token: every API request there could run debates (and spend money) as you", o.addr)
	}
	if o.maxDebates < 1 {
		return usageErr("--max-debates 100", "--max-debates must be at least 1")
	}
	format, err := server.LogFormat(firstNonEmpty(o.logFormat, env("PARLEY_LOG_FORMAT")), o.io.Err)
	if err != nil {
		return usageErr("parley serve --log-format json", "%v", err)
	}
	logger, err := server.NewLogger(o.io.Err, format, logSecrets(env, token))
	if err != nil {
		return err
	}
	// Metrics and traces are fed by the hub, which every debate of this process
	// publishes to (see internal/metrics).
	met := metrics.New()
	observers := []func(debate.Event){met.Observe}
	tracer, stopTracing, err := tracing.Setup(ctx, env, Version())
	if err != nil {
		return usageErr("check OTEL_EXPORTER_OTLP_ENDPOINT, or unset it to run without traces", "%v", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			logger.Warn("flushing traces", "error", err)
		}
	}()
	if tracer != nil {
		observers = append(observers, tracer.Observe)
		o.jobMiddleware = []rivertype.Middleware{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{TracerProvider: tracer.Provider()})}
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return usageErr("pick a free address with --addr", "cannot listen on %s: %v", o.addr, err)
	}
	defer ln.Close()

	hub := server.NewHub(observers...)
	stopped := func(id string) {
		met.Stopped(id)
		if tracer != nil {
			tracer.Stopped(id)
		}
	}
	dsn := cfg.DBPath(o.db, env)
	p := &session.Service{Config: cfg, Env: o.io.Env}
	var back backend
	var where string
	if postgres.IsURL(dsn) {
		t, err := newTeamBackend(ctx, p, dsn, hub, logger, o)
		if t != nil {
			t.stopped = stopped
		}
		if err != nil {
			return err
		}
		back = t
		where = "PostgreSQL " + describeDSN(dsn) + " (team server, replica " + t.runner.Host() + ")"
	} else {
		st, err := openStore(ctx, dsn)
		if err != nil {
			return err
		}
		back = newLocalBackend(p, st, hub, logger, o.maxDebates)
		where = "SQLite " + dsn
	}
	defer back.close()
	met.Panel = func(id string) []debate.Seat {
		if events, err := back.store().Events(context.Background(), id); err == nil && len(events) > 0 && events[0].Started != nil {
			return events[0].Started.Panel
		}
		return nil
	}

	// Whether a debate's owner still runs can be told on this host only; a team
	// server's leases say it instead.
	var ownerAlive func(store.Owner) bool
	if _, local := back.(*localBackend); local {
		ownerAlive = session.Alive
	}
	mcpHandler, mcpDrain := serveMCPHTTP(o.io, cfg, back)
	srv := server.New(server.Options{
		MCP:     mcpHandler,
		Resume:  resumer(back),
		Store:   back.store(),
		Start:   back.start,
		Hub:     hub,
		Models:  modelsLister(o.io),
		Modes:   modesLister(env),
		Version: func(context.Context) (any, error) { return version.Get(), nil },
		Token:   token,
		Alive:   ownerAlive,
		Logger:  logger,
		Poll:    o.poll,
		Metrics: met.Handler(),
		Cancel:  back.cancel,
	})
	addr := ln.Addr().String()
	fmt.Fprintf(o.io.Err, "parley serve: listening on http://%s/ — debates in %s\n", addr, where)
	if token != "" {
		fmt.Fprintf(o.io.Err, "parley serve: API requests need the token; open the UI as http://%s/#token=YOUR_TOKEN\n", addr)
	}
	if o.ready != nil {
		o.ready(addr)
	}
	drain := func(ctx context.Context) { mcpDrain(ctx); back.drain(ctx) }
	if err := srv.Serve(ctx, ln, drain); err != nil {
		return &exitError{code: ExitNoVerdict, err: fmt.Errorf("serving: %w", err)}
	}
	fmt.Fprintln(o.io.Err, "parley serve: stopped")
	return nil
}

// loopbackAddr reports whether a listen address is on loopback only. A bare port
// (":8080") listens everywhere.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// describeDSN names a database without its password.
func describeDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Host + u.Path
}

// errNotStored marks an emit failure of the store, to tell a failing server from a
// request the engine refused.
type errNotStored struct{ err error }

func (e *errNotStored) Error() string { return e.err.Error() }
func (e *errNotStored) Unwrap() error { return e.err }

// localBackend runs debates in goroutines of this process, with the SQLite store,
// exactly as `parley run` would (the same sink: secrets scrubbed, the debate
// claimed by this process so that `parley resume` leaves it alone).
type localBackend struct {
	prep *session.Service
	st   store.Store
	hub  *server.Hub
	log  *slog.Logger

	ctx   context.Context // the debates': canceled by drain
	stop  context.CancelFunc
	slots chan struct{} // one per running debate

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
	running server.Running
}

func newLocalBackend(p *session.Service, st store.Store, hub *server.Hub, log *slog.Logger, max int) *localBackend {
	ctx, cancel := context.WithCancel(context.Background())
	return &localBackend{prep: p, st: st, hub: hub, log: log, ctx: ctx, stop: cancel, slots: make(chan struct{}, max)}
}

func (l *localBackend) store() server.Store { return l.st }
func (l *localBackend) close()              { l.stop(); l.st.Close() }

// cancel interrupts one debate (recorded as interrupted: resumable).
func (l *localBackend) cancel(ctx context.Context, id string) error {
	return l.running.Cancel(ctx, id)
}

func (l *localBackend) start(ctx context.Context, req server.Request) (string, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		return "", server.ErrBusy
	}
	release := func() { <-l.slots }
	p, err := l.prep.Prepare(ctx, req)
	if err != nil {
		release()
		return "", server.BadRequest(session.Hinted(err))
	}
	d := p.Debate
	started := make(chan error, 1)
	var once sync.Once
	signal := func(err error) { once.Do(func() { started <- err }) }
	rcd := session.NewRecorder(l.st, p, func(e debate.Event) {
		l.hub.Publish(e)
		if e.Kind == debate.KindDebateStarted {
			signal(nil) // durable, and claimed: every route can see it now
		}
	})
	emit := func(e debate.Event) error {
		if err := rcd.Emit(e); err != nil {
			return &errNotStored{err}
		}
		return nil
	}

	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		release()
		return "", server.ErrBusy
	}
	l.wg.Add(1)
	dctx, dcancel := context.WithCancel(l.ctx)
	remove := l.running.Add(d.ID, dcancel)
	l.mu.Unlock()
	go func() {
		defer l.wg.Done()
		defer release()
		defer func() {
			remove()
			dcancel()
		}()
		rec, err := session.Run(dctx, p, rcd, emit)
		var ns *errNotStored
		switch {
		case errors.As(err, &ns):
			signal(err)
		case err != nil:
			signal(server.BadRequest(err)) // refused before it began (no-op after)
		default:
			signal(nil)
		}
		switch {
		case errors.Is(err, debate.ErrInterrupted):
			l.log.Info("debate interrupted; resumable", "debate", d.ID, "resume", "parley resume "+d.ID)
		case err != nil:
			l.log.Warn("debate stopped", "debate", d.ID, "error", err)
		case rec != nil:
			l.log.Info("debate finished", "debate", d.ID, "status", rec.Status, "stopped_because", rec.StoppedBecause)
		}
	}()
	select {
	case err := <-started:
		if err != nil {
			return "", err
		}
		return d.ID, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// drain interrupts every running debate (each records its interruption, so it is
// resumable) and waits for them, until ctx ends.
func (l *localBackend) drain(ctx context.Context) {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	l.stop()
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		l.log.Warn("debates still stopping at shutdown")
	}
}

// teamBackend stores debates in PostgreSQL and runs them as River jobs shared by
// every replica on that database (internal/jobs).
type teamBackend struct {
	prep   *session.Service
	st     *postgres.Store
	runner *jobs.Runner
	hub    *server.Hub
	log    *slog.Logger
	// stopped tells the metrics and traces that a debate stopped running here
	// without finishing (handed to the queue, or let go to another replica).
	stopped func(id string)
	running server.Running // the debates this replica runs
}

// errHandedOn stops the engine on purpose: after the debate_started event when the
// debate is handed to the job queue, and instead of recording an interruption when
// a replica lets a debate go (another one will take it up).
var errHandedOn = errors.New("handed on to the job queue")

func newTeamBackend(ctx context.Context, p *session.Service, dsn string, hub *server.Hub, log *slog.Logger, o *serveOptions) (*teamBackend, error) {
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, usageErr("check the PostgreSQL URL given to --db or PARLEY_DB", "%v", err)
	}
	t := &teamBackend{prep: p, st: st, hub: hub, log: log, stopped: func(string) {}}
	t.runner, err = jobs.New(ctx, jobs.Config{
		Pool: st.Pool(), Store: st, Run: t.run,
		Workers: o.maxDebates, LeaseTTL: o.leaseTTL, Logger: log, Middleware: o.jobMiddleware,
	})
	if err == nil {
		err = t.runner.Start(ctx)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return t, nil
}

func (t *teamBackend) store() server.Store { return t.st }

// cancel interrupts a debate if this replica runs it. Canceling the job's context
// would hand the debate on to another replica; a canceled debate records its
// interruption instead (see run).
func (t *teamBackend) cancel(ctx context.Context, id string) error {
	return t.running.Cancel(ctx, id)
}

// close stops the job queue if drain did not (the server failed to start) and
// then the store: River must not outlive its pool.
func (t *teamBackend) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t.runner.Stop(ctx)
	t.st.Close()
}

func (t *teamBackend) drain(ctx context.Context) {
	if err := t.runner.Stop(ctx); err != nil {
		t.log.Warn("stopping the job queue", "error", err)
	}
}

// start writes the new debate's debate_started event and queues its job in one
// transaction, then stops the engine: whichever replica picks the job up runs the
// debate from its log. The engine still builds the event (roles, chair, the mode's
// snapshot), so a debate starts the same way here as anywhere else.
func (t *teamBackend) start(ctx context.Context, req server.Request) (string, error) {
	p, err := t.prep.Prepare(ctx, req)
	if err != nil {
		return "", server.BadRequest(session.Hinted(err))
	}
	d := p.Debate
	handed := false
	var storeErr error
	emit := func(e debate.Event) error {
		if e.Kind != debate.KindDebateStarted {
			return errHandedOn
		}
		storeErr = t.st.AppendWith(ctx, []debate.Event{e}, func(tx pgx.Tx) error {
			return t.runner.Enqueue(ctx, tx, e.DebateID)
		})
		if storeErr != nil {
			return storeErr
		}
		handed = true
		t.hub.Publish(e)
		t.stopped(e.DebateID) // it runs in a job, here or on another replica
		return errHandedOn
	}
	_, err = debate.Run(ctx, d, emit)
	switch {
	case handed:
		return d.ID, nil
	case storeErr != nil:
		return "", storeErr
	case err == nil:
		return "", errors.New("the debate did not start")
	}
	return "", server.BadRequest(err)
}

// run is the job queue's RunFunc: it resumes debate id from its stored log on this
// replica. When its context ends it records nothing of the sort; the debate stays
// "running" for the next replica to take up.
func (t *teamBackend) run(ctx context.Context, id string) error {
	events, err := t.st.Events(ctx, id)
	if err != nil {
		return err
	}
	switch debate.Replay(events).Status {
	case debate.StatusCompleted, debate.StatusDegraded, debate.StatusFailed:
		return nil
	}
	p, err := t.prep.Rebuild(ctx, events)
	if err != nil {
		return fmt.Errorf("debate %s cannot run on this replica: %w", id, session.Hinted(err))
	}
	// The job queue's lease, not a store claim, says which replica runs a team
	// debate: the recorder claims nothing and lets go of nothing.
	rcd := session.NewRecorder(t.st, p, t.hub.Publish)
	// A user's cancel (POST …/cancel) is recorded as an interruption and ends the
	// job; any other end of ctx hands the debate on to another replica.
	dctx, dcancel := context.WithCancel(ctx)
	var canceled atomic.Bool
	remove := t.running.Add(id, func() { canceled.Store(true); dcancel() })
	defer func() {
		remove()
		dcancel()
		t.stopped(id)
	}()
	emit := func(e debate.Event) error {
		if e.Kind == debate.KindDebateFinished && e.Finished != nil && e.Finished.Status == debate.StatusInterrupted && !canceled.Load() {
			return errHandedOn
		}
		return rcd.Emit(e)
	}
	rec, err := session.Run(dctx, p, rcd, emit)
	if canceled.Load() && errors.Is(err, debate.ErrInterrupted) {
		t.log.Info("debate canceled; resumable", "debate", id, "resume", "parley resume "+id)
		return nil // done: River must not run it again
	}
	if err == nil && rec != nil {
		t.log.Info("debate finished", "debate", id, "status", rec.Status, "stopped_because", rec.StoppedBecause)
	}
	return err
}

// logSecrets are the values the server's log must never show: the API token and
// every provider key in the environment.
func logSecrets(env func(string) string, token string) []string {
	out := []string{token}
	for _, k := range []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GEMINI_API_KEY",
		"GOOGLE_API_KEY", "OPENROUTER_API_KEY", "XAI_API_KEY", "GROQ_API_KEY", "MISTRAL_API_KEY", "DEEPSEEK_API_KEY"} {
		if v := env(k); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// modelsLister answers GET /api/models with what `parley models --format json`
// prints, by running that command; the survey probes local servers, so an answer
// is reused for half a minute.
func modelsLister(io IO) func(ctx context.Context) (any, error) {
	var (
		mu     sync.Mutex
		cached json.RawMessage
		at     time.Time
	)
	return func(ctx context.Context) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		if cached != nil && time.Since(at) < 30*time.Second {
			return cached, nil
		}
		var out, errb bytes.Buffer
		cmd := newModelsCmd(IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: io.Env})
		cmd.SetArgs([]string{"--format", "json"})
		cmd.SetOut(&out)
		cmd.SetErr(&errb)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		if err := cmd.ExecuteContext(ctx); err != nil {
			return nil, fmt.Errorf("surveying the models: %w", err)
		}
		raw := json.RawMessage(bytes.TrimSpace(out.Bytes()))
		if !json.Valid(raw) {
			return nil, errors.New("surveying the models: not JSON")
		}
		cached, at = raw, time.Now()
		return cached, nil
	}
}

// modeRow is one mode as GET /api/modes lists it.
type modeRow struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Rounds      int    `json:"rounds"`
	Builtin     bool   `json:"builtin"`
}

// modesLister answers GET /api/modes: the built-in modes, then the user's.
func modesLister(env config.Env) func(ctx context.Context) (any, error) {
	return func(context.Context) (any, error) {
		rows := []modeRow{}
		for _, m := range debate.BuiltinModes() {
			rows = append(rows, modeRow{m.Name, m.Description, len(m.Rounds), true})
		}
		entries, _ := os.ReadDir(filepath.Join(config.ConfigDir(env), "modes"))
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".yaml")
			if !ok {
				continue
			}
			if _, builtin := debate.BuiltinMode(name); builtin {
				continue // the built-in one wins, as in resolveMode
			}
			if m, err := session.ResolveMode(name, env); err == nil {
				rows = append(rows, modeRow{m.Name, m.Description, len(m.Rounds), false})
			}
		}
		return rows, nil
	}
}
