package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/mcpserver/mcptest"
	"github.com/parleyhq/parley/internal/session"
)

const mcpTestKey = "sk-mcp-9c41d7e2b8a05f3e6d1c4b7a2e9f0d38"

// mcpEnv is a clean environment around a fake model server: its own HOME, config
// and database, nothing detected but what a test puts there.
type mcpEnv struct {
	srv    *fakellm.Server
	dir    string
	env    map[string]string
	stderr bytes.Buffer
}

func newMCPEnv(t *testing.T, opts fakellm.Options) *mcpEnv {
	t.Helper()
	opts.RequireKey = mcpTestKey
	srv := fakellm.Start(t, opts)
	dir := t.TempDir()
	return &mcpEnv{srv: srv, dir: dir, env: map[string]string{
		"HOME":              dir,
		"XDG_CONFIG_HOME":   filepath.Join(dir, "config"),
		"XDG_DATA_HOME":     filepath.Join(dir, "data"),
		"XDG_CACHE_HOME":    filepath.Join(dir, "cache"),
		"PARLEY_DB":         filepath.Join(dir, "parley.db"),
		"OPENAI_BASE_URL":   srv.URL() + "/v1",
		"OPENAI_API_KEY":    mcpTestKey,
		"PARLEY_RETRY_BASE": "20ms",
		"OLLAMA_HOST":       "127.0.0.1:1",
		"PATH":              "",
	}}
}

func (e *mcpEnv) io() IO {
	return IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &e.stderr, Env: func(k string) string { return e.env[k] }}
}

// parley runs a command in-process, as the user would after the agent is done.
func (e *mcpEnv) parley(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	io := IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return e.env[k] }}
	code := Main(context.Background(), args, io)
	return code, out.String(), errb.String()
}

// environ is the environment for a parley subprocess.
func (e *mcpEnv) environ() []string {
	var out []string
	for k, v := range e.env {
		out = append(out, k+"="+v)
	}
	return out
}

// scriptPanel makes each model answer every round with its confidence, and the
// verdict with a fixed recommendation.
func (e *mcpEnv) scriptPanel(confidence map[string]int) {
	for model, c := range confidence {
		e.srv.Script(model, fakellm.Script{Func: func(call fakellm.Call) fakellm.Reply {
			if strings.Contains(call.Prompt, "VERDICT") {
				return fakellm.Reply{Text: "```json\n{\"recommendation\": \"Add the missing index on orders.customer_id\", \"confidence\": 77, \"consensus\": [\"the index\"], \"disagreements\": [], \"dissent\": [], \"risks\": [\"write amplification\"], \"next_steps\": [\"EXPLAIN ANALYZE first\"]}\n```"}
			}
			return fakellm.Reply{Text: fmt.Sprintf("%s: the index.\n```json\n{\"position\": \"add the index\", \"confidence\": %d, \"changed\": false, \"converged\": false}\n```", call.Model, c)}
		}})
	}
}

// mcpClient is an MCP client session with the progress notifications it received.
type mcpClient struct {
	cs       *mcp.ClientSession
	progress *mcptest.Progress
}

func (c *mcpClient) notifications() []*mcp.ProgressNotificationParams {
	return c.progress.Got()
}

// awaitNotifications returns the progress notifications of the calls so far, once
// the client has handled every one the server sent before the last result: the
// SDK's client may hand the result back before its handler has seen the last one.
func (c *mcpClient) awaitNotifications(t *testing.T) []*mcp.ProgressNotificationParams {
	t.Helper()
	got, ok := c.progress.Settled(5 * time.Second)
	if !ok {
		t.Fatalf("the client handled %d progress notifications; more came before the result", len(got))
	}
	return got
}

// connect serves parley's MCP server in-process over the SDK's in-memory
// transports, wired exactly as `parley mcp` wires it, and connects a client.
func (e *mcpEnv) connect(t *testing.T, o mcpOptions) *mcpClient {
	t.Helper()
	serverT, clientT := mcp.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveMCP(ctx, e.io(), o, serverT) }()
	c := &mcpClient{progress: mcptest.New()}
	client := mcp.NewClient(&mcp.Implementation{Name: "parley-test", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: c.progress.Handle,
	})
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	cs, err := client.Connect(cctx, c.progress.Transport(clientT), nil)
	if err != nil {
		cancel()
		t.Fatalf("connect: %v", err)
	}
	c.cs = cs
	t.Cleanup(func() {
		cs.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serveMCP: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the server did not stop after the client left")
		}
		cancel()
		if e.stderr.Len() > 0 {
			t.Errorf("the server wrote to stderr:\n%s", e.stderr.String())
		}
	})
	return c
}

func (c *mcpClient) call(ctx context.Context, tool string, args map[string]any, token any) (*mcp.CallToolResult, error) {
	p := &mcp.CallToolParams{Name: tool, Arguments: args}
	if token != nil {
		p.SetProgressToken(token)
	}
	return c.cs.CallTool(ctx, p)
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func resultRecord(t *testing.T, res *mcp.CallToolResult) (debate.Record, string) {
	t.Helper()
	data, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var rec debate.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("structured content is not the JSON result: %v\n%s", err, data)
	}
	return rec, string(data)
}

func TestMCPDebateOverInMemoryTransport(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	e.scriptPanel(map[string]int{"gpt-5": 80, "o4-mini": 70})
	c := e.connect(t, mcpOptions{})

	res, err := c.call(context.Background(), "debate", map[string]any{
		"problem": "Our orders endpoint is slow: cache, index or rewrite the query?",
		"models":  []string{"openai:gpt-5", "openai:o4-mini"},
		"context": "EXPLAIN shows a sequential scan on orders (40M rows).",
	}, "progress-1")
	if err != nil {
		t.Fatal(err)
	}
	md := resultText(res)
	if res.IsError {
		t.Fatalf("tool error:\n%s", md)
	}
	for _, want := range []string{"# Our orders endpoint is slow", "## Verdict", "Add the missing index on orders.customer_id"} {
		if !strings.Contains(md, want) {
			t.Errorf("the verdict text lacks %q:\n%s", want, md)
		}
	}
	rec, raw := resultRecord(t, res)
	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil || rec.Verdict.Recommendation != "Add the missing index on orders.customer_id" || rec.Verdict.Confidence != 77 {
		t.Fatalf("status %s, %d rounds, verdict %+v", rec.Status, len(rec.Rounds), rec.Verdict)
	}
	if len(rec.Panel) != 2 || rec.Panel[0].Model != "openai:gpt-5" || rec.Panel[1].Model != "openai:o4-mini" {
		t.Errorf("panel %+v", rec.Panel)
	}
	for _, r := range rec.Rounds {
		if len(r.Turns) != 2 {
			t.Errorf("round %d has %d turns", r.Number, len(r.Turns))
		}
	}

	// The caller's context reached every participant as quoted material.
	for _, call := range e.srv.Calls() {
		if !strings.Contains(call.Prompt, "EXPLAIN shows a sequential scan on orders (40M rows).") {
			t.Errorf("a %s prompt lacks the caller's context", call.Model)
			break
		}
	}

	// One notification per finished turn (2 seats × 3 rounds), then the verdict's.
	got := c.awaitNotifications(t)
	if len(got) != 7 {
		t.Fatalf("%d progress notifications, want 7: %v", len(got), got)
	}
	want := map[string]bool{}
	for r := 1; r <= 3; r++ {
		want[fmt.Sprintf("round %d: seat A (openai:gpt-5) answered (confidence 80)", r)] = true
		want[fmt.Sprintf("round %d: seat B (openai:o4-mini) answered (confidence 70)", r)] = true
	}
	for i, p := range got[:6] {
		if !want[p.Message] {
			t.Errorf("notification %d: %q", i, p.Message)
		}
		delete(want, p.Message)
	}
	if got[6].Message != "verdict: written by seat A (openai:gpt-5) (confidence 77)" {
		t.Errorf("last notification %q", got[6].Message)
	}
	for i, p := range got {
		if p.ProgressToken != "progress-1" || p.Progress != float64(i+1) || p.Total != 7 {
			t.Errorf("notification %d: token %v, progress %v of %v", i, p.ProgressToken, p.Progress, p.Total)
		}
	}

	// Stored in the CLI's database: list, show and the MCP answer agree.
	code, out, errs := e.parley("list", "--format", "json")
	if code != 0 || !strings.Contains(out, rec.ID) {
		t.Errorf("parley list (%d): %s %s", code, out, errs)
	}
	list, err := c.call(context.Background(), "list_debates", nil, nil)
	if err != nil || list.IsError || resultText(list) != out {
		t.Errorf("list_debates differs from parley list --format json: %v\n--- tool\n%s\n--- cli\n%s", err, resultText(list), out)
	}
	code, out, _ = e.parley("show", rec.ID)
	if code != 0 || out != md {
		t.Errorf("parley show differs from the tool's text:\n--- tool\n%s\n--- show\n%s", md, out)
	}
	if strings.Contains(md+raw, mcpTestKey) {
		t.Error("the API key is in the tool's result")
	}
}

func TestMCPBadInputThenAGoodCall(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	c := e.connect(t, mcpOptions{})
	cases := []struct {
		name string
		args map[string]any
		want string
	}{
		{"missing problem", map[string]any{"models": []string{"openai:a", "openai:b"}}, `missing properties: ["problem"]`},
		{"unknown provider", map[string]any{"problem": "q", "models": []string{"openia:gpt-5", "openai:b"}}, `unknown provider "openia"`},
		{"ref without provider", map[string]any{"problem": "q", "models": []string{"gpt-5", "openai:b"}}, "PROVIDER:MODEL"},
		{"one model", map[string]any{"problem": "q", "models": []string{"openai:a"}}, "at least 2 models"},
		{"unknown mode", map[string]any{"problem": "q", "mode": "shouting"}, `unknown mode "shouting"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.call(context.Background(), "debate", tc.args, nil)
			if err != nil {
				t.Fatalf("a protocol error instead of a tool error: %v", err)
			}
			if !res.IsError || !strings.Contains(resultText(res), tc.want) {
				t.Errorf("IsError %v, text %q, want an error with %q", res.IsError, resultText(res), tc.want)
			}
		})
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("bad input made %d model calls", n)
	}
	res, err := c.call(context.Background(), "debate", map[string]any{"problem": "Cache or index?", "models": []string{"openai:a", "openai:b"}, "rounds": 1}, nil)
	if err != nil || res.IsError {
		t.Fatalf("the good call after the bad ones: %v\n%s", err, resultText(res))
	}
	if rec, _ := resultRecord(t, res); rec.Status != debate.StatusCompleted || len(rec.Rounds) != 1 {
		t.Errorf("status %s, %d rounds", rec.Status, len(rec.Rounds))
	}
}

func TestMCPCancelLeavesADebateToResume(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	e.scriptPanel(map[string]int{"fast": 80})
	fast := e.srv // the slow seat hangs in round 2 the first time only
	var hung atomic.Bool
	fast.Script("slow", fakellm.Script{Func: func(call fakellm.Call) fakellm.Reply {
		r := fakellm.Reply{Text: "slow: the index.\n```json\n{\"position\": \"add the index\", \"confidence\": 60}\n```"}
		if strings.Contains(call.Prompt, "Round 2 of") && !hung.Swap(true) {
			r.Latency = 30 * time.Second // the client gives up during this call
		}
		return r
	}})
	c := e.connect(t, mcpOptions{})

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.call(ctx, "debate", map[string]any{"problem": "Cache or index?", "models": []string{"openai:fast", "openai:slow"}}, "p")
		errc <- err
	}()
	// Cancel once the fast seat has answered round 2 and the slow one is waiting.
	deadline := time.Now().Add(10 * time.Second)
	for len(c.notifications()) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("round 2 never got going: %v", c.notifications())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("CallTool: %v, want context.Canceled", err)
	}

	// The debate is stored as interrupted (the server records it as the call unwinds).
	var rows []struct{ ID, Status string }
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, out, _ := e.parley("list", "--format", "json")
		rows = nil
		json.Unmarshal([]byte(out), &rows)
		if len(rows) == 1 && rows[0].Status == "interrupted" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the debate is not stored as interrupted: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := len(e.srv.Calls())
	code, out, errs := e.parley("resume", rows[0].ID, "--format", "json", "-q")
	if code != 0 {
		t.Fatalf("resume exited %d: %s", code, errs)
	}
	var rec debate.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Status != debate.StatusCompleted || rec.Verdict == nil {
		t.Fatalf("resumed: %v %s", err, out)
	}
	// Resuming called only what was missing: slow's round 2, round 3 and the verdict.
	for _, call := range e.srv.Calls()[before:] {
		if strings.Contains(call.Prompt, "Round 1 of") || call.Model == "fast" && strings.Contains(call.Prompt, "Round 2 of") {
			t.Errorf("resume called %s again for a finished turn", call.Model)
		}
	}
}

// A fake agent CLI on PATH: parley's detection finds it; it must never run.
func fakeCLI(t *testing.T, dir, name string) {
	t.Helper()
	script := "#!/bin/sh\necho ran >> " + filepath.Join(dir, name+".ran") + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestMCPExcludeKeepsTheCallerOffADetectedPanel(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	bin := filepath.Join(e.dir, "bin")
	os.Mkdir(bin, 0o755)
	fakeCLI(t, bin, "claude")
	e.env["PATH"] = bin

	// Without an exclusion the caller's own CLI leads the detected panel.
	cfg, err := loadConfig(e.io().Env)
	if err != nil {
		t.Fatal(err)
	}
	panel, _, err := (&session.Service{Config: cfg, Env: e.io().Env}).BuildPanel(context.Background(), nil)
	if err != nil || len(panel) == 0 || panel[0].Seat.Model != "cli:claude" {
		t.Fatalf("the control panel does not start with cli:claude: %v %+v", err, panel)
	}

	// PARLEY_MCP_EXCLUDE=cli:claude (as newMCPCmd reads it) keeps it off.
	o := mcpOptions{exclude: excludeList(nil, "cli:claude")}
	c := e.connect(t, o)
	res, err := c.call(context.Background(), "debate", map[string]any{"problem": "Cache or index?", "rounds": 1}, nil)
	if err != nil || res.IsError {
		t.Fatalf("%v\n%s", err, resultText(res))
	}
	rec, _ := resultRecord(t, res)
	var got []string
	for _, s := range rec.Panel {
		got = append(got, s.Model)
	}
	// Which OpenAI models detection proposes is the models package's business; here
	// only that the three seats go to them and none to the caller's CLI.
	if len(got) != 3 || strings.Contains(strings.Join(got, ","), "cli:") || !strings.HasPrefix(got[0], "openai:") {
		t.Errorf("panel %v, want three detected OpenAI-compatible models", got)
	}
	if _, err := os.Stat(filepath.Join(bin, "claude.ran")); err == nil {
		t.Error("the excluded CLI was run")
	}

	// Models the caller names are used as named, excluded or not.
	res, err = c.call(context.Background(), "debate", map[string]any{"problem": "q", "models": []string{"cli:claude", "openai:gpt-5"}, "rounds": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := resultRecord(t, res); len(rec.Panel) != 2 || rec.Panel[0].Model != "cli:claude" {
		t.Errorf("an explicit panel was changed: %+v", rec.Panel)
	}
}

func TestMCPExcludeLeavesNothing(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	delete(e.env, "OPENAI_BASE_URL")
	delete(e.env, "OPENAI_API_KEY")
	bin := filepath.Join(e.dir, "bin")
	os.Mkdir(bin, 0o755)
	fakeCLI(t, bin, "codex")
	e.env["PATH"] = bin
	c := e.connect(t, mcpOptions{exclude: []string{"cli:codex"}})
	res, err := c.call(context.Background(), "debate", map[string]any{"problem": "q"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text := resultText(res); !res.IsError || !strings.Contains(text, "parley found no model to debate with") || !strings.Contains(text, "leaves out cli:codex") {
		t.Errorf("IsError %v:\n%s", res.IsError, text)
	}
}

func TestExcludeList(t *testing.T) {
	got := excludeList([]string{"cli:claude", " "}, " cli:codex , cli:gemini/gemini-2.5-pro")
	if strings.Join(got, "|") != "cli:claude|cli:codex|cli:gemini/gemini-2.5-pro" {
		t.Errorf("excludeList = %q", got)
	}
}

func TestMCPNamedPanelAndConfig(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	cfgPath := filepath.Join(e.dir, "parley.yaml")
	if err := os.WriteFile(cfgPath, []byte("panels:\n  pair: [openai:gpt-5, openai:o4-mini]\nrounds: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.env["PARLEY_CONFIG"] = cfgPath
	c := e.connect(t, mcpOptions{})
	res, err := c.call(context.Background(), "debate", map[string]any{"problem": "Cache or index?", "panel": "pair"}, nil)
	if err != nil || res.IsError {
		t.Fatalf("%v\n%s", err, resultText(res))
	}
	rec, _ := resultRecord(t, res)
	if len(rec.Panel) != 2 || rec.Panel[1].Model != "openai:o4-mini" || len(rec.Rounds) != 1 {
		t.Errorf("panel %+v, %d rounds (the config says 1)", rec.Panel, len(rec.Rounds))
	}
	res, err = c.call(context.Background(), "debate", map[string]any{"problem": "q", "panel": "trio"}, nil)
	if err != nil || !res.IsError || !strings.Contains(resultText(res), `no panel "trio" in the config (it defines: pair)`) {
		t.Errorf("unknown panel: %v %s", err, resultText(res))
	}
}

func TestMCPKeyNeverReachesTheCaller(t *testing.T) {
	e := newMCPEnv(t, fakellm.Options{})
	// A provider error that echoes the key, as some servers do.
	e.srv.Script("leaky", fakellm.Script{Replies: []fakellm.Reply{{Status: 400, ErrorMessage: "Incorrect API key provided: " + mcpTestKey}}})
	c := e.connect(t, mcpOptions{})
	res, err := c.call(context.Background(), "debate", map[string]any{"problem": "q", "models": []string{"openai:a", "openai:b", "openai:leaky"}, "rounds": 1}, "t")
	if err != nil || res.IsError {
		t.Fatalf("%v\n%s", err, resultText(res))
	}
	rec, raw := resultRecord(t, res)
	everything := resultText(res) + raw
	for _, p := range c.awaitNotifications(t) {
		everything += p.Message
	}
	get, err := c.call(context.Background(), "get_debate", map[string]any{"id": rec.ID, "transcript": true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, rawGet := resultRecord(t, get)
	everything += resultText(get) + rawGet
	if strings.Contains(everything, mcpTestKey) {
		t.Error("the API key reached the MCP caller")
	}
	if !strings.Contains(raw, "[redacted]") {
		t.Errorf("the leaky error did not reach the result redacted: %s", raw)
	}
}
