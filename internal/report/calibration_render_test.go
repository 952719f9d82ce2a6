package report_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

// A calibration from a stored eval is shown right under the verdict's heading, in
// the report's language; without one the reports say nothing of it.
func TestCalibrationLineUnderTheVerdict(t *testing.T) {
	cal := &report.Calibration{Stated: 80, Calibrated: 60, Samples: 10, Brier: 3.56 / 14, EvalID: "01evalid", Strategy: "standard"}
	for _, tc := range []struct {
		problem, heading, md, html string
	}{
		{"What is six times seven?", "## Verdict — confidence 80%",
			"Confidence: 80% stated, 60% calibrated (eval `01evalid`, 10 verdicts, Brier 0.25).",
			`<p class="note calibration">Confidence: 80% stated, 60% calibrated (eval 01evalid, 10 verdicts, Brier 0.25).</p>`},
		{"여섯 곱하기 일곱은 무엇입니까?", "## 결론 — 신뢰도 80%",
			"신뢰도: 표명 80%, 보정 60% (평가 `01evalid`, 결론 10개, Brier 0.25).",
			`<p class="note calibration">신뢰도: 표명 80%, 보정 60% (평가 01evalid, 결론 10개, Brier 0.25).</p>`},
	} {
		rec := &debate.Record{ID: "d1", Problem: tc.problem, Verdict: &debate.Verdict{Recommendation: "42", Confidence: 80, By: "x:a"}}
		var md, page strings.Builder
		if err := report.Markdown(&md, rec, report.Options{Calibration: cal}); err != nil {
			t.Fatal(err)
		}
		if want := tc.heading + "\n\n" + tc.md + "\n\n42\n"; !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown report lacks\n%s\nreport:\n%s", want, md.String())
		}
		if err := report.HTMLWith(&page, rec, report.Options{Calibration: cal}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page.String(), "</div></div>\n</div>\n"+tc.html+"\n") {
			t.Errorf("the HTML report lacks %s right after the verdict's confidence", tc.html)
		}

		md.Reset()
		page.Reset()
		report.Markdown(&md, rec, report.Options{})
		report.HTML(&page, rec)
		if strings.Contains(md.String(), "calibrated") || strings.Contains(md.String(), "보정") || strings.Contains(page.String(), `class="note calibration"`) {
			t.Error("a calibration line without a calibration")
		}
	}
}
