package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/store"
)

type runOptions struct {
	io IO

	models      string
	mode        string
	rounds      int
	chair       string
	format      string
	output      string
	file        string
	timeout     time.Duration
	seatDL      time.Duration
	deadline    time.Duration
	retryFailed bool
	maxCost     float64
	db          string
	quiet       optBool
	transcript  bool
	panel       string
	attach      []string
	clarify     bool
	interactive bool
	workspace   string
	outDir      string
}

func (o *runOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.models, "models", "m", "", "comma-separated model refs (PROVIDER:MODEL or a config name); default: the config's panel, else auto-detected")
	f.StringVar(&o.mode, "mode", "", "debate mode: quick, standard (default), deep, … or a user mode (parley modes lists them)")
	f.IntVar(&o.rounds, "rounds", 0, "override the mode's number of rounds")
	f.StringVar(&o.chair, "chair", "", "the seat letter or model ref that writes the verdict (default: the first seat, with failover)")
	f.StringVar(&o.format, "format", "", "what goes to stdout at the end: md or json (default md)")
	f.StringVarP(&o.output, "output", "o", "", "also write the final report to this file (format from --format or the extension)")
	f.StringVar(&o.file, "file", "", "read the problem from this file")
	f.DurationVar(&o.timeout, "timeout", 0, "per model call (default 5m)")
	f.DurationVar(&o.seatDL, "seat-deadline", 0, "the most one seat may take in one round, retries included; a seat past it is cut and out (default 2 × --timeout)")
	f.DurationVar(&o.deadline, "deadline", 0, "the most the rounds may take in all: then the verdict is written from what was answered (default none)")
	f.BoolVar(&o.retryFailed, "retry-failed-seats", false, "ask a seat whose turn failed again in later rounds, instead of marking it out")
	f.Float64Var(&o.maxCost, "max-cost", 0, "stop before a round whose estimated cost would take the total past this many USD")
	f.StringVar(&o.db, "db", "", "the SQLite database (default $PARLEY_DB, else the user's data directory)")
	quietFlag(f, &o.quiet)
	f.BoolVar(&o.transcript, "transcript", false, "include every full answer in the Markdown report")
	f.StringVar(&o.panel, "panel", "", "a named panel from the config (panels: NAME: [refs])")
	f.StringArrayVar(&o.attach, "attach", nil, "a file or glob whose text every participant reads as user-provided material (repeatable; binary refused; 100 KB in all)")
	f.BoolVar(&o.clarify, "clarify", false, "let the chair ask up to 3 clarifying questions first (interactive terminals only)")
	f.BoolVar(&o.interactive, "interactive", false, "after each round, pause for a note to the panel that reaches every next prompt")
	f.StringVar(&o.outDir, "out-dir", "", "also write a readable folder: DIR/<slug>/report.md and one Markdown file per turn")
	f.StringVar(&o.workspace, "workspace", "", "agent-CLI participants may read this directory with read-only tools (never write)")
}

func newRunCmd(io IO) *cobra.Command {
	o := &runOptions{io: io}
	cmd := &cobra.Command{
		Use:   "run [flags] PROBLEM...",
		Short: "Run a debate (the default command)",
		Example: `  parley run "Postgres or DynamoDB for our event store?" -m openai:gpt-5.5,anthropic:claude-sonnet-4-6
  parley run --file problem.md --format json -o verdict.json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args)
		},
	}
	o.bind(cmd)
	return cmd
}

// problem reads the question from the arguments, --file, or stdin ("-").
func (o *runOptions) problem(args []string) (string, error) {
	var text string
	switch {
	case o.file != "" && len(args) > 0:
		return "", usageErr("give the problem either as arguments or with --file", "both --file and a problem in the arguments")
	case o.file != "":
		data, err := os.ReadFile(o.file)
		if err != nil {
			return "", usageErr("check the path given to --file", "cannot read the problem file: %v", err)
		}
		text = string(data)
	case len(args) == 1 && args[0] == "-":
		data, err := io.ReadAll(io.LimitReader(o.io.In, 1<<20))
		if err != nil {
			return "", usageErr("pipe the problem into parley, e.g. echo \"…\" | parley -", "reading the problem from stdin: %v", err)
		}
		text = string(data)
	default:
		text = strings.Join(args, " ")
	}
	if strings.TrimSpace(text) == "" {
		return "", usageErr(`parley "Should we start with Redis caching, indexes or query optimization?"`, "the problem is empty")
	}
	return strings.TrimSpace(text), nil
}

func (o *runOptions) run(ctx context.Context, args []string) error {
	problem, err := o.problem(args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(o.io.Env)
	if err != nil {
		return err
	}
	format, err := outputFormat(o.format, cfg.Format, o.output)
	if err != nil {
		return err
	}
	io := o.io
	if o.workspace != "" {
		ws, err := workspaceDir(o.workspace)
		if err != nil {
			return err
		}
		io.Env = withEnv(io.Env, models.WorkspaceEnv, ws)
	}
	material, attachments, err := attach(o.attach, attachBudget)
	if err != nil {
		return err
	}
	if (o.clarify || o.interactive) && !o.io.InTTY {
		return usageErr("run it in a terminal, or drop the flag", "--clarify and --interactive need an interactive terminal on stdin")
	}
	ahead := openAhead(ctx, cfg.DBPath(o.db, o.io.Env))
	svc := &session.Service{Config: cfg, Env: io.Env}
	p, err := svc.Prepare(ctx, session.Request{
		Problem:          problem,
		Models:           config.SplitList(o.models),
		Panel:            o.panel,
		Mode:             o.mode,
		Rounds:           o.rounds,
		Context:          material,
		Attachments:      attachments,
		Chair:            firstNonEmpty(o.chair, cfg.Chair),
		Timeout:          o.timeout,
		SeatDeadline:     o.seatDL,
		Deadline:         o.deadline,
		RetryFailedSeats: o.retryFailed,
		MaxCostUSD:       o.maxCost,
	})
	if err != nil {
		ahead.discard()
		return err
	}
	st, err := ahead.wait(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	if o.clarify {
		p.Debate.Clarify = askClarifications(o.io)
	}
	if o.interactive {
		p.Debate.Note = askNote(o.io)
	}
	return execute(ctx, o.io, st, p, reportOptions{format: format, output: o.output, outDir: firstNonEmpty(o.outDir, cfg.OutDir), quiet: o.quiet.or(cfg.Quiet), transcript: o.transcript})
}

type reportOptions struct {
	format, output, outDir string
	quiet, transcript      bool
}

// execute runs (or resumes) a debate with its events going to the store and the
// progress printer, then prints the report and maps the outcome to an exit code.
func execute(ctx context.Context, io IO, st store.Store, p *session.Prepared, ro reportOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := p.Debate
	var progress func(debate.Event)
	stopLive := func() {}
	if !ro.quiet {
		if pr, stop, ok := liveView(io, d, cancel); ok {
			progress, stopLive = pr, stop
			defer stop() // gives the terminal back should the debate panic
		} else {
			progress = newProgress(io.Err, d).print
		}
	}
	rec, err := session.Run(ctx, p, session.NewRecorder(st, p, progress), nil)
	stopLive() // the final frame, before the report
	if rec != nil && rec.ID != "" {
		if werr := writeReports(io, rec, ro); werr != nil && err == nil {
			err = werr
		}
		if ro.outDir != "" {
			if werr := writeOutDir(io, ro.outDir, rec); werr != nil && err == nil {
				err = werr
			}
		}
	}
	switch {
	case errors.Is(err, debate.ErrInterrupted):
		fmt.Fprintf(io.Err, "\nInterrupted. Everything finished so far is stored; continue with:\n  parley resume %s\n", rec.ID)
		return &exitError{code: ExitInterrupted, err: errors.New("")}
	case err != nil:
		id := d.ID
		if rec != nil && rec.ID != "" {
			id = rec.ID
		}
		return &exitError{code: ExitNoVerdict, err: fmt.Errorf("debate %s stopped: %w", id, err), hint: "parley resume " + id}
	case rec.Status != debate.StatusCompleted && rec.Status != debate.StatusDegraded:
		msg := rec.Error
		if msg == "" {
			msg = rec.StoppedBecause
		}
		return &exitError{code: ExitNoVerdict, err: fmt.Errorf("no verdict: %s", msg)}
	}
	return nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func loadConfig(env config.Env) (*config.Config, error) {
	cfg, err := config.Load(env)
	if err != nil {
		return nil, usageErr("fix the config file, or point PARLEY_CONFIG at another", "%v", err)
	}
	return cfg, nil
}

func outputFormat(flag, cfg, output string) (string, error) {
	f := firstNonEmpty(flag, cfg)
	if f == "" && output != "" {
		f = formatFromExt(output)
	}
	if f == "" {
		f = "md"
	}
	switch f {
	case "md", "json", "html":
		return f, nil
	}
	return "", usageErr("--format md, --format json or --format html", "unknown format %q", f)
}
