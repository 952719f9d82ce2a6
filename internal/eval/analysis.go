package eval

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/parleyhq/parley/debate"
)

// The analyses beyond accuracy: did the rounds earn their cost (flips scored against
// the gold answer, marginal cost and change per round), is the debate better than its
// best member (best-in-pool gap), does a stated confidence mean anything (Brier score,
// reliability), and are the seats' errors independent (phi). docs/EVAL.md says what
// each number means.

// Calibration is how well stated confidences (0–100, read as probabilities) match
// correctness.
type Calibration struct {
	// N counts the answers that stated a confidence; the others are left out.
	N int `json:"n"`
	// Brier is the mean of (confidence − correct)², 0 best, 0.25 for always saying 50%.
	Brier float64 `json:"brier"`
	// Bins are the reliability diagram: confidence in tenths, each with the mean
	// confidence stated and the share right. Empty bins are left out.
	Bins []Bin `json:"bins"`
}

// Bin is one bar of a reliability diagram.
type Bin struct {
	Lo             float64 `json:"lo"` // the bin is [Lo, Hi), the last one [0.9, 1]
	Hi             float64 `json:"hi"`
	N              int     `json:"n"`
	MeanConfidence float64 `json:"mean_confidence"`
	Accuracy       float64 `json:"accuracy"`
}

// calibrate computes the Brier score and reliability bins of (confidence, correct)
// pairs; nil when none stated a confidence.
// binOf is the reliability bin of a stated confidence (0–100): integer tenths, so
// 70 is in [0.7, 0.8) whatever 0.7·10 rounds to, and 100 is in the last bin.
func binOf(conf int) int { return min(max(conf, 0)/10, 9) }

func calibrate(conf []int, correct []bool) *Calibration {
	if len(conf) == 0 {
		return nil
	}
	c := &Calibration{N: len(conf)}
	var sum [10]float64
	var right, n [10]int
	for i, v := range conf {
		p := math.Max(0, math.Min(100, float64(v))) / 100
		o := 0.0
		if correct[i] {
			o = 1
		}
		c.Brier += (p - o) * (p - o)
		b := binOf(v)
		n[b]++
		sum[b] += p
		if correct[i] {
			right[b]++
		}
	}
	c.Brier /= float64(len(conf))
	c.Bins = []Bin{}
	for b := range 10 {
		if n[b] == 0 {
			continue
		}
		c.Bins = append(c.Bins, Bin{Lo: float64(b) / 10, Hi: float64(b+1) / 10, N: n[b], MeanConfidence: sum[b] / float64(n[b]), Accuracy: ratio(right[b], n[b])})
	}
	return c
}

// FlipReport scores a debate's answer changes against the gold answer, overall and
// by the engine's label (conformity, argued, unargued).
type FlipReport struct {
	FlipCounts
	ByLabel map[string]FlipCounts `json:"by_label"`
}

// FlipCounts counts answer changes by direction.
type FlipCounts struct {
	Total        int `json:"total"`
	WrongToRight int `json:"wrong_to_right"`
	RightToWrong int `json:"right_to_wrong"`
	WrongToWrong int `json:"wrong_to_wrong"`
}

func (f *FlipCounts) add(from, to bool) {
	f.Total++
	switch {
	case !from && to:
		f.WrongToRight++
	case from && !to:
		f.RightToWrong++
	case !from && !to:
		f.WrongToWrong++
	}
}

// RoundReport is what one round of a debate bought, over the questions whose debate
// reached it.
type RoundReport struct {
	Round     int `json:"round"`
	Questions int `json:"questions"`
	// CostPerQuestion and TokensPerQuestion are the round's marginal cost.
	CostPerQuestion   float64 `json:"cost_per_question"`
	TokensPerQuestion float64 `json:"tokens_per_question"`
	// Changed counts seat answers that differ from the seat's previous round.
	Changed int `json:"changed"`
	// MajorityAccuracy is the share of these questions whose round majority is right
	// (no majority counts as wrong).
	MajorityAccuracy float64 `json:"majority_accuracy"`
	// Fixed and Broke compare the round's majority with the previous round's on the
	// same questions: the round's marginal change. Zero for round 1.
	Fixed int `json:"fixed"`
	Broke int `json:"broke"`
}

// PoolReport compares every panel strategy with the best single member of the pool.
type PoolReport struct {
	// Source is where the members' accuracies come from: "single" (each model run
	// alone) or the key of the strategy whose independent round supplied them.
	Source       string     `json:"source"`
	Best         string     `json:"best"` // the model
	BestAccuracy float64    `json:"best_accuracy"`
	BestCI95     [2]float64 `json:"best_ci95"`
	Gaps         []Gap      `json:"gaps"`
}

// Gap is a strategy's accuracy minus the best member's, on the questions both
// answered, with a paired bootstrap 95% interval.
type Gap struct {
	Strategy string     `json:"strategy"`
	N        int        `json:"n"`
	Accuracy float64    `json:"accuracy"`
	Gap      float64    `json:"gap"`
	CI95     [2]float64 `json:"ci95"`
}

// SeatReport is one panel model's independent answers: accuracy and calibration.
type SeatReport struct {
	Model       string       `json:"model"`
	N           int          `json:"n"`
	Correct     int          `json:"correct"`
	Accuracy    float64      `json:"accuracy"`
	CI95        [2]float64   `json:"ci95"`
	Calibration *Calibration `json:"calibration,omitempty"`
}

// Correlation is how often two members are wrong together: the phi coefficient of
// their error indicators over the questions both answered. 1: they fail on the same
// questions (a vote of the two adds nothing); 0: independently; NaN is reported as
// null when one of them never (or always) erred.
type Correlation struct {
	A         string   `json:"a"`
	B         string   `json:"b"`
	N         int      `json:"n"`
	BothWrong int      `json:"both_wrong"`
	Phi       *float64 `json:"phi"`
}

// pool is each member's correctness per question, from one source.
type pool struct {
	source  string
	order   []string
	correct map[string]map[int]bool
	conf    map[string]map[int]*int
}

// poolOf finds the members' independent answers: the single strategies when the eval
// ran them (each model alone, the cleanest measure), else the first round of the vote
// or of the first debate.
func poolOf(spec Spec, byKey map[string][]Result, gold map[int]string) *pool {
	p := &pool{correct: map[string]map[int]bool{}, conf: map[string]map[int]*int{}}
	add := func(model string, item int, answer string, conf *int) {
		if p.correct[model] == nil {
			p.correct[model] = map[int]bool{}
			p.conf[model] = map[int]*int{}
			p.order = append(p.order, model)
		}
		p.correct[model][item] = Match(answer, gold[item])
		p.conf[model][item] = conf
	}
	for _, s := range spec.Strategies {
		if s.Kind != KindSingle {
			continue
		}
		p.source = KindSingle
		for _, r := range byKey[s.Key] {
			var conf *int
			if len(r.Seats) > 0 {
				conf = r.Seats[0].Confidence
			}
			add(s.Model, r.Item, r.Answer, conf)
		}
	}
	if p.source != "" {
		return p
	}
	for _, s := range spec.Strategies {
		if s.Kind != KindVote && s.Kind != KindDebate {
			continue
		}
		rs := byKey[s.Key]
		if len(rs) == 0 {
			continue
		}
		p.source = s.Key
		for _, r := range rs {
			seen := map[string]bool{}
			for _, sa := range r.Seats {
				if !seen[sa.Model] { // a model seated twice counts once, its first seat
					seen[sa.Model] = true
					add(sa.Model, r.Item, sa.Answer, sa.Confidence)
				}
			}
		}
		return p
	}
	return nil
}

// seats reports each member's accuracy and calibration.
func (p *pool) seats() []SeatReport {
	var out []SeatReport
	for _, m := range p.order {
		sr := SeatReport{Model: m}
		var conf []int
		var ok []bool
		for _, item := range sortedItems(p.correct[m]) {
			right := p.correct[m][item]
			sr.N++
			if right {
				sr.Correct++
			}
			if c := p.conf[m][item]; c != nil {
				conf = append(conf, *c)
				ok = append(ok, right)
			}
		}
		sr.Accuracy = ratio(sr.Correct, sr.N)
		sr.CI95[0], sr.CI95[1] = Wilson(sr.Correct, sr.N)
		sr.Calibration = calibrate(conf, ok)
		out = append(out, sr)
	}
	return out
}

// correlations gives phi for every pair of members.
func (p *pool) correlations() []Correlation {
	var out []Correlation
	for i, a := range p.order {
		for _, b := range p.order[i+1:] {
			c := Correlation{A: a, B: b}
			var n11, n10, n01, n00 float64 // 1: wrong
			for item, ra := range p.correct[a] {
				rb, ok := p.correct[b][item]
				if !ok {
					continue
				}
				c.N++
				switch {
				case !ra && !rb:
					n11++
					c.BothWrong++
				case !ra:
					n10++
				case !rb:
					n01++
				default:
					n00++
				}
			}
			den := math.Sqrt((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00))
			if den > 0 {
				phi := (n11*n00 - n10*n01) / den
				c.Phi = &phi
			}
			out = append(out, c)
		}
	}
	return out
}

// bootstrapResamples is the number of paired resamples behind a gap's interval:
// enough that the 2.5% and 97.5% quantiles move by well under a point between seeds.
const bootstrapResamples = 2000

// pairedGap is mean(a) − mean(b) over paired outcomes with a percentile bootstrap 95%
// interval. A bootstrap, not a Wilson interval per side, because the two are scored
// on the same questions: resampling questions keeps the pairing, and so credits the
// correlation that two overlapping Wilson intervals would ignore. The generator is
// seeded from n, so a report is the same every time it is built.
func pairedGap(a, b []bool) (gap float64, ci [2]float64) {
	n := len(a)
	if n == 0 {
		return 0, [2]float64{-1, 1}
	}
	d := make([]float64, n)
	for i := range a {
		if a[i] {
			d[i]++
		}
		if b[i] {
			d[i]--
		}
		gap += d[i]
	}
	gap /= float64(n)
	r := rand.New(rand.NewPCG(uint64(n), 0x676170)) // "gap"
	means := make([]float64, bootstrapResamples)
	for k := range means {
		s := 0.0
		for range n {
			s += d[r.IntN(n)]
		}
		means[k] = s / float64(n)
	}
	sort.Float64s(means)
	q := func(p float64) float64 { return means[int(math.Round(p*float64(len(means)-1)))] }
	return gap, [2]float64{q(0.025), q(0.975)}
}

// bestInPool compares each panel strategy (vote, debates) with the best member.
func (p *pool) bestInPool(spec Spec, byKey map[string][]Result, gold map[int]string) *PoolReport {
	seats := p.seats()
	if len(seats) == 0 {
		return nil
	}
	best := seats[0]
	for _, s := range seats[1:] {
		if s.Accuracy > best.Accuracy {
			best = s
		}
	}
	pr := &PoolReport{Source: p.source, Best: best.Model, BestAccuracy: best.Accuracy, BestCI95: best.CI95, Gaps: []Gap{}}
	for _, s := range spec.Strategies {
		if s.Kind != KindVote && s.Kind != KindDebate && s.Kind != KindSelfConsistency {
			continue
		}
		var a, b []bool
		rs := append([]Result(nil), byKey[s.Key]...)
		sort.Slice(rs, func(i, j int) bool { return rs[i].Item < rs[j].Item })
		for _, r := range rs {
			bb, ok := p.correct[best.Model][r.Item]
			if !ok {
				continue
			}
			a = append(a, Match(r.Answer, gold[r.Item]))
			b = append(b, bb)
		}
		if len(a) == 0 {
			continue
		}
		g := Gap{Strategy: s.Key, N: len(a)}
		k := 0
		for _, ok := range a {
			if ok {
				k++
			}
		}
		g.Accuracy = ratio(k, len(a))
		g.Gap, g.CI95 = pairedGap(a, b)
		pr.Gaps = append(pr.Gaps, g)
	}
	return pr
}

func sortedItems(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// scoreFlips scores a debate's flips and rounds against the gold answer.
func scoreFlips(rs []Result, gold map[int]string) (*FlipReport, []RoundReport) {
	fr := &FlipReport{ByLabel: map[string]FlipCounts{}}
	type acc struct {
		RoundReport
		cost   float64
		tokens int
		right  int
	}
	var rounds []*acc
	for _, r := range rs {
		g := gold[r.Item]
		for _, f := range r.Flips {
			from, to := Match(f.From, g), Match(f.To, g)
			fr.add(from, to)
			c := fr.ByLabel[f.Label]
			c.add(from, to)
			fr.ByLabel[f.Label] = c
		}
		prev := false
		for i, rc := range r.Rounds {
			for len(rounds) <= i {
				rounds = append(rounds, &acc{RoundReport: RoundReport{Round: len(rounds) + 1}})
			}
			a := rounds[i]
			a.Questions++
			a.cost += rc.CostUSD
			a.tokens += rc.Tokens
			a.Changed += rc.Changed
			right := rc.Majority != "" && Match(rc.Majority, g)
			if right {
				a.right++
			}
			if i > 0 {
				switch {
				case !prev && right:
					a.Fixed++
				case prev && !right:
					a.Broke++
				}
			}
			prev = right
		}
	}
	var out []RoundReport
	for _, a := range rounds {
		rr := a.RoundReport
		rr.CostPerQuestion = a.cost / float64(a.Questions)
		rr.TokensPerQuestion = float64(a.tokens) / float64(a.Questions)
		rr.MajorityAccuracy = ratio(a.right, a.Questions)
		out = append(out, rr)
	}
	return fr, out
}

// Family is the model family of a ref; see debate.ModelFamily.
func Family(ref string) string { return debate.ModelFamily(ref) }

// FamilyWarning is the warning for a panel of two or more distinct models all of one
// family, else "".
func FamilyWarning(panel []string) string { return debate.OneFamilyWarning(panel) }

// confidences pairs each result's stated confidence with its correctness; for a single
// model the seat's own (the tally's is 100 by construction).
func confidences(s Strategy, rs []Result, gold map[int]string) *Calibration {
	var conf []int
	var ok []bool
	for _, r := range rs {
		c := r.Confidence
		if s.Kind == KindSingle {
			c = nil
			if len(r.Seats) > 0 {
				c = r.Seats[0].Confidence
			}
		}
		if c == nil || r.Status != debate.StatusCompleted {
			continue
		}
		conf = append(conf, *c)
		ok = append(ok, Match(r.Answer, gold[r.Item]))
	}
	return calibrate(conf, ok)
}
