package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/session"
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
	cfg, st, err := openLocal(ctx, io.Env, o.db)
	if err != nil {
		return err
	}
	defer st.Close()
	b := newMCPBackend(io, cfg, st, o.exclude)
	srv := mcpserver.New(mcpserver.Options{Run: b.run, Resume: b.resume, Models: modelsLister(io), Store: st, Alive: session.Alive, Version: Version()})
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
	svc   *session.Service
	store store.Store
}

func newMCPBackend(io IO, cfg *config.Config, st store.Store, exclude []string) *mcpBackend {
	return &mcpBackend{svc: &session.Service{Config: cfg, Env: io.Env, Exclude: exclude, ExcludedBy: "parley mcp --exclude / " + mcpExcludeEnv}, store: st}
}

func (b *mcpBackend) run(ctx context.Context, req mcpserver.Request, progress func(debate.Event)) (*debate.Record, error) {
	p, err := b.svc.Prepare(ctx, req)
	if err != nil {
		return nil, toolError(err)
	}
	return session.Run(ctx, p, session.NewRecorder(b.store, p, progress), nil)
}

// resume continues a stored debate for resume_debate, with the checks of
// `parley resume`; mcpserver has already refused finished and live ones, but the
// store is shared with other processes, so the claim decides.
func (b *mcpBackend) resume(ctx context.Context, id string, progress func(debate.Event)) (*debate.Record, error) {
	p, err := b.svc.Takeover(ctx, b.store, id)
	if err != nil {
		return nil, toolError(err)
	}
	return session.Run(ctx, p, session.NewRecorder(b.store, p, progress), nil)
}

// toolError turns the CLI's usage errors (message plus "Try:" hint) into one
// message for the calling agent.
func toolError(err error) error {
	var ie *session.InputError
	if errors.As(err, &ie) && ie.Hint != "" {
		return fmt.Errorf("%v\nTry: %s", ie.Err, ie.Hint)
	}
	return err
}
