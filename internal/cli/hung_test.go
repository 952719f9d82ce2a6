package cli_test

import (
	"encoding/json"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
)

// hungVersusHealthy runs the scenario through the command line against
// fakellm: three seats at latency per call, then the same with the third seat never
// answering. It returns both wall times and the hung debate's result.
func hungVersusHealthy(t testing.TB, timeout, latency time.Duration) (healthy, hung time.Duration, outs int) {
	h := newHarness(t)
	for _, m := range []string{"alpha", "beta", "gamma"} {
		h.srv.Script(m, answers(m, latency))
	}
	h.srv.Script("gamma-hang", fakellm.Script{Replies: []fakellm.Reply{{Hang: true}}})
	run := func(models string) (time.Duration, int) {
		start := time.Now()
		res := h.run("run", "-q", "--format", "json", "--timeout", timeout.String(), "-m", models, "Cache first?")
		wall := time.Since(start)
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		tt, _ := t.(*testing.T)
		if tt == nil {
			return wall, 0
		}
		rec := decodeResult(tt, res.stdout)
		if rec.Status != "completed" || rec.Verdict == nil {
			t.Fatalf("status %s", rec.Status)
		}
		return wall, len(rec.Out)
	}
	healthy, _ = run("openai:alpha,openai:beta,openai:gamma")
	hung, outs = run("openai:alpha,openai:beta,openai:gamma-hang")
	return healthy, hung, outs
}

// The issue: one hung seat with --timeout 2s held a 3-round debate for 38.9 s (4
// attempts × 3 rounds). Now it costs at most two timeouts, once.
func TestOneHungSeatCostsAtMostTwoTimeouts(t *testing.T) {
	const timeout, latency = 500 * time.Millisecond, 100 * time.Millisecond
	healthy, hung, outs := hungVersusHealthy(t, timeout, latency)
	t.Logf("healthy %v, one seat hung %v (%.2f×)", healthy, hung, float64(hung)/float64(healthy))
	if outs != 1 {
		t.Errorf("%d seats out, want 1", outs)
	}
	if limit := 2*timeout + healthy + 300*time.Millisecond; hung > limit {
		t.Errorf("with one hung seat the debate took %v, want at most %v (2 × timeout + the healthy debate's %v)", hung, limit, healthy)
	}
}

// BenchmarkHungSeat reports the wall time with one hung seat against the same
// debate with none, measured in one run: go test -bench HungSeat -benchtime 3x ./internal/cli
func BenchmarkHungSeat(b *testing.B) {
	const timeout, latency = time.Second, 300 * time.Millisecond
	var healthy, hung time.Duration
	for b.Loop() {
		h1, h2, _ := hungVersusHealthy(b, timeout, latency)
		healthy += h1
		hung += h2
	}
	b.ReportMetric(healthy.Seconds()/float64(b.N), "healthy-s")
	b.ReportMetric(hung.Seconds()/float64(b.N), "hung-s")
	b.ReportMetric(float64(hung)/float64(healthy), "hung/healthy")
}

// The issue: "resume after kill -9 keeps the dropped state". A real parley process
// drops a hung seat in round 1, is killed with SIGKILL in round 2, and is resumed:
// the dropped seat is still out and is never asked again.
func TestResumeAfterSIGKILLKeepsTheSeatOut(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("fast-a", answers("fast-a", 0))
	h.srv.Script("dead", fakellm.Script{Replies: []fakellm.Reply{{Hang: true}}})
	fastB := answers("fast-b", 0)
	var hung atomic.Bool
	waiting := make(chan struct{}) // closed when fast-b's round-2 call has begun
	h.srv.Script("fast-b", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := fastB.Func(c)
		if roundOf(c.Prompt) == 2 && !hung.Swap(true) {
			r.Latency = 30 * time.Second // the process is killed while it waits
			close(waiting)
		}
		return r
	}})

	cmd := h.startProcess("Where do we start?", "-q", "--timeout", "300ms", "-m", "openai:fast-a,openai:fast-b,openai:dead")
	awaitOrKill(t, waiting, cmd, "round 2 never got going")
	h.waitStored(t, 2, 1) // fast-a's round-2 answer
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadCalls := len(h.srv.CallsFor("dead"))
	if deadCalls == 0 {
		t.Fatal("the dead seat was never asked")
	}

	list := h.run("list", "--format", "json")
	var rows []struct{ ID string }
	if err := json.Unmarshal([]byte(list.stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("list: %v %s", err, list.stdout)
	}
	res := h.run("resume", rows[0].ID, "--format", "json")
	if res.code != 0 {
		t.Fatalf("resume exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	if rec.Status != "completed" || rec.Verdict == nil {
		t.Fatalf("resumed debate: status %s", rec.Status)
	}
	if len(rec.Out) != 1 || rec.Out[0].Model != "openai:dead" || rec.Out[0].Round != 1 {
		t.Fatalf("out after resume: %+v, want openai:dead out in round 1", rec.Out)
	}
	if n := len(h.srv.CallsFor("dead")); n != deadCalls {
		t.Errorf("the resumed debate asked the dropped seat %d more times", n-deadCalls)
	}
}
