package cli_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
)

// Faults on the wire, each through the real provider over HTTP: the promise is that
// a passing fault costs a retry, a lasting one costs the turn, and never the debate.
func TestWireFaults(t *testing.T) {
	ok := func(model string) fakellm.Reply { return answers(model, 0).Func(fakellm.Call{Prompt: "# Round 1 of"}) }
	cases := []struct {
		name     string
		first    []fakellm.Reply // the faulty model's first replies; then it answers normally
		args     []string
		wantOK   bool
		class    string
		attempts int
	}{
		{"stream cut mid-answer", []fakellm.Reply{{Text: strings.Repeat("partial ", 100), CutAfter: 50}}, nil, true, "", 2},
		{"malformed SSE", []fakellm.Reply{{Text: "garbage", Malformed: true}}, nil, true, "", 2},
		{"5xx burst", []fakellm.Reply{{Status: 502}, {Status: 503}, {Status: 500}}, nil, true, "", 4},
		{"empty answer", []fakellm.Reply{{Empty: true}}, nil, true, "", 2},
		{"hang, then answer", []fakellm.Reply{{Hang: true}}, []string{"--timeout", "300ms"}, true, "", 2},
		{"hang for good", []fakellm.Reply{{Hang: true}, {Hang: true}, {Hang: true}, {Hang: true}}, []string{"--timeout", "200ms"}, false, "timeout", 2}, // a timeout is retried once
		{"auth error fails at once", []fakellm.Reply{{Status: 401}}, nil, false, "auth", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.srv.Script("a", answers("a", 0))
			h.srv.Script("b", answers("b", 0))
			h.srv.Script("faulty", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
				if c.N <= len(tc.first) {
					return tc.first[c.N-1]
				}
				return ok("faulty")
			}})
			args := append([]string{"Where do we start?", "-m", "openai:a,openai:b,openai:faulty", "--rounds", "1", "--format", "json", "-q"}, tc.args...)
			start := time.Now()
			res := h.run(args...)
			if res.code != 0 {
				t.Fatalf("exit %d: a fault of one seat must not stop the debate\n%s", res.code, res.stderr)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			rec := decodeResult(t, res.stdout)
			turn, _ := rec.Turn(1, "C")
			if turn.OK() != tc.wantOK || turn.Attempts != tc.attempts || (tc.class != "" && string(turn.ErrorClass) != tc.class) {
				t.Errorf("turn ok=%v attempts=%d class=%s error=%q; want ok=%v attempts=%d class=%s", turn.OK(), turn.Attempts, turn.ErrorClass, turn.Error, tc.wantOK, tc.attempts, tc.class)
			}
		})
	}
}

// A 429 storm: every seat is rate limited twice with Retry-After: 1. Every turn
// still succeeds, and no retry comes sooner than the server asked.
func TestRateLimitStorm(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{"a", "b", "c"} {
		normal := answers(m, 0)
		h.srv.Script(m, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
			if c.N <= 2 {
				return fakellm.Reply{Status: 429, RetryAfter: "1", ErrorMessage: "Rate limit reached"}
			}
			return normal.Func(c)
		}})
	}
	res := h.run("Where do we start?", "-m", "openai:a,openai:b,openai:c", "--rounds", "1", "--format", "json", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	for _, tr := range rec.Rounds[0].Turns {
		if !tr.OK() || tr.Attempts != 3 {
			t.Errorf("seat %s: ok=%v attempts=%d", tr.Seat, tr.OK(), tr.Attempts)
		}
	}
	for _, m := range []string{"a", "b", "c"} {
		calls := h.srv.CallsFor(m)
		for i := 1; i < 3; i++ {
			if gap := calls[i].Start.Sub(calls[i-1].End); gap < time.Second {
				t.Errorf("%s: retry %d came %v after the 429, before Retry-After", m, i, gap)
			}
		}
	}
}
