package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

// TestSIGKILLLoop kills real parley processes at random points, 20 times, resuming
// whatever is unfinished each time, then finishes everything. Every debate must
// complete, and no turn may be called after its answer was stored: a finished turn
// is never paid for twice.
func TestSIGKILLLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("20 process kills")
	}
	h := newHarness(t)
	for _, m := range []string{"a", "b", "c"} {
		h.srv.Script(m, answers(m, 120*time.Millisecond))
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	env := func() []string {
		var out []string
		for k, v := range h.env {
			out = append(out, k+"="+v)
		}
		return out
	}
	unfinished := func() []string {
		res := h.run("list", "--format", "json")
		var rows []struct{ ID, Status string }
		json.Unmarshal([]byte(res.stdout), &rows)
		var ids []string
		for _, r := range rows {
			if r.Status == "running" || r.Status == "interrupted" {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}
	started := 0
	for kill := 0; kill < 20; kill++ {
		var cmd *exec.Cmd
		if ids := unfinished(); len(ids) > 0 {
			cmd = exec.Command("parley", "resume", ids[0], "-q")
		} else {
			started++
			cmd = exec.Command("parley", fmt.Sprintf("Question #%d: where do we start?", started), "-m", "openai:a,openai:b,openai:c", "-q")
		}
		cmd.Env = env()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rng.IntN(700)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	for _, id := range unfinished() {
		if res := h.run("resume", id, "-q"); res.code != 0 {
			t.Fatalf("final resume of %s: exit %d\n%s", id, res.code, res.stderr)
		}
	}
	if ids := unfinished(); len(ids) != 0 {
		t.Fatalf("still unfinished: %v", ids)
	}

	// When was each turn's answer stored? (debate problem, model, phase) → time.
	st, err := sqlite.Open(context.Background(), h.env["PARLEY_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	type key struct{ question, model, phase string }
	stored := map[key]time.Time{}
	list := h.run("list", "--format", "json")
	var rows []struct{ ID, Status, Problem string }
	json.Unmarshal([]byte(list.stdout), &rows)
	// A process killed before it stored debate_started leaves nothing, and called no model.
	if len(rows) == 0 || len(rows) > started {
		t.Errorf("%d debates stored, %d started", len(rows), started)
	}
	known := map[string]bool{}
	for _, r := range rows {
		known[r.Problem] = true
	}
	for _, r := range rows {
		if r.Status != "completed" {
			t.Errorf("debate %s is %s", r.ID, r.Status)
		}
		events, err := st.Events(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		models := map[string]string{}
		for _, s := range events[0].Started.Panel {
			models[s.Seat] = strings.TrimPrefix(s.Model, "openai:")
		}
		for _, e := range events {
			switch e.Kind {
			case debate.KindTurnCompleted:
				stored[key{r.Problem, models[e.Seat], fmt.Sprint(e.Round)}] = e.At
			case debate.KindVerdictCompleted:
				stored[key{r.Problem, models[e.Seat], "verdict"}] = e.At
			}
		}
	}
	question := regexp.MustCompile(`Question #\d+: where do we start\?`)
	repaid := 0
	for _, c := range h.srv.Calls() {
		if c.Prompt == "" {
			continue // killed while sending: the request never arrived whole, nothing was answered
		}
		phase := fmt.Sprint(roundOf(c.Prompt))
		if phase == "0" {
			phase = "verdict"
		}
		k := key{question.FindString(c.Prompt), c.Model, phase}
		if !known[k.question] {
			t.Errorf("a model was called for %q, which has no stored debate", k.question)
		}
		if at, ok := stored[k]; ok && c.Start.After(at) {
			repaid++
			t.Errorf("%v was called again at %v, after its answer was stored at %v", k, c.Start, at)
		}
	}
	t.Logf("%d debates, %d model calls, 20 kills, %d finished turns called again", started, len(h.srv.Calls()), repaid)
}
