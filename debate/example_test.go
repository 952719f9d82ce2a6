package debate_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/provider"
)

// An in-process fake model: it argues for the option it was given, and says so in
// the reply block every participant ends with.
func fakeModel(option string, confidence int) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		text := fmt.Sprintf("I would start with %s.\n\n```json\n{\"position\": \"start with %s\", \"confidence\": %d, \"changed\": false, \"converged\": true}\n```", option, option, confidence)
		if strings.Contains(req.Prompt, "VERDICT") {
			text = "```json\n{\"recommendation\": \"Profile first, then fix the slowest queries\", \"confidence\": 80, \"consensus\": [\"measure before caching\"], \"dissent\": [\"Seat B: indexes first\"]}\n```"
		}
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: len(req.Prompt) / 4, OutputTokens: len(text) / 4}}, nil
	})
}

func Example() {
	mode, _ := debate.BuiltinMode("standard")
	d := debate.Debate{
		ID:   "example",
		Spec: debate.Spec{Problem: "Our Django API is slow: Redis caching, indexes or query optimization first?", Mode: mode.Name},
		Mode: mode,
		Panel: []debate.Participant{
			{Seat: debate.Seat{Seat: "A", Model: "fake:profiler"}, Model: fakeModel("query optimization", 80)},
			{Seat: debate.Seat{Seat: "B", Model: "fake:dba"}, Model: fakeModel("database indexes", 70)},
		},
	}
	stored := 0
	rec, err := debate.Run(context.Background(), d, func(e debate.Event) error {
		if e.Kind.Stored() {
			stored++ // a real caller appends the event to its store here
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("status:", rec.Status, "stopped:", rec.StoppedBecause)
	fmt.Println("rounds:", len(rec.Rounds))
	fmt.Println("verdict:", rec.Verdict.Recommendation, rec.Verdict.Confidence)
	fmt.Println("dissent:", rec.Verdict.Dissent)
	fmt.Println("events stored:", stored > 0)
	// Output:
	// status: completed stopped: converged
	// rounds: 2
	// verdict: Profile first, then fix the slowest queries 80
	// dissent: [Seat B: indexes first]
	// events stored: true
}
