package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
)

// The in-process wall-time test (walltime_test.go) leaves out everything a user
// waits for before main and after the verdict: the process's start (package
// initialisation of every SDK linked in), the config, opening the database, the
// report. These tests run the built binary as a user does: `go build` once, then a
// separate `parley` process per debate against fakellm on loopback.

var (
	builtOnce sync.Once
	builtPath string
	builtErr  error
	builtOut  []byte
)

// builtParley builds ./cmd/parley once per test binary, as it ships: CGO_ENABLED=0 and
// no race detector, even when these tests run under -race. The figure is the one a
// user waits for; a race-instrumented child spends most of its time in the
// instrumented SQLite (modernc.org/sqlite is transpiled C) and measured 2.14× for
// the same debate that takes 1.10× as shipped. The race detector still covers this
// code through the in-process tests.
//
// PARLEY_TEST_BINARY names a binary to measure instead (a build of another
// commit, for before/after figures measured in one run). It is measured from a
// fresh copy: on the CI VM a binary whose file has sat in the page cache for half
// an hour starts ~10 ms slower than a copy of the same bytes (docs/BENCHMARKS.md,
// session 26), which would favour whichever build was made last.
func builtParley(tb testing.TB) string {
	tb.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "parley-bin-")
		if err != nil {
			builtErr = err
			return
		}
		builtPath = filepath.Join(dir, "parley")
		if bin := os.Getenv("PARLEY_TEST_BINARY"); bin != "" {
			builtErr = copyExecutable(bin, builtPath)
			return
		}
		cmd := exec.Command("go", "build", "-o", builtPath, "github.com/parleyhq/parley/cmd/parley")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		builtOut, builtErr = cmd.CombinedOutput()
	})
	if builtErr != nil {
		tb.Fatalf("the parley binary (go build ./cmd/parley, or a copy of PARLEY_TEST_BINARY): %v\n%s", builtErr, builtOut)
	}
	return builtPath
}

func copyExecutable(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// processEnv is the environment of a parley process in a clean home against srv.
func processEnv(dir string, srv *fakellm.Server) []string {
	return []string{
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"PARLEY_DB=" + filepath.Join(dir, "parley.db"),
		"OPENAI_BASE_URL=" + srv.URL() + "/v1",
		"OPENAI_API_KEY=" + secretKey,
		"PARLEY_RETRY_BASE=20ms",
		"OLLAMA_HOST=127.0.0.1:1",
		"PATH=",
	}
}

// runProcess runs the binary once and returns its wall time, from fork to exit.
func runProcess(tb testing.TB, bin string, env []string, args ...string) time.Duration {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		tb.Fatalf("parley %v: %v\n%s", args, err, errb.String())
	}
	return wall
}

// processRun is one debate run as its own process.
type processRun struct {
	wall, critical time.Duration
	// beforeFirst is from the fork to the first model call's arrival at the fake
	// server (start-up, config, database, provider set-up, the prompt); afterLast
	// from the last call's end to the process's exit (saving, the report, exit).
	beforeFirst, afterLast time.Duration
	// between is the sum, over the phases after the first, of the gap from the
	// previous phase's last answer to this phase's first call: the engine folding
	// the answers, committing them and composing the next prompts.
	between time.Duration
}

func (r processRun) ratio() float64 { return float64(r.wall) / float64(r.critical) }

// processDebate runs one standard 3-seat debate (latency per call) as its own
// process, its database already created.
func processDebate(tb testing.TB, bin string, latency time.Duration) processRun {
	tb.Helper()
	srv := fakellm.Start(tb, fakellm.Options{RequireKey: secretKey})
	for _, m := range []string{"a", "b", "c"} {
		srv.Script(m, answers(m, latency))
	}
	dir := tb.TempDir()
	env := processEnv(dir, srv)
	// The database exists already in steady use: create it outside the timing.
	runProcess(tb, bin, env, "list")
	srv.Reset()
	for _, m := range []string{"a", "b", "c"} {
		srv.Script(m, answers(m, latency))
	}
	start := time.Now()
	wall := runProcess(tb, bin, env, "Our Django API is slow: where do we start?", "-m", "openai:a,openai:b,openai:c", "-q", "--format", "json")
	end := start.Add(wall)
	calls := srv.Calls()
	if len(calls) == 0 {
		tb.Fatal("the debate made no model call")
	}
	first, last := calls[0].Start, calls[0].End
	for _, c := range calls {
		if c.Start.Before(first) {
			first = c.Start
		}
		if c.End.After(last) {
			last = c.End
		}
	}
	return processRun{wall: wall, critical: criticalPath(calls), beforeFirst: first.Sub(start), afterLast: end.Sub(last), between: betweenPhases(calls)}
}

// betweenPhases sums the gaps between consecutive phases (rounds 1, 2, 3, then the
// verdict, which roundOf numbers 0).
func betweenPhases(calls []fakellm.Call) time.Duration {
	type span struct{ first, last time.Time }
	phases := map[int]*span{}
	for _, c := range calls {
		n := roundOf(c.Prompt)
		if n == 0 {
			n = 1 << 20 // the verdict comes last
		}
		sp := phases[n]
		if sp == nil {
			phases[n] = &span{c.Start, c.End}
			continue
		}
		if c.Start.Before(sp.first) {
			sp.first = c.Start
		}
		if c.End.After(sp.last) {
			sp.last = c.End
		}
	}
	order := make([]int, 0, len(phases))
	for n := range phases {
		order = append(order, n)
	}
	sort.Ints(order)
	var sum time.Duration
	for i := 1; i < len(order); i++ {
		sum += phases[order[i]].first.Sub(phases[order[i-1]].last)
	}
	return sum
}

// TestProcessWallTimeNearCriticalPath: the whole `parley` process, start-up, database
// and report included, takes at most 1.10× the debate's critical path (3 seats at
// 300 ms, 4 phases). Under -race the limit is 1.25×: the binary is the same, but
// `go test -race ./...` runs the other packages' instrumented tests beside it on
// the same cores.
func TestProcessWallTimeNearCriticalPath(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test: builds and runs the binary")
	}
	limit := 1.10
	if raceEnabled {
		limit = 1.25
	}
	bin := builtParley(t)
	ahead(t)
	// The machine is shared: noise only ever makes a run slower, so the best of a few
	// runs is the code's own figure.
	best := 0.0
	for attempt := 1; attempt <= 4; attempt++ {
		r := processDebate(t, bin, 300*time.Millisecond)
		if r.critical < 4*300*time.Millisecond {
			t.Fatalf("critical path %v is shorter than 4 phases of 300ms: the measurement is broken", r.critical)
		}
		t.Logf("run %d: wall %v, critical path %v, ratio %.3f (before the first call %v, between phases %v, after the last %v)",
			attempt, r.wall, r.critical, r.ratio(), r.beforeFirst, r.between, r.afterLast)
		if best == 0 || r.ratio() < best {
			best = r.ratio()
		}
		if best <= limit {
			break
		}
	}
	if best > limit {
		t.Errorf("the parley process takes %.3f× the critical path, want ≤ %.2f", best, limit)
	}
}

// TestProcessVersionFast: `parley version`, the cheapest command, is all start-up.
// It runs under the race detector too (the binary is built without it), so in CI
// it shares two cores with the package's other tests and other packages'
// instrumented ones: the limit, best of 15, is 70 ms, against 50–66 ms measured
// that way on a loaded 2-core VM (docs/BENCHMARKS.md: gonum/plot's font parsing
// added 4.7 ms to every process's init since the 60 ms this limit once was);
// glamour's chroma alone put it at 73 ms on a quiet one. The exact guard against heavy package init is
// TestProcessInitBudget, which does not depend on the machine's load.
func TestProcessVersionFast(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test: builds and runs the binary")
	}
	limit := 70 * time.Millisecond
	if raceEnabled {
		// `go test -race ./...` runs the other packages' instrumented tests on the
		// same two cores: the full suite measured 73.5 ms where this package alone
		// measured 46 ms. The binary is the same; the allocation budget below is
		// the load-proof guard.
		limit = 100 * time.Millisecond
	}
	bin := builtParley(t)
	ahead(t)
	env := []string{"HOME=" + t.TempDir(), "PATH="}
	best := versionBest(t, bin, env, 15)
	t.Logf("parley version: best of 15 %v (GOMAXPROCS %d)", best, runtime.GOMAXPROCS(0))
	if best > limit {
		t.Errorf("parley version takes %v, want ≤ %v", best, limit)
	}
}

// versionTrace runs `parley version` in a clean home with GODEBUG=godebug and
// returns what the runtime traced to stderr.
func versionTrace(tb testing.TB, bin, godebug string) string {
	tb.Helper()
	cmd := exec.Command(bin, "version")
	cmd.Env = []string{"HOME=" + tb.TempDir(), "PATH=", "GODEBUG=" + godebug}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		tb.Fatalf("parley version: %v\n%s", err, errb.String())
	}
	return errb.String()
}

// initTotals runs `parley version` with GODEBUG=inittrace=1 and returns the
// memory allocated by package initialisation, in all and per package. Unlike
// the time, the allocations of init are the same on every run and every
// machine, so a budget on them is a test that load cannot make flaky.
func initTotals(tb testing.TB, bin string) (bytesTotal, allocsTotal int, perPackage map[string]int) {
	tb.Helper()
	trace := versionTrace(tb, bin, "inittrace=1")
	perPackage = map[string]int{}
	// init github.com/foo/bar @12 ms, 0.5 ms clock, 1234 bytes, 5 allocs
	for _, line := range strings.Split(trace, "\n") {
		f := strings.Fields(line)
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		b, err1 := strconv.Atoi(f[7])
		a, err2 := strconv.Atoi(f[9])
		if err1 != nil || err2 != nil {
			tb.Fatalf("unreadable inittrace line %q", line)
		}
		bytesTotal += b
		allocsTotal += a
		perPackage[f[1]] = b
	}
	if len(perPackage) < 50 {
		tb.Fatalf("inittrace listed %d packages: the format changed?\n%s", len(perPackage), trace)
	}
	return bytesTotal, allocsTotal, perPackage
}

// TestProcessInitBudget: package initialisation, paid by every command on every
// start, allocates at most 4 MiB in 25,000 allocations (3.75 MB and 23,401
// measured; with glamour, whose chroma registers every lexer and style at init,
// it was 9.0 MB and 93,000; with OpenCensus, which cloud.google.com/go/auth v0.9
// brought in under genai, 4.47 MB), and links neither a syntax highlighter
// nor OpenCensus.
func TestProcessInitBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := builtParley(t)
	b, a, per := initTotals(t, bin)
	t.Logf("package init: %d packages, %.2f MB, %d allocations", len(per), float64(b)/1e6, a)
	for pkg := range per {
		if strings.Contains(pkg, "alecthomas/chroma") || strings.Contains(pkg, "glamour") {
			t.Errorf("%s is linked: it registers its lexers and styles at every start (internal/termmd renders the report)", pkg)
		}
		if strings.HasPrefix(pkg, "go.opencensus.io/") {
			t.Errorf("%s is linked: its inits compile regexps and build 0.8 MB of tables at every start; cloud.google.com/go/auth v0.24 (under genai) leaves it out where v0.9 linked it", pkg)
		}
	}
	if b > 4<<20 || a > 25000 { // 3.75 MB / 23,401 with goldmark+bluemonday (web UI, HTML report) linked
		type pkgBytes struct {
			name string
			n    int
		}
		var top []pkgBytes
		for k, v := range per {
			top = append(top, pkgBytes{k, v})
		}
		sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n })
		t.Errorf("package init allocates %d bytes in %d allocations, want ≤ 4 MiB and ≤ 25000; largest: %v", b, a, top[:min(5, len(top))])
	}
}

// TestProcessStartup: the two start-up measures of package startup act early
// enough to matter (docs/STARTUP.md). Its init, which starts the prefault and
// holds the collector, runs among the first tenth of the package inits, and no
// garbage collection runs from there to main: Go initialises packages in an order that a new import
// can move, and each measure is worth 2–10 ms of every command.
func TestProcessStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	var inits []string
	gcAfter := map[int]bool{} // a collection after the nth init
	for _, line := range strings.Split(versionTrace(t, builtParley(t), "inittrace=1,gctrace=1"), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 2 && f[0] == "init":
			inits = append(inits, f[1])
		case len(f) > 2 && f[0] == "gc" && strings.HasPrefix(f[2], "@"):
			gcAfter[len(inits)] = true
		}
	}
	at := func(pkg string) int {
		for i, p := range inits {
			if p == pkg {
				return i + 1
			}
		}
		t.Fatalf("inittrace lists no %s among %d packages", pkg, len(inits))
		return 0
	}
	pre := at("github.com/parleyhq/parley/internal/startup")
	t.Logf("%d package inits: package startup's is the %dth", len(inits), pre)
	if pre > len(inits)/10 {
		t.Errorf("package startup is initialised %dth of %d, want within the first tenth: has it gained an import?", pre, len(inits))
	}
	for n := pre; n < len(inits); n++ {
		if gcAfter[n] {
			t.Errorf("a collection ran after init %d (%s), while package startup holds the collector off until main", n, inits[n-1])
		}
	}
}

func versionBest(tb testing.TB, bin string, env []string, n int) time.Duration {
	var walls []time.Duration
	for range n {
		walls = append(walls, runProcess(tb, bin, env, "version"))
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	return walls[0]
}

// BenchmarkProcessDebate reports the whole parley process against the critical
// path (docs/BENCHMARKS.md): best and median of b.N debates of 3 seats at 300 ms
// a call, and where the rest goes (before the first call, after the last).
func BenchmarkProcessDebate(b *testing.B) {
	bin := builtParley(b)
	var runs []processRun
	for b.Loop() {
		runs = append(runs, processDebate(b, bin, 300*time.Millisecond))
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ratio() < runs[j].ratio() })
	best, median := runs[0], runs[len(runs)/2]
	b.ReportMetric(best.ratio(), "best-wall/critical")
	b.ReportMetric(median.ratio(), "median-wall/critical")
	b.ReportMetric(ms(best.wall-best.critical), "best-overhead-ms")
	b.ReportMetric(ms(median.beforeFirst), "median-before-first-call-ms")
	b.ReportMetric(ms(median.afterLast), "median-after-last-call-ms")
	b.ReportMetric(ms(median.between), "median-between-phases-ms")
}

// BenchmarkProcessVersion reports `parley version`, all start-up: best and median
// of 20 runs per iteration.
func BenchmarkProcessVersion(b *testing.B) {
	bin := builtParley(b)
	env := []string{"HOME=" + b.TempDir(), "PATH="}
	var walls []time.Duration
	for b.Loop() {
		for range 20 {
			walls = append(walls, runProcess(b, bin, env, "version"))
		}
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	b.ReportMetric(ms(walls[0]), "best-ms")
	b.ReportMetric(ms(walls[len(walls)/2]), "median-ms")
	bytesTotal, allocs, _ := initTotals(b, bin)
	b.ReportMetric(float64(bytesTotal)/1e6, "init-MB")
	b.ReportMetric(float64(allocs), "init-allocs")
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
