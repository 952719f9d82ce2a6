package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/callcache"
	"github.com/parleyhq/parley/internal/session"
)

// replayMarker is the part of the store that records which debate a replay re-ran.
type replayMarker interface {
	MarkReplay(ctx context.Context, id, original string) error
}

var swapRE = regexp.MustCompile(`^([A-Z])=(\S+:\S+)$`)

func newReplayCmd(io IO) *cobra.Command {
	var db, format, output string
	var swaps []string
	var allowCalls, transcript bool
	var quiet optBool
	cmd := &cobra.Command{
		Use:   "replay ID",
		Short: "Re-run a stored debate from the call cache, optionally with one seat swapped, and diff the verdicts",
		Example: `  parley replay k3m9x2ab
  parley replay k3m9x2ab --swap B=anthropic:claude-sonnet-4-6 --allow-calls`,
		Args: exactArgs(1, "parley replay ID (see parley list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return replay(cmd.Context(), io, args[0], replayOptions{db: db, format: format, output: output, swaps: swaps, allowCalls: allowCalls, transcript: transcript, quiet: quiet})
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "the SQLite database (default $PARLEY_DB, else the user's data directory)")
	cmd.Flags().StringVar(&format, "format", "", "md, json or html")
	cmd.Flags().StringVarP(&output, "output", "o", "", "also write the replay's report to this file")
	cmd.Flags().StringArrayVar(&swaps, "swap", nil, "replace one seat's model, e.g. B=anthropic:claude-sonnet-4-6 (repeatable)")
	cmd.Flags().BoolVar(&allowCalls, "allow-calls", false, "call the model for calls the cache does not hold (they cost money)")
	quietFlag(cmd.Flags(), &quiet)
	cmd.Flags().BoolVar(&transcript, "transcript", false, "include every full answer in the Markdown report")
	return cmd
}

type replayOptions struct {
	db, format, output string
	swaps              []string
	allowCalls         bool
	transcript         bool
	quiet              optBool
}

func replay(ctx context.Context, io IO, id string, o replayOptions) error {
	cfg, f, st, err := openForOutput(ctx, io.Env, o.format, o.output, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	cache := callcache.Of(st)
	if cache == nil {
		return usageErr("use a SQLite database", "this database holds no call cache")
	}
	events, err := st.Events(ctx, id)
	if err != nil {
		return notFound(err, id)
	}
	if len(events) == 0 || events[0].Started == nil {
		return usageErr("parley list", "debate %s has no start event to replay", id)
	}
	started := events[0].Started
	recorded := append([]debate.Seat(nil), started.Panel...)
	refs := make([]string, len(started.Panel))
	for i, s := range started.Panel {
		refs[i] = s.Model
	}
	for _, sw := range o.swaps {
		m := swapRE.FindStringSubmatch(sw)
		if m == nil {
			return usageErr("--swap B=anthropic:claude-sonnet-4-6", "malformed --swap %q: want SEAT=provider:model", sw)
		}
		i := int(m[1][0] - 'A')
		if i >= len(refs) {
			return usageErr(fmt.Sprintf("--swap A=… to --swap %c=…", 'A'+len(refs)-1), "--swap %q: debate %s has no seat %s", sw, id, m[1])
		}
		refs[i] = m[2]
		recorded[i] = debate.Seat{} // a swapped seat runs with its own ref's settings
	}
	svc := &session.Service{Config: cfg, Env: io.Env}
	panel, resolved, err := svc.BuildPanel(ctx, refs, session.RecordedSettings(recorded))
	if err != nil {
		return err
	}
	mode, err := session.ResolveMode(started.Spec.Mode, io.Env)
	if started.Mode != nil {
		mode, err = *started.Mode, nil
	}
	if err != nil {
		return err
	}
	policy := callcache.ReplayOnly
	if o.allowCalls {
		policy = callcache.ReplayAllow
	}
	stats := &callcache.Stats{}
	spec := started.Spec
	if spec.Chair != "" && !session.ChairKnown(spec.Chair, panel) {
		// The chair was named by the model ref that a swap replaced: the seat keeps the chair.
		for i, s := range started.Panel {
			if s.Model == spec.Chair || s.Label == spec.Chair {
				spec.Chair = string(rune('A' + i))
			}
		}
	}
	d := debate.Debate{ID: debate.NewID(), Spec: spec, Mode: mode, Panel: callcache.Wrap(panel, cache, policy, stats), Price: session.Pricer(resolved)}
	if m, ok := st.(replayMarker); ok {
		if err := m.MarkReplay(ctx, d.ID, id); err != nil {
			return err
		}
	}
	runErr := execute(ctx, io, st, &session.Prepared{Debate: d, Secrets: session.SecretsOf(resolved)}, reportOptions{format: f, output: o.output, quiet: o.quiet.or(cfg.Quiet), transcript: o.transcript})
	after, err := st.Events(ctx, d.ID)
	if err != nil {
		return errors.Join(runErr, err)
	}
	orig, rep := debate.Replay(events), debate.Replay(after)
	fmt.Fprintf(io.Err, "\nReplay %s of %s: %d calls from the cache, %d made, %d missing.\n", d.ID, id,
		callcache.Total(stats.Hits), callcache.Total(stats.Calls), callcache.Total(stats.Misses))
	writeVerdictDiff(io.Err, orig, rep)
	if miss := firstMiss(rep); miss != "" {
		return usageErr("parley replay "+id+" --allow-calls", "replay %s: %s is not in the call cache", d.ID, miss)
	}
	return runErr
}

// firstMiss names the first turn (seat and round) that failed for want of a cached call.
func firstMiss(rec *debate.Record) string {
	isMiss := func(t debate.TurnRecord) bool {
		return !t.OK() && strings.Contains(t.Error, callcache.ErrMiss.Error())
	}
	for _, r := range rec.Rounds {
		for _, t := range r.Turns {
			if isMiss(t) {
				return fmt.Sprintf("seat %s's call in round %d", t.Seat, r.Number)
			}
		}
	}
	for _, t := range rec.ChairFailures {
		if isMiss(t) {
			return fmt.Sprintf("seat %s's verdict call", t.Seat)
		}
	}
	if rec.Error != "" && strings.Contains(rec.Error, callcache.ErrMiss.Error()) {
		return "a call (" + rec.Error + ")"
	}
	return ""
}

// writeVerdictDiff shows how the replay's verdict differs from the original's:
// the recommendation as a line diff, the confidence delta, and the flips.
func writeVerdictDiff(w io.Writer, orig, rep *debate.Record) {
	fmt.Fprintln(w, "\nVerdict diff (original → replay):")
	var a, b debate.Verdict
	if orig.Verdict != nil {
		a = *orig.Verdict
	}
	if rep.Verdict != nil {
		b = *rep.Verdict
	}
	// A unified diff of lines: a recommendation is prose, and go-cmp's diff of two
	// strings goes rune by rune.
	if a.Recommendation != b.Recommendation {
		d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(a.Recommendation + "\n"), B: difflib.SplitLines(b.Recommendation + "\n"),
			FromFile: "original", ToFile: "replay", Context: 2,
		})
		fmt.Fprintf(w, "  recommendation changed:\n%s", d)
	} else {
		fmt.Fprintln(w, "  recommendation: identical")
	}
	if a.Confidence != b.Confidence {
		fmt.Fprintf(w, "  confidence: %d → %d (%+d)\n", a.Confidence, b.Confidence, b.Confidence-a.Confidence)
	} else {
		fmt.Fprintf(w, "  confidence: %d (unchanged)\n", a.Confidence)
	}
	if d := cmp.Diff(orig.Flips, rep.Flips); d != "" {
		fmt.Fprintf(w, "  flips changed (-original +replay):\n%s", d)
	} else {
		fmt.Fprintf(w, "  flips: identical (%d)\n", len(orig.Flips))
	}
	if d := cmp.Diff(orig.Tally, rep.Tally); d != "" {
		fmt.Fprintf(w, "  vote tally changed (-original +replay):\n%s", d)
	}
}
