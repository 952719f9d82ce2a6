package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/mcpserver/mcptest"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlite"
	"github.com/parleyhq/parley/provider"
)

// The Request type is internal/session's, which links the providers' SDKs: genai's
// dependency go.opencensus.io starts a worker in its init, not a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"))
}

// fake answers every round with a position and a confidence, and the verdict with a
// verdict block.
func fake(name string, confidence int) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, _ func(string)) (provider.Response, error) {
		text := fmt.Sprintf("%s says: profile first.\n```json\n{\"position\": \"profile first\", \"confidence\": %d, \"changed\": false, \"converged\": false}\n```", name, confidence)
		if strings.Contains(req.Prompt, "VERDICT") {
			text = "```json\n{\"recommendation\": \"Profile, then fix the N+1 queries\", \"confidence\": 81, \"consensus\": [\"measure first\"], \"dissent\": [], \"risks\": [\"stale caches\"], \"next_steps\": [\"install a profiler\"]}\n```"
		}
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: 10, OutputTokens: 20}}, nil
	})
}

// blocking answers round 1 and then waits for its context to end, as a slow model
// would when the client gives up.
func blocking(name string, started chan<- struct{}) provider.Model {
	var once sync.Once
	quick := fake(name, 70)
	return provider.Func(func(ctx context.Context, req provider.Request, d func(string)) (provider.Response, error) {
		if strings.Contains(req.Prompt, "Round 1 of") {
			return quick.Generate(ctx, req, d)
		}
		once.Do(func() { close(started) })
		<-ctx.Done()
		return provider.Response{}, ctx.Err()
	})
}

// backend runs debates over in-process models and a real SQLite store, the way
// the CLI's does over real providers.
type backend struct {
	st     *sqlite.Store
	models map[string]provider.Model
}

func (b *backend) run(ctx context.Context, req mcpserver.Request, progress func(debate.Event)) (*debate.Record, error) {
	name := req.Mode
	if name == "" {
		name = "standard"
	}
	mode, ok := debate.BuiltinMode(name)
	if !ok {
		return nil, fmt.Errorf("unknown mode %q", name)
	}
	refs := req.Models
	if len(refs) == 0 {
		refs = []string{"fake:a", "fake:b"}
	}
	var panel []debate.Participant
	for i, r := range refs {
		m, ok := b.models[r]
		if !ok {
			return nil, fmt.Errorf("unknown model %q", r)
		}
		panel = append(panel, debate.Participant{Seat: debate.Seat{Seat: string(rune('A' + i)), Model: r}, Model: m})
	}
	d := debate.Debate{ID: debate.NewID(), Mode: mode, Panel: panel, Spec: debate.Spec{
		Problem: req.Problem, Context: req.Context, Mode: mode.Name, Rounds: req.Rounds, RetryBase: time.Millisecond,
	}}
	return debate.Run(ctx, d, func(e debate.Event) error {
		if e.Kind.Stored() {
			if err := b.st.Append(context.Background(), e); err != nil {
				return err
			}
		}
		if progress != nil {
			progress(e)
		}
		return nil
	})
}

type harness struct {
	t        *testing.T
	b        *backend
	cs       *mcp.ClientSession
	progress *mcptest.Progress
	cancel   context.CancelFunc
	served   chan error
}

func newHarness(t *testing.T, models map[string]provider.Model) *harness {
	t.Helper()
	serverT, clientT := mcp.NewInMemoryTransports()
	return newHarnessOver(t, models, serverT, clientT)
}

// newHarnessOver connects a client to a new server over the given transports.
func newHarnessOver(t *testing.T, models map[string]provider.Model, serverT, clientT mcp.Transport) *harness {
	return newHarnessWith(t, models, serverT, clientT, nil)
}

// newHarnessWith connects a client to a new server over the given transports;
// the server reads the store through wrap when it is set.
func newHarnessWith(t *testing.T, models map[string]provider.Model, serverT, clientT mcp.Transport, wrap func(mcpserver.Store) mcpserver.Store) *harness {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, b: &backend{st: st, models: models}, progress: mcptest.New(), served: make(chan error, 1)}
	var read mcpserver.Store = st
	if wrap != nil {
		read = wrap(st)
	}
	srv := mcpserver.New(mcpserver.Options{Run: h.b.run, Resume: h.b.resume, Store: read, Version: "test",
		Models: func(context.Context) (any, error) { return []map[string]any{{"ref": "fake:a"}}, nil }})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.served <- srv.Serve(ctx, serverT) }()
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: h.progress.Handle,
	})
	cs, err := client.Connect(context.Background(), h.progress.Transport(clientT), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.cs = cs
	t.Cleanup(func() {
		cs.Close()
		select {
		case err := <-h.served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after the client closed")
		}
		cancel()
		st.Close()
	})
	return h
}

// notifications returns the progress notifications of the calls so far, once the
// client has handled every one the server sent before the last result (the client
// may hand a result back before its handler has seen the last notification).
func (h *harness) notifications() []*mcp.ProgressNotificationParams {
	h.t.Helper()
	got, ok := h.progress.Settled(5 * time.Second)
	if !ok {
		h.t.Fatalf("the client handled %d progress notifications; more came before the result", len(got))
	}
	return got
}

func (h *harness) call(ctx context.Context, tool string, args map[string]any, token any) (*mcp.CallToolResult, error) {
	p := &mcp.CallToolParams{Name: tool, Arguments: args}
	if token != nil {
		p.SetProgressToken(token)
	}
	return h.cs.CallTool(ctx, p)
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// structured decodes a result's structured content into v.
func structured(t *testing.T, res *mcp.CallToolResult, v any) {
	t.Helper()
	data, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("structured content: %v\n%s", err, data)
	}
}

func TestDebateToolReturnsVerdictAndProgress(t *testing.T) {
	h := newHarness(t, map[string]provider.Model{"fake:a": fake("a", 80), "fake:b": fake("b", 65), "fake:c": fake("c", 90)})
	res, err := h.call(context.Background(), "debate", map[string]any{
		"problem": "Our Django API is slow: where do we start?",
		"models":  []string{"fake:a", "fake:b", "fake:c"},
		"context": "p95 is 2.1 s on /orders",
	}, "tok-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	md := text(res)
	for _, want := range []string{"# Our Django API is slow", "## Verdict", "Profile, then fix the N+1 queries"} {
		if !strings.Contains(md, want) {
			t.Errorf("the text lacks %q:\n%s", want, md)
		}
	}
	var rec debate.Record
	structured(t, res, &rec)
	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil || rec.Verdict.Confidence != 81 {
		t.Fatalf("status %s, %d rounds, verdict %+v", rec.Status, len(rec.Rounds), rec.Verdict)
	}
	if rec.Context != "p95 is 2.1 s on /orders" {
		t.Errorf("context %q did not reach the spec", rec.Context)
	}

	// One notification per finished call: 3 seats × 3 rounds, then the verdict.
	got := h.notifications()
	if len(got) != 10 {
		t.Fatalf("%d progress notifications, want 10", len(got))
	}
	for i, p := range got {
		if p.ProgressToken != "tok-1" || p.Progress != float64(i+1) || p.Total != 10 {
			t.Errorf("notification %d: token %v progress %v total %v", i, p.ProgressToken, p.Progress, p.Total)
		}
	}
	seen := map[string]bool{}
	for _, p := range got[:9] {
		seen[p.Message] = true
	}
	for _, want := range []string{"round 1: seat A (fake:a) answered (confidence 80)", "round 2: seat B (fake:b) answered (confidence 65)", "round 3: seat C (fake:c) answered (confidence 90)"} {
		if !seen[want] {
			t.Errorf("no notification %q among %v", want, seen)
		}
	}
	if m := got[9].Message; m != "verdict: written by seat A (fake:a) (confidence 81)" {
		t.Errorf("last notification %q", m)
	}

	// Stored where list_debates and get_debate find it.
	list, err := h.call(context.Background(), "list_debates", nil, nil)
	if err != nil || list.IsError {
		t.Fatalf("list_debates: %v %s", err, text(list))
	}
	var rows []mcpserver.Summary
	if err := json.Unmarshal([]byte(text(list)), &rows); err != nil || len(rows) != 1 || rows[0].ID != rec.ID || rows[0].Status != debate.StatusCompleted {
		t.Fatalf("list_debates text %v: %s", err, text(list))
	}
	var out mcpserver.ListOutput
	structured(t, list, &out)
	if len(out.Debates) != 1 || out.Debates[0].Problem != rec.Problem {
		t.Errorf("list_debates structured %+v", out)
	}
	get, err := h.call(context.Background(), "get_debate", map[string]any{"id": rec.ID, "transcript": true}, nil)
	if err != nil || get.IsError {
		t.Fatalf("get_debate: %v %s", err, text(get))
	}
	var again debate.Record
	structured(t, get, &again)
	if again.ID != rec.ID || again.Verdict == nil || again.Verdict.Recommendation != rec.Verdict.Recommendation {
		t.Errorf("get_debate gave %+v", again)
	}
	if !strings.Contains(text(get), "c says: profile first.") {
		t.Errorf("get_debate with transcript lacks the answers:\n%s", text(get))
	}
}

func TestNoProgressWithoutToken(t *testing.T) {
	h := newHarness(t, map[string]provider.Model{"fake:a": fake("a", 80), "fake:b": fake("b", 65)})
	res, err := h.call(context.Background(), "debate", map[string]any{"problem": "Redis or indexes?", "rounds": 1}, nil)
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	var rec debate.Record
	structured(t, res, &rec)
	if len(rec.Rounds) != 1 || rec.Status != debate.StatusCompleted {
		t.Errorf("rounds %d status %s", len(rec.Rounds), rec.Status)
	}
	if got := h.notifications(); len(got) != 0 {
		t.Errorf("%d notifications without a progress token", len(got))
	}
}

func TestBadInputIsAToolError(t *testing.T) {
	h := newHarness(t, map[string]provider.Model{"fake:a": fake("a", 80), "fake:b": fake("b", 65)})
	cases := []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"missing problem", "debate", map[string]any{"models": []string{"fake:a", "fake:b"}}, "problem"},
		{"blank problem", "debate", map[string]any{"problem": "   "}, `"problem" is required`},
		{"unknown model", "debate", map[string]any{"problem": "q", "models": []string{"fake:a", "fake:nope"}}, `unknown model "fake:nope"`},
		{"empty model", "debate", map[string]any{"problem": "q", "models": []string{"fake:a", " "}}, `"models"[1] is empty`},
		{"unknown mode", "debate", map[string]any{"problem": "q", "mode": "shouting"}, `unknown mode "shouting"`},
		{"rounds zero", "debate", map[string]any{"problem": "q", "rounds": 0}, "rounds"},
		{"models and panel", "debate", map[string]any{"problem": "q", "models": []string{"fake:a", "fake:b"}, "panel": "fast"}, `either "models" or "panel"`},
		{"models not an array", "debate", map[string]any{"problem": "q", "models": "fake:a,fake:b"}, "models"},
		{"get without id", "get_debate", map[string]any{}, "id"},
		{"get unknown id", "get_debate", map[string]any{"id": "nope"}, `no debate with id "nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := h.call(context.Background(), tc.tool, tc.args, nil)
			if err != nil {
				t.Fatalf("a protocol error instead of a tool error: %v", err)
			}
			if !res.IsError || !strings.Contains(text(res), tc.want) {
				t.Errorf("IsError %v, text %q; want an error containing %q", res.IsError, text(res), tc.want)
			}
		})
	}
	// The server keeps serving, and nothing was stored by the bad calls.
	res, err := h.call(context.Background(), "debate", map[string]any{"problem": "Redis or indexes?", "rounds": 1}, nil)
	if err != nil || res.IsError {
		t.Fatalf("the call after the bad ones: %v %s", err, text(res))
	}
	rows, _ := h.b.st.List(context.Background(), store.ListOptions{})
	if len(rows) != 1 {
		t.Errorf("%d debates stored, want 1", len(rows))
	}
}

// waitStatus waits until the only stored debate has the status.
func waitStatus(t *testing.T, st store.Store, want debate.Status) store.Summary {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := st.List(context.Background(), store.ListOptions{})
		if err == nil && len(rows) == 1 && rows[0].Status == want {
			return rows[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("debates %+v (%v), want one %s", rows, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClientCancelInterruptsTheDebate(t *testing.T) {
	started := make(chan struct{})
	h := newHarness(t, map[string]provider.Model{"fake:a": fake("a", 80), "fake:b": blocking("b", started)})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := h.call(ctx, "debate", map[string]any{"problem": "Redis or indexes?"}, "tok")
		errc <- err
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("round 2 never started")
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("CallTool returned %v, want context.Canceled", err)
	}
	sum := waitStatus(t, h.b.st, debate.StatusInterrupted)
	events, err := h.b.st.Events(context.Background(), sum.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec := debate.Replay(events)
	if rec.StoppedBecause != debate.StopInterrupted || len(rec.Rounds) < 1 || len(rec.Rounds[0].Turns) != 2 {
		t.Errorf("stopped %q, rounds %+v", rec.StoppedBecause, rec.Rounds)
	}
	// The server goes on serving.
	res, err := h.call(context.Background(), "list_debates", map[string]any{"status": "interrupted"}, nil)
	if err != nil || res.IsError || !strings.Contains(text(res), sum.ID) {
		t.Errorf("list after the cancel: %v %s", err, text(res))
	}
}

func TestShutdownInterruptsRunningDebates(t *testing.T) {
	started := make(chan struct{})
	h := newHarness(t, map[string]provider.Model{"fake:a": fake("a", 80), "fake:b": blocking("b", started)})
	go h.call(context.Background(), "debate", map[string]any{"problem": "Redis or indexes?"}, nil)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("round 2 never started")
	}
	h.cancel() // the process is told to stop (SIGINT, SIGTERM)
	select {
	case err := <-h.served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		h.served <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return: it waits for the running debate")
	}
	waitStatus(t, h.b.st, debate.StatusInterrupted)
}

func TestClientGoneInterruptsTheDebate(t *testing.T) {
	// Pipes stand in for the agent's process: when it dies, its ends close.
	serverIn, clientOut := io.Pipe()
	clientIn, serverOut := io.Pipe()
	started := make(chan struct{})
	h := newHarnessOver(t, map[string]provider.Model{"fake:a": fake("a", 80), "fake:b": blocking("b", started)},
		&mcp.IOTransport{Reader: serverIn, Writer: serverOut}, &mcp.IOTransport{Reader: clientIn, Writer: clientOut})
	errc := make(chan error, 1)
	go func() {
		_, err := h.call(context.Background(), "debate", map[string]any{"problem": "Redis or indexes?"}, nil)
		errc <- err
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("round 2 never started")
	}
	clientOut.Close()
	clientIn.Close()
	waitStatus(t, h.b.st, debate.StatusInterrupted)
	if err := <-errc; err == nil {
		t.Error("the call succeeded after the client was gone")
	}
}

func TestFailedDebateIsFlagged(t *testing.T) {
	down := provider.Func(func(context.Context, provider.Request, func(string)) (provider.Response, error) {
		return provider.Response{}, &provider.Error{Class: provider.ClassAuth, Message: "not logged in"}
	})
	h := newHarness(t, map[string]provider.Model{"fake:a": fake("a", 80), "fake:down": down})
	res, err := h.call(context.Background(), "debate", map[string]any{"problem": "q", "models": []string{"fake:a", "fake:down"}}, "t")
	if err != nil {
		t.Fatal(err)
	}
	// One seat answered: a degraded verdict, flagged in the text but not an error.
	if res.IsError || !strings.HasPrefix(text(res), "Degraded verdict: only 1 of 2 seats (A)") {
		t.Errorf("IsError %v, text:\n%s", res.IsError, text(res))
	}
	var rec debate.Record
	structured(t, res, &rec)
	if rec.Status != debate.StatusDegraded || rec.Verdict == nil {
		t.Errorf("status %s verdict %v", rec.Status, rec.Verdict)
	}
	var failed bool
	for _, p := range h.notifications() { // seat A answers, seat B fails, and one seat cannot go on
		if strings.Contains(p.Message, "seat B (fake:down) failed after 1 attempt(s) (auth)") {
			failed = true
		}
	}
	if !failed {
		t.Errorf("no notification of the failed turn: %v", h.notifications())
	}
}

func TestToolsAreDescribed(t *testing.T) {
	h := newHarness(t, nil)
	res, err := h.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		byName[tool.Name] = tool
	}
	d := byName["debate"]
	if d == nil || byName["list_debates"] == nil || byName["get_debate"] == nil || len(res.Tools) != 9 {
		t.Fatalf("tools %v", res.Tools)
	}
	if d.Description != mcpserver.DebateDescription || d.OutputSchema == nil {
		t.Errorf("debate tool: %+v", d)
	}
	schema, _ := json.Marshal(d.InputSchema)
	for _, want := range []string{`"required":["problem"]`, `"models":{`, `"items":{"type":"string"}`, `"mode":{`, `"rounds":{`, `"context":{`, `"panel":{`} {
		if !strings.Contains(string(schema), want) {
			t.Errorf("input schema lacks %s: %s", want, schema)
		}
	}
}

// The docs quote the tool's description word for word: an agent's user reading
// docs/MCP.md sees what the agent sees.
func TestDocsQuoteTheDescription(t *testing.T) {
	data, err := os.ReadFile("../../docs/MCP.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), mcpserver.DebateDescription) {
		t.Error("docs/MCP.md does not contain mcpserver.DebateDescription verbatim; update one from the other")
	}
}
