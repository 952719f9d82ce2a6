package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/callcache"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/store"
)

// mcpExcludeEnv names the variable that, like --exclude, keeps model refs out of
// auto-detected panels (comma-separated).
const mcpExcludeEnv = "PARLEY_MCP_EXCLUDE"

func newMCPCmd(io IO) *cobra.Command {
	var db string
	var exclude []string
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve parley as an MCP tool on stdio (Claude Code, Codex, Cursor, Gemini CLI)",
		Long: `mcp speaks the Model Context Protocol on stdin and stdout, so that a coding agent can
call parley as a tool: "debate" runs a debate (with a progress notification per finished
answer) and returns the verdict, "list_debates" and "get_debate" read past ones. Debates
go to the same database as the command line's, so "parley list", "show" and "resume"
see them. The agent starts this command itself; see docs/MCP.md for each agent's setup.

The panel is the caller's "models", else the config's panel, else auto-detected. When
the calling agent is itself one of the CLIs parley can debate through, keep it off
auto-detected panels with --exclude (or PARLEY_MCP_EXCLUDE), e.g. --exclude cli:claude
under Claude Code.`,
		Example: `  claude mcp add parley -- parley mcp --exclude cli:claude
  codex mcp add parley -- parley mcp --exclude cli:codex
  PARLEY_MCP_EXCLUDE=cli:gemini parley mcp`,
		Args: exactArgs(0, "parley mcp (it takes no arguments; see parley mcp --help)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if io.ErrTTY {
				// Someone started it by hand: say why it sits there silently. Never on
				// stdout, which belongs to the protocol.
				fmt.Fprintln(io.Err, "parley mcp: an MCP server on stdin/stdout, meant to be started by a coding agent (see docs/MCP.md). Ctrl-C stops it.")
			}
			o := mcpOptions{db: db, exclude: excludeList(exclude, io.Env(mcpExcludeEnv))}
			return serveMCP(cmd.Context(), io, o, stdioTransport(io))
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "the SQLite database (default $PARLEY_DB, else the user's data directory)")
	cmd.Flags().StringSliceVar(&exclude, "exclude", nil, "model refs to keep off auto-detected panels, e.g. cli:claude when Claude Code is the caller (also "+mcpExcludeEnv+")")
	return cmd
}

type mcpOptions struct {
	db      string   // --db
	exclude []string // --exclude and PARLEY_MCP_EXCLUDE
}

// serveMCP serves one MCP session over t with the configuration, database and
// providers of the environment in io, until the client leaves or ctx ends.
func serveMCP(ctx context.Context, io IO, o mcpOptions, t mcp.Transport) error {
	cfg, err := loadConfig(io.Env)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DBPath(o.db, io.Env))
	if err != nil {
		return err
	}
	defer st.Close()
	b := &mcpBackend{io: io, cfg: cfg, store: st, exclude: o.exclude}
	srv := mcpserver.New(mcpserver.Options{Run: b.run, Resume: b.resume, Models: modelsLister(io), Store: st, Alive: alive, Version: Version()})
	return srv.Serve(ctx, t)
}

// stdioTransport speaks the protocol over the command's streams: os.Stdin and
// os.Stdout in production, pipes in tests.
func stdioTransport(s IO) mcp.Transport {
	in, ok := s.In.(io.ReadCloser)
	if !ok {
		in = io.NopCloser(s.In)
	}
	// stdout is not closed when the session ends: the process may still report an
	// error on the way out, and closing it is the exit's job.
	return &mcp.IOTransport{Reader: in, Writer: nopWriteCloser{s.Out}}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// excludeList merges --exclude and the environment variable.
func excludeList(flag []string, env string) []string {
	var out []string
	for _, r := range append(flag, config.SplitList(env)...) {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// mcpBackend runs the MCP server's debates with the CLI's configuration, store and
// providers, exactly as `parley run` would.
type mcpBackend struct {
	io      IO
	cfg     *config.Config
	store   store.Store
	exclude []string
}

func (b *mcpBackend) run(ctx context.Context, req mcpserver.Request, progress func(debate.Event)) (*debate.Record, error) {
	mode, err := resolveMode(firstNonEmpty(req.Mode, b.cfg.Mode, "standard"), b.io.Env)
	if err != nil {
		return nil, toolError(err)
	}
	rounds := req.Rounds
	if rounds == 0 {
		rounds = b.cfg.Rounds
	}
	requested := req.Models
	if req.Panel != "" {
		named, ok := b.cfg.Panels[req.Panel]
		if !ok {
			return nil, fmt.Errorf("no panel %q in the config%s", req.Panel, knownPanels(b.cfg))
		}
		requested = named
	}
	refs, err := b.panelRefs(ctx, requested)
	if err != nil {
		return nil, toolError(err)
	}
	panel, resolved, err := buildPanel(ctx, refs, b.cfg, b.io, modeSettings(mode))
	if err != nil {
		return nil, toolError(err)
	}
	if len(req.Stances) > len(panel) {
		return nil, fmt.Errorf(`"stances" has %d entries for a panel of %d seats: give one per seat, in seat order`, len(req.Stances), len(panel))
	}
	for i, st := range req.Stances {
		panel[i].Seat.Stance = st
	}
	spec := debate.Spec{
		Problem:    req.Problem,
		Context:    req.Context,
		Files:      req.Files,
		Mode:       mode.Name,
		Rounds:     rounds,
		Timeout:    time.Duration(b.cfg.Timeout),
		MaxCostUSD: b.cfg.MaxCost,
		RetryBase:  retryBase(b.io.Env),
		Seed:       time.Now().UnixNano(),
	}
	// The configured chair applies when it sits on this panel; a caller that chose
	// its own models cannot be told to fix the config, so the mode's choice stands in.
	if b.cfg.Chair != "" && chairKnown(b.cfg.Chair, panel) {
		spec.Chair = b.cfg.Chair
	}
	d := debate.Debate{ID: debate.NewID(), Spec: spec, Mode: mode, Panel: callcache.Wrap(panel, callcache.Of(b.store), callcache.Record, nil), Price: pricer(resolved)}
	s := &sink{store: b.store, secrets: secretsOf(resolved), progress: progress, owner: me()}
	d.Redact = s.redact
	return b.runDebate(ctx, d, s)
}

// runDebate runs d and then lets go of it, as `parley run` does, so that
// resume_debate or `parley resume` can take an interrupted one up at once.
func (b *mcpBackend) runDebate(ctx context.Context, d debate.Debate, s *sink) (*debate.Record, error) {
	rec, err := debate.Run(ctx, d, s.emit)
	if rec != nil && rec.ID != "" && s.claimed {
		_ = b.store.Claim(context.WithoutCancel(ctx), rec.ID, s.owner, store.Owner{})
	}
	return rec, err
}

// resume continues a stored debate for resume_debate, with the checks of
// `parley resume`; mcpserver has already refused finished and live ones, but the
// store is shared with other processes, so the claim decides.
func (b *mcpBackend) resume(ctx context.Context, id string, progress func(debate.Event)) (*debate.Record, error) {
	sum, err := b.store.Get(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no debate with id %q; list_debates shows the ids", id)
		}
		return nil, err
	}
	switch sum.Status {
	case debate.StatusCompleted, debate.StatusDegraded, debate.StatusFailed:
		return nil, fmt.Errorf("debate %s is already %s; nothing to resume", id, sum.Status)
	}
	if sum.Status == debate.StatusRunning && alive(sum.Owner) {
		return nil, fmt.Errorf("debate %s is still running in process %d on %s; wait for it, or stop that process first", id, sum.Owner.PID, sum.Owner.Host)
	}
	events, err := b.store.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, s := range events[0].Started.Panel {
		refs = append(refs, s.Model)
	}
	panel, resolved, err := buildPanel(ctx, strings.Join(refs, ","), b.cfg, b.io)
	if err != nil {
		return nil, toolError(err)
	}
	if err := b.store.Claim(ctx, id, sum.Owner, me()); err != nil {
		return nil, fmt.Errorf("debate %s was taken up by another process: %v", id, err)
	}
	d := debate.Debate{Panel: callcache.Wrap(panel, callcache.Of(b.store), callcache.Record, nil), Log: events, Price: pricer(resolved)}
	s := &sink{store: b.store, secrets: secretsOf(resolved), progress: progress, owner: me(), claimed: true}
	return b.runDebate(ctx, d, s)
}

// panelRefs is the -m value for buildPanel: the caller's models (or named panel); else "" so that
// buildPanel takes the config's panel or detects one, except when refs are excluded
// and no panel is configured: then the detection is done here, without them.
func (b *mcpBackend) panelRefs(ctx context.Context, requested []string) (string, error) {
	if len(requested) > 0 {
		return strings.Join(requested, ","), nil
	}
	if len(b.cfg.Panel) > 0 || len(b.exclude) == 0 {
		return "", nil
	}
	r := &models.Resolver{Config: b.cfg, Env: b.io.Env}
	var refs []string
	// Ask for every candidate, not the first 3: an excluded one must not take the
	// place of another that would have been picked.
	for _, c := range r.Detect(ctx, 26) {
		if !b.excluded(c.Ref) {
			refs = append(refs, c.Ref)
		}
		if len(refs) == 3 {
			break
		}
	}
	switch len(refs) {
	case 0:
		return "", &exitError{code: ExitUsage, err: fmt.Errorf("%s\n(parley mcp leaves out %s: --exclude / %s)", models.HowToConfigure, strings.Join(b.exclude, ", "), mcpExcludeEnv)}
	case 1:
		refs = append(refs, refs[0]) // as buildPanel does: two seats of the one model, labelled and warned about
	}
	return strings.Join(refs, ","), nil
}

// excluded matches a ref or any model of it: cli:claude also excludes cli:claude/opus.
func (b *mcpBackend) excluded(ref string) bool {
	for _, x := range b.exclude {
		if ref == x || strings.HasPrefix(ref, x+"/") {
			return true
		}
	}
	return false
}

// toolError turns the CLI's usage errors (message plus "Try:" hint) into one
// message for the calling agent.
func toolError(err error) error {
	var ee *exitError
	if errors.As(err, &ee) && ee.hint != "" {
		return fmt.Errorf("%v\nTry: %s", ee.err, ee.hint)
	}
	return err
}
