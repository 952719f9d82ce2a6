package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

// exportEnv is a clean environment in a temp dir holding one stored debate: the
// report package's golden debate, appended to a real SQLite store.
type exportEnv struct {
	t   *testing.T
	dir string
	env map[string]string
	rec *debate.Record
}

func newExportEnv(t *testing.T) *exportEnv {
	t.Helper()
	dir := t.TempDir()
	e := &exportEnv{t: t, dir: dir, env: map[string]string{
		"HOME":            dir,
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"XDG_DATA_HOME":   filepath.Join(dir, "data"),
		"PARLEY_DB":       filepath.Join(dir, "parley.db"),
		"PATH":            "",
	}}
	data, err := os.ReadFile(filepath.Join("..", "report", "testdata", "debate.events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var events []debate.Event
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), e.env["PARLEY_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Append(context.Background(), events...); err != nil {
		t.Fatal(err)
	}
	e.rec = debate.Replay(events)
	return e
}

// run executes parley with export registered (as cli.go will register it) and maps
// the error to an exit code the way Main does.
func (e *exportEnv) run(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	io := IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return e.env[k] }}
	root := newRoot(io)
	if c, _, err := root.Find([]string{"export"}); err != nil || c == root {
		root.AddCommand(newExportCmd(io))
	}
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
		code = ExitOK
	case errors.As(err, &ee):
		code = ee.code
		errb.WriteString("Error: " + ee.Error() + "\nTry: " + ee.hint + "\n")
	default:
		code = ExitUsage
		errb.WriteString("Error: " + err.Error() + "\n")
	}
	return code, out.String(), errb.String()
}

func (e *exportEnv) want(format string, transcript bool) string {
	var b bytes.Buffer
	if err := renderFormat(&b, e.rec, format, transcript); err != nil {
		e.t.Fatal(err)
	}
	return b.String()
}

func TestExportFormats(t *testing.T) {
	e := newExportEnv(t)
	id := e.rec.ID
	tests := []struct {
		file       string
		args       []string
		format     string
		transcript bool
	}{
		{"report.html", nil, "html", false},
		{"Report.HTM", nil, "html", false},
		{"result.json", nil, "json", false},
		{"report.md", nil, "md", false},
		{"full.markdown", []string{"--transcript"}, "md", true},
		{"notes.txt", []string{"--format", "html"}, "html", false},
		{"data.html", []string{"--format", "json"}, "json", false}, // the flag wins over the extension
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(e.dir, tt.file)
			code, stdout, stderr := e.run(append([]string{"export", id, "-o", path}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing: the report goes to the file", stdout)
			}
			if !strings.Contains(stderr, "Wrote "+path) {
				t.Errorf("stderr %q does not say where the report went", stderr)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != e.want(tt.format, tt.transcript) {
				t.Errorf("%s is not the %s report (transcript %v)", tt.file, tt.format, tt.transcript)
			}
		})
	}
	// No temporary files are left beside the reports.
	entries, _ := os.ReadDir(e.dir)
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), ".") {
			t.Errorf("left behind: %s", en.Name())
		}
	}
}

func TestExportToStdout(t *testing.T) {
	e := newExportEnv(t)
	code, stdout, stderr := e.run("export", e.rec.ID, "-o", "-", "--format", "html")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if stdout != e.want("html", false) {
		t.Error("stdout is not the HTML report")
	}
	code, stdout, _ = e.run("export", e.rec.ID, "-o", "-")
	if code != 0 || stdout != e.want("md", false) {
		t.Errorf("exit %d; -o - without --format should print Markdown", code)
	}
}

func TestExportUsageErrors(t *testing.T) {
	e := newExportEnv(t)
	id := e.rec.ID
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"export", id}, "export needs a file"},
		{"unknown extension", []string{"export", id, "-o", filepath.Join(e.dir, "report.pdf")}, "cannot tell the format"},
		{"no extension", []string{"export", id, "-o", filepath.Join(e.dir, "report")}, "cannot tell the format"},
		{"unknown format", []string{"export", id, "-o", filepath.Join(e.dir, "r.md"), "--format", "pdf"}, `unknown format "pdf"`},
		{"unknown debate", []string{"export", "nosuchid", "-o", filepath.Join(e.dir, "r.md")}, `no debate with id "nosuchid"`},
		{"no id", []string{"export", "-o", filepath.Join(e.dir, "r.md")}, "takes 1 argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := e.run(tt.args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d\n%s", code, ExitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
		})
	}
	for _, name := range []string{"report.pdf", "report", "r.md"} {
		if _, err := os.Stat(filepath.Join(e.dir, name)); err == nil {
			t.Errorf("%s was written despite the error", name)
		}
	}
}

// An existing file is replaced whole.
func TestExportReplaces(t *testing.T) {
	e := newExportEnv(t)
	path := filepath.Join(e.dir, "r.json")
	if err := os.WriteFile(path, bytes.Repeat([]byte("old "), 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := e.run("export", e.rec.ID, "-o", path); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got, _ := os.ReadFile(path)
	var rec debate.Record
	if err := json.Unmarshal(got, &rec); err != nil || rec.ID != e.rec.ID {
		t.Fatalf("%s is not the JSON result: %v", path, err)
	}
}

func TestRenderFormat(t *testing.T) {
	e := newExportEnv(t)
	rec := e.rec.Verdict.Recommendation
	for format, want := range map[string]string{"md": "\n" + rec + "\n", "": "\n" + rec + "\n", "json": `"recommendation": "` + rec + `"`, "html": "<!DOCTYPE html>"} {
		var b bytes.Buffer
		if err := renderFormat(&b, e.rec, format, false); err != nil {
			t.Fatalf("%q: %v", format, err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("renderFormat(%q) lacks %q", format, want)
		}
	}
	var b bytes.Buffer
	if err := renderFormat(&b, e.rec, "md", true); err != nil || !strings.Contains(b.String(), strings.TrimSpace(e.rec.Rounds[0].Turns[0].Text)) {
		t.Errorf("md with transcript: %v", err)
	}
	if err := renderFormat(&b, e.rec, "pdf", false); err == nil {
		t.Error("renderFormat accepted pdf")
	}
}

func TestWriteOutDir(t *testing.T) {
	e := newExportEnv(t)
	var errb bytes.Buffer
	io := IO{Out: &bytes.Buffer{}, Err: &errb, Env: func(k string) string { return e.env[k] }}
	out := filepath.Join(e.dir, "out")
	if err := writeOutDir(io, out, e.rec); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(out, "debate-"+e.rec.ID)
	if !strings.Contains(errb.String(), "Wrote "+want) {
		t.Errorf("stderr %q", errb.String())
	}
	md, err := os.ReadFile(filepath.Join(want, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.Markdown(&b, e.rec, report.Options{Transcript: true}); err != nil {
		t.Fatal(err)
	}
	if string(md) != b.String() {
		t.Error("report.md is not the report with transcript")
	}
}
