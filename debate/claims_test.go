package debate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/provider"
)

// byRound answers each round with the block the function gives (the verdict with a
// fixed one), so a test states exactly what each seat said in each round.
func byRound(block func(round int) string) *scripted {
	return &scripted{reply: func(n int, req provider.Request) (provider.Response, error) {
		r := roundOf(req)
		if r == 0 {
			return provider.Response{Text: "```json\n{\"recommendation\": \"42\", \"answer\": \"42\", \"confidence\": 80}\n```", Usage: provider.Usage{InputTokens: 10, OutputTokens: 5}}, nil
		}
		return provider.Response{Text: fmt.Sprintf("Work for round %d.\n```json\n%s\n```", r, block(r)), Usage: provider.Usage{InputTokens: 100 * r, OutputTokens: 10}}, nil
	}}
}

func steady(answer string) *scripted {
	return byRound(func(int) string {
		return fmt.Sprintf(`{"answer": %q, "position": "it is %s", "confidence": 80, "claims": ["six times seven is forty-two"]}`, answer, answer)
	})
}

func runScripted(t *testing.T, mode Mode, models map[string]provider.Model) *Record {
	t.Helper()
	d := newDebate(t, models, map[string]string{"A": "x:a", "B": "x:b", "C": "x:c"})
	d.Mode = mode
	d.Spec.Mode = mode.Name
	rec, err := Run(context.Background(), d, func(Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestFlipMatrixByConstruction: seat C is scripted to give 41 in round 1 and then the
// majority's 42 — once with a reason that only cites the others (conformity), once
// with an argument it had not made before (argued).
func TestFlipMatrixByConstruction(t *testing.T) {
	for _, tc := range []struct {
		name, reason, newArg, label string
	}{
		{"conformity", "the other seats all say 42, so I agree with the majority", "", FlipConformity},
		{"conformity-no-reason", "", "", FlipConformity},
		{"argued", "", "I recomputed: 6 times 7 gives 42; my carry was wrong", FlipArgued},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := byRound(func(r int) string {
				if r == 1 {
					return `{"answer": "41", "position": "it is 41", "confidence": 60}`
				}
				return fmt.Sprintf(`{"answer": "42", "position": "it is 42", "confidence": 70, "changed": true, "reason": %q, "new_argument": %q}`, tc.reason, tc.newArg)
			})
			rec := runScripted(t, standard(t), map[string]provider.Model{"A": steady("42"), "B": steady("42"), "C": c})
			fm := rec.FlipMatrix
			if fm == nil || len(fm.Flips) != 1 {
				t.Fatalf("flips = %+v", fm)
			}
			f := fm.Flips[0]
			if f.Seat != "C" || f.Round != 2 || f.From != "41" || f.To != "42" || !f.ToMajority || f.Label != tc.label {
				t.Errorf("flip = %+v, want C 41→42 in round 2 toward the majority, %s", f, tc.label)
			}
			if got := fm.Conformity + fm.Argued + fm.Unargued; got != 1 {
				t.Errorf("counts = %d", got)
			}
			if len(fm.Rounds) != 3 {
				t.Fatalf("rounds = %+v", fm.Rounds)
			}
			// Round r of each seat costs 100·r input tokens + 10 output: known by construction.
			for i, rc := range fm.Rounds {
				if want := 3 * (100*(i+1) + 10); rc.Tokens != want {
					t.Errorf("round %d tokens = %d, want %d", i+1, rc.Tokens, want)
				}
				if rc.Majority != "42" {
					t.Errorf("round %d majority = %q", i+1, rc.Majority)
				}
			}
			if fm.Rounds[1].Changed != 1 || fm.Rounds[2].Changed != 0 {
				t.Errorf("changes per round = %d, %d; want 1, 0", fm.Rounds[1].Changed, fm.Rounds[2].Changed)
			}
		})
	}
}

// TestCitesNew pins the rule documented in docs/EVAL.md.
func TestCitesNew(t *testing.T) {
	earlier := "I think 41, because the carry in 6×7 gives 41."
	for _, tc := range []struct {
		arg  string
		want bool
	}{
		{"", false},
		{"the others agree", false},
		{"majority of seats say 42; I am persuaded", false}, // one fresh word (42)
		{"the carry gives 41", false},                       // nothing new to this seat
		{"the timetable says 9:30", true},
		{"seat B showed the 2016 census figure", true},
	} {
		if got := citesNew(tc.arg, earlier, "42"); got != tc.want {
			t.Errorf("citesNew(%q) = %v, want %v", tc.arg, got, tc.want)
		}
	}
}

func turn(seat, answer string, claims ...Claim) TurnRecord {
	return TurnRecord{Seat: seat, Status: "ok", Position: answer, Reply: Reply{Answer: answer, Claims: claims}}
}

// TestContestedClaims: agreement is resolved; a split answer is contested with the
// claims only one side holds; a claim one seat rejects is contested.
func TestContestedClaims(t *testing.T) {
	agree := func(s string) Claim { return Claim{Text: s, Stance: StanceAgree} }
	if c := ContestedClaims([]TurnRecord{turn("A", "42", agree("six sevens are 42")), turn("B", "42", agree("six sevens are 42"))}); len(c) != 0 {
		t.Errorf("unanimous round contested: %+v", c)
	}
	split := ContestedClaims([]TurnRecord{
		turn("A", "42", agree("six sevens are 42"), agree("the bus leaves at nine")),
		turn("B", "42", agree("Six sevens are 42.")),
		turn("C", "41", agree("a carry is lost in the sum"), agree("the bus leaves at nine")),
	})
	if len(split) != 3 || !split[0].Answer || strings.Join(split[0].Agree, "") != "AB" || strings.Join(split[0].Disagree, "") != "C" {
		t.Fatalf("split = %+v", split)
	}
	var texts []string
	for _, c := range split[1:] {
		texts = append(texts, c.Text+"/"+strings.Join(c.Agree, "")+"/"+strings.Join(c.Disagree, ""))
	}
	if got := strings.Join(texts, "|"); got != "six sevens are 42/AB/C|a carry is lost in the sum/C/AB" {
		t.Errorf("contested claims = %s", got)
	}
	rejected := ContestedClaims([]TurnRecord{
		turn("A", "42", agree("the bus leaves at nine")),
		turn("B", "42", Claim{Text: "the bus leaves at nine", Stance: StanceDisagree}),
	})
	if len(rejected) != 1 || rejected[0].Answer || rejected[0].Agree[0] != "A" || rejected[0].Disagree[0] != "B" {
		t.Errorf("rejected = %+v", rejected)
	}
}
