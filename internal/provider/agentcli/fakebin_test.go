//go:build unix

package agentcli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/provider"
)

// These tests stand a shell script in for the CLI, to check what the driver does
// around the process: what it passes, where it runs it, what it leaves behind, and
// how it maps exits and kills hangs.

// fakeCLI writes an executable shell script and returns its path.
func fakeCLI(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-cli")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeSetup is a fake CLI plus a throwaway HOME, TempDir and record folder.
type fakeSetup struct {
	home, tmp, rec string
}

func newFakeSetup(t *testing.T) fakeSetup {
	t.Helper()
	s := fakeSetup{home: t.TempDir(), tmp: t.TempDir(), rec: t.TempDir()}
	// A HOME that looks used: parley must leave all of it alone.
	for name, content := range map[string]string{
		".claude.json":           `{"oauthAccount":{}}`,
		".claude/settings.json":  `{}`,
		".codex/config.toml":     "model = \"gpt-5\"\n",
		".gemini/settings.json":  `{"security":{"auth":{"selectedType":"oauth-personal"}}}`,
		".config/parley/x.yaml":  "a: 1\n",
		"projects/app/main.go":   "package main\n",
		"projects/app/README.md": "# app\n",
	} {
		p := filepath.Join(s.home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s fakeSetup) model(t *testing.T, kind Kind, script string, cfg Config) *Model {
	t.Helper()
	cfg.Kind = kind
	cfg.Binary = fakeCLI(t, script)
	cfg.TempDir = s.tmp
	cfg.Env = append([]string{"HOME=" + s.home, "REC=" + s.rec}, cfg.Env...)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (s fakeSetup) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.rec, name))
	if err != nil {
		t.Fatalf("the fake CLI did not record %s: %v", name, err)
	}
	return string(b)
}

// snapshot maps every path under dir to a hash of its mode, size, time and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h := sha256.New()
		h.Write([]byte(info.Mode().String() + info.ModTime().String()))
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		out[p] = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s: %s changed or vanished", what, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		}
	}
}

// recorder records what the CLI got, then prints answer.
const recorder = `
for a in "$@"; do printf '%s\n' "$a"; done > "$REC/argv"
pwd > "$REC/cwd"
ls -A > "$REC/ls"
cat > "$REC/stdin"
printf '%s' "$HOME" > "$REC/home"
printf '%s' "$TMPDIR" > "$REC/tmpdir"
printf '%s' "$CLAUDE_CODE_MAX_RETRIES" > "$REC/retries"
printf '%s' "$GEMINI_SYSTEM_MD" > "$REC/system_md_path"
if [ -n "$GEMINI_SYSTEM_MD" ]; then cat "$GEMINI_SYSTEM_MD" > "$REC/system_md"; fi
for a in "$@"; do case "$a" in *policy.toml) cat "$a" > "$REC/policy";; esac; done
`

var answers = map[Kind]string{
	Claude: `echo '{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"ok "}},"parent_tool_use_id":null}'
echo '{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"from fake"}},"parent_tool_use_id":null}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"ok from fake","usage":{"input_tokens":3,"output_tokens":2},"total_cost_usd":0.25,"modelUsage":{"claude-x":{"outputTokens":2}}}'`,
	Codex: `echo '{"type":"thread.started","thread_id":"t"}'
echo '{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"ok from fake"}}'
echo '{"type":"turn.completed","usage":{"input_tokens":3,"output_tokens":2}}'`,
	Gemini: `printf '{\n  "response": "ok from fake",\n  "stats": {"models": {"gemini-2.5-pro": {"tokens": {"input": 3, "prompt": 3, "candidates": 2}}}}\n}\n'`,
}

// TestPromptOnStdinFreshDirHomeUntouched runs each kind's fake with a large prompt
// and checks: the prompt (and system prompt) came on stdin or in a file, never in
// argv; the CLI ran in a fresh empty directory under TempDir that is gone
// afterwards; HOME was passed through and left exactly as it was; the expected
// safety flags were passed.
func TestPromptOnStdinFreshDirHomeUntouched(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s := newFakeSetup(t)
			before := snapshot(t, s.home)
			// Larger than one argv string may be (128 KiB on Linux).
			prompt := "PROMPT-MARKER " + strings.Repeat("lorem ipsum ", 30000) + " PROMPT-END"
			system := "SYSTEM-MARKER: you are seat A."
			m := s.model(t, kind, recorder+answers[kind], Config{})
			var deltas strings.Builder
			resp, err := m.Generate(context.Background(), provider.Request{System: system, Prompt: prompt}, func(d string) { deltas.WriteString(d) })
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != "ok from fake" || resp.Usage != (provider.Usage{InputTokens: 3, OutputTokens: 2}) {
				t.Errorf("response = %+v", resp)
			}
			if deltas.String() != "ok from fake" {
				t.Errorf("deltas = %q", deltas.String())
			}

			argv := s.read(t, "argv")
			if strings.Contains(argv, "PROMPT-MARKER") || strings.Contains(argv, "lorem") {
				t.Error("the prompt is in argv")
			}
			stdin := s.read(t, "stdin")
			if !strings.Contains(stdin, prompt) {
				t.Errorf("stdin does not hold the prompt (%d bytes)", len(stdin))
			}
			switch kind {
			case Claude:
				if !strings.Contains(argv, "--system-prompt\n"+system+"\n") || strings.Contains(stdin, "SYSTEM-MARKER") {
					t.Error("claude: the system prompt is not passed with --system-prompt")
				}
				if got := s.read(t, "retries"); got != "0" {
					t.Errorf("CLAUDE_CODE_MAX_RETRIES = %q", got)
				}
				if resp.Model != "claude-x" || !resp.CostReported || resp.CostUSD != 0.25 {
					t.Errorf("claude: model/cost = %q %v %v", resp.Model, resp.CostUSD, resp.CostReported)
				}
			case Codex:
				if !strings.HasPrefix(stdin, "<system_instructions>\n"+system+"\n</system_instructions>") || !strings.HasSuffix(stdin, prompt) {
					t.Errorf("codex: stdin does not start with the marked system prompt: %q", stdin[:min(len(stdin), 200)])
				}
			case Gemini:
				if got := s.read(t, "system_md"); got != system {
					t.Errorf("gemini: GEMINI_SYSTEM_MD holds %q", got)
				}
				if strings.Contains(stdin, "SYSTEM-MARKER") || strings.Contains(argv, "SYSTEM-MARKER") {
					t.Error("gemini: the system prompt is in stdin or argv")
				}
				if !strings.Contains(argv, "-m\n"+DefaultGeminiModel+"\n") {
					t.Errorf("gemini: no default model in argv:\n%s", argv)
				}
			}
			for _, flag := range safetyFlags[kind] {
				if !strings.Contains("\n"+argv, "\n"+flag+"\n") {
					t.Errorf("argv lacks %q:\n%s", flag, argv)
				}
			}

			cwd := strings.TrimSpace(s.read(t, "cwd"))
			if rel, err := filepath.Rel(s.tmp, cwd); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("cwd %s is not under the temp dir %s", cwd, s.tmp)
			}
			if ls := s.read(t, "ls"); ls != "" {
				t.Errorf("the working directory was not empty: %q", ls)
			}
			if tmpdir := s.read(t, "tmpdir"); !strings.HasPrefix(tmpdir, s.tmp) {
				t.Errorf("TMPDIR = %q, want under %s", tmpdir, s.tmp)
			}
			if _, err := os.Stat(cwd); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the working directory %s is still there", cwd)
			}
			if left, _ := os.ReadDir(s.tmp); len(left) != 0 {
				t.Errorf("left behind in the temp dir: %v", left)
			}
			if home := s.read(t, "home"); home != s.home {
				t.Errorf("HOME = %q, want %q", home, s.home)
			}
			sameTree(t, "HOME", before, snapshot(t, s.home))
		})
	}
}

// safetyFlags are argv entries each CLI must get, one per line of the recorded argv.
var safetyFlags = map[Kind][]string{
	Claude: {"-p", "--tools", "", "--strict-mcp-config", "--no-session-persistence", "--permission-mode", "default"},
	Codex:  {"exec", "--sandbox", "read-only", "--ephemeral", "--skip-git-repo-check", `approval_policy="never"`, "-"},
	Gemini: {"--output-format", "json", "--skip-trust", "--approval-mode", "default", "-p", ""},
}

func TestGeminiPolicyDeniesWritingTools(t *testing.T) {
	s := newFakeSetup(t)
	m := s.model(t, Gemini, recorder+answers[Gemini], Config{Model: "gemini-2.5-flash"})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	policy := s.read(t, "policy")
	for _, tool := range []string{"write_file", "replace", "run_shell_command"} {
		if !strings.Contains(policy, "toolName = \""+tool+"\"\ndecision = \"deny\"") {
			t.Errorf("policy does not deny %s:\n%s", tool, policy)
		}
	}
	if argv := s.read(t, "argv"); !strings.Contains(argv, "-m\ngemini-2.5-flash\n") {
		t.Errorf("model not passed:\n%s", argv)
	}
	if s.read(t, "system_md_path") != "" {
		t.Error("GEMINI_SYSTEM_MD set without a system prompt")
	}
}

// TestWorkspaceFlagsAndThrowawayCwd gives each fake a workspace and checks the flags
// that let it read the workspace; the fake then tries to write both into its cwd
// and, as a stand-in for a misbehaving tool, into the workspace through a relative
// path: the cwd is a throwaway directory, so the workspace is untouched. (The real
// CLIs' refusal to write is checked in TestRealCLIsCannotWrite.)
func TestWorkspaceFlagsAndThrowawayCwd(t *testing.T) {
	want := map[Kind][]string{
		Claude: {"--tools", claudeReadTools, "--add-dir"},
		Codex:  {"--sandbox", "read-only", "-C"},
		Gemini: {"--include-directories", "--approval-mode", "default"},
	}
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s := newFakeSetup(t)
			ws := t.TempDir()
			if err := os.WriteFile(filepath.Join(ws, "notes.txt"), []byte("original\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, ws)
			script := recorder + `
echo pwned > notes.txt
echo pwned > ./new-file.txt
` + answers[kind]
			m := s.model(t, kind, script, Config{Workspace: ws})
			if _, err := m.Generate(context.Background(), provider.Request{Prompt: "read notes.txt"}, nil); err != nil {
				t.Fatal(err)
			}
			argv := s.read(t, "argv")
			for _, f := range append(want[kind], ws) {
				if !strings.Contains("\n"+argv, "\n"+f+"\n") {
					t.Errorf("argv lacks %q:\n%s", f, argv)
				}
			}
			if kind == Claude && strings.Contains(argv, "--tools\n\n") {
				t.Error("claude: tools are off in workspace mode")
			}
			sameTree(t, "workspace", before, snapshot(t, ws))
			if left, _ := os.ReadDir(s.tmp); len(left) != 0 {
				t.Errorf("the throwaway directory was not removed: %v", left)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	for _, ws := range []string{f, filepath.Join(t.TempDir(), "missing")} {
		if _, err := New(Config{Kind: Claude, Workspace: ws}); err == nil {
			t.Errorf("workspace %s accepted", ws)
		}
	}
	if _, err := New(Config{Kind: "cursor"}); err == nil {
		t.Error("unknown kind accepted")
	}
	for _, bad := range []string{"--dangerously-skip-permissions", "-x", "a b", "m\n--yolo", "x;rm"} {
		if _, err := New(Config{Kind: Claude, Model: bad}); err == nil {
			t.Errorf("model %q accepted", bad)
		}
	}
	for _, good := range []string{"claude-opus-4-1", "gemini-2.5-flash", "gpt-5.1-codex", "opus", "claude-sonnet-4-5[1m]", "models/gemini-2.5-pro"} {
		if _, err := New(Config{Kind: Gemini, Model: good}); err != nil {
			t.Errorf("model %q refused: %v", good, err)
		}
	}
}

// TestExitMapping runs fakes that fail the way the real CLIs do, through the real
// process path (exit codes, stderr, JSON on the wrong stream).
func TestExitMapping(t *testing.T) {
	for _, tc := range []struct {
		name   string
		kind   Kind
		script string
		class  provider.Class
		status int
		msg    []string
	}{
		{"claude 401", Claude, `echo '{"type":"result","subtype":"success","is_error":true,"api_error_status":401,"result":"Failed to authenticate. API Error: 401 invalid key"}'; exit 1`,
			provider.ClassAuth, 401, []string{"Failed to authenticate", "run `claude` once to log in"}},
		{"claude not logged in", Claude, `echo '{"type":"result","subtype":"success","is_error":true,"result":"Not logged in · Please run /login"}'; exit 1`,
			provider.ClassAuth, 0, []string{"Not logged in", "run `claude` once to log in"}},
		{"claude 429", Claude, `echo '{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"API Error: Request rejected (429)"}'; exit 1`,
			provider.ClassRateLimited, 429, nil},
		{"claude 500", Claude, `echo '{"type":"result","subtype":"success","is_error":true,"api_error_status":500,"result":"API Error: 500"}'; exit 1`,
			provider.ClassServer, 500, nil},
		{"codex 401", Codex, `echo '{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: no key"}}'; exit 1`,
			provider.ClassAuth, 401, []string{"no key", "codex login"}},
		{"gemini 401", Gemini, `printf '%s\n' 'Error when talking to Gemini API' '{"error":{"type":"Error","message":"{\"error\":{\"code\":401,\"message\":\"API key not valid\",\"status\":\"UNAUTHENTICATED\"}}","code":401}}' >&2; exit 145`,
			provider.ClassAuth, 401, []string{"API key not valid", "gemini"}},
		{"gemini 400", Gemini, `printf '%s\n' '{"error":{"type":"Error","message":"bad","code":400}}' >&2; exit 144`,
			provider.ClassBadRequest, 400, nil},
		{"gemini auth setup", Gemini, `printf '%s\n' '{"error":{"type":"Error","message":"Invalid auth method selected.","code":41}}' >&2; exit 41`,
			provider.ClassAuth, 41, []string{"login is not set up", "Invalid auth method selected"}},
		{"gemini 503 by exit code", Gemini, `echo 'overloaded' >&2; exit 247`,
			provider.ClassServer, 503, nil},
		{"garbage on stdout", Codex, `echo 'Segmentation fault'; echo 'core dumped' >&2; exit 0`,
			provider.ClassUnknown, 0, []string{"core dumped"}},
		{"no output at all", Claude, `exit 0`,
			provider.ClassUnknown, 0, []string{"(no output)"}},
		{"crash", Gemini, `echo 'FATAL ERROR: Reached heap limit' >&2; kill -SEGV $$`,
			provider.ClassUnknown, 0, []string{"killed by a signal", "heap limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newFakeSetup(t)
			_, err := s.model(t, tc.kind, tc.script, Config{}).Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
			wantClass(t, err, tc.class, tc.status, tc.msg...)
		})
	}
}

func TestErrorsAreBoundedAndScrubbed(t *testing.T) {
	s := newFakeSetup(t)
	const secret = "sk-ant-api03-SECRETSECRETSECRETSECRET"
	script := `head -c 1000000 /dev/zero | tr '\0' 'x' >&2
echo "" >&2
echo "request failed with key $ANTHROPIC_API_KEY and ${MY_TOKEN}" >&2
exit 3`
	m := s.model(t, Claude, script, Config{Env: []string{"ANTHROPIC_API_KEY=" + secret, "MY_TOKEN=tok-1234567890"}})
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
	pe := wantClass(t, err, provider.ClassUnknown, 3, "request failed")
	if len(pe.Message) > 1000 {
		t.Errorf("message is %d bytes", len(pe.Message))
	}
	if strings.Contains(pe.Message, "SECRET") || strings.Contains(pe.Message, "tok-1234567890") {
		t.Errorf("a credential leaked: %q", pe.Message)
	}
}

func TestMissingBinary(t *testing.T) {
	for _, kind := range Kinds {
		m, err := New(Config{Kind: kind, Binary: filepath.Join(t.TempDir(), "no-such-cli")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
		wantClass(t, err, provider.ClassBadRequest, 0, "cli:"+string(kind), "not found", kind.InstallHint())
	}
	// Looked up on PATH when no binary is given.
	t.Setenv("PATH", t.TempDir())
	m, _ := New(Config{Kind: Codex})
	_, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
	wantClass(t, err, provider.ClassBadRequest, 0, "npm install -g @openai/codex")
}

// hanger starts a grandchild that sleeps, records both pids, and hangs.
const hanger = `
sleep 300 &
echo $! > "$REC/grandchild"
echo $$ > "$REC/child"
cat > /dev/null
wait
`

// alive reports whether pid still runs. PID 1 in a container may not reap orphans,
// so a zombie counts as dead.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

func waitDead(t *testing.T, what string, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Errorf("%s (pid %d) still runs", what, pid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to watch the processes")
	}
	for _, tc := range []struct {
		name   string
		cancel bool
		class  provider.Class
	}{{"timeout", false, provider.ClassTimeout}, {"cancel", true, provider.ClassCanceled}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newFakeSetup(t)
			m := s.model(t, Codex, hanger, Config{})
			ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
			defer cancel()
			if tc.cancel {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(800*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err := m.Generate(ctx, provider.Request{Prompt: "hi"}, nil)
			took := time.Since(start)
			wantClass(t, err, tc.class, 0)
			// Generous for a loaded CI machine; a CLI left running would be minutes.
			if took > 10*time.Second {
				t.Errorf("Generate took %v after the deadline", took)
			}
			child, _ := strconv.Atoi(strings.TrimSpace(s.read(t, "child")))
			grandchild, _ := strconv.Atoi(strings.TrimSpace(s.read(t, "grandchild")))
			if child == 0 || grandchild == 0 {
				t.Fatal("pids not recorded")
			}
			waitDead(t, "the CLI", child)
			waitDead(t, "the CLI's child", grandchild)
			if left, _ := os.ReadDir(s.tmp); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestHelperHoldingStdout: a CLI that answers and exits but leaves a helper holding
// its stdout must not hold the call up; the helper is killed with the group.
func TestHelperHoldingStdout(t *testing.T) {
	s := newFakeSetup(t)
	script := `cat > /dev/null
sleep 300 &
echo $! > "$REC/grandchild"
` + answers[Codex]
	m := s.model(t, Codex, script, Config{KillGrace: 60 * time.Second})
	start := time.Now()
	resp, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "ok from fake" {
		t.Errorf("text = %q", resp.Text)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v: the helper held the call up", took)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(s.read(t, "grandchild")))
	waitDead(t, "the helper", pid)
}

// TestStdinIsClosed: a CLI that reads stdin to EOF (as codex does) finishes.
func TestStdinIsClosed(t *testing.T) {
	s := newFakeSetup(t)
	m := s.model(t, Codex, `n=$(wc -c); echo "$n" > "$REC/n"`+"\n"+answers[Codex], Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := m.Generate(ctx, provider.Request{Prompt: "12345"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(s.read(t, "n")); got != "5" {
		t.Errorf("read %s bytes", got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	s := newFakeSetup(t)
	m := s.model(t, Claude, `cat > /dev/null`+"\n"+answers[Claude], Config{})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestClaudeWithoutPartialMessages: a claude that streams no deltas (an older
// version) still delivers its answer to onDelta, once, at the end.
func TestClaudeWithoutPartialMessages(t *testing.T) {
	s := newFakeSetup(t)
	m := s.model(t, Claude, `cat > /dev/null
echo '{"type":"system","subtype":"init"}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"whole answer","usage":{"input_tokens":1,"output_tokens":2}}'`, Config{})
	var deltas []string
	resp, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "whole answer" || len(deltas) != 1 || deltas[0] != "whole answer" {
		t.Errorf("text %q, deltas %q", resp.Text, deltas)
	}
}
