package cli_test

import (
	"encoding/json"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/fakellm"
)

// TestResumeAfterSIGKILL kills a real parley process in round 2 and resumes the
// debate: no round-1 call and no finished round-2 turn is paid for twice.
func TestResumeAfterSIGKILL(t *testing.T) {
	h := newHarness(t)
	h.srv.Script("fast-a", answers("fast-a", 0))
	h.srv.Script("fast-b", answers("fast-b", 0))
	slow := answers("slow", 0)
	var hung atomic.Bool
	waiting := make(chan struct{}) // closed when the slow seat's round-2 call has begun
	h.srv.Script("slow", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		r := slow.Func(c)
		if roundOf(c.Prompt) == 2 && !hung.Swap(true) {
			r.Latency = 30 * time.Second // the process is killed while it waits
			close(waiting)
		}
		return r
	}})

	cmd := h.startProcess("Where do we start?", "-m", "openai:fast-a,openai:fast-b,openai:slow", "-q")
	awaitOrKill(t, waiting, cmd, "round 2 never got going")
	h.waitStored(t, 2, 2)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	list := h.run("list", "--format", "json")
	var rows []struct{ ID, Status string }
	if err := json.Unmarshal([]byte(list.stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("list: %v %s", err, list.stdout)
	}
	if rows[0].Status != "running" {
		t.Fatalf("a killed debate shows %q, want running", rows[0].Status)
	}
	count := func() map[string]int {
		m := map[string]int{}
		for _, c := range h.srv.Calls() {
			m[c.Model+"/"+string(rune('0'+roundOf(c.Prompt)))]++
		}
		return m
	}
	before := count()

	res := h.run("resume", rows[0].ID, "--format", "json")
	if res.code != 0 {
		t.Fatalf("resume exit %d\n%s", res.code, res.stderr)
	}
	var rec debate.Record
	if err := json.Unmarshal([]byte(res.stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil {
		t.Fatalf("resumed debate: status %s, %d rounds", rec.Status, len(rec.Rounds))
	}
	after := count()
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
	if after["slow/2"] != before["slow/2"]+1 {
		t.Errorf("the unfinished round-2 turn was called %d more times, want 1", after["slow/2"]-before["slow/2"])
	}
}
