package report_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/provider"
)

// flipModel answers in the standard mode's JSON block: in round r it says what
// block(r) returns, using 100·r input and 10 output tokens; as chair (no round in
// its prompt) it gives the verdict 42.
func flipModel(block func(round int) string) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		round := 0
		if m := roundRe.FindStringSubmatch(req.Prompt); m != nil {
			round, _ = strconv.Atoi(m[1])
		}
		if round == 0 {
			return provider.Response{Text: "```json\n{\"recommendation\": \"42\", \"answer\": \"42\", \"confidence\": 80}\n```", Usage: provider.Usage{InputTokens: 10, OutputTokens: 5}}, nil
		}
		return provider.Response{Text: fmt.Sprintf("Work for round %d.\n```json\n%s\n```", round, block(round)), Usage: provider.Usage{InputTokens: 100 * round, OutputTokens: 10}}, nil
	})
}

func steadyModel(answer string) provider.Model {
	return flipModel(func(int) string {
		return fmt.Sprintf(`{"answer": %q, "position": "it is %s", "confidence": 80}`, answer, answer)
	})
}

// flipRecord runs a standard debate in which seats A and B say 42 throughout and
// seat C says 41 in round 1 and 42 after, giving reason and newArg for the change
// (C never changes when flip is false). Prices are $1 per million input tokens and
// $10 per million output tokens, so round r costs 3·(100r·1 + 10·10)/1e6 dollars.
func flipRecord(t *testing.T, flip bool, reason, newArg string) *debate.Record {
	t.Helper()
	mode, ok := debate.BuiltinMode("standard")
	if !ok {
		t.Fatal("no standard mode")
	}
	c := flipModel(func(r int) string {
		if r == 1 || !flip {
			return `{"answer": "41", "position": "it is 41", "confidence": 60}`
		}
		return fmt.Sprintf(`{"answer": "42", "position": "it is 42", "confidence": 70, "changed": true, "reason": %q, "new_argument": %q}`, reason, newArg)
	})
	models := map[string]provider.Model{"A": steadyModel("42"), "B": steadyModel("42"), "C": c}
	var panel []debate.Participant
	for _, s := range []string{"A", "B", "C"} {
		panel = append(panel, debate.Participant{Seat: debate.Seat{Seat: s, Model: "x:" + strings.ToLower(s)}, Model: models[s]})
	}
	d := debate.Debate{
		ID:    "01flipsrendertest",
		Spec:  debate.Spec{Problem: "What is six times seven?", Mode: mode.Name, MaxAttempts: 1, RetryBase: time.Millisecond, Seed: 1},
		Mode:  mode,
		Panel: panel,
		Price: func(_ debate.Seat, u provider.Usage) float64 {
			return (float64(u.InputTokens)*1 + float64(u.OutputTokens)*10) / 1e6
		},
	}
	rec, err := debate.Run(context.Background(), d, func(debate.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// The per-round lines are the same in every case: C's flip (if any) is in round 2,
// and round r's tokens are 3·(100r + 10), its cost 3·(100r + 100)/1e6 dollars.
func roundLines(changed2 int) []string {
	return []string{
		"| Round | Answered | Changed | Majority | Tokens | Cost |",
		"|--:|--:|--:|---|--:|--:|",
		"| 1 | 3 | 0 | “42” | 330 | $0.0006 |",
		fmt.Sprintf("| 2 | 3 | %d | “42” | 630 | $0.0009 |", changed2),
		"| 3 | 3 | 0 | “42” | 930 | $0.0012 |",
	}
}

func TestFlipsSectionLabelsEachFlip(t *testing.T) {
	for _, tc := range []struct {
		name, reason, newArg string
		correct              func(string) bool
		md, html             []string // lines that must appear exactly
	}{
		{
			name:   "conformity",
			reason: "the other seats all say 42, so I agree with the majority",
			md: append([]string{
				"## Flips",
				"| Seat | Round | From → to | Kind | Reason |",
				"| C | 2 | “41” → “42” | conformity | the other seats all say 42, so I agree with the majority |",
				"Conformity (moved to the majority with no new argument): 1. Argued (gave an argument new to the seat): 0. Neither: 0.",
			}, roundLines(1)...),
			html: []string{
				`<section id="flips">`,
				`<tr><td class="text"><b>C</b> <span class="muted">x:c</span></td><td>2</td><td class="text">“41” → “42”</td><td class="text"><span class="flip-kind conformity">conformity</span></td><td class="text"><i>the other seats all say 42, so I agree with the majority</i></td></tr>`,
				`<p>Conformity (moved to the majority with no new argument): 1. Argued (gave an argument new to the seat): 0. Neither: 0.</p>`,
				`<tr><td>2</td><td>3</td><td>1</td><td class="text">“42”</td><td>630</td><td>$0.0009</td></tr>`,
			},
		},
		{
			name:   "argued",
			newArg: "I recomputed: 6 times 7 gives 42; my carry was wrong",
			md: append([]string{
				"## Flips",
				"| C | 2 | “41” → “42” | argued | I recomputed: 6 times 7 gives 42; my carry was wrong |",
				"Conformity (moved to the majority with no new argument): 0. Argued (gave an argument new to the seat): 1. Neither: 0.",
			}, roundLines(1)...),
			html: []string{
				`<td class="text"><span class="flip-kind argued">argued</span></td><td class="text"><i>I recomputed: 6 times 7 gives 42; my carry was wrong</i></td></tr>`,
				`<p>Conformity (moved to the majority with no new argument): 0. Argued (gave an argument new to the seat): 1. Neither: 0.</p>`,
			},
		},
		{
			// With a reference answer the direction is known: 41 was wrong, 42 right.
			name:    "direction",
			reason:  "the other seats all say 42, so I agree with the majority",
			correct: func(a string) bool { return a == "42" },
			md: []string{
				"| Seat | Round | From → to | Kind | Direction | Reason |",
				"| C | 2 | “41” → “42” | conformity | wrong → right | the other seats all say 42, so I agree with the majority |",
				"Against the reference answer: 1 wrong → right, 0 right → wrong.",
			},
			html: []string{
				`<td class="text"><span class="flip-kind conformity">conformity</span></td><td class="text">wrong → right</td>`,
				`<p>Against the reference answer: 1 wrong → right, 0 right → wrong.</p>`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := flipRecord(t, true, tc.reason, tc.newArg)
			opt := report.Options{Correct: tc.correct}
			var md, page strings.Builder
			if err := report.Markdown(&md, rec, opt); err != nil {
				t.Fatal(err)
			}
			if err := report.HTMLWith(&page, rec, opt); err != nil {
				t.Fatal(err)
			}
			mdLines := lineSet(md.String())
			for _, want := range tc.md {
				if !mdLines[want] {
					t.Errorf("the Markdown report lacks the line\n%s\nreport:\n%s", want, md.String())
				}
			}
			htmlLines := lineSet(page.String())
			for _, want := range tc.html {
				if !htmlLines[want] && !strings.Contains(page.String(), want) {
					t.Errorf("the HTML report lacks\n%s", want)
				}
			}
			if tc.correct == nil && (strings.Contains(md.String(), "Direction") || strings.Contains(page.String(), "reference answer")) {
				t.Error("directions shown without a reference answer")
			}
		})
	}
}

// A debate where nobody changed its answer has no Flips section, like the report's
// other optional sections.
func TestFlipsSectionAbsentWithoutFlips(t *testing.T) {
	rec := flipRecord(t, false, "", "")
	if rec.FlipMatrix == nil || len(rec.FlipMatrix.Flips) != 0 {
		t.Fatalf("flip matrix = %+v, want one without flips", rec.FlipMatrix)
	}
	var md, page strings.Builder
	if err := report.Markdown(&md, rec, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := report.HTML(&page, rec); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "## Flips") || strings.Contains(page.String(), `id="flips"`) {
		t.Error("a Flips section for a debate without flips")
	}
}

func lineSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(s, "\n") {
		m[line] = true
	}
	return m
}
