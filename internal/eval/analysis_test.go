package eval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/provider"
)

// flipScript is a panel whose every answer follows fixed rules, so that the flip
// matrix, rounds, calibration and best-in-pool numbers are known by construction.
//
// Round 1 (and the single and vote runs): a is always right (confidence 90), b right
// on even items (60), c right on items 0 and 1 (80). In later rounds:
//   - a keeps its answer, except on item 7 in round 2, where it takes the previous
//     round's (wrong) majority with no argument: conformity, right → wrong;
//   - b, wrong on an odd item, turns right in round 2 citing a new fact: argued;
//   - c takes the previous round's majority, saying only that the others agree:
//     conformity.
//
// The chair writes the last round's majority with confidence 70.
type flipScript struct{}

var flipConf = map[string]int{"a": 90, "b": 60, "c": 80}

// right says whether model m's answer to item i in round r is right, and what moved
// it ("" when it kept its answer).
func (s *flipScript) right(m string, i, r int) (bool, string) {
	if r <= 1 {
		switch m {
		case "a":
			return true, ""
		case "b":
			return i%2 == 0, ""
		}
		return i < 2, ""
	}
	prev, _ := s.right(m, i, r-1)
	maj := s.majority(i, r-1)
	switch {
	case m == "a" && i == 7 && r == 2:
		return maj, "conform"
	case m == "b" && !prev && i%2 == 1 && r == 2:
		return true, "argue"
	case m == "c" && maj != prev:
		return maj, "conform"
	}
	return prev, ""
}

// majority: whether round r's majority on item i is right (3 seats: always one).
func (s *flipScript) majority(i, r int) bool {
	n := 0
	for _, m := range []string{"a", "b", "c"} {
		if ok, _ := s.right(m, i, r); ok {
			n++
		}
	}
	return n >= 2
}

func (s *flipScript) model(name string) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, _ func(string)) (provider.Response, error) {
		item, _ := strconv.Atoi(itemRe.FindStringSubmatch(req.Prompt)[1])
		gold := 10*item + 7
		answer := func(ok bool) string {
			if ok {
				return strconv.Itoa(gold)
			}
			return strconv.Itoa(gold + 1)
		}
		m := roundRe.FindStringSubmatch(req.Prompt)
		if m == nil { // the chair. Once no seat moves, the majority stays: round 3's is the last.
			a := answer(s.majority(item, 3))
			return provider.Response{Text: fmt.Sprintf("Verdict.\n```json\n{\"recommendation\": %q, \"answer\": %q, \"confidence\": 70, \"consensus\": [], \"disagreements\": [], \"dissent\": [], \"risks\": [], \"next_steps\": []}\n```", a, a), Usage: provider.Usage{InputTokens: 100, OutputTokens: 10}}, nil
		}
		round, _ := strconv.Atoi(m[1])
		ok, why := s.right(name, item, round)
		a := answer(ok)
		extra := ""
		switch why {
		case "conform":
			extra = `, "changed": true, "reason": "The others agree on this, so I go with the majority."`
		case "argue":
			extra = `, "changed": true, "reason": "I recounted.", "new_argument": "Recounting the bakery crates shows eleven dozen muffins, not ten."`
		}
		text := fmt.Sprintf("Working… the answer is %s.\n```json\n{\"answer\": %q, \"position\": %q, \"confidence\": %d, \"converged\": false%s}\n```", a, a, a, flipConf[name], extra)
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: 100, OutputTokens: 10}}, nil
	})
}

func runFlipEval(t *testing.T, strategies []string) *Report {
	t.Helper()
	sc := &flipScript{}
	lookup := func(name string) (debate.Mode, error) {
		m, ok := debate.BuiltinMode(name)
		if !ok {
			return debate.Mode{}, fmt.Errorf("no mode %s", name)
		}
		return m, nil
	}
	panel := []string{"a", "b", "c"}
	ss, err := ParseStrategies(strategies, panel, 5, lookup)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := Create(filepath.Join(t.TempDir(), "e.jsonl"), Spec{ID: "f1", Dataset: "t.jsonl", Panel: panel, Strategies: ss, Items: testItems(8)})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	members := map[string]Member{}
	for _, m := range panel {
		members[m] = Member{Seat: debate.Seat{Model: m}, Model: sc.model(m), Price: func(u provider.Usage) float64 { return float64(u.InputTokens+u.OutputTokens) / 1e6 }}
	}
	rep, err := (&Runner{Checkpoint: cp, Members: members, Concurrency: 2}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, rep); err != nil {
		t.Fatal(err)
	}
	t.Log(buf.String())
	return rep
}

func strategyOf(t *testing.T, rep *Report, key string) StrategyReport {
	t.Helper()
	for _, s := range rep.Strategies {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no strategy %s", key)
	return StrategyReport{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestEvalFlipsCalibrationPool checks every analysis against the numbers the script
// above fixes by construction (worked out by hand in its comment's terms).
func TestEvalFlipsCalibrationPool(t *testing.T) {
	rep := runFlipEval(t, []string{"single", "vote", "standard", "vote-first"})

	// Accuracy: a 8/8, b 4/8, c 2/8; the vote is round 1's majority (items 0, 1, 2, 4,
	// 6); the debates end right on every item but 7.
	for key, want := range map[string]int{"single:a": 8, "single:b": 4, "single:c": 2, "vote": 5, "standard": 7, "vote-first": 7} {
		if s := strategyOf(t, rep, key); s.Correct != want || s.N != 8 {
			t.Errorf("%s: %d/%d right, want %d/8", key, s.Correct, s.N, want)
		}
	}

	// Flips of the standard debate: b argued wrong → right on 1, 3, 5, 7; c conformed
	// wrong → right on 2, 4, 6 (round 2) and 3, 5 (round 3); a conformed right → wrong
	// on 7.
	std := strategyOf(t, rep, "standard")
	f := std.Flips
	if f == nil {
		t.Fatal("no flip report for standard")
	}
	if want := (FlipCounts{Total: 10, WrongToRight: 9, RightToWrong: 1}); f.FlipCounts != want {
		t.Errorf("flips %+v, want %+v", f.FlipCounts, want)
	}
	if got, want := f.ByLabel[debate.FlipArgued], (FlipCounts{Total: 4, WrongToRight: 4}); got != want {
		t.Errorf("argued %+v, want %+v", got, want)
	}
	if got, want := f.ByLabel[debate.FlipConformity], (FlipCounts{Total: 6, WrongToRight: 5, RightToWrong: 1}); got != want {
		t.Errorf("conformity %+v, want %+v", got, want)
	}
	if _, ok := f.ByLabel[debate.FlipUnargued]; ok {
		t.Errorf("unargued flips: %+v", f.ByLabel[debate.FlipUnargued])
	}

	// Rounds: majority right 5/8, 7/8, 7/8; round 2 fixes items 3 and 5; answers
	// changed 8 (b ×4, c ×3, a ×1) then 2 (c on 3 and 5). Each round is three calls
	// of 110 tokens.
	wantRounds := []RoundReport{
		{Round: 1, Questions: 8, Changed: 0, MajorityAccuracy: 5.0 / 8},
		{Round: 2, Questions: 8, Changed: 8, MajorityAccuracy: 7.0 / 8, Fixed: 2},
		{Round: 3, Questions: 8, Changed: 2, MajorityAccuracy: 7.0 / 8},
	}
	if len(std.Rounds) != len(wantRounds) {
		t.Fatalf("standard rounds %+v", std.Rounds)
	}
	for i, w := range wantRounds {
		g := std.Rounds[i]
		if g.Round != w.Round || g.Questions != w.Questions || g.Changed != w.Changed || !near(g.MajorityAccuracy, w.MajorityAccuracy) || g.Fixed != w.Fixed || g.Broke != w.Broke {
			t.Errorf("round %d: %+v, want %+v", i+1, g, w)
		}
		if g.TokensPerQuestion != 330 || !near(g.CostPerQuestion, 330e-6) {
			t.Errorf("round %d: marginal cost %v, %v tokens, want $0.00033, 330", i+1, g.CostPerQuestion, g.TokensPerQuestion)
		}
	}

	// Vote-first debates only what is contested: item 0 is resolved after round 1,
	// items 1, 2, 4, 6 after round 2; 3, 5 and 7 go to round 3.
	vf := strategyOf(t, rep, "vote-first")
	var reached []int
	for _, r := range vf.Rounds {
		reached = append(reached, r.Questions)
	}
	if fmt.Sprint(reached) != "[8 7 3]" {
		t.Errorf("vote-first: questions per round %v, want [8 7 3]", reached)
	}
	if vf.CostPerQuestion() >= std.CostPerQuestion() {
		t.Errorf("vote-first costs %v per question, standard %v: it should debate less", vf.CostPerQuestion(), std.CostPerQuestion())
	}

	// Brier: a always right at 0.9: 0.01; b half right at 0.6: (0.16+0.36)/2 = 0.26;
	// c 2/8 right at 0.8: (2·0.04 + 6·0.64)/8 = 0.49; the verdict 7/8 right at 0.7:
	// (7·0.09 + 0.49)/8 = 0.14.
	for key, want := range map[string]float64{"single:a": 0.01, "single:b": 0.26, "single:c": 0.49, "standard": 0.14} {
		c := strategyOf(t, rep, key).Calibration
		if c == nil || c.N != 8 || !near(c.Brier, want) {
			t.Errorf("%s: calibration %+v, want Brier %v over 8", key, c, want)
			continue
		}
		if len(c.Bins) != 1 || c.Bins[0].N != 8 {
			t.Errorf("%s: bins %+v, want one bin of 8", key, c.Bins)
		}
	}
	if b := strategyOf(t, rep, "single:b").Calibration.Bins[0]; b.Lo != 0.6 || !near(b.MeanConfidence, 0.6) || b.Accuracy != 0.5 {
		t.Errorf("single:b bin %+v, want [0.6, 0.7): stated 0.6, right 0.5", b)
	}

	// Best in pool: a, 100%; the vote is 37.5 points below it, the debates 12.5.
	p := rep.Pool
	if p == nil || p.Source != KindSingle || p.Best != "a" || p.BestAccuracy != 1 {
		t.Fatalf("pool %+v, want best a at 100%% from single", p)
	}
	gaps := map[string]Gap{}
	for _, g := range p.Gaps {
		gaps[g.Strategy] = g
	}
	for key, want := range map[string]float64{"vote": -0.375, "standard": -0.125, "vote-first": -0.125} {
		g, ok := gaps[key]
		if !ok || g.N != 8 || !near(g.Gap, want) || g.CI95[0] > g.Gap || g.CI95[1] < g.Gap || g.CI95[1] > 0 {
			t.Errorf("%s: gap %+v, want %v with an interval around it, at most 0", key, g, want)
		}
	}

	// Errors: b wrong on odd items, c on 2–7: both wrong on 3, 5, 7; one wrong alone
	// on 1 (b) and 2, 4, 6 (c): phi = (3·1 − 1·3)/√(4·4·6·2) = 0. a never errs: no phi.
	for _, c := range rep.ErrorCorrelation {
		switch c.A + c.B {
		case "bc":
			if c.N != 8 || c.BothWrong != 3 || c.Phi == nil || !near(*c.Phi, 0) {
				t.Errorf("b, c: %+v, want both wrong 3, phi 0", c)
			}
		default:
			if c.Phi != nil {
				t.Errorf("%s, %s: phi %v, want none (a never errs)", c.A, c.B, *c.Phi)
			}
		}
	}
}

func TestPhiAndBrierByHand(t *testing.T) {
	// Errors of x and y over 10 questions: both wrong 4, x only 1, y only 1, neither 4:
	// phi = (4·4 − 1·1)/√(5·5·5·5) = 15/25 = 0.6.
	p := &pool{order: []string{"x", "y"}, correct: map[string]map[int]bool{"x": {}, "y": {}}}
	for i := range 10 {
		p.correct["x"][i] = !(i < 5)
		p.correct["y"][i] = !(i < 4 || i == 5)
	}
	c := p.correlations()
	if len(c) != 1 || c[0].Phi == nil || !near(*c[0].Phi, 0.6) || c[0].BothWrong != 4 {
		t.Errorf("correlations %+v, want phi 0.6, both wrong 4", c)
	}
	// Confidences 100 right, 0 wrong: perfect (0); 100 wrong: worst (1); 50: 0.25.
	for _, tc := range []struct {
		conf  []int
		right []bool
		want  float64
	}{
		{[]int{100, 0}, []bool{true, false}, 0},
		{[]int{100}, []bool{false}, 1},
		{[]int{50, 50}, []bool{true, false}, 0.25},
		{[]int{30, 95, 95}, []bool{false, true, false}, (0.09 + 0.0025 + 0.9025) / 3},
	} {
		if c := calibrate(tc.conf, tc.right); !near(c.Brier, tc.want) {
			t.Errorf("calibrate(%v, %v) = %v, want %v", tc.conf, tc.right, c.Brier, tc.want)
		}
	}
}

func TestPairedGap(t *testing.T) {
	// Identical outcomes: gap 0, and every resample agrees.
	same := []bool{true, false, true, true}
	if g, ci := pairedGap(same, same); g != 0 || ci != [2]float64{0, 0} {
		t.Errorf("identical: gap %v ci %v", g, ci)
	}
	// a right on 30 of 40 where b is right on 20 of them (b never right alone).
	var a, b []bool
	for i := range 40 {
		a = append(a, i < 30)
		b = append(b, i < 20)
	}
	g, ci := pairedGap(a, b)
	if !near(g, 0.25) || ci[0] <= 0 || ci[1] <= g || ci[0] >= g {
		t.Errorf("gap %v ci %v, want 0.25 inside an interval above 0", g, ci)
	}
	// Ten of 40 discordant, all one way: the normal approximation to the bootstrap
	// puts the interval near 0.25 ± 1.96·√(0.25·0.75/40) ≈ [0.116, 0.384].
	if ci[0] < 0.08 || ci[0] > 0.15 || ci[1] < 0.35 || ci[1] > 0.42 {
		t.Errorf("ci %v, want about [0.116, 0.384]", ci)
	}
}

func TestFamilyWarning(t *testing.T) {
	for ref, want := range map[string]string{
		"openai:gpt-4.1-mini":              "gpt",
		"anthropic:claude-haiku-4-5":       "claude",
		"gemini:gemini-2.5-flash":          "gemini",
		"ollama:llama3.1:8b":               "llama",
		"openrouter:meta-llama/llama-3-8b": "llama",
		"o4-mini":                          "o",
	} {
		if got := Family(ref); got != want {
			t.Errorf("Family(%q) = %q, want %q", ref, got, want)
		}
	}
	if w := FamilyWarning([]string{"openai:gpt-4.1", "openai:gpt-4.1-mini", "azure:gpt-4o"}); !strings.Contains(w, "gpt") {
		t.Errorf("one family: warning %q", w)
	}
	if w := FamilyWarning([]string{"openai:gpt-4.1", "anthropic:claude-haiku-4-5"}); w != "" {
		t.Errorf("two families: warning %q", w)
	}
}
