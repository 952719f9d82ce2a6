package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if d := goldenDiff(got, want); d != "" {
		t.Fatalf("%s differs from the golden file (-want +got):\n%s\n(if the change is intended: go test ./internal/report -update)", name, d)
	}
}

// goldenDiff is empty only when got and want are the same bytes. Any byte
// counts, a trailing newline included: a line-by-line comparison would let
// "a\n" pass for "a".
func goldenDiff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		return d
	}
	return fmt.Sprintf("the bytes differ: want %q, got %q", want, got)
}

func TestGoldenDiffSeesEveryByte(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{"a\n", "a"},
		{"a", "a\n"},
		{"a\r\n", "a\n"},
		{"a \n", "a\n"},
	} {
		if goldenDiff([]byte(c.got), []byte(c.want)) == "" {
			t.Errorf("goldenDiff(%q, %q) found no difference", c.got, c.want)
		}
	}
	if d := goldenDiff([]byte("a\n"), []byte("a\n")); d != "" {
		t.Errorf("equal bytes gave a diff: %s", d)
	}
}

func TestGoldenReports(t *testing.T) {
	rec := goldenRecord(t)
	renderers := []struct {
		golden string
		render func(*bytes.Buffer) error
	}{
		{"debate.md.golden", func(b *bytes.Buffer) error { return report.Markdown(b, rec, report.Options{}) }},
		{"debate.transcript.md.golden", func(b *bytes.Buffer) error { return report.Markdown(b, rec, report.Options{Transcript: true}) }},
		{"debate.json.golden", func(b *bytes.Buffer) error { return report.JSON(b, rec) }},
		{"debate.html.golden", func(b *bytes.Buffer) error { return report.HTML(b, rec) }},
	}
	for _, r := range renderers {
		t.Run(r.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := r.render(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, r.golden, b.Bytes())
		})
	}
}

// The golden log must keep holding what the renderers are tested against; a
// regenerated log that lost one of these would make the goldens prove less.
func TestGoldenLogCoversTheHardCases(t *testing.T) {
	rec := goldenRecord(t)
	if rec.Status != debate.StatusCompleted || rec.Verdict == nil || len(rec.Rounds) != 3 || len(rec.Panel) != 3 {
		t.Fatalf("want a completed 3-seat, 3-round debate with a verdict; got %s, %d rounds, %d seats", rec.Status, len(rec.Rounds), len(rec.Panel))
	}
	var failed, truncated, korean, hostile bool
	for _, r := range rec.Rounds {
		for _, tr := range r.Turns {
			if !tr.OK() && tr.ErrorClass != "" && tr.Attempts > 1 {
				failed = true
			}
			if tr.Truncated {
				truncated = true
			}
			if strings.Contains(tr.Text, "측정") {
				korean = true
			}
			if strings.Contains(tr.Text, "<script>alert(1)</script>") && strings.Contains(tr.Text, "onerror=") && strings.Contains(tr.Text, "](javascript:") {
				hostile = true
			}
		}
	}
	flip := len(rec.Flips) > 0 && rec.Flips[0].Reason != ""
	for name, ok := range map[string]bool{
		"a failed turn with error class and attempts":             failed,
		"a flip with a reason":                                    flip,
		"a truncated turn":                                        truncated,
		"Korean in an answer":                                     korean,
		"Korean in the problem":                                   strings.Contains(rec.Problem, "느립니다"),
		"an answer with <script>, onerror and a javascript: link": hostile,
	} {
		if !ok {
			t.Errorf("the golden log lacks %s", name)
		}
	}
}

func TestJSONWithCalibration(t *testing.T) {
	rec := goldenRecord(t)
	var plain, none, with bytes.Buffer
	if err := report.JSON(&plain, rec); err != nil {
		t.Fatal(err)
	}
	if err := report.JSONWith(&none, rec, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if plain.String() != none.String() {
		t.Fatal("JSONWith without a calibration differs from JSON")
	}
	c := &report.Calibration{Stated: 80, Calibrated: 62, Samples: 40, Brier: 0.182, EvalID: "ev1", Strategy: "standard"}
	if err := report.JSONWith(&with, rec, report.Options{Calibration: c}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(with.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	_ = json.Unmarshal(plain.Bytes(), &want)
	cal, ok := got["calibration"].(map[string]any)
	if !ok || cal["calibrated"] != float64(62) || cal["eval_id"] != "ev1" {
		t.Fatalf("calibration = %v", got["calibration"])
	}
	delete(got, "calibration")
	if len(got) != len(want) || got["id"] != want["id"] {
		t.Fatalf("the other keys changed: %d vs %d", len(got), len(want))
	}
}
