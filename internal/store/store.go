// Package store keeps debates durable: each debate's append-only event log and a
// summary row per debate for listing. The engine never sees a store; the CLI, the MCP
// server and the HTTP server append the events the engine emits and replay them to
// render reports or resume.
//
// Implementations: sqlite (the embedded default) and postgres (the team server's).
// A conformance suite in storetest runs against every implementation.
package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
)

var (
	// ErrNotFound: no debate with that id.
	ErrNotFound = errors.New("no such debate")
	// ErrConflict: an appended event's Seq is not the next one in its log (another
	// writer got there first, or an event was skipped).
	ErrConflict = errors.New("event sequence conflict")
	// ErrClaimed: another live process owns the debate.
	ErrClaimed = errors.New("debate is owned by another process")
)

// Owner identifies the process running a debate, so that a debate left "running" by
// a process that no longer exists can be told apart from one still in progress.
type Owner struct {
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// Summary is one row of `parley list`.
type Summary struct {
	ID        string        `json:"id"`
	Status    debate.Status `json:"status"`
	Problem   string        `json:"problem"`
	Mode      string        `json:"mode"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	Owner     Owner         `json:"-"`
}

// Row is one debate as `parley list --format json` prints it: the CONTRACT's list
// row, which the HTTP API's list, the MCP tool list_debates and the remote client
// read and write too.
type Row struct {
	ID        string        `json:"id"`
	Status    debate.Status `json:"status"`
	Problem   string        `json:"problem"`
	Mode      string        `json:"mode"`
	CreatedAt time.Time     `json:"created_at"`
}

// Rows are the list's rows; never nil, so that an empty list is [] in JSON.
func Rows(list []Summary) []Row {
	rows := make([]Row, 0, len(list))
	for _, s := range list {
		rows = append(rows, Row{ID: s.ID, Status: s.Status, Problem: s.Problem, Mode: s.Mode, CreatedAt: s.CreatedAt})
	}
	return rows
}

// ListOptions narrows List.
type ListOptions struct {
	Limit  int // 0: no limit
	Status debate.Status
	// Query, when set, keeps the debates whose problem or verdict contains it
	// (case-insensitively for ASCII letters; % and _ are plain characters).
	Query string
}

// LikePattern is q as a LIKE pattern matching any text that contains it, with the
// backslash as escape character, so that a user's % or _ is matched literally.
func LikePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// Store is the durable home of debates.
type Store interface {
	// Append adds stored events (Kind.Stored) to their debates' logs in one
	// transaction. A debate_started event with Seq 1 creates the debate; its summary
	// status follows the log (running until debate_finished says otherwise).
	// Events must carry consecutive Seq numbers continuing the log, else ErrConflict.
	Append(ctx context.Context, events ...debate.Event) error
	// Events returns a debate's whole log in Seq order, or ErrNotFound.
	Events(ctx context.Context, id string) ([]debate.Event, error)
	// EventsSince returns the events of a debate's log whose Seq is greater than
	// after, in Seq order: none (and no error) when the log has nothing newer, and
	// ErrNotFound when there is no such debate. Live viewers poll it to follow a
	// debate that another process is running without rereading the whole log.
	EventsSince(ctx context.Context, id string, after int) ([]debate.Event, error)
	// Get returns one debate's summary, or ErrNotFound.
	Get(ctx context.Context, id string) (Summary, error)
	// List returns summaries, newest first.
	List(ctx context.Context, opts ListOptions) ([]Summary, error)
	// Claim makes owner the debate's owner if its current owner is prev (compare and
	// set; the zero Owner matches a debate that has none), else ErrClaimed.
	Claim(ctx context.Context, id string, prev, owner Owner) error
	// Close releases the store.
	Close() error
}
