package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/textfile"
)

// attachBudget bounds the attached text every participant reads (bytes, all files
// together): material beyond it is cut, and the cut is reported.
const attachBudget = 100_000

// attach reads --attach paths and globs into the text quoted to every participant.
// Binary files are refused: their bytes would be noise to a model and cost tokens.
func attach(patterns []string, budget int) (string, []debate.Attachment, error) {
	var files []string
	seen := map[string]bool{}
	for _, pat := range patterns {
		matches, err := filepath.Glob(pat)
		if err != nil {
			return "", nil, usageErr("quote the glob, e.g. --attach 'logs/*.txt'", "--attach %q: %v", pat, err)
		}
		if len(matches) == 0 {
			return "", nil, usageErr("check the path; globs are expanded by parley, e.g. --attach 'app/*.py'", "--attach %q matches no file", pat)
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	var b strings.Builder
	var atts []debate.Attachment
	left := budget
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			return "", nil, usageErr("check the path given to --attach", "cannot read %s: %v", f, err)
		}
		if info.IsDir() {
			return "", nil, usageErr(fmt.Sprintf("attach its files with a glob, e.g. --attach '%s/*.py'", f), "--attach %s is a directory", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return "", nil, usageErr("check the file's permissions", "cannot read %s: %v", f, err)
		}
		if textfile.IsBinary(data) {
			return "", nil, usageErr("attach text only: convert it first (e.g. pdftotext, or a text export of the profile)", "%s looks binary, not text; parley will not send it to the panel", f)
		}
		a := debate.Attachment{Path: f, Bytes: len(data), Included: len(data)}
		text := string(data)
		if len(text) > left {
			cut := textfile.Cut(text, left)
			text = text[:cut] + fmt.Sprintf("\n[… parley cut this file here: %d of %d bytes fit the attachment budget …]", cut, len(data))
			a.Included, a.Truncated = cut, true
		}
		left -= a.Included
		fmt.Fprintf(&b, "### File: %s (%d bytes%s)\n%s\n\n", f, a.Bytes, map[bool]string{true: ", cut to fit", false: ""}[a.Truncated], strings.TrimRight(text, "\n"))
		atts = append(atts, a)
	}
	return strings.TrimSpace(b.String()), atts, nil
}
