package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/sse"
	"github.com/parleyhq/parley/internal/store/postgres/pgtest"
)

// TestServeLoad puts a `parley serve` process under load: many concurrent debates
// (three seats, the standard mode's three rounds and a verdict, against fakellm
// with a fixed latency and streamed answers), each followed by two SSE watchers
// from its first event to its finish. It fails on any error: a refused request, a
// stream that ends without "finished", a watcher that missed or repeated a stored
// event. It reports the wall time, the latency from an event's creation in the
// server to its arrival at a watcher, and the server's peak RSS.
//
// By default it runs a small load (5 debates, 10 watchers) so that it guards the
// path in every test run. PARLEY_LOAD=1 runs the measured load of docs/BENCHMARKS.md:
// 50 debates and 100 watchers; PARLEY_LOAD_DEBATES and PARLEY_LOAD_LATENCY change
// it, and PARLEY_LOAD_POSTGRES=1 runs the server as a team replica on
// PARLEY_TEST_POSTGRES instead of SQLite. Run it without -race to measure.
func TestServeLoad(t *testing.T) {
	debates, watchersPer := 5, 2
	latency := 100 * time.Millisecond
	if os.Getenv("PARLEY_LOAD") == "1" {
		debates = 50
		latency = 300 * time.Millisecond
	}
	if v := os.Getenv("PARLEY_LOAD_DEBATES"); v != "" {
		debates, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("PARLEY_LOAD_LATENCY"); v != "" {
		latency, _ = time.ParseDuration(v)
	}
	h := newHarness(t)
	h.srv.Script(fakellm.AnyModel, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := answers(c.Model, latency).Func(c)
		r.ChunkDelay = 5 * time.Millisecond // a streamed answer: a delta every 5 ms
		return r
	}})
	args := []string{"--max-debates", strconv.Itoa(debates + 10)}
	store := "SQLite"
	if os.Getenv("PARLEY_LOAD_POSTGRES") == "1" {
		args = append(args, "--db", pgtest.Schema(t))
		store = "PostgreSQL (team replica)"
	}
	rep := startReplica(t, h, args...)
	s := rep.served(t)
	s.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}}

	type watch struct {
		seqs      []int
		latencies []time.Duration
		deltas    int
		finished  string
		err       error
	}
	var (
		mu      sync.Mutex
		watches []*watch
		wg      sync.WaitGroup
		errs    []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	follow := func(id string, w *watch) {
		defer wg.Done()
		req, _ := http.NewRequest("GET", s.base+"/api/debates/"+id+"/events", nil)
		res, err := s.client.Do(req)
		if err != nil {
			w.err = err
			return
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			w.err = fmt.Errorf("status %d", res.StatusCode)
			return
		}
		done := false
		_, err = sse.ReadAll(res.Body, func(ev sse.Event) bool {
			now := time.Now()
			if ev.Name == "" {
				return false
			}
			if ev.Name == "finished" {
				w.finished, done = ev.Data, true
				return true
			}
			var e debate.Event
			if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
				w.err = err
				return true
			}
			w.latencies = append(w.latencies, now.Sub(e.At))
			if e.Kind == debate.KindTurnDelta {
				w.deltas++
			} else {
				w.seqs = append(w.seqs, e.Seq)
			}
			return false
		})
		if !done && w.err == nil {
			w.err = fmt.Errorf("stream ended without finished: %v", err)
		}
	}

	start := time.Now()
	var startWG sync.WaitGroup
	for i := range debates {
		startWG.Add(1)
		go func() {
			defer startWG.Done()
			body := fmt.Sprintf(`{"problem": "Load question %d: Redis, indexes or query work?", "models": ["openai:m-a", "openai:m-b", "openai:m-c"], "mode": "standard"}`, i)
			req, _ := http.NewRequest("POST", s.base+"/api/debates", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			res, err := s.client.Do(req)
			if err != nil {
				fail("POST: %v", err)
				return
			}
			var out struct{ ID, Error string }
			json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if res.StatusCode != http.StatusAccepted {
				fail("POST: %d %s", res.StatusCode, out.Error)
				return
			}
			for range watchersPer {
				w := &watch{}
				mu.Lock()
				watches = append(watches, w)
				mu.Unlock()
				wg.Add(1)
				go follow(out.ID, w)
			}
		}()
	}
	startWG.Wait()
	wg.Wait()
	wall := time.Since(start)
	rss := peakRSS(rep.cmd.Process.Pid)

	var lat []time.Duration
	deltas, stored := 0, 0
	for _, w := range watches {
		switch {
		case w.err != nil:
			fail("watcher: %v", w.err)
		case !strings.Contains(w.finished, `"completed"`):
			fail("watcher: finished %q", w.finished)
		}
		for i, seq := range w.seqs {
			if seq != i+1 {
				fail("watcher: seqs %v are not 1..n", w.seqs)
				break
			}
		}
		lat = append(lat, w.latencies...)
		deltas += w.deltas
		stored += len(w.seqs)
	}
	if len(watches) != debates*watchersPer {
		fail("%d watchers, want %d", len(watches), debates*watchersPer)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))].Round(100 * time.Microsecond)
	}
	// The critical path of one debate: 4 sequential calls (3 rounds and the verdict).
	t.Logf("store %s; %d debates × 3 seats (standard: 3 rounds + verdict), %d SSE watchers, fakellm latency %v + streaming",
		store, debates, len(watches), latency)
	t.Logf("wall %v (one debate's critical path ≥ %v); %d stored events and %d deltas delivered",
		wall.Round(time.Millisecond), 4*latency, stored, deltas)
	t.Logf("event latency (created in the server → read by a watcher): p50 %v, p95 %v, p99 %v, max %v",
		pct(0.50), pct(0.95), pct(0.99), pct(1))
	t.Logf("errors %d; server peak RSS %s", len(errs), rss)
	for _, e := range errs {
		t.Error(e)
	}
}

// peakRSS reads a process's high-water resident set size from /proc.
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
