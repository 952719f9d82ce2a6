package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/callcache"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/provider"
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
	mode, err := resolveMode(firstNonEmpty(o.mode, cfg.Mode, "standard"), o.io.Env)
	if err != nil {
		return err
	}
	rounds := o.rounds
	if rounds == 0 {
		rounds = cfg.Rounds
	}
	if rounds < 0 {
		return usageErr("--rounds 3", "--rounds must be at least 1")
	}
	refs := o.models
	if o.panel != "" {
		if o.models != "" {
			return usageErr("use one of -m and --panel", "both -m and --panel name the panel")
		}
		named, ok := cfg.Panels[o.panel]
		if !ok {
			return usageErr("define it under panels: in the config, or see `parley config show`", "no panel %q in the config%s", o.panel, knownPanels(cfg))
		}
		refs = strings.Join(named, ",")
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
	panel, resolved, err := buildPanel(ctx, refs, cfg, io, modeSettings(mode))
	if err != nil {
		return err
	}
	timeout := o.timeout
	if timeout == 0 {
		timeout = time.Duration(cfg.Timeout)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--timeout", timeout}, {"--seat-deadline", o.seatDL}, {"--deadline", o.deadline}} {
		if d.v < 0 {
			return usageErr("give a positive duration such as 90s or 10m", "%s %s is negative", d.flag, d.v)
		}
	}
	maxCost := o.maxCost
	if maxCost == 0 {
		maxCost = cfg.MaxCost
	}
	spec := debate.Spec{
		Problem:          problem,
		Context:          material,
		Attachments:      attachments,
		Mode:             mode.Name,
		Rounds:           rounds,
		Chair:            firstNonEmpty(o.chair, cfg.Chair),
		Timeout:          timeout,
		MaxCostUSD:       maxCost,
		SeatDeadline:     o.seatDL,
		Deadline:         o.deadline,
		RetryFailedSeats: o.retryFailed,
		RetryBase:        retryBase(o.io.Env),
		Seed:             time.Now().UnixNano(),
	}
	if spec.Chair != "" && !chairKnown(spec.Chair, panel) {
		return usageErr("name a seat letter (A, B, …) or one of the panel's model refs", "--chair %q is not on the panel", spec.Chair)
	}
	st, err := openStore(ctx, cfg.DBPath(o.db, o.io.Env))
	if err != nil {
		return err
	}
	defer st.Close()

	d := debate.Debate{ID: debate.NewID(), Spec: spec, Mode: mode, Panel: panel, Price: pricer(resolved)}
	if o.clarify {
		d.Clarify = askClarifications(o.io)
	}
	if o.interactive {
		d.Note = askNote(o.io)
	}
	return execute(ctx, o.io, st, d, secretsOf(resolved), reportOptions{format: format, output: o.output, outDir: firstNonEmpty(o.outDir, cfg.OutDir), quiet: o.quiet.or(cfg.Quiet), transcript: o.transcript})
}

type reportOptions struct {
	format, output, outDir string
	quiet, transcript      bool
}

// execute runs (or resumes) a debate with its events going to the store and the
// progress printer, then prints the report and maps the outcome to an exit code.
func execute(ctx context.Context, io IO, st store.Store, d debate.Debate, secrets []string, ro reportOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var progress func(debate.Event)
	stopLive := func() {}
	if !ro.quiet {
		if p, stop, ok := liveView(io, d, cancel); ok {
			progress, stopLive = p, stop
			defer stop() // gives the terminal back should the debate panic
		} else {
			progress = newProgress(io.Err, d).print
		}
	}
	d.Panel = callcache.Wrap(d.Panel, callcache.Of(st), callcache.Record, nil) // every call goes into the call cache
	sink := &sink{store: st, secrets: secrets, progress: progress, owner: me()}
	if len(d.Log) > 0 {
		sink.claimed = true // resume claimed it before starting
	}
	d.Redact = sink.redact
	rec, err := debate.Run(ctx, d, sink.emit)
	stopLive() // the final frame, before the report
	if rec != nil && rec.ID != "" && sink.claimed {
		// Let go of the debate whatever happened, so that `parley resume` can take it
		// up at once. Best effort: if the disk is full this fails too, and the
		// process's exit makes the claim stale anyway.
		_ = st.Claim(context.WithoutCancel(ctx), rec.ID, sink.owner, store.Owner{})
	}
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

func chairKnown(chair string, panel []debate.Participant) bool {
	for _, p := range panel {
		if p.Seat.Seat == chair || p.Seat.Model == chair || p.Seat.Label == chair {
			return true
		}
	}
	return false
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func retryBase(env config.Env) time.Duration {
	if v := env("PARLEY_RETRY_BASE"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return 0
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

// resolveMode finds a built-in mode, else a user mode in the config directory.
func resolveMode(name string, env config.Env) (debate.Mode, error) {
	if m, ok := debate.BuiltinMode(name); ok {
		return m, nil
	}
	path := filepath.Join(config.ConfigDir(env), "modes", name+".yaml")
	f, err := os.Open(path)
	if err != nil {
		var names []string
		for _, m := range debate.BuiltinModes() {
			names = append(names, m.Name)
		}
		return debate.Mode{}, usageErr("parley modes", "unknown mode %q (built-in: %s; user modes live in %s)", name, strings.Join(names, ", "), filepath.Dir(path))
	}
	defer f.Close()
	m, err := debate.ParseMode(f, path)
	if err != nil {
		return debate.Mode{}, usageErr("fix the mode file", "%v", err)
	}
	return m, nil
}

// buildPanel resolves the panel's refs into seats A, B, C … . The same model in two
// seats is allowed and labelled honestly (#1, #2).
//
// seatLayers, when given, adds settings to each seat between the config's and the
// ref's own: the mode's (modeSettings), or a resumed debate's (recordedSettings).
func buildPanel(ctx context.Context, flag string, cfg *config.Config, io IO, seatLayers ...func(seat int) ([]config.Layer, error)) ([]debate.Participant, []models.Resolved, error) {
	refs := config.SplitList(flag)
	if len(refs) == 0 {
		refs = cfg.Panel
	}
	r := &models.Resolver{Config: cfg, Env: io.Env}
	if len(refs) == 0 {
		for _, c := range r.Detect(ctx, 3) {
			refs = append(refs, c.Ref)
		}
		if len(refs) == 1 {
			refs = append(refs, refs[0]) // one reachable model: two seats of it, labelled and warned about
		}
	}
	if len(refs) == 0 {
		return nil, nil, &exitError{code: ExitUsage, err: errors.New(models.HowToConfigure)}
	}
	if len(refs) < debate.Quorum {
		return nil, nil, usageErr("-m openai:gpt-5.5,anthropic:claude-sonnet-4-6", "a debate needs at least 2 models, got %d (%s)", len(refs), strings.Join(refs, ", "))
	}
	if len(refs) > 26 {
		return nil, nil, usageErr("use fewer models", "at most 26 seats, got %d", len(refs))
	}
	count := map[string]int{}
	for _, s := range refs {
		count[s]++
	}
	seen := map[string]int{}
	var panel []debate.Participant
	var resolved []models.Resolved
	for i, s := range refs {
		var layers []config.Layer
		for _, f := range seatLayers {
			l, err := f(i)
			if err != nil {
				return nil, nil, usageErr("parley models", "seat %c (%s): %v", 'A'+i, s, err)
			}
			layers = append(layers, l...)
		}
		ref, res, err := resolveRef(cfg, r, s, layers...)
		if err != nil {
			var ee *exitError
			if errors.As(err, &ee) {
				ee.err = fmt.Errorf("seat %c: %w", 'A'+i, ee.err)
			}
			return nil, nil, err
		}
		seat := debate.Seat{Seat: string(rune('A' + i)), Model: ref.Raw, Persona: res.Persona, Temperature: res.Temperature, Settings: res.Settings.String(), ContextWindow: res.ContextWindow}
		if count[s] > 1 {
			seen[s]++
			seat.Label = fmt.Sprintf("%s#%d", s, seen[s])
		}
		panel = append(panel, debate.Participant{Seat: seat, Model: res.Model})
		resolved = append(resolved, res)
	}
	return panel, resolved, nil
}

// resolveRef parses and resolves one model ref; its errors are usage errors.
func resolveRef(cfg *config.Config, r *models.Resolver, s string, layers ...config.Layer) (config.Ref, models.Resolved, error) {
	ref, err := cfg.ParseRef(s)
	if err != nil {
		return config.Ref{}, models.Resolved{}, usageErr("parley models", "%v", err)
	}
	res, err := r.ResolveSeat(ref, layers...)
	if err != nil {
		return config.Ref{}, models.Resolved{}, usageErr("parley models", "%v", err)
	}
	return ref, res, nil
}

func pricer(resolved []models.Resolved) func(debate.Seat, provider.Usage) float64 {
	bySeat := map[string]models.Resolved{}
	for i, r := range resolved {
		bySeat[string(rune('A'+i))] = r
	}
	return func(s debate.Seat, u provider.Usage) float64 { return bySeat[s.Seat].Cost(u) }
}

func secretsOf(resolved []models.Resolved) []string {
	var out []string
	for _, r := range resolved {
		if len(r.Secret) >= 4 {
			out = append(out, r.Secret)
		}
	}
	return out
}
