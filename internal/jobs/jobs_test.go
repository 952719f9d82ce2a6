package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/jobs/jobstest"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/postgres/pgtest"
)

// Short leases, so that the tests take seconds.
const (
	ttl   = 900 * time.Millisecond
	renew = 200 * time.Millisecond
	reap  = 200 * time.Millisecond
)

// team is one database and the runners working it. The run function of every
// runner records who runs what and, by default, runs until its context ends (a
// debate that never finishes on its own).
type team struct {
	t     *testing.T
	dsn   string // the database's URL, its schema in the search_path
	store *postgres.Store

	mu      sync.Mutex
	runs    []string // "runner:debate", in start order
	running atomic.Int32
	most    atomic.Int32               // the most runs at once of one debate
	ctxs    map[string]context.Context // the context of each debate's current run
	result  func(id string) error      // when set, what a run returns at once
	reaps   map[string]int             // passes of each runner's reaper
	reaped  chan struct{}              // a reaper pass ended (buffered 1: a wake-up, not a count)
}

func newTeam(t *testing.T) *team {
	t.Helper()
	dsn := pgtest.Schema(t)
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &team{t: t, dsn: dsn, store: st, ctxs: map[string]context.Context{}, reaps: map[string]int{}, reaped: make(chan struct{}, 1)}
}

func (tm *team) runner(name string) *jobs.Runner {
	tm.t.Helper()
	r, err := jobs.New(context.Background(), jobs.Config{
		Pool: tm.store.Pool(), Store: tm.store, LeaseTTL: ttl, Renew: renew, Reap: reap, FetchPoll: 150 * time.Millisecond,
		OnReap: func() {
			tm.mu.Lock()
			tm.reaps[name]++
			tm.mu.Unlock()
			select {
			case tm.reaped <- struct{}{}:
			default:
			}
		},
		Run: func(ctx context.Context, id string) error {
			tm.mu.Lock()
			tm.runs = append(tm.runs, name+":"+id)
			tm.ctxs[id] = ctx
			result := tm.result
			tm.mu.Unlock()
			n := tm.running.Add(1)
			defer tm.running.Add(-1)
			for {
				m := tm.most.Load()
				if n <= m || tm.most.CompareAndSwap(m, n) {
					break
				}
			}
			if result != nil {
				return result(id)
			}
			<-ctx.Done()
			return ctx.Err()
		},
	})
	if err != nil {
		tm.t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		tm.t.Fatal(err)
	}
	tm.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
	return r
}

// create makes a debate and queues its job through r, in one transaction.
func (tm *team) create(r *jobs.Runner, id string) {
	tm.t.Helper()
	ev := debate.Event{DebateID: id, Seq: 1, At: time.Now().UTC(), Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p", Mode: "quick"}}}
	err := tm.store.AppendWith(context.Background(), []debate.Event{ev}, func(tx pgx.Tx) error {
		return r.Enqueue(context.Background(), tx, id)
	})
	if err != nil {
		tm.t.Fatal(err)
	}
}

func (tm *team) runList() []string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return append([]string(nil), tm.runs...)
}

func (tm *team) waitRuns(n int, d time.Duration) []string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	for {
		runs := tm.runList()
		if len(runs) >= n {
			return runs
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%d runs after %v, want %d: %v", len(runs), d, n, runs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitReaps returns once every runner's reaper has looked for abandoned debates n
// more times: what must not happen would have been queued (and run) by then. It
// waits on the reapers' passes, not on a guess of how long they take.
func (tm *team) waitReaps(n int) {
	tm.t.Helper()
	tm.mu.Lock()
	target := map[string]int{}
	for name, c := range tm.reaps {
		target[name] = c + n
	}
	tm.mu.Unlock()
	deadline := time.After(time.Duration(n+10) * 5 * reap)
	for {
		tm.mu.Lock()
		done := true
		for name, want := range target {
			if tm.reaps[name] < want {
				done = false
			}
		}
		tm.mu.Unlock()
		if done {
			return
		}
		select {
		case <-tm.reaped:
		case <-deadline:
			tm.t.Fatalf("the reapers did not make %d passes", n)
		}
	}
}

// TestOneRunnerAtATime: two replicas, one long debate: one runs it, the other
// leaves it alone for many lease periods (the lease is renewed), and takes it over
// at once when the first stops gracefully.
func TestOneRunnerAtATime(t *testing.T) {
	tm := newTeam(t)
	runners := map[string]*jobs.Runner{"a": tm.runner("a"), "b": tm.runner("b")}
	tm.create(runners["a"], "d1")
	first := tm.waitRuns(1, 10*time.Second)[0]

	tm.waitReaps(int(4 * ttl / reap)) // four lease periods: the lease must be renewed to hold
	if runs := tm.runList(); len(runs) != 1 {
		t.Fatalf("a debate with a live lease was run again: %v", runs)
	}
	sum, err := tm.store.Get(context.Background(), "d1")
	if err != nil || sum.Owner.PID == 0 || time.Since(sum.Owner.Since) > ttl {
		t.Fatalf("the lease is not held and fresh: %+v %v", sum.Owner, err)
	}

	// Stop whichever runs it: the other takes it over without waiting for the TTL.
	name, other := "a", "b"
	if first == "b:d1" {
		name, other = "b", "a"
	}
	stopping := runners[name]
	stopped := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stopping.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	runs := tm.waitRuns(2, 10*time.Second)
	if runs[1] != other+":d1" {
		t.Errorf("runs %v", runs)
	}
	if took := time.Since(stopped); took > ttl {
		t.Errorf("handed over after %v, more than the TTL %v", took, ttl)
	}
	if m := tm.most.Load(); m != 1 {
		t.Errorf("%d runs of the debate at once", m)
	}
}

// TestAbandonedDebateTakenOver: a running debate whose owner stopped renewing its
// lease (a dead process) is queued again by the reaper and run; a finished one and
// one with a live lease are left alone.
func TestAbandonedDebateTakenOver(t *testing.T) {
	tm := newTeam(t)
	ctx := context.Background()
	started := func(id string) {
		ev := debate.Event{DebateID: id, Seq: 1, At: time.Now().UTC(), Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p"}}}
		if err := tm.store.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	ghost := store.Owner{Host: "ghost/1", PID: 424242, Since: time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)}
	started("dead")
	if err := tm.store.Claim(ctx, "dead", store.Owner{}, ghost); err != nil {
		t.Fatal(err)
	}
	started("done")
	if err := tm.store.Claim(ctx, "done", store.Owner{}, ghost); err != nil {
		t.Fatal(err)
	}
	if err := tm.store.Append(ctx, debate.Event{DebateID: "done", Seq: 2, At: time.Now().UTC(), Kind: debate.KindDebateFinished, Finished: &debate.Finished{Status: debate.StatusCompleted}}); err != nil {
		t.Fatal(err)
	}
	started("alive")
	live := store.Owner{Host: "elsewhere/2", PID: 7, Since: time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)} // renewed "now" for the test's duration
	if err := tm.store.Claim(ctx, "alive", store.Owner{}, live); err != nil {
		t.Fatal(err)
	}

	tm.runner("a")
	runs := tm.waitRuns(1, 10*time.Second)
	tm.waitReaps(3)
	runs = tm.runList()
	if len(runs) != 1 || runs[0] != "a:dead" {
		t.Fatalf("runs = %v, want only a:dead", runs)
	}
	sum, _ := tm.store.Get(ctx, "dead")
	if sum.Owner.Host == ghost.Host {
		t.Errorf("the dead owner still holds the lease")
	}
}

// TestLostLeaseStopsTheRun: when another runner takes the lease (as after a pause
// longer than the TTL), the run's context ends within a renewal, and the job is
// not retried by this runner.
func TestLostLeaseStopsTheRun(t *testing.T) {
	tm := newTeam(t)
	a := tm.runner("a")
	tm.create(a, "d1")
	tm.waitRuns(1, 10*time.Second)
	tm.mu.Lock()
	runCtx := tm.ctxs["d1"]
	tm.mu.Unlock()

	ctx := context.Background()
	sum, _ := tm.store.Get(ctx, "d1")
	thief := store.Owner{Host: "thief/1", PID: 99, Since: time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)}
	if err := tm.store.Claim(ctx, "d1", sum.Owner, thief); err != nil {
		t.Fatal(err)
	}
	select {
	case <-runCtx.Done():
	case <-time.After(5 * renew):
		t.Fatal("the run went on without its lease")
	}
	tm.waitReaps(4)
	if runs := tm.runList(); len(runs) != 1 {
		t.Errorf("runs %v: the debate was run again while the thief holds it", runs)
	}
	if sum, _ := tm.store.Get(ctx, "d1"); sum.Owner.Host != thief.Host {
		t.Errorf("the stopped runner released the thief's lease: %+v", sum.Owner)
	}
}

// TestRunResults: a finished run completes the job; a conflict (another writer got
// there first) completes it too; any other error is retried.
func TestRunResults(t *testing.T) {
	tm := newTeam(t)
	var calls sync.Map // id → *atomic.Int32
	ctx := context.Background()
	thief := store.Owner{Host: "other/1", PID: 99, Since: time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)}
	finish := func(id string) error {
		return tm.store.Append(ctx, debate.Event{DebateID: id, Seq: 2, At: time.Now().UTC(), Kind: debate.KindDebateFinished, Finished: &debate.Finished{Status: debate.StatusCompleted}})
	}
	tm.result = func(id string) error {
		v, _ := calls.LoadOrStore(id, new(atomic.Int32))
		n := v.(*atomic.Int32).Add(1)
		switch id {
		case "conflict":
			// Another runner holds the debate now, and wrote first.
			sum, _ := tm.store.Get(ctx, id)
			if err := tm.store.Claim(ctx, id, sum.Owner, thief); err != nil {
				return err
			}
			return fmt.Errorf("recording turn_completed: %w", store.ErrConflict)
		case "flaky":
			if n == 1 {
				return errors.New("the database blinked")
			}
		}
		return finish(id) // a run that returns nil has finished its debate
	}
	a := tm.runner("a")
	for _, id := range []string{"ok", "conflict", "flaky"} {
		tm.create(a, id)
	}
	tm.waitRuns(4, 20*time.Second) // flaky twice: River's first retry comes after about a second
	// Every job done for good: a further run of any (a retry is 'retryable'
	// until it runs) would have happened by now, or WaitSettled fails.
	jobstest.WaitSettled(t, tm.dsn, 20*time.Second)
	count := func(id string) int32 {
		v, ok := calls.Load(id)
		if !ok {
			return 0
		}
		return v.(*atomic.Int32).Load()
	}
	if count("ok") != 1 || count("conflict") != 1 || count("flaky") != 2 {
		t.Errorf("runs: ok %d, conflict %d, flaky %d; want 1, 1, 2", count("ok"), count("conflict"), count("flaky"))
	}
	// Every lease was given back, but the one another runner took.
	for _, id := range []string{"ok", "flaky"} {
		if sum, _ := tm.store.Get(ctx, id); sum.Owner.PID != 0 {
			t.Errorf("%s still owned by %+v", id, sum.Owner)
		}
	}
	if sum, _ := tm.store.Get(ctx, "conflict"); sum.Owner.Host != thief.Host {
		t.Errorf("the other runner's lease was released: %+v", sum.Owner)
	}
}
