package report_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

// files lists the regular files under dir, relative, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteDir(t *testing.T) {
	rec := goldenRecord(t)
	out := t.TempDir()
	dir, err := report.WriteDir(out, rec)
	if err != nil {
		t.Fatal(err)
	}
	// The problem is Korean: the folder is named from the id.
	if want := filepath.Join(out, "debate-01jq7w3k9xv2m8ab"); dir != want {
		t.Fatalf("folder %s, want %s", dir, want)
	}
	want := []string{
		"report.md",
		"rounds/1-A-openai-gpt-5.md",
		"rounds/1-B-anthropic-claude-sonnet-4-5.md",
		"rounds/1-C-gemini-gemini-2.5-pro.md",
		"rounds/2-A-openai-gpt-5.md",
		"rounds/2-B-anthropic-claude-sonnet-4-5.md",
		"rounds/2-C-gemini-gemini-2.5-pro.md",
		"rounds/3-A-openai-gpt-5.md",
		"rounds/3-B-anthropic-claude-sonnet-4-5.md",
		"rounds/3-C-gemini-gemini-2.5-pro.md",
		"verdict.md",
	}
	if got := files(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if left := files(t, out); len(left) != len(want) {
		t.Errorf("temporary files left beside the folder: %v", left)
	}

	// report.md is the Markdown report with its transcript.
	var md bytes.Buffer
	if err := report.Markdown(&md, rec, report.Options{Transcript: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "report.md")); got != md.String() {
		t.Error("report.md is not the Markdown report with transcript")
	}

	// Each turn's file holds its answer exactly once, under a header.
	for _, r := range rec.Rounds {
		for _, tr := range r.Turns {
			name := filepath.Join(dir, "rounds", strings.Join([]string{strconv.Itoa(r.Number), tr.Seat, strings.NewReplacer(":", "-", "/", "-").Replace(tr.Model)}, "-")+".md")
			body := read(t, name)
			if !strings.HasPrefix(body, "# Round "+strconv.Itoa(r.Number)+" of 3 ("+r.Kind+") — seat "+tr.Seat+", "+tr.Model+"\n") {
				t.Errorf("%s: header %q", name, strings.SplitN(body, "\n", 2)[0])
			}
			if tr.OK() {
				if n := strings.Count(body, strings.TrimSpace(tr.Text)); n != 1 {
					t.Errorf("%s holds its answer %d times", name, n)
				}
				for _, want := range []string{"- **Position:** " + tr.Position, "- **Confidence:** " + strconv.Itoa(*tr.Confidence), "- **Status:** ok"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s lacks %q", name, want)
					}
				}
			} else if !strings.Contains(body, "- **Status:** failed: rate_limited (429): Resource has been exhausted (e.g. check quota). after 3 attempt(s)") {
				t.Errorf("%s does not say why the turn failed:\n%s", name, body)
			}
		}
	}
	flip := read(t, filepath.Join(dir, "rounds", "2-B-anthropic-claude-sonnet-4-5.md"))
	if !strings.Contains(flip, "- **Changed position:** yes, from “Add indexes for the slowest queries first” — A showed that") {
		t.Errorf("the flip's file does not say what changed and why:\n%s", flip)
	}
	if !strings.Contains(read(t, filepath.Join(dir, "rounds", "3-A-openai-gpt-5.md")), "- **Prompt:** the answers it read were cut") {
		t.Error("the truncated turn's file does not say so")
	}

	verdict := read(t, filepath.Join(dir, "verdict.md"))
	// The verdict as the Markdown report words it (in the report's language), then the
	// chair's whole answer.
	for _, want := range []string{rec.Verdict.Recommendation, rec.Verdict.Dissent[0], rec.Verdict.NextSteps[2], "## The chair's full answer (seat A, openai:gpt-5)", strings.TrimSpace(rec.VerdictTurn.Text)} {
		if !strings.Contains(verdict, want) {
			t.Errorf("verdict.md lacks %q", want)
		}
	}
}

// Writing the same debate again replaces its folder: files of an earlier version
// (here a stray file and a round that is no longer in the record) disappear.
func TestWriteDirReplaces(t *testing.T) {
	out := t.TempDir()
	rec := goldenRecord(t)
	dir, err := report.WriteDir(out, rec)
	if err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(dir, "rounds", "9-Z-old.md")
	if err := os.WriteFile(stray, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	short := debate.Replay(loadEvents(t)[:19]) // up to the end of round 2: still running
	again, err := report.WriteDir(out, short)
	if err != nil {
		t.Fatal(err)
	}
	if again != dir {
		t.Fatalf("the same debate went to %s, then %s", dir, again)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Error("a stale file survived the rewrite")
	}
	for _, f := range files(t, dir) {
		if strings.HasPrefix(f, "rounds/3-") {
			t.Errorf("%s is from the earlier version", f)
		}
	}
	if got := read(t, filepath.Join(dir, "verdict.md")); strings.Contains(got, rec.Verdict.Recommendation) {
		t.Errorf("verdict.md still holds the verdict of the earlier version:\n%s", got)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left in the output folder: %v", names)
	}
}

// A folder that parley did not write is never replaced.
func TestWriteDirRefusesAForeignFolder(t *testing.T) {
	out := t.TempDir()
	foreign := filepath.Join(out, "debate-01jq7w3k9xv2m8ab")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(foreign, "notes.txt")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := report.WriteDir(out, goldenRecord(t)); err == nil || !strings.Contains(err.Error(), "not a parley report folder") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if got := read(t, mine); got != "mine" {
		t.Error("the foreign file was touched")
	}
}

func TestWriteDirNamesDebatesApart(t *testing.T) {
	out := t.TempDir()
	rec := goldenRecord(t)
	rec.Problem = "Our Django API is slow: start with Redis caching, database indexes or query optimization?"
	a, err := report.WriteDir(out, rec)
	if err != nil {
		t.Fatal(err)
	}
	other := *rec
	other.ID = "01jq7w3k9xv2m8ac"
	b, err := report.WriteDir(out, &other)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(a) != "our-django-api-is-slow-start-with-redis-caching-database-01jq7w3k9xv2m8ab" {
		t.Errorf("folder %s", filepath.Base(a))
	}
	if a == b {
		t.Errorf("two debates on the same problem share %s", a)
	}
}
