package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

// A seat marked out and a degraded verdict show in the Markdown, JSON and HTML
// reports: who, after which round, when, why, and that the verdict rests on few seats.
func TestOutSeatsAndDegradedVerdictAreReported(t *testing.T) {
	var events []debate.Event
	at := time.Date(2026, 12, 6, 4, 5, 6, 0, time.UTC)
	for _, e := range loadEvents(t) {
		if e.Kind == debate.KindVerdictCompleted && e.Verdict != nil {
			v := *e.Verdict
			v.Degraded = "only 1 of 3 seats (A) answered round 3; B, C did not"
			e.Verdict = &v
		}
		events = append(events, e)
		if e.Kind == debate.KindRoundCompleted && e.Round == 2 {
			events = append(events, debate.Event{DebateID: e.DebateID, Seq: e.Seq, At: at, Kind: debate.KindSeatOut, Round: 2, Seat: "C",
				Text: "round 2 failed after 2 attempts (4s): timeout: cut at the seat deadline of 4s"})
		}
	}
	rec := debate.Replay(events)
	if len(rec.Out) != 1 {
		t.Fatalf("out: %+v", rec.Out)
	}
	var md, js, html bytes.Buffer
	if err := report.Markdown(&md, rec, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&js, rec); err != nil {
		t.Fatal(err)
	}
	if err := report.HTML(&html, rec); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{
		"md":   {"자리 C", "04:05:06 UTC", "cut at the seat deadline of 4s", "only 1 of 3 seats (A)"},
		"json": {`"out": [`, `"reason": "round 2 failed after 2 attempts`, `"degraded": "only 1 of 3 seats (A)`},
		"html": {"Seats out of the debate", "out after round 2, at 04:05:06 UTC", "Degraded verdict:", "only 1 of 3 seats (A)"},
	} {
		got := map[string]string{"md": md.String(), "json": js.String(), "html": html.String()}[name]
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s report lacks %q", name, w)
			}
		}
	}
}
