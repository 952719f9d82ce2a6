// Package agentcli makes the agent CLIs a user is already logged into (Claude Code,
// Codex, Gemini CLI) into debate participants: each turn runs the CLI once as a
// subprocess, in print/exec mode, and reads its machine-readable output.
//
// The driver follows a few rules so that a participant is safe to run on a user's
// machine:
//   - the prompt goes on stdin, never in argv (size limits, `ps` leaks), and stdin is
//     closed after it: codex waits for EOF, claude waits a few seconds on an open pipe;
//   - each call runs in a fresh, empty temporary working directory that is removed
//     afterwards, with tools off, or read-only tools when a workspace is given, so a
//     participant can never edit the user's files;
//   - nothing is written into the user's HOME or the CLIs' configuration: that is
//     where their login lives;
//   - output is parsed by key, keeping the last JSON object, and stderr is kept for
//     the error message;
//   - on timeout or cancellation the whole process group is killed, so no CLI (or a
//     helper it started) outlives the call.
package agentcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/lazyre"
	"github.com/parleyhq/parley/provider"
)

// Kind names one supported agent CLI; it is also the command's name.
type Kind string

// The supported CLIs.
const (
	Claude Kind = "claude" // Claude Code, `claude -p`
	Codex  Kind = "codex"  // OpenAI Codex, `codex exec`
	Gemini Kind = "gemini" // Gemini CLI, `gemini -p`
)

// Kinds lists the supported CLIs in a stable order.
var Kinds = []Kind{Claude, Codex, Gemini}

// Valid reports whether k is a supported CLI.
func (k Kind) Valid() bool {
	switch k {
	case Claude, Codex, Gemini:
		return true
	}
	return false
}

// Vendor is the model vendor behind the CLI, used to put different vendors on a panel.
func (k Kind) Vendor() string {
	switch k {
	case Claude:
		return "anthropic"
	case Codex:
		return "openai"
	case Gemini:
		return "google"
	}
	return ""
}

// InstallHint says how to get the CLI and log in.
func (k Kind) InstallHint() string {
	switch k {
	case Claude:
		return "npm install -g @anthropic-ai/claude-code, then run `claude` once to log in"
	case Codex:
		return "npm install -g @openai/codex, then run `codex login`"
	case Gemini:
		return "npm install -g @google/gemini-cli, then run `gemini` once to log in"
	}
	return ""
}

// loginHint is added to authentication failures: the CLI's own message says what
// failed, this says what to do about it.
func (k Kind) loginHint() string {
	switch k {
	case Claude:
		return "run `claude` once to log in (or set ANTHROPIC_API_KEY)"
	case Codex:
		return "run `codex login` (or set OPENAI_API_KEY)"
	case Gemini:
		return "run `gemini` once and choose how to log in (or set GEMINI_API_KEY)"
	}
	return ""
}

// DefaultGeminiModel is passed to gemini when no model is named: without -m the
// Gemini CLI runs a model router that makes several extra calls before each turn.
const DefaultGeminiModel = "gemini-2.5-pro"

// Config is one agent CLI participant.
type Config struct {
	Kind Kind
	// Model is passed to the CLI (--model / -m); empty means the CLI's default
	// (DefaultGeminiModel for gemini).
	Model string
	// Binary is the executable to run; empty looks Kind up on PATH at each call.
	Binary string
	// Env holds extra KEY=VALUE entries for the child on top of parley's own
	// environment; later entries win. Tests use it to point a CLI at a fake server
	// and at a throwaway HOME.
	Env []string
	// Workspace, when set, is a directory the participant may read with read-only
	// tools (the --workspace flag). It is never writable.
	Workspace string
	// TempDir is where the per-call directories are made; empty means os.TempDir().
	TempDir string
	// KillGrace bounds how long output may still be read after the CLI exited and its
	// process group was killed (only a helper that left the group can hold it up);
	// zero means 2 seconds.
	KillGrace time.Duration
	// Settings are the seat's generation settings. Only what a CLI can be told
	// from outside reaches it: Codex's reasoning effort (-c model_reasoning_effort)
	// and Claude Code's thinking budget (MAX_THINKING_TOKENS); internal/models
	// refuses the rest before a call, and Generate refuses it too.
	Settings provider.Settings
}

// modelName is what a model passed to a CLI may look like: it lands in argv.
var modelName = lazyre.New(`^[A-Za-z0-9._:/@+][A-Za-z0-9._:/@+\-\[\]]*$`)

// Model is a provider.Model backed by an agent CLI. It is safe for concurrent use:
// every call has its own process and directories.
type Model struct {
	cfg Config
}

var _ provider.Model = (*Model)(nil)

// New checks cfg and returns the model. A missing binary is not an error here (it
// is reported by each call, so that `parley doctor` can say so); an unknown kind, a
// model name that could pass for a flag, or a workspace that is not a directory is.
func New(cfg Config) (*Model, error) {
	if !cfg.Kind.Valid() {
		return nil, fmt.Errorf("unknown agent CLI %q (known: claude, codex, gemini)", cfg.Kind)
	}
	if cfg.Model != "" && !modelName.MatchString(cfg.Model) {
		// The model goes into argv: a name like "--dangerously-skip-permissions" (say,
		// from a config file in a cloned repository) must never become a flag.
		return nil, fmt.Errorf("agent CLI model %q is not a model name (letters, digits and . _ - : / @ +, not starting with -)", cfg.Model)
	}
	if cfg.Workspace != "" {
		abs, err := filepath.Abs(cfg.Workspace)
		if err != nil {
			return nil, fmt.Errorf("workspace %q: %v", cfg.Workspace, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("workspace %q: %v", cfg.Workspace, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("workspace %q is not a directory", cfg.Workspace)
		}
		cfg.Workspace = abs
	}
	if cfg.Kind == Gemini && cfg.Model == "" {
		cfg.Model = DefaultGeminiModel
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = 2 * time.Second
	}
	cfg.Env = append([]string(nil), cfg.Env...)
	return &Model{cfg: cfg}, nil
}

// Kind is the CLI this model runs.
func (m *Model) Kind() Kind { return m.cfg.Kind }

// ModelName is the model passed to the CLI; empty means the CLI's default.
func (m *Model) ModelName() string { return m.cfg.Model }

// call is everything one invocation needs to build its command line.
type call struct {
	model     string
	system    string
	prompt    string
	workspace string
	root      string // the per-call directory; holds work/, tmp/ and any files we write
	work      string // the child's working directory: fresh and empty
	reasoning string // codex only
	thinking  *int   // claude only
}

// unsupported refuses settings the CLI has no way to take, rather than drop them.
// Temperature and MaxTokens from a Request (a mode role's, doctor's cap) are left
// to the CLI's own defaults, as before: the CLIs offer no flag for them.
func (m *Model) unsupported(req provider.Request) error {
	bad := ""
	switch {
	case req.Reasoning != "" && m.cfg.Kind != Codex:
		bad = "reasoning"
	case req.Thinking != nil && m.cfg.Kind != Claude:
		bad = "thinking"
	case m.cfg.Settings.Temperature != nil:
		bad = "temperature"
	case m.cfg.Settings.MaxTokens != 0:
		bad = "max_tokens"
	}
	if bad == "" {
		return nil
	}
	return &provider.Error{Class: provider.ClassBadRequest,
		Message: fmt.Sprintf("cli:%s cannot be given %s: use the vendor's API provider for that setting", m.cfg.Kind, bad)}
}

// invocation is a prepared command: argv after the binary, stdin, and env entries
// that must win over everything else.
type invocation struct {
	args  []string
	stdin string
	env   []string
}

// outcome is what a finished process left behind.
type outcome struct {
	stdout   []byte
	stderr   []byte // the tail only
	exitCode int    // -1 when killed by a signal
	signaled bool
	overflow bool // stdout passed maxStdout and was cut
}

// Generate implements provider.Model: one CLI run per call.
func (m *Model) Generate(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	if err := ctx.Err(); err != nil {
		return provider.Response{}, provider.Classify(err)
	}
	bin, err := m.binary()
	if err != nil {
		return provider.Response{}, err
	}
	root, err := os.MkdirTemp(m.cfg.TempDir, "parley-"+string(m.cfg.Kind)+"-*")
	if err != nil {
		return provider.Response{}, &provider.Error{Class: provider.ClassUnknown, Message: "agent CLI: cannot make a temporary directory: " + err.Error(), Err: err}
	}
	defer os.RemoveAll(root)
	req = m.cfg.Settings.Apply(req)
	c := call{
		model: m.cfg.Model, system: req.System, prompt: req.Prompt,
		workspace: m.cfg.Workspace, root: root, work: filepath.Join(root, "work"),
		reasoning: req.Reasoning, thinking: req.Thinking,
	}
	if err := m.unsupported(req); err != nil {
		return provider.Response{}, err
	}
	tmp := filepath.Join(root, "tmp")
	for _, d := range []string{c.work, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return provider.Response{}, &provider.Error{Class: provider.ClassUnknown, Message: "agent CLI: " + err.Error(), Err: err}
		}
	}

	var inv invocation
	var out lineWriter
	var stream claudeStream
	switch m.cfg.Kind {
	case Claude:
		inv = claudeInvocation(c)
		if onDelta != nil {
			stream.onDelta = onDelta
			out.onLine = stream.line
		}
	case Codex:
		inv = codexInvocation(c)
	case Gemini:
		inv, err = geminiInvocation(c)
		if err != nil {
			return provider.Response{}, &provider.Error{Class: provider.ClassUnknown, Message: "gemini: " + err.Error(), Err: err}
		}
	}
	// TMPDIR points into the per-call directory so that whatever a CLI drops there
	// (gemini writes error reports to the temp dir) goes away with the call.
	inv.env = append(inv.env, "TMPDIR="+tmp)

	start := time.Now()
	o, runErr := m.run(ctx, bin, c.work, inv, &out)
	// "Text file busy": the binary was open for writing when we forked (an
	// auto-updater replacing it, or a test writing a fake): it clears at once.
	for try := 1; runErr != nil && textBusy(runErr) && try <= 5 && ctx.Err() == nil; try++ {
		time.Sleep(time.Duration(try) * 20 * time.Millisecond)
		o, runErr = m.run(ctx, bin, c.work, inv, &out)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// Whatever the CLI printed while being killed is beside the point.
		pe := provider.Classify(ctxErr)
		if pe.Class == provider.ClassTimeout {
			pe.Message = fmt.Sprintf("%s gave no answer within %s; its process group was killed", m.cfg.Kind, time.Since(start).Round(time.Millisecond))
		}
		return provider.Response{}, pe
	}
	if runErr != nil {
		return provider.Response{}, m.startError(bin, runErr)
	}
	if o.overflow {
		return provider.Response{}, m.finishError(unreadable(m.cfg.Kind, o, fmt.Sprintf("printed more than %d MiB", maxStdout>>20)))
	}

	var resp provider.Response
	switch m.cfg.Kind {
	case Claude:
		resp, err = parseClaude(o)
	case Codex:
		resp, err = parseCodex(o)
	case Gemini:
		resp, err = parseGemini(o)
	}
	if err != nil {
		return provider.Response{}, m.finishError(err)
	}
	if resp.Model == "" {
		resp.Model = m.cfg.Model
	}
	// Codex and Gemini print the answer only at the end, and so does a claude that
	// streamed nothing (a version without partial messages): one delta then.
	if onDelta != nil && !stream.sent && resp.Text != "" {
		onDelta(resp.Text)
	}
	return resp, nil
}

// binary is the executable to run.
func (m *Model) binary() (string, error) {
	if m.cfg.Binary != "" {
		return m.cfg.Binary, nil
	}
	p, err := exec.LookPath(string(m.cfg.Kind))
	if err != nil {
		return "", m.missing(string(m.cfg.Kind), err)
	}
	return p, nil
}

func (m *Model) missing(bin string, err error) *provider.Error {
	return &provider.Error{
		Class:   provider.ClassBadRequest,
		Message: fmt.Sprintf("cli:%s needs the `%s` command, which was not found (%s): %s", m.cfg.Kind, m.cfg.Kind, bin, m.cfg.Kind.InstallHint()),
		Err:     err,
	}
}

// startError explains a process that could not be run at all.
func (m *Model) startError(bin string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return m.missing(bin, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return &provider.Error{Class: provider.ClassBadRequest, Message: fmt.Sprintf("%s: %s is not executable: %v", m.cfg.Kind, bin, err), Err: err}
	}
	return &provider.Error{Class: provider.ClassUnknown, Message: fmt.Sprintf("%s: cannot run %s: %v", m.cfg.Kind, bin, err), Err: err}
}

// finishError adds the login hint to authentication failures and scrubs anything
// that looks like a credential from the message.
func (m *Model) finishError(err error) error {
	pe := provider.Classify(err)
	if pe.Class == provider.ClassAuth && !strings.Contains(pe.Message, m.cfg.Kind.loginHint()) {
		pe.Message += " — " + m.cfg.Kind.loginHint()
	}
	pe.Message = m.scrub(pe.Message)
	return pe
}

// scrub removes the values of credential-like variables given to the child, and
// anything shaped like a well-known key, from text that may reach a report.
func (m *Model) scrub(s string) string {
	for _, kv := range append(os.Environ(), m.cfg.Env...) {
		k, v, ok := strings.Cut(kv, "=")
		if ok && looksSecret(k) {
			s = provider.Redact(s, v)
		}
	}
	return keyShape.ReplaceAllString(s, "[redacted]")
}

func looksSecret(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// childEnv is parley's environment, then the configured extras, then the
// invocation's own entries; exec keeps the last value of a repeated key.
func (m *Model) childEnv(inv invocation) []string {
	env := os.Environ()
	// Plain text on stderr: colour codes would end up in error messages.
	env = append(env, "NO_COLOR=1")
	if m.cfg.Kind == Claude {
		// Claude Code retries a 401 with backoff for about two minutes; the debate
		// engine has its own retry policy and must hear about failures quickly.
		env = append(env, "CLAUDE_CODE_MAX_RETRIES=0")
	}
	env = append(env, m.cfg.Env...)
	return append(env, inv.env...)
}

// run starts the CLI in its own process group, feeds it the prompt and waits. err
// is set only when the process could not be started or waited for.
//
// The three pipes are made here rather than by exec so that the order of events is
// ours: as soon as the CLI exits, its process group is swept (helpers it left
// behind die, and with them their copies of the pipes), and only then is the rest
// of the output read. With exec's own pipes, a helper holding stdout open would
// hold up every call.
func (m *Model) run(ctx context.Context, bin, dir string, inv invocation, out *lineWriter) (outcome, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return outcome{}, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return outcome{}, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return outcome{}, err
	}
	defer closeAll(inW, outR, errR)

	cmd := exec.CommandContext(ctx, bin, inv.args...)
	cmd.Dir = dir
	cmd.Env = m.childEnv(inv)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	setProcessGroup(cmd)
	// On timeout or cancel: the whole group, at once.
	cmd.Cancel = func() error { return killGroup(cmd) }
	err = cmd.Start()
	// The child has its own copies now; ours would keep the pipes open forever.
	closeAll(inR, outW, errW)
	if err != nil {
		return outcome{}, err
	}

	var errTail tailBuffer
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		// The prompt, then EOF: codex waits for it, claude waits 3 s without it. A
		// CLI that exits without reading makes this fail with EPIPE, which is fine.
		io.WriteString(inW, inv.stdin)
		inW.Close()
	}()
	go func() { defer wg.Done(); io.Copy(out, outR) }()
	go func() { defer wg.Done(); io.Copy(&errTail, errR) }()

	waitErr := cmd.Wait()
	// Sweep the group after a normal exit too: a CLI may leave helpers behind. (The
	// group id cannot have been reused yet: its members keep it alive, and with
	// none left the kill finds nothing.)
	killGroup(cmd)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(m.cfg.KillGrace):
		// Something outside the group (a helper that called setsid) still holds a
		// pipe: stop waiting for it. Closing unblocks the copies.
		closeAll(inW, outR, errR)
		<-done
	}
	out.flush()

	o := outcome{
		stdout: out.buf.Bytes(), stderr: errTail.Bytes(),
		exitCode: cmd.ProcessState.ExitCode(), overflow: out.overflow,
	}
	o.signaled = o.exitCode == -1
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return o, waitErr
	}
	return o, nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		f.Close() // a second Close only returns an error, which is of no interest
	}
}

// maxStdout bounds what is kept of a CLI's stdout; an answer is far smaller.
const maxStdout = 64 << 20

// lineWriter keeps stdout and hands each complete line to onLine as it arrives
// (for streamed deltas). Only the goroutine copying stdout writes to it.
type lineWriter struct {
	buf      bytes.Buffer
	next     int // start of the first line not yet handed out
	onLine   func(line []byte)
	overflow bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > maxStdout {
		w.overflow = true
		return len(p), nil // keep draining so the child never blocks on a full pipe
	}
	w.buf.Write(p)
	if w.onLine == nil {
		return len(p), nil
	}
	for {
		data := w.buf.Bytes()[w.next:]
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		w.onLine(data[:i])
		w.next += i + 1
	}
	return len(p), nil
}

// flush hands out a last line that had no newline.
func (w *lineWriter) flush() {
	if w.onLine != nil && w.next < w.buf.Len() {
		w.onLine(w.buf.Bytes()[w.next:])
		w.next = w.buf.Len()
	}
}

// tailBuffer keeps the last stderrKeep bytes written: errors come at the end, after
// any amount of warnings and stack traces.
type tailBuffer struct{ b []byte }

const stderrKeep = 64 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*stderrKeep {
		t.b = append(t.b[:0], t.b[len(t.b)-stderrKeep:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	if len(t.b) > stderrKeep {
		return t.b[len(t.b)-stderrKeep:]
	}
	return t.b
}
