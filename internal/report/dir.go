package report

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/parleyhq/parley/debate"
)

// WriteDir writes a debate as a folder to read and browse (run's --out-dir):
//
//	DIR/<slug>/report.md                        the Markdown report, transcript included
//	DIR/<slug>/verdict.md                       the verdict and the chair's full answer
//	DIR/<slug>/rounds/<n>-<seat>-<model>.md     one file per turn: a short header, then the answer
//
// The slug comes from the problem and always ends with the debate's id, so two
// debates never share a folder and the same debate always gets the same one. Writing a
// debate again replaces its folder as a whole (files of an earlier, shorter version
// do not linger); the new folder is built beside it and swapped in. It returns the
// folder's path.
func WriteDir(dir string, rec *debate.Record) (string, error) {
	name := folderName(rec)
	target := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := checkReplaceable(target); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "."+name+".new-")
	if err != nil {
		return "", fmt.Errorf("creating a folder in %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp) // a no-op once it has been renamed into place
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := writeFolder(tmp, rec); err != nil {
		return "", err
	}

	// Swap: move the old folder aside, the new one in, then delete the old one. A
	// crash in between leaves both folders, never half of one.
	var old string
	if _, err := os.Stat(target); err == nil {
		old = filepath.Join(dir, "."+name+".old")
		_ = os.RemoveAll(old)
		if err := os.Rename(target, old); err != nil {
			return "", fmt.Errorf("replacing %s: %w", target, err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		if old != "" {
			_ = os.Rename(old, target)
		}
		return "", fmt.Errorf("writing %s: %w", target, err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return target, fmt.Errorf("removing the previous %s: %w", old, err)
		}
	}
	return target, nil
}

// checkReplaceable refuses to replace a folder that parley did not write: one that
// is not empty and holds no report.md.
func checkReplaceable(target string) error {
	entries, err := os.ReadDir(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", target, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(target, "report.md")); err != nil {
		return fmt.Errorf("%s exists and is not a parley report folder (no report.md); not replacing it", target)
	}
	return nil
}

func writeFolder(dir string, rec *debate.Record) error {
	var rep strings.Builder
	if err := Markdown(&rep, rec, Options{Transcript: true}); err != nil {
		return err
	}
	if err := writeFile(dir, "report.md", rep.String()); err != nil {
		return err
	}
	if err := writeFile(dir, "verdict.md", verdictFile(rec)); err != nil {
		return err
	}
	if len(rec.Rounds) == 0 {
		return nil
	}
	rounds := filepath.Join(dir, "rounds")
	if err := os.Mkdir(rounds, 0o755); err != nil {
		return err
	}
	// Round numbers are padded when there are ten or more, so the files sort.
	width := len(fmt.Sprint(len(rec.Rounds)))
	for _, r := range rec.Rounds {
		for _, t := range r.Turns {
			name := fmt.Sprintf("%0*d-%s-%s.md", width, r.Number, fileSafe(t.Seat, "seat"), fileSafe(t.Model, "model"))
			if err := writeFile(rounds, name, turnFile(rec, r, t)); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeFile(dir, name, content string) error {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// turnFile is one turn: a small header saying where it stands in the debate, then
// the answer, once.
func turnFile(rec *debate.Record, r debate.RoundRecord, t debate.TurnRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Round %d of %d (%s) — seat %s, %s\n\n", r.Number, len(rec.Rounds), r.Kind, t.Seat, t.Model)
	fmt.Fprintf(&b, "- **Debate:** %s (`%s`)\n", firstLine(rec.Problem, 100), rec.ID)
	fmt.Fprintf(&b, "- **Round:** %d, %s\n", r.Number, r.Kind)
	fmt.Fprintf(&b, "- **Seat:** %s\n", t.Seat)
	fmt.Fprintf(&b, "- **Model:** %s\n", t.Model)
	if t.OK() {
		pos := oneLine(t.Position)
		if pos == "" {
			pos = "*(position unclear)*"
		}
		fmt.Fprintf(&b, "- **Position:** %s\n", pos)
		fmt.Fprintf(&b, "- **Confidence:** %s\n", conf(t.Confidence))
		if t.Changed {
			changed := "yes"
			if prev, ok := rec.Turn(r.Number-1, t.Seat); ok && prev.OK() && prev.Position != "" {
				changed += ", from " + quoteText(prev.Position)
			}
			if t.Reason != "" {
				changed += " — " + oneLine(t.Reason)
			}
			fmt.Fprintf(&b, "- **Changed position:** %s\n", changed)
		}
		fmt.Fprintf(&b, "- **Status:** ok; %s tokens in, %s out; %s; %s; %d attempt(s)\n", num(t.Usage.InputTokens), num(t.Usage.OutputTokens), secs(t.LatencyMS), money(t.CostUSD), t.Attempts)
	} else {
		fmt.Fprintf(&b, "- **Status:** failed: %s after %d attempt(s)\n", oneLine(t.Error), t.Attempts)
	}
	if t.Truncated {
		b.WriteString("- **Prompt:** the answers it read were cut to fit its context budget (the cut was marked in its prompt)\n")
	}
	b.WriteString("\n---\n\n")
	if t.OK() {
		b.WriteString(strings.TrimSpace(t.Text))
		b.WriteString("\n")
	} else {
		b.WriteString("*No answer: the turn failed.*\n")
	}
	return b.String()
}

// verdictFile is the verdict as in the report, then the chair's full answer.
func verdictFile(rec *debate.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", firstLine(rec.Problem, 100))
	fmt.Fprintf(&b, "*parley debate `%s` · mode %s · %s · %s*\n\n", rec.ID, rec.Mode, panelLine(rec), statusLine(rec))
	writeVerdict(&b, rec, Options{})
	for _, t := range rec.ChairFailures {
		fmt.Fprintf(&b, "*Seat %s (%s) failed as chair: %s after %d attempt(s); the next seat took over.*\n\n", t.Seat, t.Model, oneLine(t.Error), t.Attempts)
	}
	if vt := rec.VerdictTurn; vt != nil {
		fmt.Fprintf(&b, "## The chair's full answer (seat %s, %s)\n\n%s\n", vt.Seat, vt.Model, strings.TrimSpace(vt.Text))
	}
	return b.String()
}

// maxSlug bounds the part of a folder name taken from the problem.
const maxSlug = 60

// folderName is the debate's folder: a slug of the problem, then the id. A problem
// written mostly in a script that does not fold to ASCII (Korean, Japanese, Arabic,
// ...) would leave a slug of stray Latin words, so it is named "debate-<id>" instead.
func folderName(rec *debate.Record) string {
	s := slug(firstLine(rec.Problem, 400))
	if s == "" {
		s = "debate"
	}
	return s + "-" + idPart(rec.ID)
}

// slug folds text to lowercase ASCII words joined by dashes, at most maxSlug bytes,
// or "" when less than half of its letters and digits survive the folding.
func slug(text string) string {
	var folded strings.Builder
	total := 0
	for _, r := range norm.NFKD.String(text) {
		if unicode.Is(unicode.Mn, r) {
			continue // the accents that NFKD split off
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			total++
		}
		if s, ok := extraFolds[r]; ok {
			folded.WriteString(s)
			continue
		}
		folded.WriteRune(r)
	}
	var b strings.Builder
	kept := 0
	dash := false
	for _, r := range strings.ToLower(folded.String()) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			kept++
			continue
		}
		dash = true
	}
	if total == 0 || kept*2 < total {
		return ""
	}
	s := b.String()
	if len(s) > maxSlug {
		s = s[:maxSlug]
		// Cut at a word boundary when one is not too far back.
		if i := strings.LastIndexByte(s, '-'); i >= maxSlug/2 {
			s = s[:i]
		}
	}
	return strings.Trim(s, "-")
}

// Letters NFKD leaves whole but that have a usual ASCII spelling.
var extraFolds = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o",
	'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'ł': "l", 'Ł': "l", 'þ': "th", 'Þ': "th", 'ı': "i",
}

// idPart is the id as it may appear in a file name. Ids made by debate.NewID are
// lowercase base32 and pass through; anything else is cleaned and given a hash of
// the original, so two ids that clean to the same text still differ.
func idPart(id string) string {
	clean := fileSafe(id, "")
	if clean == id && clean != "" && len(clean) <= 32 {
		return clean
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	if len(clean) > 16 {
		clean = clean[:16]
	}
	if clean == "" {
		return fmt.Sprintf("%08x", h.Sum32())
	}
	return fmt.Sprintf("%s-%08x", strings.Trim(clean, "-."), h.Sum32())
}

// fileSafe makes a name safe in a file name on every common file system: ASCII
// letters, digits, dots and underscores, every other run of characters one dash
// ("openai:gpt-5" → "openai-gpt-5"). It never starts with a dot, so it is never
// hidden, "." or "..".
func fileSafe(s, empty string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > 80 {
		out = out[:80]
	}
	out = strings.TrimRight(strings.TrimLeft(out, ".-"), "-")
	if out == "" {
		return empty
	}
	return out
}
