package eval

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
)

// Report statuses.
const (
	StatusCompleted   = "completed"   // every pair has a result
	StatusPartial     = "partial"     // some pairs have none yet (read mid-way)
	StatusInterrupted = "interrupted" // canceled; resumable
	StatusBudget      = "budget"      // stopped by --max-cost; resumable with a higher cap
)

// CIMethod names the confidence interval the report gives.
const CIMethod = "wilson-95"

// Report is an eval's result: the CONTRACT's {"strategies": […], "items": […]} with
// more keys beside them.
type Report struct {
	ID         string           `json:"id"`
	Status     string           `json:"status"`
	Dataset    string           `json:"dataset"`
	Panel      []string         `json:"panel"`
	Questions  int              `json:"questions"` // selected for the eval
	CIMethod   string           `json:"ci_method"`
	Strategies []StrategyReport `json:"strategies"`
	Items      []ItemReport     `json:"items"`
	// Seats are the panel models' independent answers (see PoolReport.Source).
	Seats []SeatReport `json:"seats,omitempty"`
	// Pool is the best-in-pool gap of each panel strategy.
	Pool *PoolReport `json:"best_in_pool,omitempty"`
	// ErrorCorrelation is phi for every pair of panel models.
	ErrorCorrelation []Correlation `json:"error_correlation,omitempty"`
	Warnings         []string      `json:"warnings,omitempty"`
}

// StrategyReport is one strategy's line of the results table.
type StrategyReport struct {
	Name  string `json:"name"`
	Key   string `json:"key"` // what the items' answers are keyed by
	Model string `json:"model,omitempty"`
	K     int    `json:"k,omitempty"`
	// Accuracy is Correct/N; a run without an answer (failed, or none readable)
	// counts as wrong.
	Accuracy     float64    `json:"accuracy"`
	CI95         [2]float64 `json:"ci95"`
	N            int        `json:"n"`
	Correct      int        `json:"correct"`
	NoAnswer     int        `json:"no_answer"`
	InputTokens  int        `json:"input_tokens"`
	OutputTokens int        `json:"output_tokens"`
	CostUSD      float64    `json:"cost_usd"`
	// WallMS sums each question's run time: what the strategy takes answering the
	// questions one after another. Runs overlap under --concurrency, so this is not
	// the eval's elapsed time.
	WallMS int64 `json:"wall_ms"`
	// Calls counts the model calls made, failed ones included.
	Calls int `json:"calls"`
	// FirstRound compares a debate's verdict with the majority of its own first
	// round; debates only.
	FirstRound *FirstRoundReport `json:"first_round,omitempty"`
	// Calibration is the stated confidence of the answer scored (the verdict's; a
	// single model's own) against correctness.
	Calibration *Calibration `json:"calibration,omitempty"`
	// Flips and Rounds: debates only; see scoreFlips.
	Flips  *FlipReport   `json:"flips,omitempty"`
	Rounds []RoundReport `json:"rounds,omitempty"`
}

// CostPerQuestion is the mean cost of one question.
func (s StrategyReport) CostPerQuestion() float64 {
	if s.N == 0 {
		return 0
	}
	return s.CostUSD / float64(s.N)
}

// TokensPerQuestion is the mean number of tokens (in and out) of one question.
func (s StrategyReport) TokensPerQuestion() float64 {
	if s.N == 0 {
		return 0
	}
	return float64(s.InputTokens+s.OutputTokens) / float64(s.N)
}

// FirstRoundReport says what the rounds after the first did to the majority answer.
type FirstRoundReport struct {
	// Accuracy of the first round's majority answer: a majority vote bought with the
	// debate's own first-round tokens.
	Accuracy float64    `json:"accuracy"`
	CI95     [2]float64 `json:"ci95"`
	Correct  int        `json:"correct"`
	// Fixed: the first-round majority was wrong and the verdict right. Broke: right,
	// then wrong. Changed: the verdict differs from the first-round majority at all.
	Fixed   int `json:"fixed"`
	Broke   int `json:"broke"`
	Changed int `json:"changed"`
}

// ItemReport is one question with every strategy's extracted answer beside the gold.
type ItemReport struct {
	Index      int               `json:"index"`
	Line       int               `json:"line"`
	Question   string            `json:"question"`
	Gold       string            `json:"gold"`
	Answers    map[string]string `json:"answers"`
	Correct    map[string]bool   `json:"correct"`
	FirstRound map[string]string `json:"first_round,omitempty"`
}

// BuildReport scores the results against the spec's gold answers. Scoring happens
// here, not when a result is stored, so the checkpoint keeps the raw answers.
func BuildReport(spec Spec, results []Result) *Report {
	rep := &Report{ID: spec.ID, Status: StatusCompleted, Dataset: spec.Dataset, Panel: spec.Panel, Questions: len(spec.Items), CIMethod: CIMethod, Strategies: []StrategyReport{}, Items: []ItemReport{}}
	byItem := map[int]Item{}
	for _, it := range spec.Items {
		byItem[it.Index] = it
	}
	byKey := map[string][]Result{}
	for _, r := range results {
		if _, ok := byItem[r.Item]; ok {
			byKey[r.Strategy] = append(byKey[r.Strategy], r)
		}
	}
	items := map[int]*ItemReport{}
	gold := map[int]string{}
	for _, it := range spec.Items {
		gold[it.Index] = it.Gold
	}
	for _, s := range spec.Strategies {
		sr := StrategyReport{Name: s.Name, Key: s.Key, K: s.K}
		if s.Kind == KindSingle || s.Kind == KindSelfConsistency {
			sr.Model = s.Model
		}
		var fr *FirstRoundReport
		if s.Kind == KindDebate {
			fr = &FirstRoundReport{}
		}
		for _, r := range byKey[s.Key] {
			it := byItem[r.Item]
			ok := Match(r.Answer, it.Gold)
			sr.N++
			if ok {
				sr.Correct++
			}
			if strings.TrimSpace(r.Answer) == "" {
				sr.NoAnswer++
			}
			sr.InputTokens += r.InputTokens
			sr.OutputTokens += r.OutputTokens
			sr.CostUSD += r.CostUSD
			sr.WallMS += r.WallMS
			sr.Calls += r.Calls

			ir := items[r.Item]
			if ir == nil {
				ir = &ItemReport{Index: it.Index, Line: it.Line, Question: it.Question, Gold: it.Gold, Answers: map[string]string{}, Correct: map[string]bool{}}
				items[r.Item] = ir
			}
			ir.Answers[s.Key] = r.Answer
			ir.Correct[s.Key] = ok
			if fr != nil {
				if ir.FirstRound == nil {
					ir.FirstRound = map[string]string{}
				}
				ir.FirstRound[s.Key] = r.FirstRound
				before := Match(r.FirstRound, it.Gold)
				if before {
					fr.Correct++
				}
				switch {
				case !before && ok:
					fr.Fixed++
				case before && !ok:
					fr.Broke++
				}
				if !sameAnswer(r.FirstRound, r.Answer) {
					fr.Changed++
				}
			}
		}
		sr.Accuracy = ratio(sr.Correct, sr.N)
		sr.CI95[0], sr.CI95[1] = Wilson(sr.Correct, sr.N)
		if fr != nil {
			fr.Accuracy = ratio(fr.Correct, sr.N)
			fr.CI95[0], fr.CI95[1] = Wilson(fr.Correct, sr.N)
			sr.FirstRound = fr
		}
		sr.Calibration = confidences(s, byKey[s.Key], gold)
		if s.Kind == KindDebate {
			sr.Flips, sr.Rounds = scoreFlips(byKey[s.Key], gold)
		}
		if sr.N < len(spec.Items) {
			rep.Status = StatusPartial
		}
		rep.Strategies = append(rep.Strategies, sr)
	}
	for _, ir := range items {
		rep.Items = append(rep.Items, *ir)
	}
	if p := poolOf(spec, byKey, gold); p != nil {
		rep.Seats = p.seats()
		rep.Pool = p.bestInPool(spec, byKey, gold)
		rep.ErrorCorrelation = p.correlations()
	}
	if w := FamilyWarning(spec.Panel); w != "" {
		rep.Warnings = append(rep.Warnings, w)
	}
	sort.Slice(rep.Items, func(i, j int) bool { return rep.Items[i].Index < rep.Items[j].Index })
	return rep
}

// sameAnswer: two extracted answers say the same, as scoring would judge them ("The
// answer is 18" and "18" do).
func sameAnswer(a, b string) bool { return Match(a, b) || Match(b, a) }

func ratio(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// WriteMarkdown writes the results tables.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Eval %s\n\n", rep.ID)
	fmt.Fprintf(&b, "%d questions from %s; panel %s.", rep.Questions, rep.Dataset, strings.Join(rep.Panel, ", "))
	switch rep.Status {
	case StatusInterrupted, StatusBudget, StatusPartial:
		fmt.Fprintf(&b, " **Not finished (%s)**: each strategy's n says how many questions it has answered so far.", rep.Status)
	}
	b.WriteString("\n\n")
	b.WriteString("| strategy | model | accuracy | 95% CI (Wilson) | n | no answer | tokens in | tokens out | cost | cost/question | time |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range rep.Strategies {
		model := s.Model
		if s.K > 0 {
			model = fmt.Sprintf("%s ×%d", s.Model, s.K)
		}
		if model == "" {
			model = "panel"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %s | %s | %s | %s | %s |\n",
			s.Name, mdCell(model), pct(s.Accuracy), ciText(s.CI95), s.N, s.NoAnswer,
			thousands(s.InputTokens), thousands(s.OutputTokens), usd(s.CostUSD), usd(s.CostPerQuestion()), duration(s.WallMS))
	}
	var debates []StrategyReport
	for _, s := range rep.Strategies {
		if s.FirstRound != nil {
			debates = append(debates, s)
		}
	}
	if len(debates) > 0 {
		b.WriteString("\n## Did the debate change the first-round majority?\n\n")
		b.WriteString("| strategy | first-round majority | after debate | fixed (wrong → right) | broke (right → wrong) | changed | n |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|\n")
		for _, s := range debates {
			f := s.FirstRound
			fmt.Fprintf(&b, "| %s | %s %s | %s %s | %d | %d | %d | %d |\n", s.Name, pct(f.Accuracy), ciText(f.CI95), pct(s.Accuracy), ciText(s.CI95), f.Fixed, f.Broke, f.Changed, s.N)
		}
	}
	writeAnalyses(&b, rep, debates)
	b.WriteString("\nAccuracy is the share of questions answered right; a run with no answer counts as wrong. " +
		"The interval is the 95% Wilson score interval: overlapping intervals mean the data cannot tell the strategies apart. " +
		"Time sums each question's run; cost is priced from each model's known price (0 when unknown).\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func pct(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }

func ciText(ci [2]float64) string {
	return "[" + strconv.FormatFloat(100*ci[0], 'f', 1, 64) + ", " + strconv.FormatFloat(100*ci[1], 'f', 1, 64) + "]"
}

func usd(f float64) string {
	switch {
	case f == 0:
		return "$0"
	case f < 0.01:
		return "$" + strconv.FormatFloat(f, 'f', 5, 64)
	}
	return "$" + strconv.FormatFloat(f, 'f', 4, 64)
}

func duration(ms int64) string {
	if ms < 1000 {
		return strconv.FormatInt(ms, 10) + "ms"
	}
	return (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond).String()
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeAnalyses writes the tables beyond accuracy: flips, rounds, best-in-pool,
// calibration, error correlation. docs/EVAL.md explains each.
func writeAnalyses(b *strings.Builder, rep *Report, debates []StrategyReport) {
	for _, w := range rep.Warnings {
		fmt.Fprintf(b, "\n**Warning:** %s.\n", w)
	}
	if len(debates) > 0 {
		b.WriteString("\n## Flips: which answer changes were right, and were they argued?\n\n")
		b.WriteString("| strategy | label | flips | wrong → right | right → wrong | wrong → wrong |\n|---|---|--:|--:|--:|--:|\n")
		for _, s := range debates {
			if s.Flips == nil {
				continue
			}
			f := s.Flips
			fmt.Fprintf(b, "| %s | all | %d | %d | %d | %d |\n", s.Name, f.Total, f.WrongToRight, f.RightToWrong, f.WrongToWrong)
			for _, l := range []string{debate.FlipArgued, debate.FlipConformity, debate.FlipUnargued} {
				if c, ok := f.ByLabel[l]; ok {
					fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d |\n", s.Name, l, c.Total, c.WrongToRight, c.RightToWrong, c.WrongToWrong)
				}
			}
		}
		b.WriteString("\n## What each round bought\n\n")
		b.WriteString("| strategy | round | questions | cost/question | tokens/question | answers changed | majority right | fixed | broke |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, s := range debates {
			for _, r := range s.Rounds {
				fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %d | %s | %d | %d |\n", s.Name, r.Round, r.Questions, usd(r.CostPerQuestion), thousands(int(math.Round(r.TokensPerQuestion))), r.Changed, pct(r.MajorityAccuracy), r.Fixed, r.Broke)
			}
		}
	}
	if p := rep.Pool; p != nil && len(p.Gaps) > 0 {
		src := "each model alone (single)"
		if p.Source != KindSingle {
			src = "the independent round of " + p.Source
		}
		fmt.Fprintf(b, "\n## Best in pool\n\nThe best panel model, from %s: **%s**, %s %s.\n\n", src, mdCell(p.Best), pct(p.BestAccuracy), ciText(p.BestCI95))
		b.WriteString("| strategy | accuracy | best model | gap | 95% CI (paired bootstrap) | n |\n|---|--:|--:|--:|--:|--:|\n")
		for _, g := range p.Gaps {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %d |\n", g.Strategy, pct(g.Accuracy), pct(p.BestAccuracy), points(g.Gap), "["+points(g.CI95[0])+", "+points(g.CI95[1])+"]", g.N)
		}
	}
	var cal bool
	for _, s := range rep.Strategies {
		cal = cal || s.Calibration != nil
	}
	for _, s := range rep.Seats {
		cal = cal || s.Calibration != nil
	}
	if cal {
		b.WriteString("\n## Calibration: stated confidence against correctness\n\n")
		b.WriteString("| answer of | accuracy | Brier | n | reliability (confidence bin: mean stated → share right, n) |\n|---|--:|--:|--:|---|\n")
		row := func(name string, acc float64, c *Calibration) {
			if c == nil {
				return
			}
			var bins []string
			for _, bin := range c.Bins {
				bins = append(bins, fmt.Sprintf("%.0f–%.0f%%: %.0f → %.0f%% (%d)", 100*bin.Lo, 100*bin.Hi, 100*bin.MeanConfidence, 100*bin.Accuracy, bin.N))
			}
			fmt.Fprintf(b, "| %s | %s | %.3f | %d | %s |\n", mdCell(name), pct(acc), c.Brier, c.N, strings.Join(bins, "; "))
		}
		if rep.Pool == nil || rep.Pool.Source != KindSingle { // else the single rows say it
			for _, s := range rep.Seats {
				row("seat "+s.Model, s.Accuracy, s.Calibration)
			}
		}
		for _, s := range rep.Strategies {
			row(s.Key, s.Accuracy, s.Calibration)
		}
	}
	if len(rep.ErrorCorrelation) > 0 {
		b.WriteString("\n## Do the seats fail together?\n\n")
		b.WriteString("| models | both wrong | n | phi of errors |\n|---|--:|--:|--:|\n")
		for _, c := range rep.ErrorCorrelation {
			phi := "–"
			if c.Phi != nil {
				phi = strconv.FormatFloat(*c.Phi, 'f', 2, 64)
			}
			fmt.Fprintf(b, "| %s, %s | %d | %d | %s |\n", mdCell(c.A), mdCell(c.B), c.BothWrong, c.N, phi)
		}
	}
}

// points writes a difference of proportions in percentage points.
func points(f float64) string {
	s := strconv.FormatFloat(100*f, 'f', 1, 64)
	if f > 0 {
		s = "+" + s
	}
	return s + " pt"
}
