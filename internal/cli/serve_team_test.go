package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/cli"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/sse"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/postgres/pgtest"
	"github.com/parleyhq/parley/internal/syncbuf"
)

// replica is a `parley serve` process of a team server.
type replica struct {
	cmd  *exec.Cmd
	base string
	log  *syncbuf.Buffer
	done chan struct{}
}

var listening = regexp.MustCompile(`listening on (http://[^/ ]+)/`)

// startReplica runs this test binary as `parley serve` (see cli.ServeChildEnv) with
// the harness's environment, and waits until it listens.
func startReplica(t *testing.T, h *harness, args ...string) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{cli.ServeChildEnv + "=1"}
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: cmd, log: &syncbuf.Buffer{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(r.log, line)
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-r.done
		}
	})
	select {
	case r.base = <-addr:
	case <-r.done:
		t.Fatalf("replica exited:\n%s", r.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("replica did not start:\n%s", r.log.String())
	}
	return r
}

func (r *replica) served(t *testing.T) *served {
	return &served{t: t, base: r.base, log: r.log, client: &http.Client{Transport: &http.Transport{}}, stop: func() int { return 0 }}
}

// TestTeamFailover runs two `parley serve` replicas on one PostgreSQL, starts a
// debate on one, kills (SIGKILL) whichever replica runs it in the middle of round
// 2, and checks that the other finishes it: within the lease's time, from the log,
// calling no finished turn twice (counted per model and round at the fake server),
// while a watcher connected to the surviving replica saw every event of the log.
func TestTeamFailover(t *testing.T) {
	dsn := pgtest.Schema(t)
	ttl := 6 * time.Second
	if v := os.Getenv("PARLEY_FAILOVER_TTL"); v != "" { // e.g. 30s: the default
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		ttl = d
	}
	h := newHarness(t)
	h.srv.Script("fast-a", answers("fast-a", 20*time.Millisecond))
	h.srv.Script("fast-b", answers("fast-b", 20*time.Millisecond))
	slow := answers("slow", 20*time.Millisecond)
	var hung atomic.Bool
	h.srv.Script("slow", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := slow.Func(c)
		if roundOf(c.Prompt) == 2 && !hung.Swap(true) {
			r.Latency = 5 * time.Minute // its replica is killed while it waits
		}
		return r
	}})

	args := []string{"--db", dsn, "--lease-ttl", ttl.String(), "--poll", "100ms"}
	reps := []*replica{startReplica(t, h, args...), startReplica(t, h, args...)}
	first := reps[0].served(t)
	id := first.start(`{"problem": "Where do we start?", "models": ["openai:fast-a", "openai:fast-b", "openai:slow"]}`)

	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Round 2 under way: both fast seats' answers stored, the slow one hanging.
	waitFor(t, 60*time.Second, "round 2's fast answers to be stored", func() bool {
		events, err := st.Events(context.Background(), id)
		if err != nil {
			return false
		}
		n := 0
		for _, e := range events {
			if e.Kind == debate.KindTurnCompleted && e.Round == 2 {
				n++
			}
		}
		return n == 2
	})
	sum, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var victim, survivor *replica
	for i, r := range reps {
		if r.cmd.Process.Pid == sum.Owner.PID {
			victim, survivor = r, reps[1-i]
		}
	}
	if victim == nil {
		t.Fatalf("the debate's owner (%+v) is neither replica", sum.Owner)
	}

	// A watcher on the replica that will survive, from the start; the kill comes
	// once it is following the stream (its first event has come).
	watched := make(chan streamed, 1)
	following := make(chan struct{})
	var once sync.Once
	go func() {
		watched <- survivor.served(t).following(id, 0, func(sse.Event) { once.Do(func() { close(following) }) })
	}()
	select {
	case <-following:
	case <-time.After(20 * time.Second):
		t.Fatalf("the watcher got no event from the survivor\nsurvivor:\n%s", survivor.log.String())
	}

	before := callsPerRound(h.srv)
	killed := time.Now()
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done

	var got streamed
	select {
	case got = <-watched:
	case <-time.After(ttl*3 + 60*time.Second):
		t.Fatalf("the debate did not finish after the kill\nsurvivor:\n%s", survivor.log.String())
	}
	if !strings.Contains(got.finished, `"completed"`) {
		t.Fatalf("finished = %q\nsurvivor:\n%s", got.finished, survivor.log.String())
	}
	events, err := st.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rec := debate.Replay(events)
	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil {
		t.Fatalf("record: %s, %d rounds", rec.Status, len(rec.Rounds))
	}
	// When the survivor took over: its debate_resumed after the kill.
	var resumedAt time.Time
	for _, e := range events {
		if e.Kind == debate.KindDebateResumed && e.At.After(killed) {
			resumedAt = e.At
		}
	}
	if resumedAt.IsZero() {
		t.Fatal("no debate_resumed after the kill")
	}
	took := resumedAt.Sub(killed)
	t.Logf("lease TTL %v: taken over %v after the kill", ttl, took.Round(time.Millisecond))
	if took > time.Minute || took > ttl+ttl/3*2+5*time.Second {
		t.Errorf("taken over %v after the kill (TTL %v)", took, ttl)
	}

	// No finished turn paid twice.
	after := callsPerRound(h.srv)
	for key, n := range after {
		want := 1
		if key == "slow/2" {
			want = 2 // the call its replica died waiting for, and its retry
		}
		if n != want {
			t.Errorf("%s called %d times, want %d (before the kill: %d)", key, n, want, before[key])
		}
	}
	if len(after) != 10 {
		t.Errorf("calls per model and round: %v (want 3 models × 3 rounds and a verdict)", after)
	}

	// The watcher on the other replica saw the whole log, in order, once.
	if len(got.seqs) != len(events) {
		t.Fatalf("the watcher got %d stored events, the log has %d", len(got.seqs), len(events))
	}
	for i, e := range events {
		if got.seqs[i] != e.Seq {
			t.Fatalf("watcher seqs %v", got.seqs)
		}
	}
	// And the survivor still answers for it.
	r := survivor.served(t).do("GET", "/api/debates/"+id, "")
	if r.status != 200 || !strings.Contains(r.body, `"status": "completed"`) {
		t.Errorf("GET on the survivor: %d", r.status)
	}
}

// TestTeamSharesWork: debates started on one replica of a team run on whichever
// replica River hands them to and stream on either; and a replica stopped
// gracefully (SIGTERM) hands its running debate to the other at once, without
// waiting for the lease to run out and without recording an interruption.
func TestTeamSharesWork(t *testing.T) {
	dsn := pgtest.Schema(t)
	h := newHarness(t)
	h.srv.Script(fakellm.AnyModel, answers("any", 100*time.Millisecond))
	h.srv.Script("slow", answers("slow", 700*time.Millisecond))
	args := []string{"--db", dsn, "--poll", "100ms"} // the default lease TTL, 30s
	a := startReplica(t, h, args...)
	b := startReplica(t, h, args...)
	sa, sb := a.served(t), b.served(t)

	const n = 6
	ids := make([]string, n)
	for i := range ids {
		ids[i] = sa.start(fmt.Sprintf(`{"problem": "Question %d", "models": ["openai:m1", "openai:m2"], "mode": "quick"}`, i))
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sa
			if i%2 == 1 {
				s = sb // a watcher on the other replica
			}
			if got := s.follow(id, 0); !strings.Contains(got.finished, `"completed"`) {
				t.Errorf("%s: finished %q", id, got.finished)
			}
		}()
	}
	wg.Wait()
	r := sb.do("GET", "/api/debates", "")
	for _, id := range ids {
		if !strings.Contains(r.body, id) {
			t.Errorf("replica b does not list %s", id)
		}
	}
	ranA := strings.Count(a.log.String(), "debate finished")
	ranB := strings.Count(b.log.String(), "debate finished")
	t.Logf("replica a ran %d debates, b %d", ranA, ranB)
	if ranA+ranB != n {
		t.Errorf("%d + %d debates finished, want %d", ranA, ranB, n)
	}

	// A graceful stop mid-debate.
	id := sb.start(`{"problem": "Slow one", "models": ["openai:slow", "openai:slow"], "mode": "standard"}`)
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var owner int
	waitFor(t, 30*time.Second, "round 1 answered", func() bool {
		events, err := st.Events(context.Background(), id)
		if err != nil {
			return false
		}
		in2 := false
		for _, e := range events {
			in2 = in2 || e.Kind == debate.KindRoundStarted && e.Round == 2
		}
		if !in2 {
			return false
		}
		sum, _ := st.Get(context.Background(), id)
		owner = sum.Owner.PID
		return owner != 0
	})
	stopping, other := a, b
	if b.cmd.Process.Pid == owner {
		stopping, other = b, a
	}
	watch := make(chan streamed, 1)
	go func() { watch <- other.served(t).follow(id, 0) }()
	stopped := time.Now()
	stopping.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-stopping.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the replica did not stop:\n%s", stopping.log.String())
	}
	if code := stopping.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("SIGTERM: exit %d\n%s", code, stopping.log.String())
	}
	got := <-watch
	if !strings.Contains(got.finished, `"completed"`) {
		t.Fatalf("finished %q\n%s", got.finished, other.log.String())
	}
	events, _ := st.Events(context.Background(), id)
	for _, e := range events {
		if e.Kind == debate.KindDebateResumed && e.At.After(stopped) {
			if took := e.At.Sub(stopped); took > 10*time.Second {
				t.Errorf("handed over %v after SIGTERM; a graceful stop should not wait for the lease", took)
			} else {
				t.Logf("handed over %v after SIGTERM", took.Round(time.Millisecond))
			}
		}
		if e.Kind == debate.KindDebateFinished && e.Finished.Status == debate.StatusInterrupted {
			t.Errorf("a team debate was recorded as interrupted")
		}
	}
}
