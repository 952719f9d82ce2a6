package debate

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/provider"
)

func voteFirst(t *testing.T) Mode {
	m, ok := BuiltinMode("vote-first")
	if !ok {
		t.Fatal("no vote-first mode")
	}
	return m
}

// TestVoteFirstSkipsToVerdictWhenUnanimous: nothing contested after the independent
// round, so no debate round is paid for.
func TestVoteFirstSkipsToVerdictWhenUnanimous(t *testing.T) {
	rec := runScripted(t, voteFirst(t), map[string]provider.Model{"A": steady("42"), "B": steady("42"), "C": steady("42")})
	if len(rec.Rounds) != 1 || rec.StoppedBecause != StopConverged || rec.Verdict == nil {
		t.Fatalf("%d rounds, stopped %q, verdict %v; want 1, converged, a verdict", len(rec.Rounds), rec.StoppedBecause, rec.Verdict)
	}
}

// TestVoteFirstDebatesOnlyTheContested: C answers 41 alone; the next round's prompt
// lists the split and C's unshared claim, not the others' full answers; C accepts 42
// and the debate stops there, resolved.
func TestVoteFirstDebatesOnlyTheContested(t *testing.T) {
	c := byRound(func(r int) string {
		if r == 1 {
			return `{"answer": "41", "position": "it is 41", "confidence": 60, "claims": ["a carry is lost in the column sum"]}`
		}
		return `{"answer": "42", "position": "it is 42", "confidence": 75, "changed": true, "new_argument": "redoing the column sum carries one ten", "claims": [{"claim": "a carry is lost in the column sum", "stance": "disagree"}, {"claim": "six times seven is forty-two", "stance": "agree"}]}`
	})
	a := steady("42")
	rec := runScripted(t, voteFirst(t), map[string]provider.Model{"A": a, "B": steady("42"), "C": c})
	if len(rec.Rounds) != 2 || rec.StoppedBecause != StopConverged {
		t.Fatalf("%d rounds, stopped %q; want 2, converged", len(rec.Rounds), rec.StoppedBecause)
	}
	var p2 string
	for _, req := range c.requests() {
		if roundOf(req) == 2 {
			p2 = req.Prompt
		}
	}
	for _, want := range []string{"the contested points", "the answer (A, B: 42 — C: 41)", "a carry is lost in the column sum", "held by: C; rejected or not accepted by: A, B", "Work for round 1."} {
		if !strings.Contains(p2, want) {
			t.Errorf("round-2 prompt lacks %q:\n%s", want, p2)
		}
	}
	// "Work for round 1." is C's own answer; A's and B's full answers are not quoted.
	if strings.Count(p2, "Work for round 1.") != 1 || strings.Contains(p2, "QUOTE "+nonce(42, 2, "C")+" seat A") {
		t.Errorf("round-2 prompt quotes the others' answers:\n%s", p2)
	}
	fm := rec.FlipMatrix
	if len(fm.Flips) != 1 || fm.Flips[0].Label != FlipArgued {
		t.Errorf("flips = %+v", fm.Flips)
	}
}

// TestVoteFirstStopsAtMaxRounds: a split that never resolves runs every round.
func TestVoteFirstStopsAtMaxRounds(t *testing.T) {
	rec := runScripted(t, voteFirst(t), map[string]provider.Model{"A": steady("42"), "B": steady("42"), "C": steady("41")})
	if len(rec.Rounds) != 3 || rec.StoppedBecause != StopMaxRounds {
		t.Fatalf("%d rounds, stopped %q; want 3, max_rounds", len(rec.Rounds), rec.StoppedBecause)
	}
}
