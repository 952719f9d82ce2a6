// Package mcpserver makes parley callable from coding agents (Claude Code, Codex,
// Cursor, Gemini CLI) as an MCP server: a `debate` tool that runs a debate with
// progress notifications per finished turn, and `list_debates` and `get_debate`
// over the stored ones.
//
// The package knows nothing of configuration, providers or SQL: the caller hands it
// a function that runs one debate and the store to read from, so the protocol side
// is tested with fakes and the CLI wires in the real thing (internal/cli/mcp.go).
package mcpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/store"
)

// Request is what a caller of the debate tool asked for: the one Request of every
// front end (internal/session). Empty fields mean "the configured default". The
// tool reads the files the caller named from the workspace, cut to FilesBudget,
// into Files; Stances are per-seat, in seat order.
type Request = session.Request

// RunFunc runs one new debate. It calls progress, in order, with every event the
// debate emits once the event is durable. An error returned with no Record (or one
// without an ID) means nothing was started: bad input or configuration, and its
// message is shown to the caller as it is, so it must be written for them and carry
// no secret. When ctx ends it returns the Record and debate.ErrInterrupted, with
// the debate stored as interrupted.
type RunFunc func(ctx context.Context, req Request, progress func(debate.Event)) (*debate.Record, error)

// Store is the part of the debate store the read-only tools need.
type Store interface {
	List(ctx context.Context, opts store.ListOptions) ([]store.Summary, error)
	Get(ctx context.Context, id string) (store.Summary, error)
	Events(ctx context.Context, id string) ([]debate.Event, error)
}

// Options configure a Server.
type Options struct {
	// Run runs the debate tool's debates. Required.
	Run RunFunc
	// Store answers list_debates and get_debate. Required.
	Store Store
	// Alive, when set, reports whether a debate's owner process still runs, so that
	// get_debate can tell a debate abandoned mid-run (resumable) from a live one.
	Alive func(store.Owner) bool
	// Resume continues an interrupted debate (resume_debate); nil leaves the tool out.
	Resume ResumeFunc
	// Models lists the reachable models (list_models); nil leaves the tool out.
	Models func(ctx context.Context) (any, error)
	// Version is reported to clients as the server's version.
	Version string
	// Workspace is the directory the "files" argument is read from when the
	// caller gives no "workspace"; "" is the process's working directory.
	Workspace string
	// Confine keeps a caller's "workspace" inside Workspace. Over stdio the caller
	// is the user's own agent and may name any directory; over HTTP it is whoever
	// holds the token, who must not read the server's files beyond the workspace.
	Confine bool
}

// Server is parley's MCP server. Serve it once per session.
type Server struct {
	opts Options
	mcp  *mcp.Server

	mu   sync.Mutex
	life context.Context // Serve's context: running debates stop when it ends

	jobs jobs // start_debate's background debates
}

// New builds the server and its tools.
func New(opts Options) *Server {
	if opts.Run == nil || opts.Store == nil {
		panic("mcpserver.New: Run and Store are required")
	}
	version := opts.Version
	if version == "" {
		version = "devel"
	}
	s := &Server{opts: opts, jobs: jobs{m: map[string]*job{}}}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "parley", Title: "parley: a panel of models debates, a chair gives the verdict", Version: version}, &mcp.ServerOptions{
		Instructions: Instructions,
	})
	mcp.AddTool(s.mcp, debateTool(), s.debate)
	mcp.AddTool(s.mcp, listTool(), s.list)
	mcp.AddTool(s.mcp, getTool(), s.get)
	mcp.AddTool(s.mcp, startTool(), s.start)
	mcp.AddTool(s.mcp, idTool("debate_status", "Progress of a parley debate", "Where a debate started with start_debate (or any stored one) stands: status, round, model calls done of planned, each seat's state in the current round with its latest position and confidence, cost so far. Only reads; returns at once.", true), s.status)
	mcp.AddTool(s.mcp, idTool("debate_result", "Result of a parley debate", "The debate's result once it is done: the report as Markdown and the JSON result as structured content, as the debate tool returns them. While it still runs: {\"status\": \"pending\"} at once, never waiting.", true), s.result)
	mcp.AddTool(s.mcp, idTool("cancel_debate", "Stop a running parley debate", "Stop a debate this server runs (from start_debate or resume_debate). Every finished turn is kept; resume_debate continues it.", false), s.cancelDebate)
	if opts.Resume != nil {
		mcp.AddTool(s.mcp, idTool("resume_debate", "Resume an interrupted parley debate", "Continue an interrupted debate (or one whose process died) in the background, without redoing finished turns, like `parley resume ID`. Returns at once; follow it with debate_status and debate_result.", false), s.resume)
	}
	if opts.Models != nil {
		mcp.AddTool(s.mcp, modelsTool(), s.listModels)
	}
	return s
}

// Serve answers one client over t until the client goes away or ctx ends. Debates
// still running then are interrupted and stored as such, resumable with
// `parley resume ID`. It returns nil on either kind of ending.
func (s *Server) Serve(ctx context.Context, t mcp.Transport) error {
	ctx, stop := context.WithCancel(ctx)
	s.mu.Lock()
	s.life = ctx
	s.mu.Unlock()
	err := s.mcp.Run(ctx, t)
	// The session is over: background debates have nobody left to report to, so
	// they are interrupted (resumable) and waited for, to be stored as such.
	stop()
	s.jobs.wg.Wait()
	switch {
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return nil
	case errors.Is(err, io.ErrClosedPipe) || errors.Is(err, syscall.EPIPE):
		// The client went away while an answer was on its way: the same ending as
		// its closing stdin, and nobody is left to tell.
		return nil
	}
	return err
}

// handlerContext ties a tool call to the server's lifetime as well as to the
// client's cancellation. The SDK cancels a call when the client cancels it or the
// connection breaks, but on shutdown it waits for calls to finish instead, and a
// debate can take many minutes.
func (s *Server) handlerContext(ctx context.Context) (context.Context, func()) {
	s.mu.Lock()
	life := s.life
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	if life == nil {
		return ctx, cancel
	}
	stop := context.AfterFunc(life, cancel)
	return ctx, func() { stop(); cancel() }
}

// DebateInput is the debate tool's arguments.
type DebateInput struct {
	Problem string   `json:"problem"`
	Models  []string `json:"models,omitempty"`
	Panel   string   `json:"panel,omitempty"`
	Mode    string   `json:"mode,omitempty"`
	Rounds  int      `json:"rounds,omitempty"`
	Context string   `json:"context,omitempty"`
	// Files are paths of text files parley reads and quotes to every seat,
	// relative to Workspace (or absolute inside it).
	Files     []string `json:"files,omitempty"`
	Workspace string   `json:"workspace,omitempty"`
	Stances   []string `json:"stances,omitempty"`
}

func debateTool() *mcp.Tool {
	// The built-in modes with what each does, so that an agent can pick one when
	// the user asks for "a quick check" or "a real fight".
	var modes []string
	for _, m := range debate.BuiltinModes() {
		modes = append(modes, m.Name+" ("+strings.TrimSuffix(m.Description, ".")+")")
	}
	return &mcp.Tool{
		Name:        "debate",
		Title:       "Debate a hard question with a panel of models",
		Description: DebateDescription,
		InputSchema: &jsonschema.Schema{
			Type:     "object",
			Required: []string{"problem"},
			Properties: map[string]*jsonschema.Schema{
				"problem":   {Type: "string", Description: "The question or decision, self-contained: the panel sees nothing of your conversation or files."},
				"context":   {Type: "string", Description: "What you already know that the panel needs: constraints, code excerpts, measurements, what was tried and what happened. Quoted to every participant as user-provided material."},
				"models":    {Type: "array", Items: &jsonschema.Schema{Type: "string"}, Description: "Model refs for the panel, e.g. [\"openai:gpt-5\", \"anthropic:claude-sonnet-4-5\", \"cli:gemini\"]. Leave it out to use the user's configured or auto-detected panel (recommended)."},
				"panel":     {Type: "string", Description: "A named panel from the user's parley config (its panels: section), instead of models. Only when the user names one."},
				"mode":      {Type: "string", Description: "Debate mode; leave it out for the user's default (standard). Built-in: " + strings.Join(modes, "; ") + ". The user may have modes of their own."},
				"rounds":    {Type: "integer", Minimum: ptr(1.0), Description: "Cap on the number of rounds; leave it out for the mode's own."},
				"files":     {Type: "array", Items: &jsonschema.Schema{Type: "string"}, MaxItems: ptr(MaxFiles), Description: fmt.Sprintf("Text files the panel should read, e.g. [\"internal/db/query.go\", \"docs/ADR-7.md\"]: parley reads them itself (up to %d KB together; longer ones are cut, binary ones refused) and quotes each to every seat. Paths are relative to \"workspace\"; none may lie outside it.", FilesBudget/1000)},
				"workspace": {Type: "string", Description: "Absolute path of the project directory the \"files\" are read from; default: the directory parley was started in."},
				"stances":   {Type: "array", Items: &jsonschema.Schema{Type: "string", MaxLength: ptr(MaxStance)}, Description: "A stance per seat, in seat order (the order of \"models\"): \"for\", \"against\", \"neutral\", or a short instruction of your own such as \"argue for rewriting in Rust\"; \"\" leaves a seat free. Use it to force a real argument for and against a proposal; leave it out otherwise."},
			},
		},
		OutputSchema: recordSchema(),
		Annotations: &mcp.ToolAnnotations{
			Title:           "Debate a hard question with a panel of models",
			ReadOnlyHint:    false,
			DestructiveHint: ptr(false), // it only adds a debate to parley's own database
			IdempotentHint:  false,
			OpenWorldHint:   ptr(true), // it calls model providers
		},
	}
}

// recordSchema describes the CONTRACT's JSON result: its stable keys, loosely, so
// that keys added later never break a client that validates.
func recordSchema() *jsonschema.Schema {
	// Each property needs a schema of its own: the validator wants a tree.
	str := func() *jsonschema.Schema { return &jsonschema.Schema{Type: "string"} }
	return &jsonschema.Schema{
		Type:     "object",
		Required: []string{"id", "status", "problem", "mode", "panel", "rounds"},
		Properties: map[string]*jsonschema.Schema{
			"id":              str(),
			"status":          {Type: "string", Enum: []any{"completed", "degraded", "failed", "interrupted", "running"}},
			"problem":         str(),
			"mode":            str(),
			"panel":           {Type: "array", Items: &jsonschema.Schema{Type: "object"}},
			"rounds":          {Type: "array", Items: &jsonschema.Schema{Type: "object"}},
			"verdict":         {Types: []string{"object", "null"}},
			"baseline":        {Types: []string{"object", "null"}},
			"flips":           {Types: []string{"array", "null"}},
			"stopped_because": str(),
			"usage":           {Type: "object"},
			"duration_ms":     {Type: "integer"},
		},
	}
}

func (s *Server) debate(ctx context.Context, req *mcp.CallToolRequest, in DebateInput) (*mcp.CallToolResult, any, error) {
	r, err := s.request(in)
	if err != nil {
		return nil, nil, err
	}
	ctx, done := s.handlerContext(ctx)
	defer done()

	var progress func(debate.Event)
	if tok := req.Params.GetProgressToken(); tok != nil {
		progress = newProgress(func(p float64, total float64, msg string) {
			// Progress is best effort: a client that cannot take it must not stop
			// the debate, and the result carries everything anyway.
			_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: p, Total: total, Message: msg})
		}).event
	}
	rec, err := s.opts.Run(ctx, r, progress)
	switch {
	case rec == nil || rec.ID == "":
		if err == nil {
			err = errors.New("the debate did not start")
		}
		return nil, nil, err
	case errors.Is(err, debate.ErrInterrupted):
		return nil, nil, fmt.Errorf("debate %s was interrupted; every finished turn is stored. Continue it with `parley resume %s`", rec.ID, rec.ID)
	case err != nil:
		return nil, nil, fmt.Errorf("debate %s stopped: %v. What finished is stored; continue it with `parley resume %s`", rec.ID, err, rec.ID)
	}
	return recordResult(rec, false, noVerdictNote(rec))
}

// MaxStance bounds one seat's stance, in bytes.
const MaxStance = 500

// request checks the arguments and reads the files, with messages for the caller.
func (s *Server) request(in DebateInput) (Request, error) {
	r, err := in.request()
	if err != nil {
		return Request{}, err
	}
	for i, st := range in.Stances {
		st = strings.TrimSpace(st)
		if len(st) > MaxStance {
			return Request{}, fmt.Errorf(`"stances"[%d] is %d bytes long; keep a stance under %d ("for", "against", "neutral" or one sentence)`, i, len(st), MaxStance)
		}
		r.Stances = append(r.Stances, st)
	}
	if len(r.Stances) > 0 && len(r.Models) > 0 && len(r.Stances) > len(r.Models) {
		return Request{}, fmt.Errorf(`"stances" has %d entries for %d models: give one per seat, in the order of "models"`, len(r.Stances), len(r.Models))
	}
	if len(in.Files) == 0 {
		if strings.TrimSpace(in.Workspace) != "" {
			return Request{}, errors.New(`"workspace" is only used with "files": name the files the panel should read`)
		}
		return r, nil
	}
	root, err := s.workspace(in.Workspace)
	if err != nil {
		return Request{}, err
	}
	for i, f := range in.Files {
		if strings.TrimSpace(f) == "" {
			return Request{}, fmt.Errorf(`"files"[%d] is empty: give paths relative to the workspace, e.g. "src/main.go"`, i)
		}
	}
	if r.Files, err = readFiles(root, in.Files); err != nil {
		return Request{}, err
	}
	return r, nil
}

// workspace is the root the files are read from: the caller's, else the server's.
func (s *Server) workspace(given string) (string, error) {
	base := s.opts.Workspace
	if base == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("no workspace: %v", err)
		}
		base = wd
	}
	base, err := filepath.Abs(base)
	if err != nil {
		return "", err
	}
	given = strings.TrimSpace(given)
	if given == "" {
		return base, nil
	}
	if !filepath.IsAbs(given) {
		return "", fmt.Errorf(`"workspace" must be an absolute path, got %q`, given)
	}
	given = filepath.Clean(given)
	if s.opts.Confine {
		if rel, err := filepath.Rel(base, given); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", fmt.Errorf(`"workspace" %s is outside this server's workspace %s; give a directory inside it, or leave "workspace" out`, given, base)
		}
	}
	if fi, err := os.Stat(given); err != nil || !fi.IsDir() {
		return "", fmt.Errorf(`"workspace" %s is not a directory here; give the project directory as an absolute path`, given)
	}
	return given, nil
}

// request checks the arguments the schema cannot, with messages for the caller.
func (in DebateInput) request() (Request, error) {
	r := Request{Problem: strings.TrimSpace(in.Problem), Panel: strings.TrimSpace(in.Panel), Mode: strings.TrimSpace(in.Mode), Rounds: in.Rounds, Context: strings.TrimSpace(in.Context)}
	if r.Problem == "" {
		return Request{}, errors.New(`"problem" is required: the question or decision to debate, written so that it stands on its own`)
	}
	if in.Rounds < 0 {
		return Request{}, fmt.Errorf(`"rounds" must be at least 1, got %d (leave it out for the mode's own number)`, in.Rounds)
	}
	for i, m := range in.Models {
		m = strings.TrimSpace(m)
		if m == "" {
			return Request{}, fmt.Errorf(`"models"[%d] is empty: give model refs such as "openai:gpt-5", or leave "models" out for the configured panel`, i)
		}
		r.Models = append(r.Models, m)
	}
	if len(r.Models) > 0 && r.Panel != "" {
		return Request{}, errors.New(`give either "models" or "panel", not both`)
	}
	return r, nil
}

// noVerdictNote is what the result says first when the debate ended without a
// verdict; the report's own "No verdict" section says why.
func noVerdictNote(rec *debate.Record) string {
	if rec.Status == debate.StatusCompleted {
		return ""
	}
	if rec.Status == debate.StatusDegraded && rec.Verdict != nil {
		return fmt.Sprintf("Degraded verdict: %s. Weigh it as one model's answer, not a panel's.\n\n", rec.Verdict.Degraded)
	}
	return fmt.Sprintf("No verdict: this debate %s (stopped: %s). Do not present it as a decision; the report below shows why and what each participant said.\n\n", rec.Status, rec.StoppedBecause)
}

// recordResult renders a Record as the tools answer: the Markdown report as text for
// the model to read, the CONTRACT's JSON result as structured content. A debate
// without a verdict is flagged as an error so that an agent does not act on it.
func recordResult(rec *debate.Record, transcript bool, note string) (*mcp.CallToolResult, any, error) {
	var md bytes.Buffer
	md.WriteString(note)
	if err := report.Markdown(&md, rec, report.Options{Transcript: transcript}); err != nil {
		return nil, nil, err
	}
	res := &mcp.CallToolResult{
		Content: []mcp.Content{&mcp.TextContent{Text: md.String()}},
		IsError: note != "" && rec.Verdict == nil, // a degraded verdict is still an answer
	}
	return res, rec, nil
}

// ListInput is list_debates' arguments.
type ListInput struct {
	Limit  int    `json:"limit,omitempty"`
	Status string `json:"status,omitempty"`
}

// DefaultListLimit keeps an agent's context small when it does not say how many.
const DefaultListLimit = 20

// Summary is one row of list_debates, as `parley list --format json` prints it.
type Summary = store.Row

// ListOutput is list_debates' structured content: MCP wants an object there.
type ListOutput struct {
	Debates []Summary `json:"debates"`
}

func listTool() *mcp.Tool {
	return &mcp.Tool{
		Name:        "list_debates",
		Title:       "List past parley debates",
		Description: "Past parley debates, newest first: id, status, problem, mode and created_at of each (the same rows as `parley list --format json`). Use an id with get_debate.",
		InputSchema: &jsonschema.Schema{
			Type: "object",
			Properties: map[string]*jsonschema.Schema{
				"limit":  {Type: "integer", Minimum: ptr(1.0), Description: fmt.Sprintf("At most this many (default %d).", DefaultListLimit)},
				"status": {Type: "string", Enum: []any{"completed", "degraded", "failed", "interrupted", "running"}, Description: "Only debates with this status."},
			},
		},
		Annotations: &mcp.ToolAnnotations{Title: "List past parley debates", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}
}

func (s *Server) list(ctx context.Context, _ *mcp.CallToolRequest, in ListInput) (*mcp.CallToolResult, ListOutput, error) {
	limit := in.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	rows, err := s.opts.Store.List(ctx, store.ListOptions{Limit: limit, Status: debate.Status(in.Status)})
	if err != nil {
		return nil, ListOutput{}, fmt.Errorf("reading the debates: %w", err)
	}
	out := ListOutput{Debates: store.Rows(rows)}
	// The text is the array alone, exactly like `parley list --format json`.
	text, err := marshalIndent(out.Debates)
	if err != nil {
		return nil, ListOutput{}, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, out, nil
}

// GetInput is get_debate's arguments.
type GetInput struct {
	ID         string `json:"id"`
	Transcript bool   `json:"transcript,omitempty"`
}

func getTool() *mcp.Tool {
	return &mcp.Tool{
		Name:        "get_debate",
		Title:       "Show one parley debate",
		Description: "One stored parley debate: its report as Markdown (verdict first, then the evidence) and the full JSON result as structured content, the same as the debate tool returns. Works for finished, failed, interrupted and running debates.",
		InputSchema: &jsonschema.Schema{
			Type:     "object",
			Required: []string{"id"},
			Properties: map[string]*jsonschema.Schema{
				"id":         {Type: "string", Description: "The debate's id, from the debate tool's result or list_debates."},
				"transcript": {Type: "boolean", Description: "Also put every participant's full answer in the Markdown (the JSON always has them)."},
			},
		},
		OutputSchema: recordSchema(),
		Annotations:  &mcp.ToolAnnotations{Title: "Show one parley debate", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}
}

func (s *Server) get(ctx context.Context, _ *mcp.CallToolRequest, in GetInput) (*mcp.CallToolResult, any, error) {
	id := strings.TrimSpace(in.ID)
	if id == "" {
		return nil, nil, errors.New(`"id" is required: list_debates shows the ids`)
	}
	events, err := s.opts.Store.Events(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("no debate with id %q; list_debates shows the ids", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading debate %s: %w", id, err)
	}
	rec := debate.Replay(events)
	if rec.Status == debate.StatusRunning && s.opts.Alive != nil {
		if sum, err := s.opts.Store.Get(ctx, id); err == nil && !s.opts.Alive(sum.Owner) {
			rec.Warnings = append(rec.Warnings, "the process running this debate is gone; continue it with `parley resume "+id+"`")
		}
	}
	// A stored debate is shown as it is, failed or not: reading it succeeded.
	return recordResult(rec, in.Transcript, "")
}

func ptr[T any](v T) *T { return &v }
