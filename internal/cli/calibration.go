package cli

import (
	"io"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/eval"
	"github.com/parleyhq/parley/internal/report"
)

// reportOpts are the options a debate's report is rendered with: the transcript when
// asked, and what the newest stored eval of the same panel and mode says the
// verdict's confidence is worth (eval.LookupCalibration), looked up in the data
// directory `parley eval` writes to. The lookup happens at render time, not when
// the debate runs, because an eval run later changes the answer.
func reportOpts(env config.Env, rec *debate.Record, transcript bool) report.Options {
	opt := report.Options{Transcript: transcript}
	if rec.Verdict == nil {
		return opt
	}
	panel := make([]string, len(rec.Panel))
	for i, s := range rec.Panel {
		panel[i] = s.Model
	}
	// A failed lookup (an evals folder that cannot be listed) costs the report its
	// calibration line, not the report: the line is a bonus, the report the point.
	opt.Calibration, _ = eval.LookupCalibration(config.DataDir(env), panel, rec.Mode, rec.Verdict.Confidence)
	return opt
}

// renderWith writes rec in format with opt: Markdown, the JSON result, or HTML.
func renderWith(w io.Writer, rec *debate.Record, format string, opt report.Options) error {
	switch format {
	case "", "md":
		return report.Markdown(w, rec, opt)
	case "json":
		return report.JSONWith(w, rec, opt)
	case "html":
		return report.HTMLWith(w, rec, opt)
	}
	return usageErr("--format md, --format json or --format html", "unknown format %q", format)
}
