package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/syncbuf"
)

var servingRe = regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)

// startRun runs the command until the returned stop is called, which gives its exit code.
func startRun(t *testing.T, args ...string) (url string, stderr *syncbuf.Buffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncbuf.Buffer{}
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, stderr) }()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if m := servingRe.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case c := <-code:
			cancel()
			t.Fatalf("run exited with %d before serving:\n%s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no URL on stderr after 3s:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopped := false
	stop = func() int {
		stopped = true
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("run did not return after cancel")
			return -1
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return url, stderr, stop
}

func chat(t *testing.T, url, model, prompt string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": model, "messages": []any{map[string]any{"role": "user", "content": prompt}}})
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Choices []struct {
			Message struct{ Content string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Choices) == 0 {
		t.Fatalf("decode: %v (status %d)", err, resp.StatusCode)
	}
	return out.Choices[0].Message.Content
}

func TestRunDemoByDefault(t *testing.T) {
	url, stderr, stop := startRun(t, "--addr", "127.0.0.1:0", "--latency", "0")
	text := chat(t, url, "any-model", "Round 1: the problem")
	if !strings.HasPrefix(text, "*(scripted demo answer from fakellm") || !strings.Contains(text, "```json") {
		t.Fatalf("demo answer:\n%s", text)
	}
	for _, want := range []string{
		"OPENAI_BASE_URL=" + url + "/v1 OPENAI_API_KEY=fake",
		"ANTHROPIC_BASE_URL=" + url + " ",
		"GOOGLE_GEMINI_BASE_URL=" + url + " ",
		"demo debate",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Fatalf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if out := stderr.String(); !strings.Contains(out, "openai-chat /v1/chat/completions") || !strings.Contains(out, "shutting down") {
		t.Fatalf("stderr lacks the call log or the shutdown note:\n%s", out)
	}
}

func TestRunScriptFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "script.json")
	script := `{"m": [{"when_contains": "Round 2", "text": "critique"}, {"text": "hello"}]}`
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, _ := startRun(t, "--addr", "127.0.0.1:0", "--latency", "0", "--script", file, "--quiet")
	if got := chat(t, url, "m", "Round 1"); got != "hello" {
		t.Fatalf("reply = %q", got)
	}
	if got := chat(t, url, "m", "Round 2"); got != "critique" {
		t.Fatalf("reply = %q", got)
	}
	// Without --demo, other models get the default answer.
	if got := chat(t, url, "other", "Round 1"); !strings.HasPrefix(got, "FAKE-REPLY from other") {
		t.Fatalf("reply = %q", got)
	}
}

func TestRunScriptWithDemoFallback(t *testing.T) {
	file := filepath.Join(t.TempDir(), "script.json")
	os.WriteFile(file, []byte(`{"m": [{"text": "scripted"}]}`), 0o600)
	url, _, _ := startRun(t, "--addr", "127.0.0.1:0", "--latency", "0", "--script", file, "--demo", "--quiet")
	if got := chat(t, url, "m", "Round 1"); got != "scripted" {
		t.Fatalf("reply = %q", got)
	}
	if got := chat(t, url, "other", "Round 1"); !strings.HasPrefix(got, "*(scripted demo answer") {
		t.Fatalf("reply = %q", got)
	}
}

func TestRunErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"m": [{"latncy": "1s"}]}`), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--script", bad}, 2, `unknown field "latncy"`},
		{[]string{"--script", filepath.Join(t.TempDir(), "missing.json")}, 2, "no such file"},
		{[]string{"--latency", "soon"}, 2, "invalid value"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--addr", busy.Addr().String()}, 1, "Try: fakellm --addr 127.0.0.1:0"},
		{[]string{"--help"}, 0, "Usage: fakellm"},
	}
	for _, tc := range cases {
		var stderr syncbuf.Buffer
		code := run(context.Background(), tc.args, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run(%q) = %d, stderr:\n%s\nwant %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// TestExecRunsTheCommandAgainstTheServer: `fakellm -- CMD` hands CMD the provider
// variables and returns its exit status.
func TestExecRunsTheCommandAgainstTheServer(t *testing.T) {
	var stderr syncbuf.Buffer
	code := run(context.Background(), []string{"--", "sh", "-c", `case "$OPENAI_BASE_URL" in http://127.0.0.1:*/v1) exit 7;; esac; exit 1`}, &stderr)
	if code != 7 {
		t.Fatalf("exit %d, want the command's 7\n%s", code, stderr.String())
	}
}

// TestREADMETryLine runs the README's scripted one-liner: the real parley binary
// against the demo debate, to a verdict.
func TestREADMETryLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the parley binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build parley with")
	}
	dir := t.TempDir()
	parley := filepath.Join(dir, "parley")
	build := exec.Command(goBin, "build", "-o", parley, "github.com/parleyhq/parley/cmd/parley")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building parley: %v\n%s", err, out)
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("PARLEY_CONFIG", "")
	t.Setenv("PARLEY_DB", filepath.Join(dir, "parley.db"))
	out := filepath.Join(dir, "result.json")
	commandStdout = io.Discard
	defer func() { commandStdout = os.Stdout }()
	var stderr syncbuf.Buffer
	code := run(context.Background(), []string{"--latency", "1ms", "--", parley,
		"-m", "openai:gpt-5,openai:claude-sonnet-4-5,openai:gemini-2.5-pro", "-q", "-o", out,
		fakellmDemoQuestion()}, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Status  string
		Rounds  []json.RawMessage
		Verdict *struct{ Recommendation string }
		Flips   []json.RawMessage
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if rec.Status != "completed" || len(rec.Rounds) != 3 || rec.Verdict == nil || rec.Verdict.Recommendation == "" {
		t.Fatalf("demo debate: %s", data)
	}
	if len(rec.Flips) == 0 {
		t.Error("the demo's Redis advocate changes its mind in round 2, but no flip was reported")
	}
}

func fakellmDemoQuestion() string { return fakellm.DemoQuestion }
