package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/cli"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

const secretKey = "sk-test-7f3a9c2e41b8d5f6a0c3e9b2d7f4a1c8"

// harness runs parley in-process against a fake server with a clean environment.
type harness struct {
	t   testing.TB
	srv *fakellm.Server
	dir string
	env map[string]string
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	srv := fakellm.Start(t, fakellm.Options{RequireKey: secretKey})
	dir := t.TempDir()
	return &harness{t: t, srv: srv, dir: dir, env: map[string]string{
		"HOME":              dir,
		"XDG_CONFIG_HOME":   filepath.Join(dir, "config"),
		"XDG_DATA_HOME":     filepath.Join(dir, "data"),
		"PARLEY_DB":         filepath.Join(dir, "parley.db"),
		"OPENAI_BASE_URL":   srv.URL() + "/v1",
		"OPENAI_API_KEY":    secretKey,
		"PARLEY_RETRY_BASE": "20ms",
		"OLLAMA_HOST":       "127.0.0.1:1",
		"PATH":              "",
	}}
}

type result struct {
	code           int
	stdout, stderr string
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	io := cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return h.env[k] }}
	code := cli.Main(context.Background(), args, io)
	return result{code, out.String(), errb.String()}
}

// runOut runs parley with stdout as a terminal or not.
func (h *harness) runOut(tty bool, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	io := cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return h.env[k] }, OutTTY: tty}
	code := cli.Main(context.Background(), args, io)
	return result{code, out.String(), errb.String()}
}

// runTTY runs parley as if stdin were a terminal holding input.
func (h *harness) runTTY(input string, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	io := cli.IO{In: strings.NewReader(input), Out: &out, Err: &errb, Env: func(k string) string { return h.env[k] }, InTTY: true}
	code := cli.Main(context.Background(), args, io)
	return result{code, out.String(), errb.String()}
}

// roundOf reads which phase a prompt belongs to: 1–n, or 0 for the verdict.
func roundOf(prompt string) int {
	if strings.Contains(prompt, "# VERDICT") {
		return 0
	}
	m := regexp.MustCompile(`# Round (\d+) of`).FindStringSubmatch(prompt)
	if m == nil {
		return -1
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// answers scripts a model to answer each round with text whose last line is
// recognisable, after a latency.
func answers(model string, latency time.Duration) fakellm.Script {
	return fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := roundOf(c.Prompt)
		if r == 0 {
			return fakellm.Reply{Latency: latency, Text: "The panel agrees: profile first.\n```json\n{\"recommendation\": \"Profile with django-silk, then fix N+1 queries\", \"confidence\": 82, \"consensus\": [\"measure first\"], \"disagreements\": [], \"dissent\": [\"Seat C: Redis first\"], \"risks\": [\"stale caches\"], \"next_steps\": [\"install django-silk\"]}\n```"}
		}
		return fakellm.Reply{Latency: latency, Text: fmt.Sprintf("%s thinks, round %d.\nProfile the slow endpoints first.\nFINAL-LINE-OF-%s-ROUND-%d\n```json\n{\"position\": \"profile first (%s)\", \"confidence\": 75, \"changed\": false, \"converged\": false}\n```", model, r, model, r, model)}
	}}
}

func decodeResult(t *testing.T, s string) debate.Record {
	t.Helper()
	var rec debate.Record
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, s)
	}
	return rec
}

func TestThreeModelDebate(t *testing.T) {
	h := newHarness(t)
	models := []string{"gpt-5", "o4-mini", "gpt-4.1"}
	for _, m := range models {
		h.srv.Script(m, answers(m, 200*time.Millisecond))
	}
	res := h.run("Our Django API is slow: where do we start?", "-m", "openai:gpt-5,openai:o4-mini,openai:gpt-4.1", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil || rec.StoppedBecause != "max_rounds" {
		t.Fatalf("status %s, %d rounds, verdict %v", rec.Status, len(rec.Rounds), rec.Verdict)
	}
	if got := rec.Verdict.Recommendation; got != "Profile with django-silk, then fix N+1 queries" {
		t.Errorf("verdict %q", got)
	}

	// Round 1's three calls overlap in time.
	var first []fakellm.Call
	for _, c := range h.srv.Calls() {
		if roundOf(c.Prompt) == 1 {
			first = append(first, c)
		}
	}
	if len(first) != 3 {
		t.Fatalf("%d round-1 calls", len(first))
	}
	latestStart, earliestEnd := first[0].Start, first[0].End
	for _, c := range first {
		if c.Start.After(latestStart) {
			latestStart = c.Start
		}
		if c.End.Before(earliestEnd) {
			earliestEnd = c.End
		}
	}
	if !latestStart.Before(earliestEnd) {
		t.Errorf("round-1 calls did not overlap: last start %v, first end %v", latestStart, earliestEnd)
	}

	// Each round-2 prompt holds the others' complete round-1 answers, not their names.
	for _, m := range models {
		for _, c := range h.srv.CallsFor(m) {
			if roundOf(c.Prompt) != 2 {
				continue
			}
			for _, other := range models {
				if other == m {
					continue
				}
				if !strings.Contains(c.Prompt, "FINAL-LINE-OF-"+other+"-ROUND-1") {
					t.Errorf("%s's round-2 prompt lacks the last line of %s's answer", m, other)
				}
				// The model names appear inside the scripted answers' text itself, so
				// check the labels parley adds instead: a seat letter, never a ref.
				if strings.Contains(c.Prompt, "openai:"+other) {
					t.Errorf("%s's round-2 prompt names openai:%s", m, other)
				}
			}
		}
	}
}

func TestFailingParticipant(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("gpt-5", answers("gpt-5", 0))
	h.srv.Script("o4-mini", answers("o4-mini", 0))
	h.srv.Script("broken", fakellm.Script{Replies: []fakellm.Reply{{Status: 500, ErrorMessage: "upstream exploded"}}})
	res := h.run("Where do we start?", "-m", "openai:gpt-5,openai:o4-mini,openai:broken", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	failed := 0
	for _, r := range rec.Rounds {
		for _, tr := range r.Turns {
			if tr.Seat == "C" {
				if tr.Status != "failed" || !strings.Contains(tr.Error, "500") || !strings.Contains(tr.Error, "upstream exploded") {
					t.Errorf("round %d seat C: %+v", r.Number, tr)
				}
				failed++
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed turns for seat C, want 1 (then it is out)", failed)
	}
	if len(rec.Out) != 1 || rec.Out[0].Seat != "C" || !strings.Contains(rec.Out[0].Reason, "upstream exploded") {
		t.Errorf("out: %+v", rec.Out)
	}
	id := rec.ID
	md := h.run("show", id)
	if md.code != 0 || !strings.Contains(md.stdout, "## Failed turns") || !strings.Contains(md.stdout, "upstream exploded") {
		t.Errorf("md report lacks the failures:\n%s", md.stdout)
	}
	if !strings.Contains(res.stderr, "FAILED") {
		t.Errorf("progress does not report the failure:\n%s", res.stderr)
	}
}

func TestFlakyParticipantRecovers(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("gpt-5", answers("gpt-5", 0))
	h.srv.Script("o4-mini", answers("o4-mini", 0))
	ok := answers("flaky", 0)
	h.srv.Script("flaky", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		if c.N <= 2 {
			return fakellm.Reply{Status: 500}
		}
		return ok.Func(c)
	}})
	res := h.run("Where do we start?", "-m", "openai:gpt-5,openai:o4-mini,openai:flaky", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	for _, r := range rec.Rounds {
		for _, tr := range r.Turns {
			if tr.Status != "ok" {
				t.Errorf("round %d seat %s failed: %s", r.Number, tr.Seat, tr.Error)
			}
		}
	}
}

func TestRetryAfterWaits(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("gpt-5", answers("gpt-5", 0))
	ok := answers("limited", 0)
	h.srv.Script("limited", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		if c.N == 1 {
			return fakellm.Reply{Status: 429, RetryAfter: "1"}
		}
		return ok.Func(c)
	}})
	res := h.run("Where do we start?", "-m", "openai:gpt-5,openai:limited", "--rounds", "1", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	calls := h.srv.CallsFor("limited")
	if len(calls) < 2 {
		t.Fatalf("%d calls", len(calls))
	}
	if gap := calls[1].Start.Sub(calls[0].End); gap < time.Second {
		t.Errorf("retried %v after the 429, want at least Retry-After: 1", gap)
	}
}

func TestKeyNeverStored(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("gpt-5", answers("gpt-5", 0))
	h.srv.Script("o4-mini", answers("o4-mini", 0))
	// A provider error that echoes the key, as some servers do.
	h.srv.Script("leaky", fakellm.Script{Replies: []fakellm.Reply{{Status: 400, ErrorMessage: "Incorrect API key provided: " + secretKey}}})
	out := filepath.Join(h.dir, "report.json")
	res := h.run("Where do we start?", "-m", "openai:gpt-5,openai:o4-mini,openai:leaky", "-o", out)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "[redacted]") {
		t.Errorf("the leaky error did not reach the report redacted:\n%s", res.stdout)
	}
	show := h.run("show", decodeResultID(t, out), "--format", "json", "--transcript")
	everything := res.stdout + res.stderr + show.stdout + show.stderr
	if strings.Contains(everything, secretKey) {
		t.Error("the API key appears in the output")
	}
	// Every file parley wrote: the database (and its WAL) and the report.
	filepath.Walk(h.dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(p)
		if bytes.Contains(data, []byte(secretKey)) {
			t.Errorf("the API key is in %s", p)
		}
		return nil
	})
	// The header did carry it to the server: the check above is not vacuous.
	if c := h.srv.CallsFor("gpt-5"); len(c) == 0 || !strings.Contains(c[0].Header.Get("Authorization"), secretKey) {
		t.Error("the fake server did not see the key")
	}
}

func decodeResultID(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeResult(t, string(data)).ID
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"empty problem", nil, []string{"   "}, "the problem is empty"},
		{"unknown provider", nil, []string{"q", "-m", "openia:gpt-5,openai:gpt-4.1"}, `unknown provider "openia"`},
		{"ref without provider", nil, []string{"q", "-m", "gpt-5,openai:gpt-4.1"}, "write PROVIDER:MODEL"},
		{"one model", nil, []string{"q", "-m", "openai:gpt-5"}, "at least 2 models"},
		{"unreadable file", nil, []string{"--file", filepath.Join(h.dir, "nope.md")}, "cannot read the problem file"},
		{"missing key", map[string]string{"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}, []string{"q", "-m", "openai:gpt-5,openai:gpt-4.1"}, "export OPENAI_API_KEY"},
		{"nothing configured", map[string]string{"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}, []string{"q"}, "parley found no model to debate with"},
		{"unknown mode", nil, []string{"q", "--mode", "shouting"}, `unknown mode "shouting"`},
		{"bad format", nil, []string{"q", "--format", "pdf"}, `unknown format "pdf"`},
		{"unknown flag", nil, []string{"q", "--modles", "x"}, "unknown flag"},
		{"show unknown id", nil, []string{"show", "nope"}, `no debate with id "nope"`},
		{"resume unknown id", nil, []string{"resume", "nope"}, `no debate with id "nope"`},
		{"list on a team database", nil, []string{"list", "--db", "postgres://parley@127.0.0.1/parley"}, "PostgreSQL database is for `parley serve"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			saved := map[string]string{}
			for k, v := range tc.env {
				saved[k] = h.env[k]
				h.env[k] = v
			}
			defer func() {
				for k, v := range saved {
					h.env[k] = v
				}
			}()
			before := len(h.srv.Calls())
			res := h.run(tc.args...)
			if res.code != cli.ExitUsage {
				t.Errorf("exit %d, want 2\n%s", res.code, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, res.stderr)
			}
			if n := len(h.srv.Calls()) - before; n != 0 {
				t.Errorf("%d model calls were made", n)
			}
		})
	}
}

func TestQuorumLostExitsOne(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("gpt-5", answers("gpt-5", 0))
	h.srv.Script("down", fakellm.Script{Replies: []fakellm.Reply{{Status: 503}}})
	// One seat left: a verdict from it, degraded, and said so; exit 0.
	res := h.run("Where do we start?", "-m", "openai:gpt-5,openai:down", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d, want 0 (a degraded verdict)\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	if rec.StoppedBecause != "quorum_lost" || rec.Status != debate.StatusDegraded || rec.Verdict == nil || rec.Verdict.Degraded == "" {
		t.Errorf("stopped %s status %s verdict %+v", rec.StoppedBecause, rec.Status, rec.Verdict)
	}
	// No seat at all: no verdict, exit 1.
	h.srv.Script("down2", fakellm.Script{Replies: []fakellm.Reply{{Status: 400}}})
	res = h.run("Where do we start?", "-m", "openai:down2,openai:down", "--format", "json")
	if res.code != cli.ExitNoVerdict {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	if rec := decodeResult(t, res.stdout); rec.StoppedBecause != "quorum_lost" || rec.Status != debate.StatusFailed {
		t.Errorf("stopped %s status %s", rec.StoppedBecause, rec.Status)
	}
}

func TestListAndShow(t *testing.T) {
	h := newHarness(t)
	res := h.run("First question?", "-m", "openai:a,openai:b", "--rounds", "1", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if res.stderr != "" {
		t.Errorf("--quiet printed progress:\n%s", res.stderr)
	}
	h.run("Second question?", "-m", "openai:a,openai:b", "--rounds", "1", "-q")
	list := h.run("list", "--format", "json")
	var rows []struct{ ID, Status, Problem, Mode string }
	if err := json.Unmarshal([]byte(list.stdout), &rows); err != nil {
		t.Fatal(err, list.stdout)
	}
	if len(rows) != 2 || rows[0].Problem != "Second question?" || rows[1].Problem != "First question?" || rows[0].Status != "completed" {
		t.Fatalf("list %+v", rows)
	}
	show := h.run("show", rows[1].ID)
	if show.code != 0 || !strings.Contains(show.stdout, "# First question?") || !strings.Contains(show.stdout, "## Verdict") {
		t.Errorf("show:\n%s", show.stdout)
	}
	// The report of a stored debate equals the one printed at the end of the run.
	if show.stdout != res.stdout {
		t.Errorf("show differs from the run's report:\n--- run\n%s\n--- show\n%s", res.stdout, show.stdout)
	}
}

func TestListShowsTheNewest50ByDefault(t *testing.T) {
	h := newHarness(t)
	st, err := sqlite.Open(context.Background(), h.env["PARLEY_DB"])
	if err != nil {
		t.Fatal(err)
	}
	mode, _ := debate.BuiltinMode("quick")
	for i := range 55 {
		e := debate.Event{DebateID: fmt.Sprintf("d%02d", i), Seq: 1, At: time.Unix(int64(1000+i), 0), Kind: debate.KindDebateStarted,
			Started: &debate.Started{Spec: debate.Spec{Problem: fmt.Sprintf("question %d", i), Mode: "quick"}, Mode: &mode}}
		if err := st.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	text := h.run("list")
	if lines := strings.Count(text.stdout, "\n"); lines != 51 || !strings.Contains(text.stdout, "question 54") || strings.Contains(text.stdout, "question 4\n") {
		t.Errorf("%d lines:\n%s", lines, text.stdout)
	}
	if !strings.Contains(text.stderr, "--limit 0 for all") {
		t.Errorf("no hint that more exist: %q", text.stderr)
	}
	if all := h.run("list", "--limit", "0"); strings.Count(all.stdout, "\n") != 56 {
		t.Error("--limit 0 does not show all")
	}
	var rows []json.RawMessage
	if err := json.Unmarshal([]byte(h.run("list", "--format", "json").stdout), &rows); err != nil || len(rows) != 55 {
		t.Errorf("json: %d rows, %v", len(rows), err)
	}
}

// waitStored waits until the only debate in the database has n answers stored for
// round: the point at which a test may kill the process that writes them and know
// that what it killed had been made durable (the answers' calls having ended at the
// fake says nothing about the database).
func (h *harness) waitStored(t *testing.T, round, n int) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("%d round-%d answers stored", n, round), func() bool {
		list := h.run("list", "--format", "json")
		var rows []struct{ ID string }
		if json.Unmarshal([]byte(list.stdout), &rows) != nil || len(rows) != 1 {
			return false
		}
		show := h.run("show", rows[0].ID, "--format", "json")
		var rec debate.Record
		if json.Unmarshal([]byte(show.stdout), &rec) != nil || len(rec.Rounds) < round {
			return false
		}
		ok := 0
		for _, tr := range rec.Rounds[round-1].Turns {
			if tr.OK() {
				ok++
			}
		}
		return ok >= n
	})
}

// startProcess starts the built parley binary with the harness's environment, as
// a user's shell would: for the tests that kill it.
func (h *harness) startProcess(args ...string) *exec.Cmd {
	h.t.Helper()
	cmd := exec.Command("parley", args...)
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	return cmd
}

// awaitOrKill waits for ready to close; if it does not within 20 s, it kills cmd
// and fails with what.
func awaitOrKill(t *testing.T, ready <-chan struct{}, cmd *exec.Cmd, what string) {
	t.Helper()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal(what)
	}
}
