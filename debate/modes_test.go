package debate

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parleyhq/parley/provider"
)

func mode(t *testing.T, name string) Mode {
	t.Helper()
	m, ok := BuiltinMode(name)
	if !ok {
		t.Fatalf("no built-in mode %q", name)
	}
	return m
}

// modeAnswerer answers whatever a mode asks: votes, reviews (ranking the seats it
// was shown, in the order shown), summaries, verdicts, and ordinary turns whose
// convergence is decided by converge(round).
func modeAnswerer(seat string, converge func(round int) bool) *scripted {
	return &scripted{reply: func(n int, req provider.Request) (provider.Response, error) {
		p := req.Prompt
		switch {
		case strings.Contains(p, "# VERDICT"):
			return provider.Response{Text: "```json\n{\"recommendation\": \"verdict by " + seat + "\", \"confidence\": 70}\n```"}, nil
		case strings.Contains(p, "# SUMMARY of round"):
			return provider.Response{Text: "SUMMARY-BY-" + seat + ": everyone wants to profile first."}, nil
		case strings.Contains(p, "# CLARIFY"):
			return provider.Response{Text: "```json\n{\"questions\": [\"How many requests per second?\", \"Which database?\"]}\n```"}, nil
		case strings.Contains(p, "counted in a vote"):
			answer := map[string]string{"A": "18", "B": "18", "C": "20"}[seat]
			return provider.Response{Text: fmt.Sprintf("OWN-ANSWER-%s\n```json\n{\"answer\": \"%s\", \"position\": \"%s\", \"confidence\": 80}\n```", seat, answer, answer)}, nil
		case strings.Contains(p, "anonymous peer review"):
			var shown []string
			for _, m := range regexp.MustCompile(`QUOTE [0-9a-f]{8} seat ([A-Z])>>>`).FindAllStringSubmatch(p, -1) {
				shown = append(shown, `"`+m[1]+`"`)
			}
			return provider.Response{Text: fmt.Sprintf("Review by %s.\n```json\n{\"ranking\": [%s], \"position\": \"profile first\", \"confidence\": 75}\n```", seat, strings.Join(shown, ", "))}, nil
		}
		r := roundOf(req)
		conv := converge != nil && converge(r)
		return provider.Response{Text: fmt.Sprintf("OWN-ANSWER-%s-%d: profile first.\n```json\n{\"position\": \"profile first\", \"confidence\": 70, \"changed\": false, \"converged\": %v}\n```", seat, r, conv)}, nil
	}}
}

func runMode(t *testing.T, name string, seats []string, converge func(int) bool) (*Record, map[string]*scripted) {
	t.Helper()
	models := map[string]*scripted{}
	var panel []Participant
	for _, s := range seats {
		models[s] = modeAnswerer(s, converge)
		panel = append(panel, Participant{Seat: Seat{Seat: s, Model: "m:" + strings.ToLower(s)}, Model: models[s]})
	}
	d := Debate{ID: "t", Spec: Spec{Problem: "Where do we start?", Mode: name, Seed: 7, RetryBase: 1}, Mode: mode(t, name), Panel: panel}
	var col collector
	rec, err := Run(context.Background(), d, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusCompleted || rec.Verdict == nil {
		t.Fatalf("%s: status %s, verdict %v", name, rec.Status, rec.Verdict)
	}
	return rec, models
}

func TestEveryModeRunsItsRounds(t *testing.T) {
	for _, m := range BuiltinModes() {
		t.Run(m.Name, func(t *testing.T) {
			rec, _ := runMode(t, m.Name, []string{"A", "B", "C"}, nil)
			want := len(m.Rounds)
			if m.Converge == ConvergeResolved {
				want = 1 // every seat answers "profile first": nothing is contested (votefirst_test.go)
			}
			if len(rec.Rounds) != want {
				t.Fatalf("%d rounds, want %d", len(rec.Rounds), want)
			}
			for i, r := range rec.Rounds {
				if r.Kind != m.Rounds[i].Kind {
					t.Errorf("round %d kind %s, want %s", i+1, r.Kind, m.Rounds[i].Kind)
				}
			}
			if rec.Baseline == nil || rec.Flips == nil {
				t.Errorf("baseline %v flips %v", rec.Baseline, rec.Flips)
			}
		})
	}
}

func TestDeepStopsWhenConverged(t *testing.T) {
	rec, _ := runMode(t, "deep", []string{"A", "B", "C"}, func(round int) bool { return round >= 2 })
	if len(rec.Rounds) != 2 || rec.StoppedBecause != StopConverged {
		t.Fatalf("%d rounds, stopped %s; want 2 and converged", len(rec.Rounds), rec.StoppedBecause)
	}
	rec, _ = runMode(t, "deep", []string{"A", "B", "C"}, func(int) bool { return false })
	if len(rec.Rounds) != 6 || rec.StoppedBecause != StopMaxRounds {
		t.Fatalf("%d rounds, stopped %s; want 6 and max_rounds", len(rec.Rounds), rec.StoppedBecause)
	}
	// The roles were handed out in order, and reached the system prompts.
	if rec.Panel[0].Role != "explorer" || rec.Panel[1].Role != "skeptic" || rec.Panel[2].Role != "pragmatist" {
		t.Errorf("roles %+v", rec.Panel)
	}
}

func TestUnanimousFirstRoundStillDebatesUnlessTheModeSaysSo(t *testing.T) {
	rec, _ := runMode(t, "standard", []string{"A", "B"}, func(int) bool { return true })
	if len(rec.Rounds) < 2 {
		t.Fatalf("instant agreement skipped the critique: %d rounds", len(rec.Rounds))
	}
	m := mode(t, "standard")
	m.SkipIfUnanimous = true
	d := Debate{ID: "u", Spec: Spec{Problem: "q", Mode: "standard", Seed: 1}, Mode: m, Panel: []Participant{
		{Seat: Seat{Seat: "A", Model: "m:a"}, Model: modeAnswerer("A", nil)},
		{Seat: Seat{Seat: "B", Model: "m:b"}, Model: modeAnswerer("B", nil)},
	}}
	var col collector
	rec, err := Run(context.Background(), d, col.emit)
	if err != nil || len(rec.Rounds) != 1 || rec.StoppedBecause != StopConverged {
		t.Fatalf("skip_if_unanimous: %v, %d rounds, %s", err, len(rec.Rounds), rec.StoppedBecause)
	}
}

func TestCouncilReviewersNeverSeeTheirOwnAnswer(t *testing.T) {
	seats := []string{"A", "B", "C", "D", "E"}
	rec, models := runMode(t, "council", seats, nil)
	orders := map[string]bool{}
	for _, s := range seats {
		for _, req := range models[s].requests() {
			if !strings.Contains(req.Prompt, "anonymous peer review") {
				continue
			}
			if strings.Contains(req.Prompt, "OWN-ANSWER-"+s+"-") {
				t.Errorf("seat %s's review prompt contains its own answer", s)
			}
			if strings.Contains(req.Prompt, "seat "+s+">>>") {
				t.Errorf("seat %s's review prompt quotes seat %s", s, s)
			}
			var order []string
			for _, m := range regexp.MustCompile(`QUOTE [0-9a-f]{8} seat ([A-Z])>>>`).FindAllStringSubmatch(req.Prompt, -1) {
				order = append(order, m[1])
			}
			if len(order) != 4 {
				t.Errorf("seat %s reviewed %d answers, want 4", s, len(order))
			}
			sorted := strings.Join(order, "") == strings.Join(others(seats, s), "")
			orders[fmt.Sprint(sorted)] = true
		}
	}
	if !orders["false"] {
		t.Error("every reviewer saw the answers in seat order: no shuffle")
	}
	if len(rec.Ranking) != 5 {
		t.Fatalf("ranking %+v", rec.Ranking)
	}
	// Each reviewer ranks in the order it was shown, so the Borda points must equal
	// a count made here from the prompts.
	want := map[string]int{}
	for _, s := range seats {
		for _, req := range models[s].requests() {
			if strings.Contains(req.Prompt, "anonymous peer review") {
				ms := regexp.MustCompile(`QUOTE [0-9a-f]{8} seat ([A-Z])>>>`).FindAllStringSubmatch(req.Prompt, -1)
				for i, m := range ms {
					want[m[1]] += len(ms) - 1 - i
				}
			}
		}
	}
	for _, e := range rec.Ranking {
		if e.Points != want[e.Seat] {
			t.Errorf("seat %s: %d points, counted %d", e.Seat, e.Points, want[e.Seat])
		}
	}
	// The chair read the ranking.
	for _, req := range models["A"].requests() {
		if strings.Contains(req.Prompt, "# VERDICT") && !strings.Contains(req.Prompt, "Borda count") {
			t.Error("the council chair's prompt lacks the peer ranking")
		}
	}
}

func others(all []string, self string) []string {
	var out []string
	for _, s := range all {
		if s != self {
			out = append(out, s)
		}
	}
	return out
}

func TestVoteTallyVerdict(t *testing.T) {
	rec, models := runMode(t, "vote", []string{"A", "B", "C"}, nil)
	if rec.Tally == nil || rec.Tally.Majority != "18" || rec.Verdict.Recommendation != "18" || rec.Verdict.By != "tally" {
		t.Fatalf("tally %+v verdict %+v", rec.Tally, rec.Verdict)
	}
	if rec.Verdict.Confidence != 66 { // 160 of 240 confidence points behind "18"
		t.Errorf("confidence %d, want 66", rec.Verdict.Confidence)
	}
	for s, m := range models {
		if n := len(m.requests()); n != 1 {
			t.Errorf("seat %s was called %d times; a vote needs one call per seat and no chair", s, n)
		}
	}
	if rec.Baseline == nil || rec.Baseline.Method != "answer" || !rec.Baseline.AgreesWithVerdict {
		t.Errorf("baseline %+v", rec.Baseline)
	}
}

func TestAdversarialStancesAndNeutralJudge(t *testing.T) {
	rec, models := runMode(t, "adversarial", []string{"A", "B", "C"}, func(int) bool { return true })
	if len(rec.Rounds) != 3 {
		t.Errorf("adversarial never converges early: %d rounds", len(rec.Rounds))
	}
	if rec.Panel[2].Role != "neutral" || rec.Verdict.Recommendation != "verdict by C" {
		t.Errorf("the neutral seat must judge: roles %+v, verdict %q", rec.Panel, rec.Verdict.Recommendation)
	}
	if !strings.Contains(models["B"].requests()[0].System, "AGAINST") {
		t.Error("seat B's system prompt lacks its stance")
	}
}

func TestSummaryRound(t *testing.T) {
	m := mode(t, "standard")
	m.Rounds[1].Sees = SeesSummary
	a, b := modeAnswerer("A", nil), modeAnswerer("B", nil)
	d := Debate{ID: "s", Spec: Spec{Problem: "q", Mode: "standard", Seed: 3}, Mode: m, Panel: []Participant{
		{Seat: Seat{Seat: "A", Model: "m:a"}, Model: a}, {Seat: Seat{Seat: "B", Model: "m:b"}, Model: b},
	}}
	var col collector
	rec, err := Run(context.Background(), d, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := rec.Summaries[1]; !ok || s.Seat != "A" {
		t.Fatalf("summaries %+v", rec.Summaries)
	}
	for _, req := range b.requests() {
		if roundOf(req) == 2 {
			if !strings.Contains(req.Prompt, "SUMMARY-BY-A") || strings.Contains(req.Prompt, "OWN-ANSWER-A-1") {
				t.Errorf("round 2 must read the summary, not A's full answer:\n%s", req.Prompt)
			}
			if !strings.Contains(req.Prompt, "OWN-ANSWER-B-1") {
				t.Error("a seat still reads its own previous answer")
			}
		}
	}
	if rec.Ledger[0].Calls != 5 { // 3 rounds + summary + verdict
		t.Errorf("the summary call is not in the ledger: %+v", rec.Ledger[0])
	}
}

func TestBudgetCutsAreMarked(t *testing.T) {
	long := strings.Repeat("Profiling evidence and reasoning. ", 400) // ~13 KB
	var mu sync.Mutex
	prompts := map[string]string{}
	model := func(seat string) provider.Model {
		return provider.Func(func(ctx context.Context, req provider.Request, _ func(string)) (provider.Response, error) {
			if strings.Contains(req.Prompt, "# VERDICT") {
				return provider.Response{Text: "```json\n{\"recommendation\": \"r\", \"confidence\": 60}\n```"}, nil
			}
			mu.Lock()
			prompts[fmt.Sprint(seat, roundOf(req))] = req.Prompt
			mu.Unlock()
			return provider.Response{Text: "HEAD-" + seat + " " + long + " TAIL-" + seat + "\n```json\n{\"position\": \"p\", \"confidence\": 50}\n```"}, nil
		})
	}
	m := mode(t, "standard")
	m.Rounds[1].Sees = SeesBudget
	d := Debate{ID: "b", Spec: Spec{Problem: "q", Mode: "standard", Seed: 3}, Mode: m, Panel: []Participant{
		{Seat: Seat{Seat: "A", Model: "m:a", ContextWindow: 2000}, Model: model("A")},
		{Seat: Seat{Seat: "B", Model: "m:b", ContextWindow: 200_000}, Model: model("B")},
	}}
	var col collector
	rec, err := Run(context.Background(), d, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	pa := prompts["A2"]
	if !strings.Contains(pa, "parley cut") || !strings.Contains(pa, "HEAD-B") || !strings.Contains(pa, "TAIL-B") {
		t.Errorf("A's small window: the cut must be marked and keep head and tail")
	}
	if ta, _ := rec.Turn(2, "A"); !ta.Truncated {
		t.Error("A's round-2 turn is not recorded as truncated")
	}
	if strings.Contains(prompts["B2"], "parley cut") {
		t.Error("B's large window needed no cut")
	}
	if tb, _ := rec.Turn(2, "B"); tb.Truncated {
		t.Error("B's turn recorded as truncated")
	}
}

func TestClarifyQuestionsJoinTheProblem(t *testing.T) {
	a, b := modeAnswerer("A", nil), modeAnswerer("B", nil)
	var asked []string
	d := Debate{ID: "c", Spec: Spec{Problem: "Our API is slow.", Mode: "quick", Seed: 3}, Mode: mode(t, "quick"), Panel: []Participant{
		{Seat: Seat{Seat: "A", Model: "m:a"}, Model: a}, {Seat: Seat{Seat: "B", Model: "m:b"}, Model: b},
	}, Clarify: func(ctx context.Context, qs []string) ([]string, error) {
		asked = qs
		return []string{"About 300 rps", ""}, nil
	}}
	var col collector
	rec, err := Run(context.Background(), d, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || rec.Clarification == nil || rec.Clarification.Answers[0] != "About 300 rps" {
		t.Fatalf("asked %v, record %+v", asked, rec.Clarification)
	}
	for _, req := range b.requests() {
		if roundOf(req) == 1 && (!strings.Contains(req.Prompt, "A: About 300 rps") || !strings.Contains(req.Prompt, "Which database?")) {
			t.Errorf("the clarifications did not reach the panel:\n%s", req.Prompt)
		}
	}
	// Resuming does not ask again.
	d2 := Debate{Panel: d.Panel, Log: col.events[:3], Clarify: func(context.Context, []string) ([]string, error) {
		t.Error("asked again on resume")
		return nil, nil
	}}
	if _, err := Run(context.Background(), d2, (&collector{}).emit); err != nil {
		t.Fatal(err)
	}
}

// TestBuiltinModeFilesAreNamedAfterTheirModes: BuiltinMode reads only
// modes/<name>.yaml, so every built-in mode must be found by its own name, and
// nothing that is not a mode's name must be.
func TestBuiltinModeFilesAreNamedAfterTheirModes(t *testing.T) {
	all := BuiltinModes()
	if len(all) < 5 {
		t.Fatalf("%d built-in modes: the embed is broken?", len(all))
	}
	for _, want := range all {
		got, ok := BuiltinMode(want.Name)
		if !ok {
			t.Errorf("BuiltinMode(%q) finds nothing: is its file modes/%s.yaml?", want.Name, want.Name)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("BuiltinMode(%q) differs from BuiltinModes' (-want +got):\n%s", want.Name, diff)
		}
	}
	for _, name := range []string{"", "nope", "../modes/standard", "modes/standard", "standard.yaml", "Standard"} {
		if _, ok := BuiltinMode(name); ok {
			t.Errorf("BuiltinMode(%q) found a mode", name)
		}
	}
}
