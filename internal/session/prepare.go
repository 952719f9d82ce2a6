package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/provider"
)

// Service prepares debates from one configuration and environment.
type Service struct {
	Config *config.Config
	Env    config.Env
	// Exclude are model refs kept off auto-detected panels (a ref also excludes
	// its sub-models: cli:claude excludes cli:claude/opus), and ExcludedBy names
	// the setting that asked for it, for the error when nothing is left.
	Exclude    []string
	ExcludedBy string
}

// Prepared is a debate ready to run, with what recording it needs.
type Prepared struct {
	Debate debate.Debate
	// Secrets are the credentials its seats use: the recorder scrubs them from
	// every event, so they never reach the store, a report or a log.
	Secrets []string
	// Owner is the claim Takeover made for this process; zero for a new debate,
	// which its debate_started event claims.
	Owner store.Owner
}

// Prepare builds the new debate req asks for.
func (s *Service) Prepare(ctx context.Context, req Request) (*Prepared, error) {
	cfg := s.Config
	if strings.TrimSpace(req.Problem) == "" {
		return nil, input(`parley "Should we start with Redis caching, indexes or query optimization?"`, "the problem is empty")
	}
	mode, err := ResolveMode(firstNonEmpty(req.Mode, cfg.Mode, "standard"), s.Env)
	if err != nil {
		return nil, err
	}
	rounds := req.Rounds
	if rounds == 0 {
		rounds = cfg.Rounds
	}
	if rounds < 0 {
		return nil, input("--rounds 3", "--rounds must be at least 1")
	}
	requested := req.Models
	if req.Panel != "" {
		if len(req.Models) > 0 {
			return nil, input("use one of -m and --panel", "both -m and --panel name the panel")
		}
		named, ok := cfg.Panels[req.Panel]
		if !ok {
			return nil, input("define it under panels: in the config, or see `parley config show`", "no panel %q in the config%s", req.Panel, knownPanels(cfg))
		}
		requested = named
	}
	refs, err := s.panelRefs(ctx, requested)
	if err != nil {
		return nil, err
	}
	panel, resolved, err := s.BuildPanel(ctx, refs, ModeSettings(mode))
	if err != nil {
		return nil, err
	}
	if len(req.Stances) > len(panel) {
		return nil, input("give one stance per seat, in seat order", `"stances" has %d entries for a panel of %d seats`, len(req.Stances), len(panel))
	}
	for i, st := range req.Stances {
		panel[i].Seat.Stance = st
	}
	timeout := req.Timeout
	if timeout == 0 {
		timeout = time.Duration(cfg.Timeout)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--timeout", timeout}, {"--seat-deadline", req.SeatDeadline}, {"--deadline", req.Deadline}} {
		if d.v < 0 {
			return nil, input("give a positive duration such as 90s or 10m", "%s %s is negative", d.flag, d.v)
		}
	}
	maxCost := req.MaxCostUSD
	if maxCost == 0 {
		maxCost = cfg.MaxCost
	}
	spec := debate.Spec{
		Problem:          strings.TrimSpace(req.Problem),
		Context:          req.Context,
		Attachments:      req.Attachments,
		Files:            req.Files,
		Mode:             mode.Name,
		Rounds:           rounds,
		Chair:            req.Chair,
		Timeout:          timeout,
		MaxCostUSD:       maxCost,
		SeatDeadline:     req.SeatDeadline,
		Deadline:         req.Deadline,
		RetryFailedSeats: req.RetryFailedSeats,
		RetryBase:        RetryBase(s.Env),
		Seed:             time.Now().UnixNano(),
	}
	switch {
	case spec.Chair != "" && !ChairKnown(spec.Chair, panel):
		return nil, input("name a seat letter (A, B, …) or one of the panel's model refs", "--chair %q is not on the panel", spec.Chair)
	case spec.Chair == "" && cfg.Chair != "" && ChairKnown(cfg.Chair, panel):
		// The configured chair applies when it sits on this panel; a caller that
		// chose other models cannot be told to fix the config, so the mode's
		// choice stands in.
		spec.Chair = cfg.Chair
	}
	d := debate.Debate{ID: debate.NewID(), Spec: spec, Mode: mode, Panel: panel, Price: Pricer(resolved)}
	return &Prepared{Debate: d, Secrets: SecretsOf(resolved)}, nil
}

// Rebuild prepares a stored debate to go on from its log: the same models with
// the settings each seat ran with (the config's current ones underneath).
func (s *Service) Rebuild(ctx context.Context, events []debate.Event) (*Prepared, error) {
	if len(events) == 0 || events[0].Started == nil {
		return nil, errors.New("the debate's log has no debate_started event")
	}
	started := events[0].Started
	var refs []string
	for _, seat := range started.Panel {
		refs = append(refs, seat.Model)
	}
	panel, resolved, err := s.BuildPanel(ctx, refs, RecordedSettings(started.Panel))
	if err != nil {
		return nil, err
	}
	d := debate.Debate{Panel: panel, Log: events, Price: Pricer(resolved)}
	return &Prepared{Debate: d, Secrets: SecretsOf(resolved)}, nil
}

// panelRefs is the refs BuildPanel gets: the caller's; else none so that BuildPanel
// takes the config's panel or detects one, except when refs are excluded and no
// panel is configured: then the detection is done here, without them.
func (s *Service) panelRefs(ctx context.Context, requested []string) ([]string, error) {
	if len(requested) > 0 || len(s.Config.Panel) > 0 || len(s.Exclude) == 0 {
		return requested, nil
	}
	r := &models.Resolver{Config: s.Config, Env: s.Env}
	var refs []string
	// Ask for every candidate, not the first 3: an excluded one must not take the
	// place of another that would have been picked.
	for _, c := range r.Detect(ctx, 26) {
		if !s.excluded(c.Ref) {
			refs = append(refs, c.Ref)
		}
		if len(refs) == 3 {
			break
		}
	}
	switch len(refs) {
	case 0:
		return nil, &InputError{Err: fmt.Errorf("%s\n(%s leaves out %s)", models.HowToConfigure, s.ExcludedBy, strings.Join(s.Exclude, ", "))}
	case 1:
		refs = append(refs, refs[0]) // as BuildPanel does: two seats of the one model, labelled and warned about
	}
	return refs, nil
}

func (s *Service) excluded(ref string) bool {
	for _, x := range s.Exclude {
		if ref == x || strings.HasPrefix(ref, x+"/") {
			return true
		}
	}
	return false
}

// BuildPanel resolves the refs into seats A, B, C … . No refs
// take the config's panel, else detect up to three reachable models. The same
// model in two seats is allowed and labelled honestly (#1, #2).
//
// seatLayers, when given, add settings to each seat between the config's and the
// ref's own: the mode's (ModeSettings), or a stored debate's (RecordedSettings).
func (s *Service) BuildPanel(ctx context.Context, given []string, seatLayers ...func(seat int) ([]config.Layer, error)) ([]debate.Participant, []models.Resolved, error) {
	cfg := s.Config
	var refs []string
	for _, ref := range given {
		if ref = strings.TrimSpace(ref); ref != "" {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		refs = cfg.Panel
	}
	r := &models.Resolver{Config: cfg, Env: s.Env}
	if len(refs) == 0 {
		for _, c := range r.Detect(ctx, 3) {
			refs = append(refs, c.Ref)
		}
		if len(refs) == 1 {
			refs = append(refs, refs[0]) // one reachable model: two seats of it, labelled and warned about
		}
	}
	if len(refs) == 0 {
		return nil, nil, &InputError{Err: errors.New(models.HowToConfigure)}
	}
	if len(refs) < debate.Quorum {
		return nil, nil, input("-m openai:gpt-5.5,anthropic:claude-sonnet-4-6", "a debate needs at least 2 models, got %d (%s)", len(refs), strings.Join(refs, ", "))
	}
	if len(refs) > 26 {
		return nil, nil, input("use fewer models", "at most 26 seats, got %d", len(refs))
	}
	count := map[string]int{}
	for _, ref := range refs {
		count[ref]++
	}
	seen := map[string]int{}
	var panel []debate.Participant
	var resolved []models.Resolved
	for i, raw := range refs {
		var layers []config.Layer
		for _, f := range seatLayers {
			l, err := f(i)
			if err != nil {
				return nil, nil, input("parley models", "seat %c (%s): %v", 'A'+i, raw, err)
			}
			layers = append(layers, l...)
		}
		ref, res, err := ResolveRef(cfg, r, raw, layers...)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				ie.Err = fmt.Errorf("seat %c: %w", 'A'+i, ie.Err)
			}
			return nil, nil, err
		}
		seat := debate.Seat{Seat: string(rune('A' + i)), Model: ref.Raw, Persona: res.Persona, Temperature: res.Temperature, Settings: res.Settings.String(), ContextWindow: res.ContextWindow}
		if count[raw] > 1 {
			seen[raw]++
			seat.Label = fmt.Sprintf("%s#%d", raw, seen[raw])
		}
		panel = append(panel, debate.Participant{Seat: seat, Model: res.Model})
		resolved = append(resolved, res)
	}
	return panel, resolved, nil
}

// ResolveRef parses and resolves one model ref; its errors are InputErrors.
func ResolveRef(cfg *config.Config, r *models.Resolver, s string, layers ...config.Layer) (config.Ref, models.Resolved, error) {
	ref, err := cfg.ParseRef(s)
	if err != nil {
		return config.Ref{}, models.Resolved{}, input("parley models", "%v", err)
	}
	res, err := r.ResolveSeat(ref, layers...)
	if err != nil {
		return config.Ref{}, models.Resolved{}, input("parley models", "%v", err)
	}
	return ref, res, nil
}

// ResolveMode finds a built-in mode, else a user mode in the config directory.
func ResolveMode(name string, env config.Env) (debate.Mode, error) {
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
		return debate.Mode{}, input("parley modes", "unknown mode %q (built-in: %s; user modes live in %s)", name, strings.Join(names, ", "), filepath.Dir(path))
	}
	defer f.Close()
	m, err := debate.ParseMode(f, path)
	if err != nil {
		return debate.Mode{}, input("fix the mode file", "%v", err)
	}
	return m, nil
}

// knownPanels is the config's panel names, for an error message.
func knownPanels(cfg *config.Config) string {
	var names []string
	for n := range cfg.Panels {
		names = append(names, n)
	}
	if len(names) == 0 {
		return " (it defines none)"
	}
	sort.Strings(names)
	return " (it defines: " + strings.Join(names, ", ") + ")"
}

// ChairKnown says whether chair names a seat of the panel (letter, ref or label).
func ChairKnown(chair string, panel []debate.Participant) bool {
	for _, p := range panel {
		if p.Seat.Seat == chair || p.Seat.Model == chair || p.Seat.Label == chair {
			return true
		}
	}
	return false
}

// Pricer prices a seat's usage with its resolved model's prices.
func Pricer(resolved []models.Resolved) func(debate.Seat, provider.Usage) float64 {
	bySeat := map[string]models.Resolved{}
	for i, r := range resolved {
		bySeat[string(rune('A'+i))] = r
	}
	return func(s debate.Seat, u provider.Usage) float64 { return bySeat[s.Seat].Cost(u) }
}

// SecretsOf are the resolved seats' credentials worth scrubbing.
func SecretsOf(resolved []models.Resolved) []string {
	var out []string
	for _, r := range resolved {
		if len(r.Secret) >= 4 && !slices.Contains(out, r.Secret) {
			out = append(out, r.Secret)
		}
	}
	return out
}

// RetryBase is PARLEY_RETRY_BASE, the first back-off of a retried call (tests
// shorten it); 0 is the engine's default.
func RetryBase(env config.Env) time.Duration {
	if v := env("PARLEY_RETRY_BASE"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return 0
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
