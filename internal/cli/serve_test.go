package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/cli"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/sse"
	"github.com/parleyhq/parley/internal/syncbuf"
)

// served is a `parley serve` running in this process.
type served struct {
	t      *testing.T
	base   string
	token  string
	log    *syncbuf.Buffer
	stop   func() int // stops the server and returns its exit code
	client *http.Client
}

// serve starts `parley serve` with the harness's environment.
func (h *harness) serve(args ...string) *served {
	h.t.Helper()
	t := h.t.(*testing.T)
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncbuf.Buffer{}
	io := cli.IO{In: strings.NewReader(""), Out: log, Err: log, Env: func(k string) string { return h.env[k] }}
	addr, done, err := cli.ServeInProcess(ctx, io, append([]string{"--addr", "127.0.0.1:0", "--poll", "50ms"}, args...)...)
	if err != nil {
		cancel()
		t.Fatalf("parley serve: %v\n%s", err, log.String())
	}
	s := &served{t: t, base: "http://" + addr, log: log, token: h.env["PARLEY_TOKEN"], client: &http.Client{Transport: &http.Transport{}}}
	var once sync.Once
	code := 0
	s.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("parley serve did not stop\n%s", log.String())
			}
			s.client.CloseIdleConnections()
		})
		return code
	}
	t.Cleanup(func() { s.stop() })
	return s
}

type httpResult struct {
	status int
	body   string
	header http.Header
}

func (s *served) do(method, path, body string) httpResult {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return httpResult{res.StatusCode, string(b), res.Header}
}

// start posts a new debate and returns its id.
func (s *served) start(body string) string {
	s.t.Helper()
	r := s.do("POST", "/api/debates", body)
	if r.status != http.StatusAccepted {
		s.t.Fatalf("POST /api/debates = %d %s\n%s", r.status, r.body, s.log.String())
	}
	var out struct{ ID string }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || out.ID == "" {
		s.t.Fatalf("POST /api/debates: %s", r.body)
	}
	return out.ID
}

// streamed is what one pass over an event stream saw.
type streamed struct {
	seqs     []int
	kinds    []string
	deltas   int
	finished string // the finished event's data, "" if none came
}

// follow reads debate id's event stream from after seq `after` until it ends.
func (s *served) follow(id string, after int) streamed {
	s.t.Helper()
	return s.following(id, after, nil)
}

// following is follow that calls seen, when it is not nil, with every event as it
// comes: the first says that the stream is open and the server is sending it.
func (s *served) following(id string, after int, seen func(sse.Event)) streamed {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+"/api/debates/"+id+"/events", nil)
	if after > 0 {
		req.Header.Set("Last-Event-ID", fmt.Sprint(after))
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		s.t.Fatalf("events of %s: %d", id, res.StatusCode)
	}
	return readStream(res.Body, seen)
}

// readStream reads an event stream until it ends, calling seen (if not nil) with
// every event.
func readStream(r io.Reader, seen func(sse.Event)) streamed {
	var out streamed
	sse.ReadAll(r, func(ev sse.Event) bool {
		if seen != nil {
			seen(ev)
		}
		switch {
		case ev.Name == "finished":
			out.finished = ev.Data
			return true
		case ev.Name == "turn_delta":
			out.deltas++
		case ev.ID != "":
			n, _ := strconv.Atoi(ev.ID)
			out.seqs = append(out.seqs, n)
			out.kinds = append(out.kinds, ev.Name)
		}
		return false
	})
	return out
}

// TestServeAPI runs the real stack: the command's configuration, the OpenAI
// provider against fakellm, SQLite, the engine, the API. A debate started over HTTP
// streams live (deltas included) and ends with its result; list and models answer
// what the command line would; requests the configuration cannot run are refused
// with a message; the API key shows up nowhere.
func TestServeAPI(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{"gpt-5", "o4-mini", "gpt-4.1"} {
		h.srv.Script(m, answers(m, 30*time.Millisecond))
	}
	s := h.serve()
	var bodies []string
	id := s.start(`{"problem": "Our Django API is slow: where do we start?", "models": ["openai:gpt-5", "openai:o4-mini", "openai:gpt-4.1"], "mode": "standard", "rounds": 3}`)
	got := s.follow(id, 0)
	if got.finished == "" || !strings.Contains(got.finished, `"completed"`) {
		t.Fatalf("stream ended without a completed finish: %+v\n%s", got, s.log.String())
	}
	if got.deltas == 0 {
		t.Error("no turn_delta on a live stream")
	}
	if got.seqs[0] != 1 || got.kinds[0] != "debate_started" {
		t.Errorf("the stream began with %d %s", got.seqs[0], got.kinds[0])
	}

	r := s.do("GET", "/api/debates/"+id, "")
	bodies = append(bodies, r.body)
	var rec debate.Record
	if err := json.Unmarshal([]byte(r.body), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil || rec.Verdict.Recommendation != "Profile with django-silk, then fix N+1 queries" {
		t.Fatalf("record: status %s, %d rounds, verdict %+v", rec.Status, len(rec.Rounds), rec.Verdict)
	}
	// Same as `parley show --format json`.
	show := h.run("show", id, "--format", "json")
	var shown debate.Record
	json.Unmarshal([]byte(show.stdout), &shown)
	if shown.ID != rec.ID || shown.Verdict.Recommendation != rec.Verdict.Recommendation || len(shown.Rounds) != len(rec.Rounds) {
		t.Errorf("the API's record differs from parley show's")
	}

	// The list, as `parley list --format json` prints it.
	r = s.do("GET", "/api/debates", "")
	bodies = append(bodies, r.body)
	var apiList, cliList []map[string]any
	json.Unmarshal([]byte(r.body), &apiList)
	json.Unmarshal([]byte(h.run("list", "--format", "json").stdout), &cliList)
	if len(apiList) != 1 || fmt.Sprint(apiList) != fmt.Sprint(cliList) {
		t.Errorf("GET /api/debates = %v, parley list = %v", apiList, cliList)
	}

	// Models and modes, as the command line knows them.
	r = s.do("GET", "/api/models", "")
	bodies = append(bodies, r.body)
	var apiModels, cliModels any
	json.Unmarshal([]byte(r.body), &apiModels)
	json.Unmarshal([]byte(h.run("models", "--format", "json").stdout), &cliModels)
	if r.status != 200 || fmt.Sprint(apiModels) != fmt.Sprint(cliModels) {
		t.Errorf("GET /api/models = %d %s\nparley models: %v", r.status, r.body, cliModels)
	}
	r = s.do("GET", "/api/modes", "")
	for _, m := range debate.BuiltinModes() {
		if !strings.Contains(r.body, `"name": "`+m.Name+`"`) {
			t.Errorf("GET /api/modes lacks %s: %s", m.Name, r.body)
		}
	}

	// What the configuration cannot run, said plainly.
	for body, want := range map[string]string{
		`{"problem": "x", "models": ["foo:bar", "openai:gpt-5"]}`:   `foo`,
		`{"problem": "x", "models": ["no-such-name", "openai:x"]}`:  `no-such-name`,
		`{"problem": "x", "models": ["openai:gpt-5"], "mode": "x"}`: `unknown mode "x"`,
		`{"problem": "x", "models": ["openai:gpt-5"]}`:              `at least 2 models`,
	} {
		r := s.do("POST", "/api/debates", body)
		bodies = append(bodies, r.body)
		var e struct{ Error string }
		json.Unmarshal([]byte(r.body), &e)
		if r.status != 400 || !strings.Contains(e.Error, want) {
			t.Errorf("POST %s = %d %s, want 400 with %q", body, r.status, r.body, want)
		}
	}
	if r := s.do("GET", "/api/debates/no-such-id", ""); r.status != 404 {
		t.Errorf("unknown id = %d", r.status)
	}

	// The key reaches neither an answer, nor the database, nor the log.
	db, _ := os.ReadFile(h.env["PARLEY_DB"])
	for _, b := range append(bodies, string(db), s.log.String()) {
		if strings.Contains(b, secretKey) {
			t.Fatal("the API key leaked")
		}
	}
	if code := s.stop(); code != 0 {
		t.Errorf("serve exited %d\n%s", code, s.log.String())
	}
}

// TestServeRefusesOpenAddressWithoutToken: off loopback, no token, no server; a
// short token is refused too; with a token every API request needs it.
func TestServeRefusesOpenAddressWithoutToken(t *testing.T) {
	h := newHarness(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0"} {
		ctx, cancel := context.WithCancel(context.Background())
		log := &syncbuf.Buffer{}
		io := cli.IO{In: strings.NewReader(""), Out: log, Err: log, Env: func(k string) string { return h.env[k] }}
		_, done, err := cli.ServeInProcess(ctx, io, "--addr", addr)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "without a token") {
			t.Errorf("--addr %s without a token: %v", addr, err)
		}
		if code := <-done; code != cli.ExitUsage {
			t.Errorf("--addr %s without a token: exit %d", addr, code)
		}
	}
	h.env["PARLEY_TOKEN"] = "short"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	io := cli.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Env: func(k string) string { return h.env[k] }}
	if _, _, err := cli.ServeInProcess(ctx, io, "--addr", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("a short token: %v", err)
	}

	h.env["PARLEY_TOKEN"] = "0123456789abcdef0123456789abcdef"
	s := h.serve()
	if r := s.do("GET", "/api/debates", ""); r.status != 200 {
		t.Errorf("with the token: %d %s", r.status, r.body)
	}
	s.token = ""
	if r := s.do("GET", "/api/debates", ""); r.status != 401 {
		t.Errorf("without the token: %d", r.status)
	}
	if r := s.do("GET", "/", ""); r.status != 200 {
		t.Errorf("the UI page without the token: %d", r.status)
	}
	if strings.Contains(s.log.String(), h.env["PARLEY_TOKEN"]) {
		t.Error("the token is in the server's log")
	}
}

// TestServeShutdownLeavesResumable: stopping the server mid-debate records the
// interruption; `parley resume` finishes the debate without calling a finished
// turn again.
func TestServeShutdownLeavesResumable(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("fast-a", answers("fast-a", 0))
	h.srv.Script("fast-b", answers("fast-b", 0))
	slow := answers("slow", 0)
	var hung atomic.Bool
	h.srv.Script("slow", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := slow.Func(c)
		if roundOf(c.Prompt) == 2 && !hung.Swap(true) {
			r.Latency = 30 * time.Second // still waiting when the server stops
		}
		return r
	}})
	s := h.serve()
	id := s.start(`{"problem": "Where do we start?", "models": ["openai:fast-a", "openai:fast-b", "openai:slow"]}`)
	waitFor(t, 20*time.Second, "round 2 under way", func() bool {
		done := 0
		for _, c := range h.srv.Calls() {
			if roundOf(c.Prompt) == 2 && !c.End.IsZero() && c.Model != "slow" {
				done++
			}
		}
		return done == 2
	})
	h.waitStored(t, 2, 2)
	if code := s.stop(); code != 0 {
		t.Fatalf("serve exited %d\n%s", code, s.log.String())
	}
	list := h.run("list", "--format", "json")
	if !strings.Contains(list.stdout, `"status": "interrupted"`) {
		t.Fatalf("after shutdown: %s", list.stdout)
	}
	before := callsPerRound(h.srv)
	res := h.run("resume", id, "--format", "json")
	if res.code != 0 {
		t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
	}
	after := callsPerRound(h.srv)
	for _, m := range []string{"fast-a", "fast-b", "slow"} {
		if after[m+"/1"] != 1 {
			t.Errorf("%s answered round 1 %d times", m, after[m+"/1"])
		}
	}
	for _, m := range []string{"fast-a", "fast-b"} {
		if after[m+"/2"] != before[m+"/2"] {
			t.Errorf("%s's finished round-2 turn was called again", m)
		}
	}
}

// callsPerRound counts the fake server's finished calls per model and round
// ("model/round"; round 0 is the verdict).
func callsPerRound(srv *fakellm.Server) map[string]int {
	m := map[string]int{}
	for _, c := range srv.Calls() {
		m[fmt.Sprintf("%s/%d", c.Model, roundOf(c.Prompt))]++
	}
	return m
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
