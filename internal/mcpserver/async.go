package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
)

// The asynchronous tools exist because MCP hosts cut a tool call after one to two
// minutes and a debate takes several: start_debate returns an id as soon as the
// debate is stored, and the agent polls debate_status / debate_result, each of
// which only reads. The debate runs in a goroutine of this server process and
// writes to the same store as `parley run`, so `parley list`, `show` and `resume`
// see it.

// ResumeFunc continues a stored, interrupted debate, like `parley resume ID`. It
// follows RunFunc's rules for progress, errors and ctx.
type ResumeFunc func(ctx context.Context, id string, progress func(debate.Event)) (*debate.Record, error)

// job is a debate this process runs in the background.
type job struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the debate returned
	rec    *debate.Record
	err    error
}

// jobs tracks the background debates; Serve waits for them on its way out.
type jobs struct {
	mu sync.Mutex
	m  map[string]*job
	wg sync.WaitGroup
}

// running reports whether this process runs debate id now.
func (j *jobs) running(id string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.m[id]
	if !ok {
		return false
	}
	select {
	case <-jb.done:
		return false
	default:
		return true
	}
}

func (j *jobs) get(id string) *job {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m[id]
}

// launch runs fn in the background under life and returns the debate's id once its
// first event is stored, or fn's error if it returned before starting anything.
func (s *Server) launch(life context.Context, fn func(ctx context.Context, progress func(debate.Event)) (*debate.Record, error)) (string, error) {
	ctx, cancel := context.WithCancel(life)
	idc := make(chan string, 1)
	jb := &job{cancel: cancel, done: make(chan struct{})}
	var once sync.Once
	progress := func(e debate.Event) {
		once.Do(func() {
			// Registered before the id is handed out, so that a status call made
			// right after start_debate sees the job.
			s.jobs.mu.Lock()
			s.jobs.m[e.DebateID] = jb
			s.jobs.mu.Unlock()
			idc <- e.DebateID
		})
	}
	errc := make(chan error, 1)
	s.jobs.wg.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		defer cancel()
		rec, err := fn(ctx, progress)
		jb.rec, jb.err = rec, err
		close(jb.done)
		if rec == nil || rec.ID == "" {
			if err == nil {
				err = errors.New("the debate did not start")
			}
			errc <- err
		}
	}()
	select {
	case id := <-idc:
		return id, nil
	case err := <-errc:
		return "", err
	}
}

func (s *Server) lifeContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life == nil {
		return context.Background()
	}
	return s.life
}

// StartOutput is start_debate's and resume_debate's structured content.
type StartOutput struct {
	ID     string        `json:"id"`
	Status debate.Status `json:"status"`
}

func startTool() *mcp.Tool {
	t := debateTool()
	t.Name = "start_debate"
	t.Title = "Start a debate in the background"
	t.Description = StartDescription
	t.OutputSchema = nil
	t.Annotations = &mcp.ToolAnnotations{Title: t.Title, DestructiveHint: ptr(false), OpenWorldHint: ptr(true)}
	return t
}

func (s *Server) start(ctx context.Context, _ *mcp.CallToolRequest, in DebateInput) (*mcp.CallToolResult, StartOutput, error) {
	r, err := s.request(in)
	if err != nil {
		return nil, StartOutput{}, err
	}
	id, err := s.launch(s.lifeContext(), func(ctx context.Context, p func(debate.Event)) (*debate.Record, error) {
		return s.opts.Run(ctx, r, p)
	})
	if err != nil {
		return nil, StartOutput{}, err
	}
	return startedResult(id)
}

func startedResult(id string) (*mcp.CallToolResult, StartOutput, error) {
	msg := fmt.Sprintf("Debate %s is running. Call debate_status {\"id\": %q} every 20-30 seconds to follow it and debate_result {\"id\": %q} once it is done; cancel_debate stops it.", id, id, id)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: msg}}}, StartOutput{ID: id, Status: debate.StatusRunning}, nil
}

// IDInput is the argument of the tools that take one debate.
type IDInput struct {
	ID string `json:"id"`
}

func (in IDInput) id() (string, error) {
	id := strings.TrimSpace(in.ID)
	if id == "" {
		return "", errors.New(`"id" is required: start_debate returns it, list_debates shows the ids`)
	}
	return id, nil
}

func idTool(name, title, desc string, readOnly bool) *mcp.Tool {
	return &mcp.Tool{
		Name:        name,
		Title:       title,
		Description: desc,
		InputSchema: &jsonschema.Schema{
			Type:       "object",
			Required:   []string{"id"},
			Properties: map[string]*jsonschema.Schema{"id": {Type: "string", Description: "The debate's id, from start_debate or list_debates."}},
		},
		Annotations: &mcp.ToolAnnotations{Title: title, ReadOnlyHint: readOnly, IdempotentHint: readOnly, DestructiveHint: ptr(false), OpenWorldHint: ptr(!readOnly)},
	}
}

// SeatStatus is one seat's state in debate_status.
type SeatStatus struct {
	Seat  string `json:"seat"`
	Model string `json:"model"`
	Role  string `json:"role,omitempty"`
	// State is the seat's state in the current round: answered, failed or waiting.
	State string `json:"state"`
	// The seat's latest answer so far (any round): its stated position and
	// confidence. The text is the model's, untrusted.
	Round      int    `json:"round,omitempty"`
	Position   string `json:"position,omitempty"`
	Confidence *int   `json:"confidence,omitempty"`
}

// StatusOutput is debate_status' structured content.
type StatusOutput struct {
	ID     string        `json:"id"`
	Status debate.Status `json:"status"`
	// Running says this server runs it now; a "running" debate that is not, with
	// its process gone, is resumable (Resumable).
	Running    bool         `json:"running"`
	Resumable  bool         `json:"resumable"`
	Round      int          `json:"round"`
	TurnsDone  int          `json:"turns_done"`
	Seats      []SeatStatus `json:"seats"`
	CostUSD    float64      `json:"cost_usd"`
	Verdict    bool         `json:"verdict"`
	DurationMS int64        `json:"duration_ms"`
}

func (s *Server) record(ctx context.Context, id string) (*debate.Record, error) {
	events, err := s.opts.Store.Events(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no debate with id %q; list_debates shows the ids", id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading debate %s: %w", id, err)
	}
	return debate.Replay(events), nil
}

// abandoned reports whether a debate stored as running has no live owner.
func (s *Server) abandoned(ctx context.Context, rec *debate.Record) bool {
	if rec.Status != debate.StatusRunning || s.jobs.running(rec.ID) || s.opts.Alive == nil {
		return false
	}
	sum, err := s.opts.Store.Get(ctx, rec.ID)
	return err == nil && !s.opts.Alive(sum.Owner)
}

func (s *Server) status(ctx context.Context, _ *mcp.CallToolRequest, in IDInput) (*mcp.CallToolResult, StatusOutput, error) {
	id, err := in.id()
	if err != nil {
		return nil, StatusOutput{}, err
	}
	// Whether this server runs the debate is asked before its log is read. A job
	// counts as done only after its last event is stored, so a job seen done has
	// its final status in the read that follows; asked after the read, a debate
	// that finished meanwhile would show as "running" yet run by no one.
	running := s.jobs.running(id)
	rec, err := s.record(ctx, id)
	if err != nil {
		return nil, StatusOutput{}, err
	}
	out := statusOf(rec)
	out.Running = running && rec.Status == debate.StatusRunning
	out.Resumable = rec.Status == debate.StatusInterrupted || s.abandoned(ctx, rec)
	text, err := marshalIndent(out)
	if err != nil {
		return nil, StatusOutput{}, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, out, nil
}

// statusOf summarises a (possibly partial) record.
func statusOf(rec *debate.Record) StatusOutput {
	out := StatusOutput{ID: rec.ID, Status: rec.Status, CostUSD: rec.Usage.CostUSD, Verdict: rec.Verdict != nil, DurationMS: rec.DurationMS, Seats: []SeatStatus{}}
	latest := map[string]debate.TurnRecord{}
	current := map[string]string{}
	for _, r := range rec.Rounds {
		out.Round = r.Number
		clear(current)
		for _, t := range r.Turns {
			out.TurnsDone++
			st := "answered"
			if t.Status == "failed" {
				st = "failed"
			} else {
				t.Round = r.Number
				latest[t.Seat] = t
			}
			current[t.Seat] = st
		}
	}
	if rec.Verdict != nil {
		out.TurnsDone++
	}
	out.TurnsDone += len(rec.ChairFailures)
	for _, seat := range rec.Panel {
		st := current[seat.Seat]
		if st == "" {
			st = "waiting"
		}
		ss := SeatStatus{Seat: seat.Seat, Model: seat.Model, Role: seat.Role, State: st}
		if t, ok := latest[seat.Seat]; ok {
			ss.Round, ss.Position, ss.Confidence = t.Round, t.Position, t.Confidence
		}
		out.Seats = append(out.Seats, ss)
	}
	return out
}

func (s *Server) result(ctx context.Context, _ *mcp.CallToolRequest, in IDInput) (*mcp.CallToolResult, any, error) {
	id, err := in.id()
	if err != nil {
		return nil, nil, err
	}
	rec, err := s.record(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if rec.Status == debate.StatusRunning && !s.abandoned(ctx, rec) {
		st := statusOf(rec)
		msg := fmt.Sprintf("Debate %s is still running (round %d, %d model calls done). Ask again in 20-30 seconds; debate_status shows the progress.", id, st.Round, st.TurnsDone)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: msg}}}, map[string]any{"id": id, "status": "pending"}, nil
	}
	if s.abandoned(ctx, rec) {
		rec.Warnings = append(rec.Warnings, "the process running this debate is gone; continue it with resume_debate")
	}
	return recordResult(rec, false, noVerdictNote(rec))
}

func (s *Server) cancelDebate(ctx context.Context, _ *mcp.CallToolRequest, in IDInput) (*mcp.CallToolResult, StartOutput, error) {
	id, err := in.id()
	if err != nil {
		return nil, StartOutput{}, err
	}
	jb := s.jobs.get(id)
	if jb == nil || !s.jobs.running(id) {
		rec, err := s.record(ctx, id)
		if err != nil {
			return nil, StartOutput{}, err
		}
		return nil, StartOutput{}, fmt.Errorf("debate %s is %s and not running in this server; nothing to cancel", id, rec.Status)
	}
	jb.cancel()
	select {
	case <-jb.done:
	case <-ctx.Done():
		return nil, StartOutput{}, ctx.Err()
	}
	status := debate.StatusInterrupted
	if jb.rec != nil {
		status = jb.rec.Status
	}
	msg := fmt.Sprintf("Debate %s is stopped (%s). Every finished turn is stored; resume_debate {\"id\": %q} continues it without redoing them.", id, status, id)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: msg}}}, StartOutput{ID: id, Status: status}, nil
}

func (s *Server) resume(ctx context.Context, _ *mcp.CallToolRequest, in IDInput) (*mcp.CallToolResult, StartOutput, error) {
	id, err := in.id()
	if err != nil {
		return nil, StartOutput{}, err
	}
	if s.jobs.running(id) {
		return nil, StartOutput{}, fmt.Errorf("debate %s is running in this server already; debate_status follows it", id)
	}
	rec, err := s.record(ctx, id)
	if err != nil {
		return nil, StartOutput{}, err
	}
	switch {
	case rec.Status == debate.StatusCompleted || rec.Status == debate.StatusFailed:
		return nil, StartOutput{}, fmt.Errorf("debate %s is already %s; nothing to resume (debate_result shows it)", id, rec.Status)
	case rec.Status == debate.StatusRunning && !s.abandoned(ctx, rec):
		return nil, StartOutput{}, fmt.Errorf("debate %s is still running in another process; wait for it, or stop that process first", id)
	}
	got, err := s.launch(s.lifeContext(), func(ctx context.Context, p func(debate.Event)) (*debate.Record, error) {
		return s.opts.Resume(ctx, id, p)
	})
	if err != nil {
		return nil, StartOutput{}, err
	}
	return startedResult(got)
}

// ModelsOutput is list_models' structured content.
type ModelsOutput struct {
	Models any `json:"models"`
}

func modelsTool() *mcp.Tool {
	return &mcp.Tool{
		Name:        "list_models",
		Title:       "List the models parley can reach",
		Description: "The models this parley can put on a panel (the same as `parley models --format json`): refs to pass in a debate's \"models\". Leave \"models\" out of a debate to use the user's configured or auto-detected panel.",
		InputSchema: &jsonschema.Schema{Type: "object"},
		Annotations: &mcp.ToolAnnotations{Title: "List the models parley can reach", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)},
	}
}

func (s *Server) listModels(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, ModelsOutput, error) {
	m, err := s.opts.Models(ctx)
	if err != nil {
		return nil, ModelsOutput{}, fmt.Errorf("listing the models: %w", err)
	}
	text, err := marshalIndent(m)
	if err != nil {
		return nil, ModelsOutput{}, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, ModelsOutput{Models: m}, nil
}
