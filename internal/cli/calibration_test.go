package cli_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/eval"
	"github.com/parleyhq/parley/internal/report"
)

// writeCalibrationEval stores, where `parley eval` would (XDG_DATA_HOME/parley/evals),
// an eval of panel with the standard strategy whose 10 verdicts were all stated at
// 80%, 6 of them right. By construction a verdict stated anywhere in [80, 90) is 60%
// calibrated on 10 samples, and the Brier score is
// (6 × (0.8−1)² + 4 × (0.8−0)²) / 10 = (0.24 + 2.56) / 10 = 0.28.
func writeCalibrationEval(t *testing.T, dataHome, id string, panel []string) {
	t.Helper()
	var items []eval.Item
	for i := range 10 {
		items = append(items, eval.Item{Index: i, Line: i + 1, Question: "q" + strconv.Itoa(i), Gold: strconv.Itoa(i)})
	}
	std, ok := debate.BuiltinMode("standard")
	if !ok {
		t.Fatal("no standard mode")
	}
	spec := eval.Spec{ID: id, CreatedAt: time.Now().UTC(), Panel: panel, Items: items,
		Strategies: []eval.Strategy{{Key: "standard", Name: "standard", Kind: eval.KindDebate, Mode: std}}}
	cp, err := eval.Create(eval.Path(filepath.Join(dataHome, "parley"), id), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	for i := range 10 {
		answer := strconv.Itoa(i)
		if i >= 6 {
			answer = "wrong"
		}
		c := 80
		if err := cp.AppendResult(eval.Result{Item: i, Strategy: "standard", Status: debate.StatusCompleted, Answer: answer, Confidence: &c}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportsCarryTheStoredCalibration: a debate whose panel (the same refs, in
// another order) and mode an eval measured gets that eval's calibration in `show
// --format json`, the Markdown report and the exported HTML; before the eval exists,
// none. The verdict states 82% (answers' chair), which falls in the eval's 80% bin.
func TestReportsCarryTheStoredCalibration(t *testing.T) {
	h := newHarness(t)
	models := []string{"gpt-5", "o4-mini", "gpt-4.1"}
	for _, m := range models {
		h.srv.Script(m, answers(m, 0))
	}
	res := h.run("Our Django API is slow: where do we start?", "-m", "openai:gpt-5,openai:o4-mini,openai:gpt-4.1", "--mode", "standard", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rec := decodeResult(t, res.stdout)
	if rec.Verdict == nil || rec.Verdict.Confidence != 82 || rec.Mode != "standard" {
		t.Fatalf("verdict %+v, mode %s; the test needs a standard debate's verdict at 82%%", rec.Verdict, rec.Mode)
	}
	if strings.Contains(res.stdout, `"calibration"`) {
		t.Fatal("a calibration before any eval was stored")
	}

	writeCalibrationEval(t, h.env["XDG_DATA_HOME"], "ev-cli", []string{"openai:gpt-4.1", "openai:gpt-5", "openai:o4-mini"})

	show := h.run("show", rec.ID, "--format", "json")
	if show.code != 0 {
		t.Fatalf("show: exit %d\n%s", show.code, show.stderr)
	}
	var got struct {
		ID          string              `json:"id"`
		Calibration *report.Calibration `json:"calibration"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &got); err != nil {
		t.Fatal(err)
	}
	want := report.Calibration{Stated: 82, Calibrated: 60, Samples: 10, Brier: 0.28, EvalID: "ev-cli", Strategy: "standard"}
	if got.ID != rec.ID || got.Calibration == nil || math.Abs(got.Calibration.Brier-want.Brier) > 1e-9 {
		t.Fatalf("show --format json: id %s, calibration %+v; want %+v", got.ID, got.Calibration, want)
	}
	if c := *got.Calibration; c.Stated != want.Stated || c.Calibrated != want.Calibrated || c.Samples != want.Samples || c.EvalID != want.EvalID || c.Strategy != want.Strategy {
		t.Errorf("show --format json: calibration %+v; want %+v", c, want)
	}

	md := h.run("show", rec.ID)
	if line := "Confidence: 82% stated, 60% calibrated (eval `ev-cli`, 10 verdicts, Brier 0.28)."; !strings.Contains(md.stdout, "## Verdict — confidence 82%\n\n"+line+"\n") {
		t.Errorf("the Markdown report lacks %q under the verdict:\n%s", line, md.stdout)
	}

	out := filepath.Join(h.dir, "r.html")
	if exp := h.run("export", rec.ID, "-o", out); exp.code != 0 {
		t.Fatalf("export: exit %d\n%s", exp.code, exp.stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if line := `<p class="note calibration">Confidence: 82% stated, 60% calibrated (eval ev-cli, 10 verdicts, Brier 0.28).</p>`; !strings.Contains(string(page), line) {
		t.Errorf("the exported HTML lacks %s", line)
	}

	// A new run of the same panel prints its result with the calibration; a panel
	// the eval did not measure gets none.
	again := h.run("Our Django API is slow: where do we start?", "-m", "openai:o4-mini,openai:gpt-4.1,openai:gpt-5", "--mode", "standard", "--format", "json")
	if again.code != 0 || !strings.Contains(again.stdout, `"eval_id": "ev-cli"`) {
		t.Errorf("run of the measured panel: exit %d, no calibration in\n%s", again.code, again.stdout)
	}
	other := h.run("Our Django API is slow: where do we start?", "-m", "openai:gpt-5,openai:o4-mini", "--mode", "standard", "--format", "json")
	if other.code != 0 {
		t.Fatalf("exit %d\n%s", other.code, other.stderr)
	}
	if strings.Contains(other.stdout, `"calibration"`) {
		t.Error("a two-model debate got the three-model eval's calibration")
	}
}
