package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/client"
)

// serverEnv names the variable that, like --server, sends run, list, show, resume
// and export to a parley server instead of the local database. The token is the
// server's own variable, tokenEnv (PARLEY_TOKEN).
const serverEnv = "PARLEY_SERVER"

// remoteAPI is what the command line needs of a parley server; *client.Client is
// the real one.
type remoteAPI interface {
	Server() string
	Start(ctx context.Context, req client.Request) (string, error)
	Resume(ctx context.Context, id string) (after int, err error)
	List(ctx context.Context, limit int, status string) ([]client.Summary, error)
	Get(ctx context.Context, id string) (*debate.Record, error)
	Follow(ctx context.Context, id string, after int, fn func(debate.Event)) error
}

// remoteCommands are the commands --server changes, with their remote versions.
var remoteCommands = map[string]func(r *remote, cmd *cobra.Command, args []string) error{
	"parley": (*remote).run, // the root runs a debate too
	"run":    (*remote).run,
	"list":   (*remote).list,
	"show":   (*remote).show,
	"resume": (*remote).resume,
	"export": (*remote).export,
}

// localOnly are flags that mean something only with the local database and
// configuration; given with --server, they are refused rather than ignored.
var localOnly = []string{"db", "chair", "timeout", "seat-deadline", "deadline", "retry-failed-seats", "max-cost", "panel", "clarify", "interactive", "workspace", "out-dir"}

// wireRemote adds the persistent --server flag and routes the commands above to
// the server when it (or PARLEY_SERVER) is set; without it they run as before.
func wireRemote(root *cobra.Command, io IO) {
	var server string
	root.PersistentFlags().StringVar(&server, "server", "", "run, list, show, resume and export on this parley server (http://HOST:PORT) instead of the local database (also "+serverEnv+"; the token comes from "+tokenEnv+")")
	cmds := append([]*cobra.Command{root}, root.Commands()...)
	for _, c := range cmds {
		remoteFn, ok := remoteCommands[c.Name()]
		if !ok || c.RunE == nil {
			continue
		}
		local := c.RunE
		c.RunE = func(cmd *cobra.Command, args []string) error {
			url := strings.TrimSpace(firstNonEmpty(server, io.Env(serverEnv)))
			if url == "" {
				return local(cmd, args)
			}
			if cmd == root && len(args) == 0 && !cmd.Flags().Changed("file") {
				return cmd.Help()
			}
			for _, name := range localOnly {
				if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
					return usageErr("leave --"+name+" out: the server's configuration decides it", "--%s cannot be used with --server (or %s)", name, serverEnv)
				}
			}
			c, err := client.New(url, strings.TrimSpace(io.Env(tokenEnv)), &http.Client{})
			if err != nil {
				return remoteErr(err)
			}
			return remoteFn(&remote{io: io, api: c}, cmd, args)
		}
	}
}

// remote runs the commands against a server.
type remote struct {
	io    IO
	api   remoteAPI
	panel []debate.Seat // a resumed debate's seats, for the progress lines
}

// remoteErr maps a client error to the CLI's exit codes: a bad URL, a refused
// token, a bad request and an unreachable server are all "nothing was done"
// (2); the message already says what to do.
func remoteErr(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) {
		return &exitError{code: ExitUsage, err: errors.New(ce.Msg)}
	}
	return err
}

func flagString(cmd *cobra.Command, name string) string {
	v, _ := cmd.Flags().GetString(name)
	return v
}

func flagBool(cmd *cobra.Command, name string) bool {
	v, _ := cmd.Flags().GetBool(name)
	return v
}

func (r *remote) run(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	ro := &runOptions{io: r.io, file: flagString(cmd, "file")}
	problem, err := ro.problem(args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(r.io.Env)
	if err != nil {
		return err
	}
	output := flagString(cmd, "output")
	format, err := outputFormat(flagString(cmd, "format"), cfg.Format, output)
	if err != nil {
		return err
	}
	req := client.Request{Problem: problem, Mode: flagString(cmd, "mode")}
	req.Rounds, _ = cmd.Flags().GetInt("rounds")
	for _, m := range strings.Split(flagString(cmd, "models"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			req.Models = append(req.Models, m)
		}
	}
	// Attachments are read here, where the files are, and travel as context.
	if patterns, _ := cmd.Flags().GetStringArray("attach"); len(patterns) > 0 {
		if req.Context, _, err = attach(patterns, attachBudget); err != nil {
			return err
		}
	}
	id, err := r.api.Start(ctx, req)
	if err != nil {
		return remoteErr(err)
	}
	return r.follow(ctx, id, 0, reportOptions{format: format, output: output, quiet: flagBool(cmd, "quiet") || cfg.Quiet, transcript: flagBool(cmd, "transcript")})
}

// follow prints the debate's progress from its event stream, then its report, and
// ends with the exit code `parley run` would give.
func (r *remote) follow(ctx context.Context, id string, after int, ro reportOptions) error {
	var p *progress
	err := r.api.Follow(ctx, id, after, func(e debate.Event) {
		if ro.quiet {
			return
		}
		if p == nil {
			var d debate.Debate
			for _, s := range r.panel {
				d.Panel = append(d.Panel, debate.Participant{Seat: s})
			}
			p = newProgress(r.io.Err, d)
			if e.Kind != debate.KindDebateStarted {
				fmt.Fprintf(r.io.Err, "parley: following debate %s on %s\n", id, r.api.Server())
			}
		}
		p.print(e)
	})
	switch {
	case errors.Is(err, context.Canceled):
		// Ctrl-C stops following, not the debate: it runs on the server.
		fmt.Fprintf(r.io.Err, "\nStopped following. Debate %s goes on on the server; see it with:\n  parley --server %s show %s\n", id, r.api.Server(), id)
		return &exitError{code: ExitInterrupted, err: errors.New("")}
	case err != nil:
		return &exitError{code: ExitNoVerdict, err: fmt.Errorf("lost debate %s: %v", id, err), hint: fmt.Sprintf("parley --server %s show %s", r.api.Server(), id)}
	}
	rec, err := r.api.Get(ctx, id)
	if err != nil {
		return remoteErr(err)
	}
	if err := writeReports(r.io, rec, ro); err != nil {
		return err
	}
	switch rec.Status {
	case debate.StatusCompleted, debate.StatusDegraded:
		return nil
	case debate.StatusInterrupted:
		fmt.Fprintf(r.io.Err, "\nThe server interrupted the debate. Everything finished so far is stored; continue with:\n  parley --server %s resume %s\n", r.api.Server(), id)
		return &exitError{code: ExitInterrupted, err: errors.New("")}
	}
	msg := firstNonEmpty(rec.Error, rec.StoppedBecause)
	return &exitError{code: ExitNoVerdict, err: fmt.Errorf("no verdict: %s", msg)}
}

func (r *remote) resume(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	id := args[0]
	cfg, err := loadConfig(r.io.Env)
	if err != nil {
		return err
	}
	output := flagString(cmd, "output")
	format, err := outputFormat(flagString(cmd, "format"), cfg.Format, output)
	if err != nil {
		return err
	}
	rec, err := r.api.Get(ctx, id)
	if err != nil {
		return r.notFound(err, id)
	}
	after, err := r.api.Resume(ctx, id)
	if err != nil {
		return r.notFound(err, id)
	}
	r.panel = rec.Panel
	return r.follow(ctx, id, after, reportOptions{format: format, output: output, quiet: flagBool(cmd, "quiet") || cfg.Quiet, transcript: flagBool(cmd, "transcript")})
}

// notFound names the server in an unknown-id error.
func (r *remote) notFound(err error, id string) error {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Kind == client.KindNotFound {
		return usageErr(fmt.Sprintf("parley --server %s list", r.api.Server()), "no debate %s on %s", id, r.api.Server())
	}
	return remoteErr(err)
}

func (r *remote) list(cmd *cobra.Command, _ []string) error {
	format := flagString(cmd, "format")
	limit, _ := cmd.Flags().GetInt("limit")
	if format != "json" && !cmd.Flags().Changed("limit") {
		limit = defaultListLimit
	}
	rows, err := r.api.List(cmd.Context(), limit, "")
	if err != nil {
		return remoteErr(err)
	}
	switch format {
	case "json":
		if rows == nil {
			rows = []client.Summary{}
		}
		enc := json.NewEncoder(r.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "", "text", "md":
		if len(rows) == 0 {
			fmt.Fprintf(r.io.Err, "No debates on %s yet. Start one: parley --server %s \"your question\"\n", r.api.Server(), r.api.Server())
			return nil
		}
		tw := tabwriter.NewWriter(r.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tMODE\tCREATED\tPROBLEM")
		for _, s := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Mode, s.CreatedAt.Local().Format("2006-01-02 15:04"), shorten(s.Problem, 60))
		}
		return tw.Flush()
	}
	return usageErr("--format json", "unknown format %q for list", format)
}

func (r *remote) show(cmd *cobra.Command, args []string) error {
	f, err := outputFormat(flagString(cmd, "format"), "", "")
	if err != nil {
		return err
	}
	rec, err := r.api.Get(cmd.Context(), args[0])
	if err != nil {
		return r.notFound(err, args[0])
	}
	var buf bytes.Buffer
	if err := renderFormat(&buf, rec, f, flagBool(cmd, "transcript")); err != nil {
		return err
	}
	_, err = r.io.Out.Write(forTerminal(r.io, buf.Bytes(), f))
	return err
}

func (r *remote) export(cmd *cobra.Command, args []string) error {
	id, output := args[0], flagString(cmd, "output")
	if output == "" {
		return usageErr("parley --server URL export "+id+" -o report.html", "export needs a file: -o FILE (or -o - for stdout)")
	}
	f, err := exportFormat(flagString(cmd, "format"), output)
	if err != nil {
		return err
	}
	rec, err := r.api.Get(cmd.Context(), id)
	if err != nil {
		return r.notFound(err, id)
	}
	var buf bytes.Buffer
	if err := renderFormat(&buf, rec, f, flagBool(cmd, "transcript")); err != nil {
		return err
	}
	if output == "-" {
		_, err := r.io.Out.Write(buf.Bytes())
		return err
	}
	if err := writeFileReplacing(output, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(r.io.Err, "Wrote %s (%s, debate %s)\n", output, f, rec.ID)
	return nil
}
