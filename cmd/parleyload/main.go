// Command parleyload measures parley under load in one process: N concurrent
// debates through the real OpenAI-compatible provider against an in-process fakellm
// with a fixed latency per call, every event appended to a real SQLite store. It
// prints the ratio of wall time to the debates' critical path and the peak RSS.
//
//	parleyload [-debates 1000] [-seats 3] [-latency 200ms] [-mode standard]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/provider/openai"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlite"
	"github.com/parleyhq/parley/provider"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "parleyload:", err)
		os.Exit(1)
	}
}

// answer is a realistic answer: ~2 KB of prose and the reply block.
var answer = strings.Repeat("Profile the slowest endpoints first; the evidence decides between indexes and caching. ", 24) +
	"\n```json\n{\"position\": \"profile first\", \"confidence\": 75, \"changed\": false, \"converged\": false}\n```"

const verdict = "```json\n{\"recommendation\": \"Profile first, then fix the N+1 queries\", \"confidence\": 80, \"consensus\": [\"measure\"], \"dissent\": []}\n```"

type result struct {
	wall     time.Duration
	critical time.Duration
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("parleyload", flag.ContinueOnError)
	n := fs.Int("debates", 1000, "concurrent debates")
	seats := fs.Int("seats", 3, "seats per debate")
	latency := fs.Duration("latency", 200*time.Millisecond, "latency of every model call (before the first byte)")
	modeName := fs.String("mode", "standard", "debate mode")
	sees := fs.String("sees", "", "override what rounds after the first see: full, summary or budget")
	window := fs.Int("context-window", 0, "each seat's context window in tokens (for -sees budget; 0: unknown, 32k assumed)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	blockprofile := fs.String("blockprofile", "", "write a block profile here")
	inProcess := fs.Bool("in-process", false, "models answer in-process after the latency, without HTTP (isolates parley's own cost from the HTTP stack's)")
	dbPath := fs.String("db", "", "keep the debates in this SQLite file (default: a temporary one)")
	noStore := fs.Bool("no-store", false, "do not append events to SQLite (isolates the store's share)")
	fullRecord := fs.Bool("fake-full-record", false, "let the fake server keep every call's prompt, body and headers, as it does for tests")
	memprofile := fs.String("memprofile", "", "write a heap profile here when the last debate has finished (what is still held: the store, the fake's records)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *blockprofile != "" {
		runtime.SetBlockProfileRate(1000)
		defer func() {
			f, err := os.Create(*blockprofile)
			if err == nil {
				pprof.Lookup("block").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	mode, ok := debate.BuiltinMode(*modeName)
	if !ok {
		return fmt.Errorf("unknown mode %q", *modeName)
	}
	if *sees != "" {
		for i := 1; i < len(mode.Rounds); i++ {
			mode.Rounds[i].Sees = *sees
		}
		if err := mode.Validate(); err != nil {
			return err
		}
	}

	// The fake keeps of each call only what the critical path needs (which debate,
	// which round, when): its full record of 10,000 prompts and bodies was most of
	// the memory this tool measured through HTTP, and none of it is parley's.
	var trim func(*fakellm.Call)
	if !*fullRecord {
		trim = func(c *fakellm.Call) {
			c.Prompt = fmt.Sprintf("Debate %s:\n# Round %d", debateOf(c.Prompt), roundOf(c.Prompt))
			c.System, c.Body, c.Header = "", nil, nil
		}
	}
	srv := fakellm.New(fakellm.Options{DefaultLatency: *latency, Trim: trim})
	srv.Script(fakellm.AnyModel, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		if strings.Contains(c.Prompt, "# VERDICT") {
			return fakellm.Reply{Text: verdict, ChunkSize: 256}
		}
		return fakellm.Reply{Text: answer, ChunkSize: 256}
	}})
	srv.Start()
	defer srv.Close()

	path := *dbPath
	if path == "" {
		dir, err := os.MkdirTemp("", "parleyload")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "load.db")
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return err
	}
	defer st.Close()

	inproc := &callLog{}
	var panel []debate.Participant
	for i := range *seats {
		name := fmt.Sprintf("model-%c", 'a'+i)
		var m provider.Model = openai.New(openai.Config{BaseURL: srv.URL() + "/v1", APIKey: "load", Model: name, HTTPClient: models.HTTPClient()})
		if *inProcess {
			m = sleeper(inproc, *latency)
		}
		panel = append(panel, debate.Participant{Seat: debate.Seat{Seat: string(rune('A' + i)), Model: "openai:" + name, ContextWindow: *window}, Model: m})
	}

	results := make([]result, *n)
	var tokensMu sync.Mutex
	var tokensIn, tokensOut int
	var wg sync.WaitGroup
	var failures sync.Map
	start := time.Now()
	for i := range *n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := debate.Debate{
				ID:    fmt.Sprintf("load-%05d-%d", i, time.Now().UnixNano()),
				Spec:  debate.Spec{Problem: fmt.Sprintf("Debate %d: our Django API is slow. Where do we start?", i), Mode: mode.Name, Seed: int64(i)},
				Mode:  mode,
				Panel: panel,
			}
			t0 := time.Now()
			var rb store.Batcher // as parley run records: one commit per batch with an urgent event
			d.EmitBatch = func(events []debate.Event) error {
				if *noStore {
					return nil
				}
				_, err := rb.Add(st, events...)
				return err
			}
			rec, err := debate.Run(context.Background(), d, nil)
			results[i].wall = time.Since(t0)
			if rec != nil {
				tokensMu.Lock()
				tokensIn += rec.Usage.InputTokens
				tokensOut += rec.Usage.OutputTokens
				tokensMu.Unlock()
			}
			if err == nil && rec.Status != debate.StatusCompleted {
				err = errors.New(rec.Error + " " + rec.StoppedBecause)
			}
			if err != nil {
				failures.Store(i, err)
			}
		}()
	}
	wg.Wait()
	if *memprofile != "" {
		if f, err := os.Create(*memprofile); err == nil {
			runtime.GC()
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	wall := time.Since(start)

	// Each debate's critical path, from the fake server's own timing of its calls.
	type phase struct {
		debate string
		round  int
	}
	slowest := map[phase]time.Duration{}
	calls := inproc.calls
	for _, c := range srv.Calls() {
		calls = append(calls, timedCall{c.Prompt, c.Start, c.End})
	}
	for _, c := range calls {
		p := phase{debateOf(c.prompt), roundOf(c.prompt)}
		if d := c.end.Sub(c.start); d > slowest[p] {
			slowest[p] = d
		}
	}
	critical := map[string]time.Duration{}
	for p, d := range slowest {
		critical[p.debate] += d
	}
	var ratios []float64
	var crit []time.Duration
	for i := range results {
		c := critical[fmt.Sprint(i)]
		if c > 0 {
			ratios = append(ratios, float64(results[i].wall)/float64(c))
			crit = append(crit, c)
		}
	}
	sort.Float64s(ratios)
	sort.Slice(crit, func(i, j int) bool { return crit[i] < crit[j] })
	nfail := 0
	failures.Range(func(k, v any) bool {
		if nfail < 3 {
			fmt.Fprintf(out, "debate %v failed: %v\n", k, v)
		}
		nfail++
		return true
	})
	if len(ratios) == 0 {
		return errors.New("no debate finished")
	}
	median := crit[len(crit)/2]
	fmt.Fprintf(out, "debates:            %d × %d seats, mode %s, %v per call\n", *n, *seats, mode.Name, *latency)
	fmt.Fprintf(out, "failed:             %d\n", nfail)
	transport := "HTTP (OpenAI provider → in-process fakellm)"
	if *inProcess {
		transport = "in-process models (no HTTP)"
	}
	fmt.Fprintf(out, "models:             %s\n", transport)
	fmt.Fprintf(out, "model calls:        %d\n", len(calls))
	fmt.Fprintf(out, "wall, all debates:  %v\n", wall.Round(time.Millisecond))
	fmt.Fprintf(out, "critical path:      %v (median debate)\n", median.Round(time.Millisecond))
	fmt.Fprintf(out, "wall / critical:    %.3f (all debates together over the median critical path)\n", float64(wall)/float64(median))
	fmt.Fprintf(out, "per-debate ratio:   p50 %.3f  p95 %.3f  max %.3f\n", ratios[len(ratios)/2], ratios[len(ratios)*95/100], ratios[len(ratios)-1])
	fmt.Fprintf(out, "tokens per debate:  %d in, %d out\n", tokensIn / *n, tokensOut / *n)
	fmt.Fprintf(out, "peak RSS:           %s\n", peakRSS())
	if nfail > 0 {
		return fmt.Errorf("%d debates failed", nfail)
	}
	return nil
}

// sleeper is an in-process model with the same answers and latency as the fake
// server, recording its calls there so the critical path is measured the same way.
func sleeper(log *callLog, latency time.Duration) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		start := time.Now()
		t := time.NewTimer(latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return provider.Response{}, ctx.Err()
		case <-t.C:
		}
		text := answer
		if strings.Contains(req.Prompt, "# VERDICT") {
			text = verdict
		}
		if onDelta != nil {
			onDelta(text)
		}
		log.add(req.Prompt, start, time.Now())
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: len(req.Prompt) / 4, OutputTokens: len(text) / 4}}, nil
	})
}

type timedCall struct {
	prompt     string
	start, end time.Time
}

// callLog times the in-process models' calls.
type callLog struct {
	mu    sync.Mutex
	calls []timedCall
}

func (l *callLog) add(prompt string, start, end time.Time) {
	l.mu.Lock()
	l.calls = append(l.calls, timedCall{prompt, start, end})
	l.mu.Unlock()
}

// debateOf reads the debate number the problem carries.
func debateOf(prompt string) string {
	i := strings.Index(prompt, "Debate ")
	if i < 0 {
		return ""
	}
	rest := prompt[i+len("Debate "):]
	j := strings.IndexByte(rest, ':')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

func roundOf(prompt string) int {
	if strings.Contains(prompt, "# VERDICT") {
		return 0
	}
	var n int
	if i := strings.Index(prompt, "# Round "); i >= 0 {
		fmt.Sscan(prompt[i+len("# Round "):], &n)
	}
	return n
}

// peakRSS is the process's high-water resident set (Linux).
func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
