package cli

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/eval"
	"github.com/parleyhq/parley/internal/fakellm"
)

// TestEvalDocsChart regenerates docs/eval-chart.png and the table in docs/EVAL.md
// from a run against fakellm. It runs only when asked:
//
//	PARLEY_EVAL_DATASET=/path/to/gsm8k/test.jsonl PARLEY_EVAL_DOCS=$PWD/docs \
//	  go test ./internal/cli -run TestEvalDocsChart -v
//
// The three "models" are scripted, not real: each answers a question right with a
// fixed probability drawn from a hash of (model, question, seat, round), and in a
// debate's later rounds a seat adopts the first round's majority answer 70% of the
// time, right or wrong (the conformity the studies report). The chart shows how to
// read an eval, not how real models compare.
func TestEvalDocsChart(t *testing.T) {
	dataset, docs := os.Getenv("PARLEY_EVAL_DATASET"), os.Getenv("PARLEY_EVAL_DOCS")
	if dataset == "" || docs == "" {
		t.Skip("set PARLEY_EVAL_DATASET and PARLEY_EVAL_DOCS to regenerate the docs chart")
	}
	h := newEvalHarness(t)
	// Prices per million tokens, in the range of small, medium and large models.
	cfg := `models:
  fake-small: {provider: openai, model: fake-small, price: {input: 0.15, output: 0.60}}
  fake-medium: {provider: openai, model: fake-medium, price: {input: 0.40, output: 1.60}}
  fake-large: {provider: openai, model: fake-large, price: {input: 2.00, output: 8.00}}
`
	if err := os.WriteFile(h.env["PARLEY_CONFIG"], []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	golds := map[string]int{} // question text → gold
	f, err := os.Open(dataset)
	if err != nil {
		t.Fatal(err)
	}
	items, err := eval.ReadJSONL(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		g, err := strconv.Atoi(strings.ReplaceAll(it.Gold, ",", ""))
		if err == nil {
			golds[it.Question] = g
		}
	}
	skill := map[string]float64{"fake-small": 0.62, "fake-medium": 0.74, "fake-large": 0.86}
	chance := func(parts ...any) float64 {
		h := fnv.New64a()
		fmt.Fprint(h, parts...)
		return float64(h.Sum64()%10000) / 10000
	}
	panel := []string{"fake-small", "fake-medium", "fake-large"}
	// first is model m's independent answer in seat s to the question whose gold is g.
	first := func(m string, g int, seat string) int {
		if chance(m, g, seat) < skill[m] {
			return g
		}
		return g + 1 + int(chance("wrong", m, g, seat)*3)
	}
	majority := func(answers []int) (int, bool) {
		votes := map[int]int{}
		for _, a := range answers {
			votes[a]++
			if votes[a] >= 2 {
				return a, true
			}
		}
		return 0, false
	}
	round1 := func(g int) []int {
		var out []int
		for i, pm := range panel {
			out = append(out, first(pm, g, string(rune('A'+i))))
		}
		return out
	}
	// later is the answer after reading the others: a right seat gives in to a wrong
	// majority half the time; a wrong seat is persuaded by a right peer 40% of the
	// time, else follows the majority 60% of the time.
	later := func(m string, g int, seat string) int {
		r1 := round1(g)
		mine := first(m, g, seat)
		maj, hasMaj := majority(r1)
		peerRight := false
		for _, a := range r1 {
			peerRight = peerRight || a == g
		}
		switch p := chance("later", m, g, seat); {
		case mine == g:
			if hasMaj && maj != g && p < 0.5 {
				return maj
			}
		case peerRight && p < 0.4:
			return g
		case hasMaj && p < 0.4+0.6*0.6:
			return maj
		}
		return mine
	}
	answer := func(m string, g int, seat string, round int) int {
		if round <= 1 {
			return first(m, g, seat)
		}
		return later(m, g, seat)
	}
	for _, m := range panel {
		h.srv.Script(m, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
			ci := evalCallOf(c)
			g := -1
			for q, v := range golds {
				if strings.Contains(c.Prompt, q) {
					g = v
					break
				}
			}
			round := ci.round
			if ci.verdict {
				round = 9
			}
			a := answer(m, g, ci.seat, round)
			if ci.verdict {
				// The chair reports the final round's majority, else its own answer.
				var final []int
				for i, pm := range panel {
					final = append(final, later(pm, g, string(rune('A'+i))))
				}
				if maj, ok := majority(final); ok {
					a = maj
				}
				return fakellm.Reply{Text: fmt.Sprintf("Weighing the final answers, the panel's result stands.\n```json\n{\"recommendation\": \"%d\", \"answer\": \"%d\", \"confidence\": 80, \"consensus\": [], \"disagreements\": [], \"dissent\": [], \"risks\": [], \"next_steps\": []}\n```", a, a)}
			}
			work := strings.Repeat("Working through the quantities one step at a time and checking each product and sum. ", 4)
			return fakellm.Reply{Text: fmt.Sprintf("%s\nSo the answer is %d.\n```json\n{\"answer\": \"%d\", \"position\": \"%d\", \"confidence\": 75, \"changed\": false, \"converged\": false}\n```", work, a, a, a)}
		}})
	}
	chart := filepath.Join(docs, "eval-chart")
	res := h.run(context.Background(), "eval", dataset, "-m", "fake-small,fake-medium,fake-large", "--strategies", "single,vote,self-consistency,standard,vote-first",
		"--sample", "60", "--seed", "1", "--chart", chart, "--concurrency", "8", "-q")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	os.Remove(chart + ".svg") // the docs keep the PNGs only
	os.Remove(chart + "-reliability.svg")
	t.Log("\n" + res.stdout)
}
