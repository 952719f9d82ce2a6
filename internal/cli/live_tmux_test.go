package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
)

// tmuxPane runs one command in a detached tmux session of its own server, on a
// real pseudo-terminal, and reads the screen back as the user would see it.
type tmuxPane struct {
	tmux string
	sock string
}

func newTmux(t *testing.T) *tmuxPane {
	t.Helper()
	path, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed; the live view's end-to-end test needs it (apt-get install tmux)")
	}
	p := &tmuxPane{tmux: path, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	t.Cleanup(func() { p.run("kill-server") })
	return p
}

func (p *tmuxPane) run(args ...string) (string, error) {
	// Its own socket, no user configuration, and no $TMUX, so that a developer's
	// own tmux is neither used nor in the way.
	cmd := exec.Command(p.tmux, append([]string{"-S", p.sock, "-f", "/dev/null"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start runs shell command line in a new 120×40 session named name. The pane
// stays after the command so that its last screen can be read.
func (p *tmuxPane) start(t *testing.T, name, line, dir string) {
	t.Helper()
	if out, err := p.run("new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c", dir, line+`; echo "[exit $?]"; sleep 60`); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
}

func (p *tmuxPane) screen(t *testing.T, name string) string {
	t.Helper()
	out, err := p.run("capture-pane", "-p", "-t", name)
	if err != nil {
		t.Fatalf("tmux capture-pane: %v\n%s", err, out)
	}
	return out
}

// waitFor polls the screen until it contains every want, and returns it.
func (p *tmuxPane) waitFor(t *testing.T, name string, timeout time.Duration, wants ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := p.screen(t, name)
		if strings.Contains(s, "asking every seat in parallel") {
			t.Fatalf("the plain progress printer is on a terminal: the live view is not wired into execute (see internal/cli/live.go)\n%s", s)
		}
		missing := ""
		for _, w := range wants {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the screen still lacks %q:\n%s", timeout, missing, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *tmuxPane) keys(t *testing.T, name string, keys ...string) {
	t.Helper()
	if out, err := p.run(append([]string{"send-keys", "-t", name}, keys...)...); err != nil {
		t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TestLiveViewInTmux runs the real command on a real terminal against the scripted
// demo debate: the live view shows every seat, the round and then the verdict; q
// and Ctrl-C (a key, in raw mode) interrupt, leaving a debate that resume finishes
// without calling a finished turn again.
func TestLiveViewInTmux(t *testing.T) {
	tm := newTmux(t)
	bin, err := exec.LookPath("parley") // this test binary, put on PATH by TestMain
	if err != nil {
		t.Fatalf("parley is not on PATH: %v", err)
	}
	h := newHarness(t)
	demo := fakellm.Demo()
	h.srv.Script(fakellm.AnyModel, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := demo.Func(c)
		// Fast enough for a test (a round takes some 0.4 s), slow enough that every
		// state stays on screen for several polls.
		r.Latency, r.ChunkSize, r.ChunkDelay = 100*time.Millisecond, 40, 5*time.Millisecond
		return r
	}})
	// A clean environment: the harness's (a fake HOME, the fake server, its key)
	// and the TERM tmux gives the pane.
	line := `env -i TERM="$TERM"`
	for k, v := range h.env {
		line += " " + k + "=" + shellQuote(v)
	}
	line += " " + shellQuote(bin) + " -m openai:a,openai:b,openai:c " + shellQuote(fakellm.DemoQuestion)

	t.Run("verdict", func(t *testing.T) {
		tm.start(t, "full", line+" >report.md", h.dir)
		mid := tm.waitFor(t, "full", 15*time.Second, "openai:a", "openai:b", "openai:c", "round 2/3 critique", "mode standard")
		t.Logf("mid-debate:\n%s", mid)
		end := tm.waitFor(t, "full", 20*time.Second, "[exit 0]")
		for _, want := range []string{"verdict · confidence", "by openai:", "completed", "done"} {
			if !strings.Contains(end, want) {
				t.Fatalf("the final frame lacks %q:\n%s", want, end)
			}
		}
		report, err := os.ReadFile(filepath.Join(h.dir, "report.md"))
		if err != nil || !strings.Contains(string(report), "## Verdict") {
			t.Fatalf("stdout (the report) was not kept apart from the view: %v\n%s", err, report)
		}
		if strings.Contains(string(report), "\x1b") {
			t.Fatal("the report on stdout carries escape codes")
		}
	})

	// Each interruption waits for round 2, so that round 1 is stored and resume can
	// be seen to skip it.
	for _, key := range []string{"q", "C-c"} {
		t.Run("interrupt with "+key, func(t *testing.T) {
			name := "int" + strings.ToLower(strings.TrimPrefix(key, "C-"))
			tm.start(t, name, line+" >/dev/null", h.dir)
			tm.waitFor(t, name, 15*time.Second, "round 2/3", "streaming")
			tm.keys(t, name, key)
			end := tm.waitFor(t, name, 15*time.Second, "[exit 130]")
			if !strings.Contains(end, "state kept; resume with parley resume") {
				t.Fatalf("no resume hint on screen:\n%s", end)
			}
			id := newestInterrupted(t, h)

			before := roundCalls(h, 1)
			if key == "q" {
				// In-process, without a terminal: the plain printer.
				res := h.run("resume", id, "--format", "json")
				if res.code != 0 {
					t.Fatalf("resume %s: exit %d\n%s", id, res.code, res.stderr)
				}
				var out struct{ Status string }
				if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.Status != "completed" {
					t.Fatalf("resumed debate: %v %q", err, res.stdout)
				}
			} else {
				// On the terminal: the view starts from the stored log (mode,
				// rounds, positions) and ends with the verdict.
				resume := `env -i TERM="$TERM"`
				for k, v := range h.env {
					resume += " " + k + "=" + shellQuote(v)
				}
				tm.start(t, name+"r", resume+" "+shellQuote(bin)+" resume "+id+" >/dev/null", h.dir)
				end := tm.waitFor(t, name+"r", 15*time.Second, "[exit 0]")
				for _, want := range []string{"mode standard", "verdict · confidence", "completed", "openai:c"} {
					if !strings.Contains(end, want) {
						t.Fatalf("the resumed view lacks %q:\n%s", want, end)
					}
				}
			}
			if after := roundCalls(h, 1); after != before {
				t.Fatalf("resume called round 1 again: %d calls, before %d", after, before)
			}
		})
	}
}

// newestInterrupted is the id of the newest debate, which must be interrupted.
func newestInterrupted(t *testing.T, h *harness) string {
	t.Helper()
	list := h.run("list", "--format", "json")
	var rows []struct{ ID, Status string }
	if err := json.Unmarshal([]byte(list.stdout), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("list: %v %q", err, list.stdout)
	}
	if rows[0].Status != "interrupted" {
		t.Fatalf("the newest debate is %q, want interrupted (%+v)", rows[0].Status, rows[0])
	}
	return rows[0].ID
}

func roundCalls(h *harness, round int) int {
	n := 0
	for _, c := range h.srv.Calls() {
		if roundOf(c.Prompt) == round {
			n++
		}
	}
	return n
}
