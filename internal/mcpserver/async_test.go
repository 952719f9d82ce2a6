package mcpserver_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/provider"
)

// slow is fake with a fixed latency per call, honouring cancellation.
func slow(name string, latency time.Duration, calls *atomic.Int64) provider.Model {
	quick := fake(name, 70)
	return provider.Func(func(ctx context.Context, req provider.Request, d func(string)) (provider.Response, error) {
		if calls != nil {
			calls.Add(1)
		}
		select {
		case <-time.After(latency):
		case <-ctx.Done():
			return provider.Response{}, ctx.Err()
		}
		return quick.Generate(ctx, req, d)
	})
}

func (b *backend) resume(ctx context.Context, id string, progress func(debate.Event)) (*debate.Record, error) {
	events, err := b.st.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	var panel []debate.Participant
	for _, s := range events[0].Started.Panel {
		panel = append(panel, debate.Participant{Seat: s, Model: b.models[s.Model]})
	}
	return debate.Run(ctx, debate.Debate{Panel: panel, Log: events}, func(e debate.Event) error {
		if e.Kind.Stored() {
			if err := b.st.Append(context.Background(), e); err != nil {
				return err
			}
		}
		if progress != nil {
			progress(e)
		}
		return nil
	})
}

// timedCall makes one tool call and fails the test if it took longer than limit.
func (h *harness) timedCall(tool string, args map[string]any, limit time.Duration) *mcp.CallToolResult {
	h.t.Helper()
	start := time.Now()
	res, err := h.call(context.Background(), tool, args, nil)
	if took := time.Since(start); took > limit {
		h.t.Fatalf("%s blocked for %v (limit %v)", tool, took, limit)
	}
	if err != nil {
		h.t.Fatalf("%s: %v", tool, err)
	}
	return res
}

// A debate of many slow model calls, driven through start_debate, debate_status
// and debate_result, never holds a tool call open. Scaling: hosts cut calls at
// 60-120 s and the issue asks that a 10-minute debate never block one past 30 s,
// i.e. a call may take at most 1/20 of the debate. Here each model call takes
// 1.6 s and the debate 3 rounds plus a verdict (>= 6.4 s); every tool call must
// return within 300 ms, 1/21 of the debate at its shortest (100 ms flaked on a loaded 2-core machine under -race). A start_debate that
// waited for the debate, or a status that waited for the next turn, fails it.
func TestAsyncToolsNeverBlock(t *testing.T) {
	const latency = 1600 * time.Millisecond
	const limit = 300 * time.Millisecond
	h := newHarness(t, map[string]provider.Model{"fake:a": slow("a", latency, nil), "fake:b": slow("b", latency, nil)})

	began := time.Now()
	res := h.timedCall("start_debate", map[string]any{"problem": "Why is the API slow?", "rounds": 3}, limit)
	var started mcpserver.StartOutput
	structured(t, res, &started)
	if started.ID == "" || started.Status != debate.StatusRunning {
		t.Fatalf("start_debate: %+v", started)
	}
	id := map[string]any{"id": started.ID}

	sawPending, lastDone, polls := false, -1, 0
	for {
		polls++
		var st mcpserver.StatusOutput
		structured(t, h.timedCall("debate_status", id, limit), &st)
		if st.TurnsDone < lastDone {
			t.Fatalf("progress went back: %d after %d", st.TurnsDone, lastDone)
		}
		lastDone = st.TurnsDone
		if st.Status != debate.StatusRunning {
			if st.Status != debate.StatusCompleted || st.Running || !st.Verdict || st.TurnsDone != 7 {
				t.Fatalf("final status: %+v", st)
			}
			break
		}
		if !st.Running || len(st.Seats) != 2 {
			t.Fatalf("running status: %+v", st)
		}
		res := h.timedCall("debate_result", id, limit)
		var pending map[string]any
		structured(t, res, &pending)
		if pending["status"] == "pending" {
			sawPending = true
		}
		if time.Since(began) > 30*time.Second {
			t.Fatal("the debate did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if took := time.Since(began); took < 4*latency {
		t.Fatalf("debate took %v: the scripted latency did not apply, so the test proves nothing", took)
	}
	if !sawPending || polls < 10 {
		t.Fatalf("pending seen %v, %d polls", sawPending, polls)
	}
	res = h.timedCall("debate_result", id, limit)
	var rec debate.Record
	structured(t, res, &rec)
	if rec.ID != started.ID || rec.Status != debate.StatusCompleted || rec.Verdict == nil || res.IsError {
		t.Fatalf("result: %+v", rec)
	}
	if !strings.Contains(text(res), "N+1") {
		t.Errorf("result text lacks the verdict: %s", text(res))
	}
	// It is stored like any other debate.
	if sum, err := h.b.st.Get(context.Background(), started.ID); err != nil || sum.Status != debate.StatusCompleted {
		t.Fatalf("stored: %+v %v", sum, err)
	}
}

// cancel_debate stops a background debate and leaves it interrupted; resume_debate
// finishes it without calling the finished turns again.
func TestCancelThenResume(t *testing.T) {
	var calls atomic.Int64
	models := map[string]provider.Model{"fake:a": slow("a", 150*time.Millisecond, &calls), "fake:b": slow("b", 150*time.Millisecond, &calls)}
	serverT, clientT := mcp.NewInMemoryTransports()
	h := newHarnessWith(t, models, serverT, clientT, nil)

	var started mcpserver.StartOutput
	structured(t, h.timedCall("start_debate", map[string]any{"problem": "Why is the API slow?", "rounds": 3}, time.Second), &started)
	id := map[string]any{"id": started.ID}
	// Wait for round 1 to be stored.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var st mcpserver.StatusOutput
		structured(t, h.timedCall("debate_status", id, time.Second), &st)
		if st.TurnsDone >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("round 1 never finished")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stopped mcpserver.StartOutput
	structured(t, h.timedCall("cancel_debate", id, 5*time.Second), &stopped)
	if stopped.Status != debate.StatusInterrupted {
		t.Fatalf("cancel: %+v", stopped)
	}
	var st mcpserver.StatusOutput
	structured(t, h.timedCall("debate_status", id, time.Second), &st)
	if st.Status != debate.StatusInterrupted || st.Running || !st.Resumable {
		t.Fatalf("after cancel: %+v", st)
	}
	done := st.TurnsDone
	res, err := h.call(context.Background(), "cancel_debate", id, nil)
	if err != nil || !res.IsError || !strings.Contains(text(res), "nothing to cancel") {
		t.Fatalf("second cancel: %v %+v", err, res)
	}

	before := calls.Load()
	structured(t, h.timedCall("resume_debate", id, time.Second), &started)
	for deadline := time.Now().Add(10 * time.Second); ; {
		structured(t, h.timedCall("debate_status", id, time.Second), &st)
		if st.Status == debate.StatusCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resumed debate did not finish: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Finished turns are not redone: the resumed run makes only the missing calls
	// (a turn cut mid-call is made again).
	if again := calls.Load() - before; int(again) > 7-done {
		t.Errorf("resume made %d calls with %d of 7 done", again, done)
	}
	res, err = h.call(context.Background(), "resume_debate", id, nil)
	if err != nil || !res.IsError || !strings.Contains(text(res), "already completed") {
		t.Fatalf("resume of a completed debate: %v %+v", err, res)
	}
}

func TestAsyncBadInput(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"start_debate", map[string]any{"problem": " "}, `"problem" is required`},
		{"start_debate", map[string]any{"problem": "x", "models": []any{"fake:nope"}}, `unknown model`},
		{"debate_status", map[string]any{"id": ""}, `"id" is required`},
		{"debate_status", map[string]any{"id": "nosuchid"}, `no debate with id "nosuchid"`},
		{"debate_result", map[string]any{"id": "nosuchid"}, `no debate with id`},
		{"cancel_debate", map[string]any{"id": "nosuchid"}, `no debate with id`},
	} {
		res, err := h.call(context.Background(), c.tool, c.args, nil)
		if err != nil || !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s %v: %v %+v, want an error with %q", c.tool, c.args, err, res, c.want)
		}
	}
}

func TestListModels(t *testing.T) {
	h := newHarness(t, nil)
	var out struct {
		Models []map[string]any `json:"models"`
	}
	structured(t, h.timedCall("list_models", nil, time.Second), &out)
	if len(out.Models) != 1 || out.Models[0]["ref"] != "fake:a" {
		t.Fatalf("list_models: %+v", out)
	}
}

// lagging is a store whose first Events read is slow: it returns what was stored
// when it was asked, but only after the debate has finished and its job is done,
// as a read can on a loaded machine.
type lagging struct {
	mcpserver.Store
	once sync.Once
}

func (l *lagging) Events(ctx context.Context, id string) ([]debate.Event, error) {
	events, err := l.Store.Events(ctx, id)
	l.once.Do(func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if sum, err := l.Store.Get(ctx, id); err == nil && sum.Status != debate.StatusRunning {
				break
			}
		}
		time.Sleep(100 * time.Millisecond) // the job counts as done just after its last event
	})
	return events, err
}

// A status read while the debate runs says it runs, however long the read of its
// log takes: Running is asked before the log is read. Asked after, a debate that
// finished meanwhile read as "running" yet not run by anyone, and not resumable.
func TestStatusOfAFinishingDebateIsConsistent(t *testing.T) {
	serverT, clientT := mcp.NewInMemoryTransports()
	h := newHarnessWith(t, map[string]provider.Model{"fake:a": fake("a", 70), "fake:b": fake("b", 70)}, serverT, clientT,
		func(st mcpserver.Store) mcpserver.Store { return &lagging{Store: st} })

	var started mcpserver.StartOutput
	structured(t, h.timedCall("start_debate", map[string]any{"problem": "Why is the API slow?", "rounds": 2}, 5*time.Second), &started)
	var st mcpserver.StatusOutput
	structured(t, h.timedCall("debate_status", map[string]any{"id": started.ID}, 15*time.Second), &st)
	if st.Status == debate.StatusRunning && (!st.Running || st.Resumable) {
		t.Fatalf("a debate this server runs reads as running %v, resumable %v: %+v", st.Running, st.Resumable, st)
	}
	if sum, err := h.b.st.Get(context.Background(), started.ID); err != nil || sum.Status != debate.StatusCompleted {
		t.Fatalf("stored: %+v %v", sum, err)
	}
	structured(t, h.timedCall("debate_status", map[string]any{"id": started.ID}, 5*time.Second), &st)
	if st.Status != debate.StatusCompleted || st.Running {
		t.Fatalf("after the debate: %+v", st)
	}
}
