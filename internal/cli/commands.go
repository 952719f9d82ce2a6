package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/termmd"
)

// resumeOptions are `parley resume`'s flags and argument; tests reach them
// through newResumeCmd's runF without running a debate (as gh's commands do).
type resumeOptions struct {
	io                 IO
	id                 string
	db, format, output string
	transcript         bool
	quiet              optBool
}

func newResumeCmd(io IO, runF func(*resumeOptions) error) *cobra.Command {
	o := &resumeOptions{io: io}
	cmd := &cobra.Command{
		Use:   "resume ID",
		Short: "Finish an interrupted debate without redoing finished turns",
		Long: `resume replays a debate's stored events and continues at the first turn that has
no answer yet. Finished turns are never called again, so nothing is paid twice. A debate
left "running" by a process that no longer exists (killed, crashed, power lost) can be
resumed too.`,
		Example: "  parley resume k3m9x2ab",
		Args:    exactArgs(1, "parley resume ID (parley list shows the ids)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.id = args[0]
			if runF != nil {
				return runF(o)
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.db, "db", "", "the SQLite database (default $PARLEY_DB, else the user's data directory)")
	cmd.Flags().StringVar(&o.format, "format", "", "md, json or html")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "also write the final report to this file")
	quietFlag(cmd.Flags(), &o.quiet)
	cmd.Flags().BoolVar(&o.transcript, "transcript", false, "include every full answer in the Markdown report")
	return cmd
}

func (o *resumeOptions) run(ctx context.Context) error {
	io := o.io
	cfg, f, st, err := openForOutput(ctx, io.Env, o.format, o.output, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &session.Service{Config: cfg, Env: io.Env}
	p, err := svc.Takeover(ctx, st, o.id)
	if err != nil {
		return err
	}
	return execute(ctx, io, st, p, reportOptions{format: f, output: o.output, quiet: o.quiet.or(cfg.Quiet), transcript: o.transcript})
}

func exactArgs(n int, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr(hint, "%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

func notFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return usageErr("parley list", "no debate with id %q in this database", id)
	}
	return err
}

// listOptions are `parley list`'s flags; limitSet says --limit was given.
type listOptions struct {
	io         IO
	db, format string
	limit      int
	limitSet   bool
}

func newListCmd(io IO, runF func(*listOptions) error) *cobra.Command {
	o := &listOptions{io: io}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "Past debates, newest first",
		Example: "  parley list\n  parley list --format json --limit 5",
		Args:    exactArgs(0, "parley list"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.limitSet = cmd.Flags().Changed("limit")
			if runF != nil {
				return runF(o)
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.db, "db", "", "the SQLite database")
	cmd.Flags().StringVar(&o.format, "format", "", "text (default) or json")
	cmd.Flags().IntVar(&o.limit, "limit", 0, "at most this many (0: all; the text listing shows 50 unless set)")
	return cmd
}

func (o *listOptions) run(ctx context.Context) error {
	io := o.io
	switch o.format {
	case "", "text", "md", "json":
	default:
		return usageErr("--format json", "unknown format %q for list", o.format)
	}
	_, st, err := openLocal(ctx, io.Env, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	// A terminal shows the newest 50 unless asked for more; scripts asking for
	// JSON get everything, as the CONTRACT says.
	show := o.limit
	if o.format != "json" && !o.limitSet {
		show = defaultListLimit
	}
	fetch := show
	if fetch > 0 {
		fetch++ // one more, to know whether there are more
	}
	list, err := st.List(ctx, store.ListOptions{Limit: fetch})
	if err != nil {
		return err
	}
	more := show > 0 && len(list) > show
	if more {
		list = list[:show]
	}
	if o.format == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(store.Rows(list))
	}
	if len(list) == 0 {
		fmt.Fprintln(io.Err, "No debates yet. Start one: parley \"your question\"")
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tMODE\tCREATED\tPROBLEM")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Mode, s.CreatedAt.Local().Format("2006-01-02 15:04"), shorten(s.Problem, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(io.Err, "The newest %d are shown; --limit N for more, --limit 0 for all.\n", show)
	}
	return nil
}

// defaultListLimit is how many debates the text listing shows by default.
const defaultListLimit = 50

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// showOptions are `parley show`'s flags and argument.
type showOptions struct {
	io         IO
	id         string
	db, format string
	transcript bool
}

func newShowCmd(io IO, runF func(*showOptions) error) *cobra.Command {
	o := &showOptions{io: io}
	cmd := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one debate's report (Markdown, JSON or HTML)",
		Example: "  parley show k3m9x2ab\n  parley show k3m9x2ab --format json | jq .verdict",
		Args:    exactArgs(1, "parley show ID (parley list shows the ids)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.id = args[0]
			if runF != nil {
				return runF(o)
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.db, "db", "", "the SQLite database")
	cmd.Flags().StringVar(&o.format, "format", "", "md (default), json or html")
	cmd.Flags().BoolVar(&o.transcript, "transcript", false, "include every full answer")
	return cmd
}

func (o *showOptions) run(ctx context.Context) error {
	f, err := outputFormat(o.format, "", "")
	if err != nil {
		return err
	}
	rec, err := loadRecord(ctx, o.io, o.db, o.id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := renderWith(&buf, rec, f, reportOpts(o.io.Env, rec, o.transcript)); err != nil {
		return err
	}
	_, err = o.io.Out.Write(forTerminal(o.io, buf.Bytes(), f))
	return err
}

func loadRecord(ctx context.Context, io IO, db, id string) (*debate.Record, error) {
	_, st, err := openLocal(ctx, io.Env, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	events, err := st.Events(ctx, id)
	if err != nil {
		return nil, notFound(err, id)
	}
	rec := debate.Replay(events)
	if rec.Status == debate.StatusRunning {
		if sum, err := st.Get(ctx, id); err == nil && !session.Alive(sum.Owner) {
			rec.Warnings = append(rec.Warnings, "the process running this debate is gone; continue it with `parley resume "+id+"`")
		}
	}
	return rec, nil
}

// writeReports prints the final report to stdout and, with -o, to a file.
func writeReports(io IO, rec *debate.Record, ro reportOptions) error {
	var buf bytes.Buffer
	if err := renderWith(&buf, rec, ro.format, reportOpts(io.Env, rec, ro.transcript)); err != nil {
		return err
	}
	if _, err := io.Out.Write(forTerminal(io, buf.Bytes(), ro.format)); err != nil {
		return err
	}
	if ro.output != "" {
		if err := os.WriteFile(ro.output, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", ro.output, err)
		}
	}
	return nil
}

// forTerminal styles a Markdown report for a terminal on stdout (internal/termmd,
// which removes every control character of the models' text: an answer must not be
// able to drive the user's terminal). Anything else (a pipe, a file, NO_COLOR,
// TERM=dumb) gets the plain Markdown unchanged. GLAMOUR_STYLE=light, from when
// glamour rendered it, still selects the light palette.
func forTerminal(io IO, report []byte, format string) []byte {
	if format != "md" || !io.OutTTY || io.Env("NO_COLOR") != "" || io.Env("TERM") == "dumb" {
		return report
	}
	width := 100
	if f, ok := io.Out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			width = min(w, 120)
		}
	}
	var env []string
	for _, k := range []string{"TERM", "COLORTERM", "CLICOLOR", "CLICOLOR_FORCE", "TMUX", "TERM_PROGRAM"} {
		if v := io.Env(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	profile := colorprofile.Env(env)
	if io.Env("TERM") == "" && profile == colorprofile.NoTTY {
		// colorprofile takes a missing TERM for a dumb terminal; stdout is a
		// terminal, and every terminal of the last thirty years has 16 colours.
		profile = colorprofile.ANSI
	}
	return termmd.Render(report, termmd.Options{
		Width:   width - 2,
		Profile: profile,
		Light:   io.Env("GLAMOUR_STYLE") == "light",
	})
}
