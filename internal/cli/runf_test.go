package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// runSeam runs cmd with args, its run replaced by the seam; it returns the error.
func runSeam(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

// The flags and arguments of resume, list and show reach their options as given,
// and nothing else runs: no store is opened, no config read (the seams gh's
// commands have, so a flag can be tested without a debate).
func TestStoredCommandsParseIntoTheirOptions(t *testing.T) {
	io := IO{In: strings.NewReader(""), Env: func(string) string { return "" }}

	var ro *resumeOptions
	if err := runSeam(t, newResumeCmd(io, func(o *resumeOptions) error { ro = o; return nil }),
		"k3m9x2ab", "--db", "/tmp/x.db", "--format", "json", "-o", "v.json", "--transcript", "--quiet=false"); err != nil {
		t.Fatal(err)
	}
	if ro == nil || ro.id != "k3m9x2ab" || ro.db != "/tmp/x.db" || ro.format != "json" || ro.output != "v.json" || !ro.transcript || ro.quiet.or(true) {
		t.Errorf("resume options: %+v", ro)
	}

	var lo *listOptions
	if err := runSeam(t, newListCmd(io, func(o *listOptions) error { lo = o; return nil }), "--format", "json", "--limit", "0"); err != nil {
		t.Fatal(err)
	}
	got := listOptions{db: lo.db, format: lo.format, limit: lo.limit, limitSet: lo.limitSet}
	if d := cmp.Diff(listOptions{format: "json", limit: 0, limitSet: true}, got, cmp.AllowUnexported(listOptions{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".io" }, cmp.Ignore())); d != "" {
		t.Errorf("list options (-want +got):\n%s", d)
	}
	lo = nil
	if err := runSeam(t, newListCmd(io, func(o *listOptions) error { lo = o; return nil })); err != nil || lo.limitSet {
		t.Errorf("without --limit: %v %+v", err, lo)
	}

	var so *showOptions
	if err := runSeam(t, newShowCmd(io, func(o *showOptions) error { so = o; return nil }), "abc", "--format", "html", "--transcript"); err != nil {
		t.Fatal(err)
	}
	if so == nil || so.id != "abc" || so.format != "html" || !so.transcript {
		t.Errorf("show options: %+v", so)
	}

	// Bad arguments are refused before the seam: it is not called.
	called := false
	err := runSeam(t, newShowCmd(io, func(*showOptions) error { called = true; return nil }))
	if called || err == nil || !strings.Contains(err.Error(), "takes 1 argument(s), got 0") {
		t.Errorf("show without an id: called %v, err %v", called, err)
	}
}

// A bad --format is refused before any database is opened.
func TestListRefusesABadFormatFirst(t *testing.T) {
	o := &listOptions{io: IO{Env: func(k string) string {
		if k == "PARLEY_DB" {
			t.Fatal("the database was looked up before the format was checked")
		}
		return ""
	}}, format: "yaml"}
	err := o.run(t.Context())
	if ee, ok := err.(*exitError); !ok || ee.code != ExitUsage || !strings.Contains(ee.err.Error(), `unknown format "yaml" for list`) {
		t.Errorf("err = %v", err)
	}
}
