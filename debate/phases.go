package debate

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// problem is the problem as every seat reads it: the user's text and, when the
// chair asked, the clarifications.
func (r *run) problem(st *Record) string {
	c := st.Clarification
	if c == nil || len(c.Questions) == 0 {
		return r.spec.Problem
	}
	var b strings.Builder
	b.WriteString(r.spec.Problem)
	b.WriteString("\n\nClarifications from the user:")
	for i, q := range c.Questions {
		a := ""
		if i < len(c.Answers) {
			a = strings.TrimSpace(c.Answers[i])
		}
		if a == "" {
			a = "(no answer)"
		}
		fmt.Fprintf(&b, "\n- Q: %s\n  A: %s", q, a)
	}
	return b.String()
}

// clarify asks the chair for up to 3 questions and the user for the answers. A chair
// that fails or asks nothing just lets the debate start.
func (r *run) clarify(ctx context.Context) error {
	st := r.state()
	order := r.chairOrder(st, 0)
	if len(order) == 0 {
		return nil
	}
	p := order[0]
	nc := nonce(r.spec.Seed, 0, p.Seat.Seat)
	prompt, err := render("clarify", promptData{Problem: r.spec.Problem, Context: defang(r.spec.Context, nc), Files: r.files(nc), Nonce: nc, Seat: p.Seat.Seat})
	if err != nil {
		return err
	}
	req := promptRequest(r, p, prompt)
	resp, attempts, perr := r.call(ctx, 0, p, req, nil)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c := &Clarification{Questions: []string{}, Answers: []string{}}
	turn := &Turn{Attempts: attempts, Prompt: prompt}
	if perr == nil {
		turn.Text, turn.Usage = resp.Text, resp.Usage
		turn.CostUSD = r.cost(p.Seat, resp)
		c.Questions = questions(resp.Text)
	} else {
		turn.ErrorClass, turn.Error = perr.Class, perr.Error()
	}
	if len(c.Questions) > 0 {
		answers, err := r.d.Clarify(ctx, c.Questions)
		if err != nil {
			return err
		}
		c.Answers = answers
	}
	return r.record(Event{Kind: KindClarified, Seat: p.Seat.Seat, Turn: turn, Clarification: c})
}

var fencedJSON = regexp.MustCompile("(?s)```(?:json|JSON)?\\s*(\\{.*?\\})\\s*```")

// questions reads the chair's questions: the JSON block, else lines ending in "?".
func questions(text string) []string {
	var out []string
	if ms := fencedJSON.FindAllStringSubmatch(text, -1); len(ms) > 0 {
		var v struct {
			Questions []string `json:"questions"`
		}
		if json.Unmarshal([]byte(ms[len(ms)-1][1]), &v) == nil {
			out = v.Questions
		}
	}
	if out == nil {
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-*0123456789.) "))
			if strings.HasSuffix(line, "?") || strings.HasSuffix(line, "？") {
				out = append(out, line)
			}
		}
	}
	var clean []string
	for _, q := range out {
		if q = strings.TrimSpace(q); q != "" && len(clean) < 3 {
			clean = append(clean, q)
		}
	}
	return clean
}

// summarize makes sure a summary of round n exists for the next round to read: the
// chair writes it, failing over like the verdict. If every seat fails, the next
// round falls back to the full answers, and the report says so.
func (r *run) summarize(ctx context.Context, n int) error {
	st := r.state()
	if _, ok := st.Summaries[n]; ok {
		return nil
	}
	tried := map[string]bool{}
	for _, f := range st.SummaryFailures {
		if f.Round == n {
			tried[f.Seat] = true
		}
	}
	for _, p := range r.chairOrder(st, n) {
		if tried[p.Seat.Seat] {
			continue
		}
		nc := nonce(r.spec.Seed, -n, p.Seat.Seat)
		data := promptData{Problem: r.problem(st), Seat: p.Seat.Seat, Nonce: nc, OthersRound: n}
		for _, o := range r.panel {
			if t, ok := st.Turn(n, o.Seat.Seat); ok && t.OK() {
				data.Others = append(data.Others, answerQuote(n, o.Seat.Seat, t.Text, nc))
			}
		}
		prompt, err := render("summary", data)
		if err != nil {
			return err
		}
		resp, attempts, perr := r.call(ctx, n, p, promptRequest(r, p, prompt), nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if perr != nil {
			t := &Turn{ErrorClass: perr.Class, Error: perr.Error(), Attempts: attempts}
			t.setPrompt(prompt, data.quoted())
			if err := r.record(Event{Kind: KindSummaryFailed, Round: n, Seat: p.Seat.Seat, Turn: t}); err != nil {
				return err
			}
			continue
		}
		t := &Turn{Text: resp.Text, Usage: resp.Usage, CostUSD: r.cost(p.Seat, resp), Attempts: attempts}
		t.setPrompt(prompt, data.quoted())
		return r.record(Event{Kind: KindSummaryCompleted, Round: n, Seat: p.Seat.Seat, Turn: t})
	}
	return nil
}

// tallyVerdict concludes a vote without a chair: the majority answer, with the
// share of confidence-weighted votes behind it as the confidence.
func tallyVerdict(st *Record) *Verdict {
	v := &Verdict{By: "tally", Consensus: []string{}, Disagreements: []string{}, Dissent: []string{}, Risks: []string{}, NextSteps: []string{}}
	t := st.Tally
	if t == nil || len(t.Answers) == 0 {
		v.Recommendation = "no answer: no seat gave a readable answer"
		return v
	}
	winner := t.Majority
	if winner == "" {
		winner = t.Weighted // the top is tied on votes: confidence decides
	}
	if winner == "" {
		winner = t.Answers[0].Answer
		v.Disagreements = append(v.Disagreements, "the vote is tied on both counts; the first answer given is reported")
	}
	total, behind := 0, 0
	for _, e := range t.Answers {
		total += e.Weight
		if NormalizeAnswer(e.Answer) == NormalizeAnswer(winner) {
			behind = e.Weight
			v.Consensus = append(v.Consensus, fmt.Sprintf("%d of %d seats answered %s (%s)", e.Votes, t.Voters, e.Answer, strings.Join(e.Seats, ", ")))
		} else {
			v.Dissent = append(v.Dissent, fmt.Sprintf("Seat %s: %s", strings.Join(e.Seats, ", "), e.Answer))
		}
	}
	v.Recommendation = winner
	if total > 0 {
		v.Confidence = behind * 100 / total
	}
	if t.Majority != "" && t.Weighted != "" && NormalizeAnswer(t.Majority) != NormalizeAnswer(t.Weighted) {
		v.Disagreements = append(v.Disagreements, fmt.Sprintf("the majority says %s, the confidence-weighted tally says %s", t.Majority, t.Weighted))
	}
	return v
}
