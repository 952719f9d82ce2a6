package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

// newExportCmd is `parley export ID -o FILE`: show, to a file, in the format the
// flag or the file's extension names.
func newExportCmd(io IO) *cobra.Command {
	var db, format, output string
	var transcript bool
	cmd := &cobra.Command{
		Use:   "export ID -o FILE",
		Short: "Write one debate's report to a file: Markdown, JSON or a self-contained HTML page",
		Long: `export writes what "parley show" prints to a file. The format is --format, else the
file's extension: .md, .json or .html. The HTML report is one self-contained page
(no scripts, nothing loaded from the network) to open in a browser or forward; it
always carries the full transcript, folded per turn. "-o -" writes to stdout.`,
		Example: `  parley export k3m9x2ab -o report.html
  parley export k3m9x2ab -o result.json
  parley export k3m9x2ab -o notes.txt --format md --transcript`,
		Args: exactArgs(1, "parley export ID -o FILE (parley list shows the ids)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if output == "" {
				return usageErr("parley export "+id+" -o report.html", "export needs a file: -o FILE (or -o - for stdout)")
			}
			f, err := exportFormat(format, output)
			if err != nil {
				return err
			}
			rec, err := loadRecord(cmd.Context(), io, db, id)
			if err != nil {
				return err
			}
			// Rendered in full before the file is touched, so a failure leaves no
			// half-written report behind.
			var buf bytes.Buffer
			if err := renderWith(&buf, rec, f, reportOpts(io.Env, rec, transcript)); err != nil {
				return err
			}
			if output == "-" {
				_, err := io.Out.Write(buf.Bytes())
				return err
			}
			if err := writeFileReplacing(output, buf.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(io.Err, "Wrote %s (%s, debate %s)\n", output, f, rec.ID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the file to write (- for stdout)")
	cmd.Flags().StringVar(&format, "format", "", "md, json or html (default: from the file's extension)")
	cmd.Flags().BoolVar(&transcript, "transcript", false, "include every full answer in the Markdown report (HTML always has it, folded)")
	cmd.Flags().StringVar(&db, "db", "", "the SQLite database")
	return cmd
}

// reportFormats are the report formats, as --format names them.
var reportFormats = []string{"md", "json", "html"}

// formatFromExt names the format a file's extension implies, or "".
func formatFromExt(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		return "md"
	case ".json":
		return "json"
	case ".html", ".htm":
		return "html"
	}
	return ""
}

// exportFormat picks the format: the flag, else the file's extension; stdout
// without a flag gets Markdown.
func exportFormat(flag, output string) (string, error) {
	if flag != "" {
		f := strings.ToLower(flag)
		if f == "markdown" {
			f = "md"
		}
		for _, ok := range reportFormats {
			if f == ok {
				return f, nil
			}
		}
		return "", usageErr("--format md, --format json or --format html", "unknown format %q", flag)
	}
	if output == "-" {
		return "md", nil
	}
	if f := formatFromExt(output); f != "" {
		return f, nil
	}
	return "", usageErr("name the file .md, .json or .html, or add --format md|json|html", "cannot tell the format of %q from its extension", output)
}

// renderFormat writes rec in format: md (with the transcript when asked), json or
// html (which always folds the transcript in).
func renderFormat(w io.Writer, rec *debate.Record, format string, transcript bool) error {
	return renderWith(w, rec, format, report.Options{Transcript: transcript})
}

// writeFileReplacing writes data to path through a temporary file in the same
// folder, renamed over path: a reader never sees half a report.
func writeFileReplacing(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeOutDir is run's --out-dir: the readable folder, and where it went on stderr.
func writeOutDir(io IO, dir string, rec *debate.Record) error {
	path, err := report.WriteDir(dir, rec)
	if err != nil {
		return fmt.Errorf("--out-dir: %w", err)
	}
	fmt.Fprintf(io.Err, "Wrote %s\n", path)
	return nil
}
