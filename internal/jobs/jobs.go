// Package jobs runs a team server's debates as River jobs in PostgreSQL, so that
// several `parley serve` replicas share the work and a debate whose replica dies is
// finished by another, from its event log, without calling a finished turn again.
//
// # How a debate moves
//
// The replica that accepts a debate writes its debate_started event and queues a
// RunDebate job in the same transaction (postgres.Store.AppendWith and Enqueue), so
// there is never a debate without a job or a job without its debate. Any replica's
// River client may pick the job up; its worker takes the debate's lease, resumes the
// debate from its stored log (debate.Run with Log: a new debate's log is just its
// debate_started) and runs it to the end.
//
// # Why a lease, and not River's rescuer alone
//
// River rescues a job that has been running longer than RescueStuckJobsAfter, but
// it cannot tell a replica that died from a debate that is merely long: both look
// like a job still "running". A rescue horizon of a minute would rerun every live
// debate older than a minute (paying for its unfinished turns twice), and a horizon
// longer than any debate would leave a dead replica's debate stuck for that long.
// So liveness comes from a lease that the runner renews: the debate's owner in the
// store (store.Claim, a compare-and-set), whose Since is refreshed every Renew. A
// debate whose lease has not been renewed for LeaseTTL is abandoned: every replica
// looks for those every Reap and queues a takeover job for each (unique per stale
// lease, so the replicas do not queue it twice), which any replica then works like
// the first. With the defaults (TTL 30 s, renewal every 10 s, a look every 10 s) a
// dead replica's debate is resumed elsewhere within about 40 s.
//
// The lease keeps two runners apart in the ordinary course; the store's sequence
// check is the last line of defence when they meet anyway (a runner paused past its
// lease by a long GC or a network partition): the second writer of a Seq gets
// store.ErrConflict, and its runner stops without retrying.
//
// The worker's own River timeout is long (a day): River's rescuer only cleans up
// the job rows of replicas that died, once their debates were long taken over.
package jobs

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
)

// Queue is the River queue that debates run on.
const Queue = "parley_debates"

// Defaults of Config.
const (
	DefaultLeaseTTL = 30 * time.Second
	DefaultWorkers  = 100
	// jobTimeout bounds one debate on one replica; see the package comment.
	jobTimeout = 24 * time.Hour
)

// RunDebate is the job that runs (or resumes) one debate.
type RunDebate struct {
	ID string `json:"id"`
	// Takeover is set on the jobs queued for an abandoned debate: the stale lease
	// it was found with. It makes each takeover a distinct job, so that the dead
	// runner's job row (still "running" to River) does not stop it from being
	// queued, while replicas that notice the same stale lease queue one job only.
	Takeover string `json:"takeover,omitempty"`
}

// Kind implements river.JobArgs.
func (RunDebate) Kind() string { return "parley_debate" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (RunDebate) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       Queue,
		MaxAttempts: 100,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	}
}

// RunFunc runs debate id from its stored log until it finishes or ctx ends. It must
// append through the store (so that the Seq check applies) and, when ctx ends, must
// not record the debate as interrupted: on a team server a debate is never
// interrupted, it is handed to another runner. It returns nil when the debate is
// finished (completed or failed), an error wrapping store.ErrConflict when another
// runner wrote first, and any other error to have the job retried.
type RunFunc func(ctx context.Context, id string) error

// Store is what the queue needs of the debate store: summaries and leases.
type Store interface {
	Get(ctx context.Context, id string) (store.Summary, error)
	List(ctx context.Context, opts store.ListOptions) ([]store.Summary, error)
	Claim(ctx context.Context, id string, prev, owner store.Owner) error
}

// Config configures a Runner.
type Config struct {
	// Pool is the database of the debates and of the job queue. Required.
	Pool *pgxpool.Pool
	// Store holds the debates and their leases (the same database). Required.
	Store Store
	// Run runs one debate. Required.
	Run RunFunc
	// Workers is how many debates this replica runs at once; default 100.
	Workers int
	// LeaseTTL is how long a lease lasts unrenewed before the debate counts as
	// abandoned; default 30s. Replicas' clocks must agree to well within it.
	LeaseTTL time.Duration
	// Renew is how often a runner renews its lease; default LeaseTTL/3.
	Renew time.Duration
	// Reap is how often a replica looks for abandoned debates; default LeaseTTL/3.
	Reap time.Duration
	// FetchPoll is how often the queue looks for jobs when no notification came;
	// River's default (1s) when zero. A job a stopping replica hands on is picked
	// up by another one at once through LISTEN/NOTIFY, or else at the next poll.
	FetchPoll time.Duration
	// OnReap, when set, is called after every look for abandoned debates, done or
	// failed: tests wait on passes of the reaper instead of sleeping through them.
	OnReap func()
	// Logger gets the queue's warnings and what it takes over; nil discards.
	Logger *slog.Logger
	// Middleware wraps every job (otelriver's tracing, when traces are on).
	Middleware []rivertype.Middleware
}

// Runner is one replica's share of the team: a River client working the debate
// queue, and the reaper that requeues abandoned debates.
type Runner struct {
	cfg    Config
	log    *slog.Logger
	client *river.Client[pgx.Tx]
	host   string // the lease's Host: this machine and this replica
	pid    int

	stopReap context.CancelFunc
	reapDone chan struct{}
}

// New migrates River's tables (under an advisory lock, as replicas may start
// together) and builds the replica's River client. Start it to work jobs; a
// Runner that is never started can still Enqueue.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.Pool == nil || cfg.Store == nil || cfg.Run == nil {
		return nil, errors.New("jobs: Pool, Store and Run are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Renew <= 0 {
		cfg.Renew = cfg.LeaseTTL / 3
	}
	if cfg.Reap <= 0 {
		cfg.Reap = cfg.LeaseTTL / 3
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := migrateRiver(ctx, cfg.Pool); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	var b [4]byte
	crand.Read(b[:])
	r := &Runner{cfg: cfg, log: log, host: host + "/" + hex.EncodeToString(b[:]), pid: os.Getpid()}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{r: r}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(cfg.Pool), &river.Config{
		ID:      r.host,
		Queues:  map[string]river.QueueConfig{Queue: {MaxWorkers: cfg.Workers}},
		Workers: workers,
		// River reports at Info what a server's log does not need; keep its warnings.
		Logger:            slog.New(levelFilter{log.Handler(), slog.LevelWarn}),
		Middleware:        cfg.Middleware,
		FetchPollInterval: cfg.FetchPoll,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	r.client = client
	return r, nil
}

// migrationLock is the advisory lock key replicas take to migrate River's tables
// one at a time ("parley" in ASCII).
const migrationLock = 0x7061726c6579

// migrateRiver brings River's schema up to date. rivermigrate takes no lock of its
// own, so two replicas starting together would race on the DDL.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("jobs: taking the migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrating River's tables: %w", err)
	}
	return nil
}

// Start starts working jobs and looking for abandoned debates. The work goes on
// until Stop, whatever becomes of ctx.
func (r *Runner) Start(ctx context.Context) error {
	life := context.WithoutCancel(ctx)
	if err := r.client.Start(life); err != nil {
		return fmt.Errorf("jobs: starting River: %w", err)
	}
	reapCtx, cancel := context.WithCancel(life)
	r.stopReap = cancel
	r.reapDone = make(chan struct{})
	go r.reapLoop(reapCtx)
	return nil
}

// Stop stops looking for work, cancels the debates this replica runs (each is left
// for another replica: its lease is released and its job snoozed) and waits for
// them to let go, until ctx ends.
func (r *Runner) Stop(ctx context.Context) error {
	if r.stopReap != nil {
		r.stopReap()
		<-r.reapDone
	}
	return r.client.StopAndCancel(ctx)
}

// Enqueue queues the job that will run debate id, in tx: the debate becomes
// runnable when, and only if, tx commits.
func (r *Runner) Enqueue(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := r.client.InsertTx(ctx, tx, RunDebate{ID: id}, nil); err != nil {
		return fmt.Errorf("jobs: queueing debate %s: %w", id, err)
	}
	return nil
}

// Host is this replica's name in leases: the machine and a per-process suffix.
func (r *Runner) Host() string { return r.host }

// worker works RunDebate jobs.
type worker struct {
	river.WorkerDefaults[RunDebate]
	r *Runner
}

func (w *worker) Timeout(*river.Job[RunDebate]) time.Duration { return jobTimeout }

var (
	errHeld     = errors.New("a live runner holds the debate's lease")
	errFinished = errors.New("the debate is finished")
	errLost     = errors.New("the lease was lost")
)

func (w *worker) Work(ctx context.Context, job *river.Job[RunDebate]) error {
	r := w.r
	id := job.Args.ID
	l, err := r.acquire(ctx, id)
	switch {
	case errors.Is(err, errFinished):
		return nil
	case errors.Is(err, store.ErrNotFound):
		r.log.Warn("a queued debate does not exist", "debate", id)
		return nil
	case errors.Is(err, errHeld):
		// Another runner is alive: look again once its lease could have run out,
		// and finish quietly once the debate is done.
		return river.JobSnooze(r.cfg.LeaseTTL)
	case err != nil:
		return err
	}
	if job.Args.Takeover != "" {
		r.log.Info("taking over an abandoned debate", "debate", id, "abandoned_by", job.Args.Takeover)
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		l.keep(runCtx, cancel)
	}()
	err = r.cfg.Run(runCtx, id)
	lost := errors.Is(context.Cause(runCtx), errLost)
	cancel(nil)
	<-kept
	if !lost {
		// Let the next runner in at once rather than after the TTL.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		l.release(rctx)
		rcancel()
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrConflict), lost:
		// Another runner has the debate: ours stops, and so does this job.
		r.log.Warn("another runner took the debate over; this one stopped", "debate", id, "error", err)
		return nil
	case ctx.Err() != nil:
		// This replica is stopping: hand the debate on now.
		return river.JobSnooze(0)
	}
	return err
}

// lease is one runner's hold on one debate.
type lease struct {
	r   *Runner
	id  string
	mu  sync.Mutex
	cur store.Owner
}

// now is the lease clock: microseconds, the precision PostgreSQL keeps, so that
// what is held in memory equals what is stored.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// fresh reports whether o is a lease renewed within the TTL.
func (r *Runner) fresh(o store.Owner) bool {
	return o.PID != 0 && time.Since(o.Since) < r.cfg.LeaseTTL
}

// acquire takes the lease of debate id, unless the debate is finished or a live
// runner (this replica included) holds it.
func (r *Runner) acquire(ctx context.Context, id string) (*lease, error) {
	sum, err := r.cfg.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch sum.Status {
	case debate.StatusCompleted, debate.StatusDegraded, debate.StatusFailed:
		return nil, errFinished
	}
	if r.fresh(sum.Owner) {
		return nil, errHeld
	}
	mine := store.Owner{Host: r.host, PID: r.pid, Since: now()}
	if err := r.cfg.Store.Claim(ctx, id, sum.Owner, mine); err != nil {
		if errors.Is(err, store.ErrClaimed) {
			return nil, errHeld // another replica got there first
		}
		return nil, err
	}
	return &lease{r: r, id: id, cur: mine}, nil
}

// keep renews the lease every Renew until ctx ends. When the lease is taken by
// another runner, or cannot be renewed before it runs out, it cancels the run with
// errLost: someone else may be running the debate by then.
func (l *lease) keep(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(l.r.cfg.Renew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		cur := l.cur
		l.mu.Unlock()
		next := cur
		next.Since = now()
		err := l.r.cfg.Store.Claim(ctx, l.id, cur, next)
		switch {
		case err == nil:
			l.mu.Lock()
			l.cur = next
			l.mu.Unlock()
		case errors.Is(err, store.ErrClaimed):
			l.r.log.Warn("lost the lease of a debate", "debate", l.id, "error", err)
			cancel(errLost)
			return
		case ctx.Err() != nil:
			return
		default:
			// The database may be back in a moment; but past the TTL another
			// replica may take the debate, so stop before that can happen.
			if time.Since(cur.Since) > l.r.cfg.LeaseTTL-l.r.cfg.Renew {
				l.r.log.Warn("cannot renew the lease of a debate; stopping it", "debate", l.id, "error", err)
				cancel(errLost)
				return
			}
		}
	}
}

// release gives the lease up (if it is still ours).
func (l *lease) release(ctx context.Context) {
	l.mu.Lock()
	cur := l.cur
	l.mu.Unlock()
	_ = l.r.cfg.Store.Claim(ctx, l.id, cur, store.Owner{})
}

// reapLoop looks for abandoned debates every Reap (with jitter, so that replicas
// started together do not all look at once) until ctx ends.
func (r *Runner) reapLoop(ctx context.Context) {
	defer close(r.reapDone)
	for {
		jitter := time.Duration(rand.Int64N(int64(r.cfg.Reap)/5 + 1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.cfg.Reap + jitter):
		}
		if err := r.reap(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("looking for abandoned debates", "error", err)
		}
		if r.cfg.OnReap != nil {
			r.cfg.OnReap()
		}
	}
}

// reap queues a takeover job for every running debate whose lease ran out (or that
// has had no owner for a TTL: its runner released it on the way out, or its job
// has been waiting).
func (r *Runner) reap(ctx context.Context) error {
	running, err := r.cfg.Store.List(ctx, store.ListOptions{Status: debate.StatusRunning})
	if err != nil {
		return err
	}
	for _, sum := range running {
		var key string
		switch {
		case sum.Owner.PID == 0 && sum.Owner.Host == "":
			if time.Since(sum.UpdatedAt) < r.cfg.LeaseTTL {
				continue
			}
			key = "none@" + sum.UpdatedAt.UTC().Format(time.RFC3339Nano)
		case r.fresh(sum.Owner):
			continue
		default:
			key = fmt.Sprintf("%s/%d@%s", sum.Owner.Host, sum.Owner.PID, sum.Owner.Since.UTC().Format(time.RFC3339Nano))
		}
		res, err := r.client.Insert(ctx, RunDebate{ID: sum.ID, Takeover: key}, nil)
		if err != nil {
			return fmt.Errorf("queueing the takeover of %s: %w", sum.ID, err)
		}
		if !res.UniqueSkippedAsDuplicate {
			r.log.Info("queued the takeover of an abandoned debate", "debate", sum.ID, "abandoned_by", key)
		}
	}
	return nil
}

// levelFilter passes on records at or above min only.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(attrs), f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(name), f.min}
}
