package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/cli"
	"github.com/parleyhq/parley/internal/fakellm"
)

// runEnv runs parley in-process with env instead of the harness's own, so a
// client's environment can differ from the server's without writing to the map
// the running server reads.
func runEnv(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	io := cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return env[k] }}
	code := cli.Main(context.Background(), args, io)
	return result{code, out.String(), errb.String()}
}

// cannotRunLocally is a client environment that points at the server's own
// database but can reach no provider: a command that ran locally instead of on
// the server would find the debate and then fail, so only the server can make
// it succeed.
func cannotRunLocally(h *harness, server string) map[string]string {
	env := maps.Clone(h.env)
	env["OPENAI_BASE_URL"] = "http://127.0.0.1:1/v1"
	env["OPENAI_API_KEY"] = ""
	env["PARLEY_SERVER"] = server
	return env
}

// TestRemoteResume: a debate the server was stopped in the middle of is finished
// by `parley --server URL resume ID` on the next server over the same database;
// the work is the server's, not the client's; an unknown id is exit 2 naming it.
func TestRemoteResume(t *testing.T) {
	h := newHarness(t)
	h.env["PARLEY_TOKEN"] = serveMCPToken
	h.srv.Script("fast-a", answers("fast-a", 0))
	h.srv.Script("fast-b", answers("fast-b", 0))
	slow := answers("slow", 0)
	var hung atomic.Bool
	h.srv.Script("slow", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := slow.Func(c)
		if roundOf(c.Prompt) == 2 && !hung.Swap(true) {
			r.Latency = 30 * time.Second // still waiting when the first server stops
		}
		return r
	}})

	first := h.serve()
	id := first.start(`{"problem": "Where do we start?", "models": ["openai:fast-a", "openai:fast-b", "openai:slow"], "rounds": 2}`)
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
	if code := first.stop(); code != 0 {
		t.Fatalf("serve exited %d\n%s", code, first.log.String())
	}
	if rec := decodeResult(t, h.run("show", id, "--format", "json").stdout); rec.Status != debate.StatusInterrupted {
		t.Fatalf("after the first server stopped: status %s", rec.Status)
	}

	second := h.serve()
	client := cannotRunLocally(h, second.base)
	before := callsPerRound(h.srv)
	res := runEnv(t, client, "resume", id, "--format", "json")
	if res.code != 0 {
		t.Fatalf("remote resume: exit %d\n%s\n%s\nserver log:\n%s", res.code, res.stdout, res.stderr, second.log.String())
	}
	rec := decodeResult(t, res.stdout)
	if rec.ID != id || rec.Status != debate.StatusCompleted || rec.Verdict == nil {
		t.Fatalf("remote resume: id %s status %s verdict %v", rec.ID, rec.Status, rec.Verdict)
	}
	// Only the remote path follows the server's event stream and says so.
	if want := "following debate " + id + " on " + second.base; !strings.Contains(res.stderr, want) {
		t.Errorf("remote resume's progress lacks %q:\n%s", want, res.stderr)
	}
	// The server's providers (the fake) did the rest of the debate: the slow seat's
	// round 2 again and the chair's verdict, and not the finished turns.
	after := callsPerRound(h.srv)
	if after["slow/2"] <= before["slow/2"] {
		t.Errorf("the server did not call the slow seat's round 2 again: before %v, after %v", before, after)
	}
	for _, m := range []string{"fast-a", "fast-b"} {
		if after[m+"/2"] != before[m+"/2"] {
			t.Errorf("%s's finished round-2 turn was called again", m)
		}
	}
	if r := second.do("GET", "/api/debates/"+id, ""); r.status != http.StatusOK || !strings.Contains(r.body, `"status":"completed"`) && !strings.Contains(r.body, `"status": "completed"`) {
		t.Errorf("the server's record after the remote resume: %d %.300s", r.status, r.body)
	}

	// Resuming it again: nothing to resume, and the server says so (no local run).
	if again := runEnv(t, client, "resume", id); again.code == 0 {
		t.Errorf("resuming a completed debate: exit 0\n%s", again.stderr)
	}

	unknown := runEnv(t, client, "resume", "nosuchid")
	if unknown.code != 2 || !strings.Contains(unknown.stderr, "no debate nosuchid on "+second.base) {
		t.Errorf("remote resume of an unknown id: exit %d\n%s", unknown.code, unknown.stderr)
	}
}

// TestRemoteExport: `parley --server URL export` writes the same report, in each
// format, as a local export of the same stored debate; -o - writes to stdout; an
// unknown id is exit 2 naming it, and leaves no file.
func TestRemoteExport(t *testing.T) {
	h := newHarness(t)
	h.env["PARLEY_TOKEN"] = serveMCPToken
	for _, m := range []string{"gpt-5", "o4-mini"} {
		h.srv.Script(m, answers(m, 0))
	}
	s := h.serve()
	remoteEnv := cannotRunLocally(h, s.base)
	// The client keeps no database of its own: a local export would find nothing.
	remoteEnv["PARLEY_DB"] = filepath.Join(h.dir, "elsewhere.db")
	localEnv := maps.Clone(h.env) // the server's database, read directly

	r := runEnv(t, remoteEnv, "-m", "openai:gpt-5,openai:o4-mini", "--rounds", "1", "--format", "json", "Cache or index?")
	if r.code != 0 {
		t.Fatalf("remote run: exit %d\n%s", r.code, r.stderr)
	}
	id := decodeResult(t, r.stdout).ID

	out := t.TempDir()
	for _, ext := range []string{"md", "json", "html"} {
		remoteFile := filepath.Join(out, "remote."+ext)
		localFile := filepath.Join(out, "local."+ext)
		if res := runEnv(t, remoteEnv, "export", id, "-o", remoteFile); res.code != 0 || !strings.Contains(res.stderr, "Wrote "+remoteFile) {
			t.Fatalf("remote export %s: exit %d\n%s", ext, res.code, res.stderr)
		}
		if res := runEnv(t, localEnv, "export", id, "-o", localFile); res.code != 0 {
			t.Fatalf("local export %s: exit %d\n%s", ext, res.code, res.stderr)
		}
		got, _ := os.ReadFile(remoteFile)
		want, _ := os.ReadFile(localFile)
		if len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s: the remote export (%d bytes) differs from the local one (%d bytes)\nremote: %.400s\nlocal:  %.400s", ext, len(got), len(want), got, want)
		}
		if ext == "json" {
			var rec debate.Record
			if err := json.Unmarshal(got, &rec); err != nil || rec.ID != id || rec.Verdict == nil || rec.Verdict.Recommendation != "Profile with django-silk, then fix N+1 queries" {
				t.Errorf("remote JSON export: %v %+v", err, rec.Verdict)
			}
		}
	}

	// -o - with a format, and --transcript, reach the remote export too.
	res := runEnv(t, remoteEnv, "export", id, "-o", "-", "--format", "md", "--transcript")
	local := runEnv(t, localEnv, "export", id, "-o", "-", "--format", "md", "--transcript")
	if res.code != 0 || res.stdout == "" || res.stdout != local.stdout {
		t.Errorf("remote export -o - --transcript: exit %d, %d bytes, local %d bytes\n%s", res.code, len(res.stdout), len(local.stdout), res.stderr)
	}
	if !strings.Contains(res.stdout, "FINAL-LINE-OF-gpt-5-ROUND-1") {
		t.Errorf("remote export --transcript lacks a full answer:\n%.600s", res.stdout)
	}

	missing := filepath.Join(out, "missing.html")
	unknown := runEnv(t, remoteEnv, "export", "nosuchid", "-o", missing)
	if unknown.code != 2 || !strings.Contains(unknown.stderr, "no debate nosuchid on "+s.base) {
		t.Errorf("remote export of an unknown id: exit %d\n%s", unknown.code, unknown.stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a failed remote export left a file")
	}
	if noFile := runEnv(t, remoteEnv, "export", id); noFile.code != 2 || !strings.Contains(noFile.stderr, "-o FILE") {
		t.Errorf("remote export without -o: exit %d\n%s", noFile.code, noFile.stderr)
	}
}
