package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/eval"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/session"
)

// evalOptions are the flags of `parley eval`. Those that define the eval (models,
// strategies, k, the selection, rounds) are recorded in its checkpoint; a resumed
// eval takes them from there, and refuses a flag that says otherwise.
type evalOptions struct {
	io IO

	models      string
	panel       string
	strategies  string
	k           int
	concurrency int
	limit       int
	sample      int
	seed        int64
	maxCost     float64
	format      string
	output      string
	chart       string
	resume      string
	rounds      int
	timeout     time.Duration
	quiet       bool
}

func newEvalCmd(io IO) *cobra.Command {
	o := &evalOptions{io: io}
	cmd := &cobra.Command{
		Use:   "eval DATASET.jsonl",
		Short: "Accuracy and cost of strategies (single, vote, self-consistency, debate modes) on a JSONL data set",
		Long: `parley eval runs every question of a data set through each strategy and reports its
accuracy with a 95% confidence interval (Wilson score), its tokens, cost and time, and for
each debate how often it turned a wrong first-round majority right ("fixed") or a right one
wrong ("broke"); every answer change scored against the gold answer and labelled
(argued, or conformity: toward the majority with no new argument); each round's marginal
cost and change; the best single model's accuracy beside the vote's and each debate's,
with the gap and a paired bootstrap interval; Brier scores and reliability bins of the
stated confidences; and how often the panel's models are wrong together (phi).

The data set has one {"question": …, "answer": …} object per line; a GSM8K answer ending in
"#### N" is scored against N. Strategies:
  single                    each panel model alone (one result per model)
  vote                      the panel answers independently; the majority answer wins
  self-consistency[:MODEL]  --k samples of one model (default: the panel's first); majority
  standard, council, …      any debate mode, run with the panel; the verdict is the answer

Every finished (question, strategy) pair is stored at once under the data directory; after
Ctrl-C (exit 130) or a crash, "parley eval --resume ID" continues without repeating any.`,
		Example: `  parley eval gsm8k/test.jsonl -m openai:gpt-4.1-mini,anthropic:claude-haiku-4-5,gemini:gemini-2.5-flash \
      --strategies single,vote,self-consistency,standard --sample 100 --seed 1 --chart gsm8k
  parley eval questions.jsonl -m openai:gpt-5,openai:o4-mini --strategies vote,council --limit 20 --format json -o eval.json
  parley eval --resume 01jcz8k3m9x2ab`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.models, "models", "m", "", "comma-separated model refs: the panel (default: the config's panel, else auto-detected)")
	f.StringVar(&o.panel, "panel", "", "a named panel from the config")
	f.StringVar(&o.strategies, "strategies", "single,vote,standard", "comma-separated: single, vote, self-consistency[:MODEL], or debate mode names")
	f.IntVar(&o.k, "k", eval.DefaultK, "samples per question for self-consistency")
	f.IntVar(&o.concurrency, "concurrency", eval.DefaultConcurrency, "questions × strategies run at once")
	f.IntVar(&o.limit, "limit", 0, "only the first N questions")
	f.IntVar(&o.sample, "sample", 0, "a random sample of N questions (reproducible with --seed)")
	f.Int64Var(&o.seed, "seed", 1, "the seed of --sample")
	f.Float64Var(&o.maxCost, "max-cost", 0, "stop starting new questions once the cost would pass this many USD (resumable)")
	f.StringVar(&o.format, "format", "", "what goes to stdout: md (the tables), json, or html (a page with the tables and charts)")
	f.StringVarP(&o.output, "output", "o", "", "also write the results to this file (format from --format or the extension)")
	f.StringVar(&o.chart, "chart", "", "write the accuracy-against-cost chart to PREFIX.svg and PREFIX.png, the reliability diagram to PREFIX-reliability.svg and .png")
	f.StringVar(&o.resume, "resume", "", "continue the eval with this id (or checkpoint file) without repeating finished questions")
	f.IntVar(&o.rounds, "rounds", 0, "override the debate modes' number of rounds")
	f.DurationVar(&o.timeout, "timeout", 0, "per model call (default 5m)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress on stderr")
	return cmd
}

func (o *evalOptions) run(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	cfg, err := loadConfig(o.io.Env)
	if err != nil {
		return err
	}
	format, err := outputFormat(o.format, "", o.output)
	if err != nil {
		return err
	}
	if o.concurrency < 1 {
		return usageErr("--concurrency 4", "--concurrency must be at least 1")
	}
	if o.maxCost < 0 {
		return usageErr("--max-cost 5", "--max-cost must not be negative")
	}

	var cp *eval.Checkpoint
	if o.resume != "" {
		cp, err = o.open(cmd, args)
	} else {
		cp, err = o.create(ctx, args, cfg)
	}
	if err != nil {
		return err
	}
	defer cp.Close()
	spec := cp.Spec()

	members, secrets, err := evalMembers(cfg, o.io, eval.Models(spec.Panel, spec.Strategies))
	if err != nil {
		return err
	}
	maxCost := o.maxCost
	if maxCost == 0 {
		maxCost = cfg.MaxCost
	}
	pending, total := eval.Pending(cp)
	fmt.Fprintf(o.io.Err, "eval %s: %d questions × %d strategies = %d runs", spec.ID, len(spec.Items), len(spec.Strategies), total)
	if pending < total {
		fmt.Fprintf(o.io.Err, ", %d done, %d to go", total-pending, pending)
	}
	fmt.Fprintf(o.io.Err, "\n  checkpoint %s (continue an interrupted eval with: parley eval --resume %s)\n", cp.Path(), spec.ID)

	scrub := &session.Recorder{Secrets: secrets}
	r := &eval.Runner{
		Checkpoint:  cp,
		Members:     members,
		Concurrency: o.concurrency,
		MaxCostUSD:  maxCost,
		RetryBase:   session.RetryBase(o.io.Env),
		Filter:      scrub.Scrub,
	}
	if !o.quiet {
		r.Progress = func(p eval.Progress) {
			verdict := "wrong"
			if p.Correct {
				verdict = "right"
			}
			answer := p.Result.Answer
			if answer == "" {
				answer = "(no answer)"
				if p.Result.Error != "" {
					answer += ": " + p.Result.Error
				}
			}
			fmt.Fprintf(o.io.Err, "[%d/%d] question %d (line %d) %s: %s, %s (gold %s)\n",
				p.Done, p.Total, p.Item.Index+1, p.Item.Line, p.Strategy.Key, oneLine(answer, 80), verdict, p.Item.Gold)
		}
	}
	rep, err := r.Run(ctx)
	switch {
	case errors.Is(err, eval.ErrInterrupted):
		fmt.Fprintf(o.io.Err, "\nInterrupted. Every finished question is stored; continue with:\n  parley eval --resume %s\n", spec.ID)
		return &exitError{code: ExitInterrupted, err: errors.New("")}
	case err != nil:
		return &exitError{code: ExitNoVerdict, err: fmt.Errorf("eval %s stopped: %w", spec.ID, err), hint: "parley eval --resume " + spec.ID}
	}

	if err := o.write(rep, format, spec); err != nil {
		return err
	}
	if rep.Status == eval.StatusBudget {
		spent := 0.0
		for _, s := range rep.Strategies {
			spent += s.CostUSD
		}
		fmt.Fprintf(o.io.Err, "Stopped by --max-cost %s after spending $%.4f; raise it to continue:\n  parley eval --resume %s --max-cost %s\n",
			fmt.Sprint(maxCost), spent, spec.ID, fmt.Sprint(2*maxCost))
	}
	if allFailed(cp.Results()) {
		res := cp.Results()
		return &exitError{code: ExitNoVerdict, err: fmt.Errorf("no run of eval %s produced an answer; the first failure: %s", spec.ID, res[0].Error), hint: "parley doctor"}
	}
	return nil
}

// create starts a new eval: reads and selects the questions, resolves the strategies
// and writes the checkpoint's spec line.
func (o *evalOptions) create(ctx context.Context, args []string, cfg *config.Config) (*eval.Checkpoint, error) {
	if len(args) != 1 {
		return nil, usageErr("parley eval DATASET.jsonl -m MODEL,MODEL --strategies single,vote,standard", "give the data set: a JSONL file of {\"question\", \"answer\"} lines")
	}
	dataset := args[0]
	all, err := readDataset(dataset)
	if err != nil {
		return nil, err
	}
	switch {
	case o.limit < 0 || o.sample < 0:
		return nil, usageErr("--limit 50 or --sample 50", "--limit and --sample must be positive")
	case o.limit > 0 && o.sample > 0:
		return nil, usageErr("use --limit N for the first N questions, or --sample N --seed S for a random N", "both --limit and --sample given")
	case o.rounds < 0:
		return nil, usageErr("--rounds 3", "--rounds must be at least 1")
	}
	items := eval.Select(all, o.limit, o.sample, o.seed)

	refs, err := o.panelRefs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	lookup := func(name string) (debate.Mode, error) {
		m, err := session.ResolveMode(name, o.io.Env)
		if err != nil {
			return debate.Mode{}, errors.New(err.Error()) // the message, without resolveMode's hint
		}
		if session.HasSeatSettings(m) {
			// eval resolves each model once for every strategy; refusing beats dropping the settings.
			return debate.Mode{}, fmt.Errorf("mode %s sets generation settings, which eval does not apply per strategy: put them on the refs (-m 'openai:gpt-5.5?reasoning=high') or in the config's settings:", m.Name)
		}
		return m, nil
	}
	strategies, err := eval.ParseStrategies(config.SplitList(o.strategies), refs, o.k, lookup)
	if err != nil {
		return nil, usageErr("--strategies single,vote,self-consistency,standard", "%v", err)
	}
	// Resolve every model now, so a bad ref fails before anything is written.
	if _, _, err := evalMembers(cfg, o.io, eval.Models(refs, strategies)); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dataset)
	if err != nil {
		abs = dataset
	}
	timeout := o.timeout
	if timeout == 0 {
		timeout = time.Duration(cfg.Timeout)
	}
	spec := eval.Spec{
		ID:           debate.NewID(),
		CreatedAt:    time.Now().UTC(),
		Dataset:      abs,
		DatasetItems: len(all),
		Limit:        o.limit,
		Sample:       o.sample,
		Panel:        refs,
		Strategies:   strategies,
		Rounds:       o.rounds,
		Timeout:      timeout,
		Seed:         time.Now().UnixNano(),
		Items:        items,
	}
	if o.sample > 0 {
		spec.SampleSeed = o.seed
	}
	cp, err := eval.Create(eval.Path(config.DataDir(o.io.Env), spec.ID), spec)
	if err != nil {
		return nil, usageErr("set XDG_DATA_HOME to a writable directory", "cannot create the eval's checkpoint: %v", err)
	}
	return cp, nil
}

// open takes up an existing eval. Flags that define an eval may be repeated, but not
// changed: the checkpoint's answers belong to the eval it records.
func (o *evalOptions) open(cmd *cobra.Command, args []string) (*eval.Checkpoint, error) {
	path := o.resume
	if !strings.ContainsRune(path, filepath.Separator) && !strings.HasSuffix(path, ".jsonl") {
		path = eval.Path(config.DataDir(o.io.Env), o.resume)
	}
	cp, err := eval.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, usageErr("the ids are the file names in "+filepath.Dir(eval.Path(config.DataDir(o.io.Env), "x")), "no eval %q (looked for %s)", o.resume, path)
	case errors.Is(err, eval.ErrBusy):
		return nil, usageErr("wait for it to finish, or stop it first", "eval %s: %v", o.resume, err)
	case err != nil:
		return nil, usageErr("the checkpoint is damaged; start the eval again", "%v", err)
	}
	spec := cp.Spec()
	fail := func(flag, was string) (*eval.Checkpoint, error) {
		cp.Close()
		return nil, usageErr("drop "+flag+" to resume the eval as it was started", "eval %s was started with %s %s", spec.ID, flag, was)
	}
	if len(args) == 1 {
		if abs, _ := filepath.Abs(args[0]); abs != spec.Dataset {
			return fail("the data set", spec.Dataset)
		}
	}
	changed := cmd.Flags().Changed
	if changed("models") && !slices.Equal(config.SplitList(o.models), spec.Panel) {
		return fail("-m", strings.Join(spec.Panel, ","))
	}
	if changed("strategies") {
		// "single" expands per model; compare as the user would write the list.
		var given []string
		for _, s := range spec.Strategies {
			name := s.Key
			if s.Kind == eval.KindSingle {
				name = eval.KindSingle
			}
			if !slices.Contains(given, name) {
				given = append(given, name)
			}
		}
		if !slices.Equal(config.SplitList(o.strategies), given) {
			return fail("--strategies", strings.Join(given, ","))
		}
	}
	for _, c := range []struct {
		flag      string
		now, then int64
	}{
		{"limit", int64(o.limit), int64(spec.Limit)},
		{"sample", int64(o.sample), int64(spec.Sample)},
		{"rounds", int64(o.rounds), int64(spec.Rounds)},
	} {
		if changed(c.flag) && c.now != c.then {
			return fail("--"+c.flag, fmt.Sprint(c.then))
		}
	}
	if changed("seed") && spec.Sample > 0 && o.seed != spec.SampleSeed {
		return fail("--seed", fmt.Sprint(spec.SampleSeed))
	}
	if changed("k") {
		for _, s := range spec.Strategies {
			if s.Kind == eval.KindSelfConsistency && s.K != o.k {
				return fail("--k", fmt.Sprint(s.K))
			}
		}
	}
	return cp, nil
}

// panelRefs is -m, else --panel, else the config's panel, else what auto-detection
// finds. Unlike a debate's, an eval's panel may be a single model (for single and
// self-consistency).
func (o *evalOptions) panelRefs(ctx context.Context, cfg *config.Config) ([]string, error) {
	refs := config.SplitList(o.models)
	if o.panel != "" {
		if len(refs) > 0 {
			return nil, usageErr("use one of -m and --panel", "both -m and --panel name the panel")
		}
		named, ok := cfg.Panels[o.panel]
		if !ok {
			return nil, usageErr("define it under panels: in the config", "no panel %q in the config", o.panel)
		}
		refs = named
	}
	if len(refs) == 0 {
		refs = cfg.Panel
	}
	if len(refs) == 0 {
		r := &models.Resolver{Config: cfg, Env: o.io.Env}
		for _, c := range r.Detect(ctx, 3) {
			refs = append(refs, c.Ref)
		}
	}
	if len(refs) == 0 {
		return nil, &exitError{code: ExitUsage, err: errors.New(models.HowToConfigure)}
	}
	if len(refs) > 26 {
		return nil, usageErr("use fewer models", "at most 26 models, got %d", len(refs))
	}
	return refs, nil
}

// evalMembers resolves each model ref the eval calls.
func evalMembers(cfg *config.Config, io IO, refs []string) (map[string]eval.Member, []string, error) {
	r := &models.Resolver{Config: cfg, Env: io.Env}
	members := map[string]eval.Member{}
	var resolved []models.Resolved
	for _, s := range refs {
		ref, res, err := session.ResolveRef(cfg, r, s)
		if err != nil {
			return nil, nil, err
		}
		members[s] = eval.Member{
			Seat:  debate.Seat{Model: ref.Raw, Persona: res.Persona, Temperature: res.Temperature, Settings: res.Settings.String(), ContextWindow: res.ContextWindow},
			Model: res.Model,
			Price: res.Cost,
		}
		resolved = append(resolved, res)
	}
	return members, session.SecretsOf(resolved), nil
}

// readDataset reads the JSONL file; a bad line is a usage error naming it.
func readDataset(path string) ([]eval.Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErr("give the path of a JSONL file", "cannot read the data set: %v", err)
	}
	defer f.Close()
	items, err := eval.ReadJSONL(f)
	var le *eval.LineError
	switch {
	case errors.As(err, &le):
		return nil, usageErr(`each line must be a JSON object such as {"question": "What is 6×7?", "answer": "42"}`, "%s:%d: %v", path, le.Line, le.Err)
	case err != nil:
		return nil, usageErr(`each line must be a JSON object such as {"question": "What is 6×7?", "answer": "42"}`, "%s: %v", path, err)
	}
	return items, nil
}

// write prints the report and writes -o and --chart.
func (o *evalOptions) write(rep *eval.Report, format string, spec eval.Spec) error {
	kinds := map[string]string{}
	for _, s := range spec.Strategies {
		kinds[s.Key] = s.Kind
	}
	var buf bytes.Buffer
	if format == "html" {
		if err := eval.WriteHTML(&buf, rep, kinds); err != nil {
			return err
		}
	} else if format == "json" {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := eval.WriteMarkdown(&buf, rep); err != nil {
		return err
	}
	if _, err := o.io.Out.Write(buf.Bytes()); err != nil {
		return err
	}
	if o.output != "" {
		if err := os.WriteFile(o.output, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", o.output, err)
		}
	}
	if o.chart != "" {
		files, err := eval.WriteCharts(rep, kinds, o.chart)
		if err != nil {
			return fmt.Errorf("writing the chart: %w", err)
		}
		fmt.Fprintf(o.io.Err, "charts: %s\n", strings.Join(files, ", "))
	}
	return nil
}

func allFailed(results []eval.Result) bool {
	if len(results) == 0 {
		return false
	}
	for _, r := range results {
		if r.Status != debate.StatusFailed {
			return false
		}
	}
	return true
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
