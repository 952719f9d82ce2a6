package report

import (
	"fmt"

	"github.com/parleyhq/parley/debate"
)

// Calibration is what a stored eval of the same panel says a verdict's stated
// confidence is worth: of that eval's verdicts stated at about this confidence, the
// share that were right. It is not part of the debate's log (an eval run later may
// change it), so the caller looks it up when it renders and passes it in Options;
// nil means no eval of this panel exists and the report says nothing of it.
type Calibration struct {
	Stated     int     `json:"stated"`     // the verdict's stated confidence, 0–100
	Calibrated int     `json:"calibrated"` // the eval's observed accuracy at that confidence, 0–100
	Samples    int     `json:"samples"`    // eval verdicts the figure rests on
	Brier      float64 `json:"brier"`      // the eval's Brier score for that strategy
	EvalID     string  `json:"eval_id"`    // the eval it comes from
	Strategy   string  `json:"strategy"`   // the eval strategy it was measured for, e.g. "standard"
}

// calibrationLine is the sentence both reports put under the verdict's confidence;
// id is the eval's id as the format shows it (code in Markdown, text in HTML).
func calibrationLine(rec *debate.Record, c *Calibration, id string) string {
	return fmt.Sprintf(l(rec, "verdict.calibration"), c.Stated, c.Calibrated, id, c.Samples, c.Brier)
}
