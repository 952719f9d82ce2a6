package debate

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/provider"
)

func TestLedgerAddsUp(t *testing.T) {
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": failing(500)}, map[string]string{"A": "x:a", "B": "x:b", "C": "x:c"})
	d.Price = func(s Seat, u provider.Usage) float64 { return float64(u.InputTokens+u.OutputTokens) / 1000 }
	var col collector
	rec, err := Run(context.Background(), d, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	var in, out int
	var cost float64
	for _, r := range rec.Rounds {
		for _, tr := range r.Turns {
			in += tr.Usage.InputTokens
			out += tr.Usage.OutputTokens
			cost += tr.CostUSD
		}
	}
	in += rec.VerdictTurn.Usage.InputTokens
	out += rec.VerdictTurn.Usage.OutputTokens
	cost += rec.VerdictTurn.CostUSD
	if in != rec.Usage.InputTokens || out != rec.Usage.OutputTokens || cost != rec.Usage.CostUSD {
		t.Errorf("turns sum to %d/%d/$%v, totals say %d/%d/$%v", in, out, cost, rec.Usage.InputTokens, rec.Usage.OutputTokens, rec.Usage.CostUSD)
	}
	var lin, lout int
	for _, l := range rec.Ledger {
		lin += l.InputTokens
		lout += l.OutputTokens
	}
	if lin != in || lout != out || in == 0 {
		t.Errorf("ledger sums to %d/%d, turns to %d/%d", lin, lout, in, out)
	}
	if c := rec.Ledger[2]; c.Failed != 1 || c.Calls != 1 { // out after round 1
		t.Errorf("seat C ledger %+v", c)
	}
}

func TestFlipsAndBaseline(t *testing.T) {
	conf := func(n int) *int { return &n }
	turn := func(seat, pos string, c int, changed bool, reason string) TurnRecord {
		return TurnRecord{Seat: seat, Status: "ok", Position: pos, Confidence: conf(c), Changed: changed, Reason: reason, Reply: Reply{Position: pos}}
	}
	rec := &Record{Panel: []Seat{{Seat: "A", Model: "m:a"}, {Seat: "B", Model: "m:b"}, {Seat: "C", Model: "m:c"}}}
	rec.Rounds = []RoundRecord{
		{Number: 1, Turns: []TurnRecord{
			turn("A", "Start with Redis caching of hot endpoints", 70, false, ""),
			turn("B", "Redis caching for the hot endpoints first", 60, false, ""),
			turn("C", "Fix N+1 queries with select_related", 80, false, ""),
		}},
		{Number: 2, Turns: []TurnRecord{
			turn("A", "Fix N+1 queries first", 75, true, "C showed caching hides the cause"),
			turn("B", "Redis caching for the hot endpoints first", 60, false, ""),
			turn("C", "Fix N+1 queries with select_related", 85, false, ""),
		}},
	}
	rec.Verdict = &Verdict{Recommendation: "Fix the N+1 queries with select_related first"}
	rec.derive(true)
	if len(rec.Flips) != 1 || rec.Flips[0] != (Flip{Seat: "A", Round: 2, From: "Start with Redis caching of hot endpoints", To: "Fix N+1 queries first", Reason: "C showed caching hides the cause"}) {
		t.Errorf("flips %+v", rec.Flips)
	}
	b := rec.Baseline
	if b == nil || !b.Majority || len(b.Seats) != 2 || b.Seats[0] != "A" || b.Seats[1] != "B" || b.Of != 3 {
		t.Fatalf("baseline %+v", b)
	}
	if b.AgreesWithVerdict {
		t.Error("the verdict (N+1 first) differs from the first-round majority (Redis first)")
	}
}

func TestBaselineOnShortAnswers(t *testing.T) {
	mk := func(seat, answer string) TurnRecord {
		return TurnRecord{Seat: seat, Status: "ok", Position: "the answer is " + answer, Reply: Reply{Answer: answer}}
	}
	for _, tc := range []struct {
		answers  []string
		want     string
		majority bool
		verdict  string
		agrees   bool
	}{
		{[]string{"1,200", "1200", "1200.0"}, "1,200", true, "1200", true},
		{[]string{"18", "18", "20"}, "18", true, "20", false},
		{[]string{"3", "4", "5"}, "3", false, "3", true},
	} {
		var turns []TurnRecord
		for i, a := range tc.answers {
			turns = append(turns, mk(string(rune('A'+i)), a))
		}
		b := baseline(turns, &Verdict{Recommendation: tc.verdict})
		if b.Position != tc.want || b.Majority != tc.majority || b.AgreesWithVerdict != tc.agrees || b.Method != "answer" {
			t.Errorf("%v: %+v", tc.answers, b)
		}
	}
}

func TestMaxCostStopsBeforeARoundThatWouldPassIt(t *testing.T) {
	// $1 per 1,000 tokens; each answer reports 800 output tokens. Round 1's estimate
	// (3 seats and the verdict, ~$7.6) fits a $10 cap; round 2's (it reads the
	// others' answers: ~$15.9 with what was spent) does not.
	price := func(s Seat, u provider.Usage) float64 { return float64(u.InputTokens+u.OutputTokens) / 1000 }
	verbose := func(seat string) provider.Model {
		a := answerer(seat, 0)
		return provider.Func(func(ctx context.Context, req provider.Request, d func(string)) (provider.Response, error) {
			resp, err := a.Generate(ctx, req, d)
			resp.Usage = provider.Usage{InputTokens: len(req.Prompt) / 4, OutputTokens: 800}
			return resp, err
		})
	}
	d := newDebate(t, map[string]provider.Model{"A": verbose("A"), "B": verbose("B"), "C": verbose("C")}, nil)
	d.Price = price
	d.Spec.MaxCostUSD = 10
	rec, err := Run(context.Background(), d, (&collector{}).emit)
	if err != nil {
		t.Fatal(err)
	}
	if rec.StoppedBecause != StopBudget || len(rec.Rounds) != 1 || rec.Verdict == nil || rec.Status != StatusCompleted {
		t.Fatalf("stopped %s after %d rounds, verdict %v; want budget after 1 with a verdict", rec.StoppedBecause, len(rec.Rounds), rec.Verdict != nil)
	}
	if rec.Usage.CostUSD > d.Spec.MaxCostUSD {
		t.Errorf("spent $%.2f, over the $%.2f cap", rec.Usage.CostUSD, d.Spec.MaxCostUSD)
	}
	// A cap below even the first round: nothing is called, no verdict.
	d.ID, d.Spec.MaxCostUSD = "tiny", 1
	rec, _ = Run(context.Background(), d, (&collector{}).emit)
	if rec.Status != StatusFailed || rec.StoppedBecause != StopBudget || len(rec.Rounds) != 0 {
		t.Errorf("tiny cap: %s %s %d rounds", rec.Status, rec.StoppedBecause, len(rec.Rounds))
	}
	// With no cap the same debate runs all its rounds.
	d.ID, d.Spec.MaxCostUSD = "uncapped", 0
	rec, _ = Run(context.Background(), d, (&collector{}).emit)
	if len(rec.Rounds) != 3 {
		t.Errorf("uncapped: %d rounds", len(rec.Rounds))
	}
}
