package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/provider"
)

func newModelsCmd(io IO) *cobra.Command {
	var format string
	var all bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "The models the current configuration and environment can reach, and why others cannot",
		Example: `  parley models
  parley models --all
  parley models --format json`,
		Args: exactArgs(0, "parley models"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(io.Env)
			if err != nil {
				return err
			}
			r := &models.Resolver{Config: cfg, Env: io.Env}
			survey := r.Survey(cmd.Context())
			type row struct {
				Ref           string  `json:"ref"`
				Kind          string  `json:"kind"`
				Why           string  `json:"why"`
				InputPrice    float64 `json:"input_usd_per_mtok,omitempty"`
				OutputPrice   float64 `json:"output_usd_per_mtok,omitempty"`
				ContextWindow int     `json:"context_window,omitempty"`
			}
			type missing struct {
				Kind string `json:"kind"`
				Fix  string `json:"fix"`
			}
			var out struct {
				Reachable    []row     `json:"reachable"`
				Configured   []row     `json:"configured"`
				Unreachable  []missing `json:"unreachable"`
				DefaultPanel []string  `json:"default_panel"`
				// Models is every provider's known model, reachable or not, and why.
				Models []models.Known `json:"models"`
			}
			// Empty lists print as [], never null: scripts index into them.
			out.Reachable, out.Configured, out.Unreachable, out.DefaultPanel = []row{}, []row{}, []missing{}, []string{}
			priced := func(ref, kind, model, why string) row {
				rw := row{Ref: ref, Kind: kind, Why: why}
				if e, ok := models.Lookup(kind, model); ok {
					rw.InputPrice, rw.OutputPrice, rw.ContextWindow = e.Price.Input, e.Price.Output, e.ContextWindow
				}
				return rw
			}
			for _, a := range survey {
				for _, c := range a.Candidates {
					ref, _ := cfg.ParseRef(c.Ref)
					out.Reachable = append(out.Reachable, priced(c.Ref, a.Kind, ref.Model, c.Why))
				}
				if a.Missing != "" {
					out.Unreachable = append(out.Unreachable, missing{a.Kind, a.Missing})
				}
			}
			var names []string
			for name := range cfg.Models {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				ep := cfg.Models[name]
				rw := priced(name, ep.Provider, ep.Model, "defined in "+cfg.Path)
				if ep.Price != nil {
					rw.InputPrice, rw.OutputPrice = ep.Price.Input, ep.Price.Output
				}
				if ref, err := cfg.ParseRef(name); err == nil {
					if _, err := r.Resolve(ref); err != nil {
						rw.Why = "not usable: " + err.Error()
					}
				}
				out.Configured = append(out.Configured, rw)
			}
			for _, c := range r.Detect(cmd.Context(), 3) {
				out.DefaultPanel = append(out.DefaultPanel, c.Ref)
			}
			if len(cfg.Panel) > 0 {
				out.DefaultPanel = cfg.Panel
			}
			out.Models = r.KnownModels(cmd.Context())
			if out.Models == nil {
				out.Models = []models.Known{}
			}
			if format == "json" {
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
			price := func(rw row) string {
				if rw.InputPrice == 0 && rw.OutputPrice == 0 {
					return "-"
				}
				return fmt.Sprintf("$%.2f / $%.2f", rw.InputPrice, rw.OutputPrice)
			}
			ctxw := func(n int) string {
				if n == 0 {
					return "-"
				}
				return fmt.Sprintf("%dk", n/1000)
			}
			if len(out.Reachable) > 0 {
				fmt.Fprintln(tw, "REACHABLE\tPRICE IN/OUT PER MTOK\tCONTEXT\tWHY")
				for _, rw := range out.Reachable {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rw.Ref, price(rw), ctxw(rw.ContextWindow), rw.Why)
				}
				fmt.Fprintln(tw, "\t\t\t")
			}
			if len(out.Configured) > 0 {
				fmt.Fprintln(tw, "CONFIGURED\tPRICE IN/OUT PER MTOK\tCONTEXT\t")
				for _, rw := range out.Configured {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rw.Ref, price(rw), ctxw(rw.ContextWindow), rw.Why)
				}
				fmt.Fprintln(tw, "\t\t\t")
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(out.Unreachable) > 0 {
				fmt.Fprintln(io.Out, "NOT REACHABLE")
				for _, m := range out.Unreachable {
					fmt.Fprintf(io.Out, "  %-11s %s\n", m.Kind, m.Fix)
				}
			}
			if all {
				tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "\nKNOWN\tPRICE IN/OUT PER MTOK\tCONTEXT\tREACHABLE\tWHY")
				for _, k := range out.Models {
					rw := row{InputPrice: k.InputPrice, OutputPrice: k.OutputPrice}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", k.Ref, price(rw), ctxw(k.ContextWindow), k.Reachable, k.Reason)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(io.Out, "\n%d known models (parley models --all lists them)\n", len(out.Models))
			}
			if len(out.DefaultPanel) > 0 {
				fmt.Fprintf(io.Out, "\nDefault panel: %s\n", strings.Join(out.DefaultPanel, ", "))
			} else {
				fmt.Fprintf(io.Out, "\n%s\n", models.HowToConfigure)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "text (default) or json")
	cmd.Flags().BoolVar(&all, "all", false, "also list every known model of every provider, reachable or not")
	return cmd
}

// doctorPrompt is the tiny real call doctor makes.
const doctorPrompt = "This is a connectivity check from parley. Reply with the single word OK."

func newDoctorCmd(io IO) *cobra.Command {
	var modelsFlag, format string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check each configured or detected model with a tiny real call, and say how to fix what fails",
		Long: `doctor makes one tiny call ("Reply with the single word OK") to each model of the
panel (-m, else the config's panel, else every model auto-detection finds) and reports the
time it took, or the exact fix: a missing or refused key, a base URL that does not answer,
an agent CLI that is not logged in or too old. Exit 0 when every check passes, 1 when one
fails, 2 when nothing is configured.`,
		Example: "  parley doctor\n  parley doctor -m openai:gpt-5.5,cli:claude",
		Args:    exactArgs(0, "parley doctor"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(io.Env)
			if err != nil {
				return err
			}
			r := &models.Resolver{Config: cfg, Env: io.Env}
			refs := config.SplitList(modelsFlag)
			if len(refs) == 0 {
				refs = cfg.Panel
			}
			if len(refs) == 0 {
				for _, c := range r.Detect(cmd.Context(), 16) {
					refs = append(refs, c.Ref)
				}
			}
			if len(refs) == 0 {
				return &exitError{code: ExitUsage, err: errors.New(models.HowToConfigure)}
			}
			switch format {
			case "", "text", "json":
			default:
				return usageErr("parley doctor --format json", "unknown format %q for doctor (text or json)", format)
			}
			results := make([]checkResult, len(refs))
			var wg sync.WaitGroup
			for i, raw := range refs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = check(cmd.Context(), cfg, r, raw, timeout)
				}()
			}
			wg.Wait()
			nfail := 0
			for _, res := range results {
				if !res.OK {
					nfail++
				}
			}
			if format == "json" {
				if err := writeIndentedJSON(io, struct {
					Checks []checkResult `json:"checks"`
					Failed int           `json:"failed"`
				}{results, nfail}); err != nil {
					return err
				}
			} else {
				for _, res := range results {
					fmt.Fprintln(io.Out, res.text())
				}
			}
			if nfail > 0 {
				return &exitError{code: ExitNoVerdict, err: fmt.Errorf("%d of %d checks failed", nfail, len(refs))}
			}
			if format != "json" {
				fmt.Fprintf(io.Out, "\nAll %d models answered.\n", len(refs))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&modelsFlag, "models", "m", "", "check these model refs instead of the panel")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "per check")
	cmd.Flags().StringVar(&format, "format", "", "text (default) or json")
	return cmd
}

// checkResult is one model's check, as doctor prints it and as its JSON.
type checkResult struct {
	Ref          string `json:"ref"`
	OK           bool   `json:"ok"`
	TookMS       int64  `json:"took_ms"`
	Reply        string `json:"reply,omitempty"`
	InputTokens  int    `json:"input_tokens,omitempty"`
	OutputTokens int    `json:"output_tokens,omitempty"`
	Class        string `json:"class,omitempty"` // the failure's class (auth, connection, …)
	Error        string `json:"error,omitempty"`
	Fix          string `json:"fix,omitempty"`
	called       bool   // the call was made (else the ref did not resolve)
}

func (c checkResult) text() string {
	took := (time.Duration(c.TookMS) * time.Millisecond).String()
	switch {
	case c.OK:
		return fmt.Sprintf("✓ %s answered in %s: %q (%d tokens in, %d out)", c.Ref, took, c.Reply, c.InputTokens, c.OutputTokens)
	case !c.called:
		return fmt.Sprintf("✗ %s\n    %s", c.Ref, c.Error)
	}
	return fmt.Sprintf("✗ %s (%s)\n    %s\n    fix: %s", c.Ref, took, c.Error, c.Fix)
}

// check makes the tiny call for one ref.
func check(ctx context.Context, cfg *config.Config, r *models.Resolver, raw string, timeout time.Duration) checkResult {
	out := checkResult{Ref: raw}
	ref, err := cfg.ParseRef(raw)
	if err != nil {
		out.Error, out.Class, out.Fix = err.Error(), "config", "fix the model ref; parley models lists known ones"
		return out
	}
	res, err := r.Resolve(ref)
	if err != nil {
		out.Error, out.Class, out.Fix = err.Error(), "config", "see the message"
		return out
	}
	out.called = true
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	resp, err := res.Model.Generate(ctx, provider.Request{Prompt: doctorPrompt, MaxTokens: 256}, nil)
	out.TookMS = time.Since(start).Round(10 * time.Millisecond).Milliseconds()
	if err == nil && strings.TrimSpace(resp.Text) == "" {
		err = &provider.Error{Class: provider.ClassEmpty, Message: "the model answered nothing"}
	}
	if err != nil {
		pe := provider.Classify(err)
		if errors.Is(err, context.DeadlineExceeded) {
			pe = &provider.Error{Class: provider.ClassTimeout, Message: fmt.Sprintf("no answer within %s", timeout)}
		}
		out.Error, out.Class, out.Fix = provider.Redact(pe.Error(), res.Secret), string(pe.Class), fixFor(ref, pe)
		return out
	}
	reply := strings.Join(strings.Fields(resp.Text), " ")
	if r := []rune(reply); len(r) > 40 {
		reply = string(r[:40]) + "…"
	}
	out.OK, out.Reply, out.InputTokens, out.OutputTokens = true, reply, resp.Usage.InputTokens, resp.Usage.OutputTokens
	return out
}

// fixFor turns a failure class into the precise thing to do about it.
func fixFor(ref config.Ref, pe *provider.Error) string {
	keyVar := map[string]string{"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY", "openrouter": "OPENROUTER_API_KEY"}[ref.Provider]
	urlVar := map[string]string{"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL", "gemini": "GOOGLE_GEMINI_BASE_URL", "ollama": "OLLAMA_HOST"}[ref.Provider]
	cliName, _, _ := strings.Cut(ref.Model, "/")
	switch {
	case ref.Provider == "cli" && pe.Class == provider.ClassAuth:
		return fmt.Sprintf("the %s CLI is not logged in: run `%s` once and log in, then try again", cliName, cliName)
	case ref.Provider == "cli" && pe.Class == provider.ClassBadRequest:
		return fmt.Sprintf("the %s CLI refused the call; if it is old, update it (npm install -g …@latest) and check `%s --version`", cliName, cliName)
	case pe.Class == provider.ClassAuth && keyVar != "":
		return fmt.Sprintf("the key was refused: check %s (and that it belongs to this provider)", keyVar)
	case pe.Class == provider.ClassConnection && urlVar != "":
		return fmt.Sprintf("cannot reach the server: check %s and that the server is running", urlVar)
	case pe.Class == provider.ClassConnection:
		return "cannot reach the server: check the network and the base URL"
	case pe.Class == provider.ClassBadRequest:
		return "the request was refused: is the model name right? `parley models` lists known ones"
	case pe.Class == provider.ClassRateLimited:
		return "rate limited or out of quota: check the account's limits and billing"
	case pe.Class == provider.ClassTimeout:
		return "no answer in time: the server may be overloaded; try --timeout 3m"
	case pe.Class == provider.ClassServer:
		return "the provider had an internal error: try again later"
	}
	return "see the message above"
}
