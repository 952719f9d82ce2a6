// Package sqlite is parley's embedded store: one SQLite file, written through the
// pure-Go modernc.org/sqlite driver so that parley builds with CGO_ENABLED=0.
//
// # Durability
//
// The file runs in WAL mode with synchronous=NORMAL. A commit is written to the WAL
// before Append returns, so a crash of the process (a panic, kill -9, an OOM kill)
// loses nothing that was appended. The WAL is synced to disk at checkpoints rather
// than at every commit, so a crash of the operating system or a power cut may lose
// the last few commits; it never corrupts the file. That trade is what keeps an
// append in the tens of microseconds instead of the milliseconds an fsync costs.
//
// # Concurrency
//
// A Store is safe for concurrent use. SQLite admits one writer at a time, so writes
// go through a pool of exactly one connection: goroutines queue inside database/sql,
// which is cheap and fair, instead of colliding in SQLite and sleeping in its busy
// handler. Reads use a separate pool of several read-only connections; WAL lets
// them proceed while a write is in progress and they always see every commit that
// returned before they started. Other processes using the same file are handled by
// busy_timeout (5 s) and by starting write transactions IMMEDIATE, so that a
// writer never has to upgrade a read lock (which SQLite cannot wait for).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateRuns counts the migrations this process ran: tests check that opening a
// file whose schema is current runs none.
var migrateRuns atomic.Int64

// commits counts the transactions the append path committed: tests check what
// rides on one commit.
var commits atomic.Int64

// Store is a store.Store kept in one SQLite file. Create it with Open.
type Store struct {
	w *sql.DB // exactly one connection: the only writer
	r *sql.DB // read-only connections

	// Statements of the append path, prepared once: parsing SQL on every append
	// would cost more than executing it.
	insertDebate *sql.Stmt
	advance      *sql.Stmt
	insertEvent  *sql.Stmt
	insertCall   *sql.Stmt

	closeOnce sync.Once
	closeErr  error

	// Group commit (see commit): the queue of Appends waiting for the writer.
	qmu        sync.Mutex
	queue      []*commitReq
	committing bool
	// Call-cache rows waiting for the next commit (see PutCall), and the timer that
	// commits them should no Append come first.
	calls     []callRow
	callTimer *time.Timer
	closed    bool
}

var _ store.Store = (*Store)(nil)

// Open opens the store in the SQLite file at path, creating the file (mode 0600)
// and its missing parent directories (mode 0700) as needed, and brings its schema
// up to date. path must name a file; ":memory:" and "file:" URIs are refused,
// because the store opens the file more than once (see the package comment).
// ctx bounds the opening and the migration only.
//
// Several processes may open the same file, even a new one at the same instant
// (that case can take a second: the migration tool retries on the loser's side).
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite store: %q is not a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	// Debates hold problems and answers that may be private: keep them to the user.
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	// Create the file ourselves so that it gets 0600 whatever the umask; SQLite
	// gives the -wal and -shm files it creates the same permissions as the database.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}

	writeDSN := dsn(abs, "_txlock", "immediate")
	s := &Store{}
	if s.w, err = sql.Open("sqlite", writeDSN); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0) // keep the connection and its prepared statements
	s.w.SetConnMaxIdleTime(0)

	// In steady use the schema is current, and every command opens the store: asking
	// goose whether anything is pending is one read on the writer's connection, while
	// migrating opens (and, closing it as the file's only connection, checkpoints and
	// fsyncs) a connection of its own before the first model call.
	if !schemaCurrent(ctx, s.w) {
		if err := migrate(ctx, writeDSN); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("sqlite store: migrating %s: %w", abs, err)
		}
	}

	if s.r, err = sql.Open("sqlite", dsn(abs, "_pragma", "query_only(true)")); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	s.r.SetConnMaxIdleTime(time.Minute) // an idle process should not hold many handles

	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	if err := persistWAL(ctx, s.w); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return s, nil
}

// persistWAL keeps the -wal file when the last connection closes (SQLite's
// SQLITE_FCNTL_PERSIST_WAL). Closing still checkpoints it into the database and
// syncs, so nothing is less durable; what is saved is deleting the file at the end
// of every command and creating it again at the start of the next, which cost
// ~2 ms of each process (docs/STARTUP.md).
func persistWAL(ctx context.Context, db *sql.DB) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		fc, ok := dc.(interface {
			FileControlPersistWAL(dbName string, mode int) (int, error)
		})
		if !ok {
			return fmt.Errorf("the driver's connection %T cannot keep the WAL file", dc)
		}
		_, err := fc.FileControlPersistWAL("main", 1)
		return err
	})
}

// dsn builds the driver's data source name for the file at abs. The path is a
// SQLite URI so that characters such as '?' and '#' in it cannot be taken for
// parameters. extra are more key, value pairs.
func dsn(abs string, extra ...string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:/C:/...
	}
	q := url.Values{}
	// The driver runs busy_timeout before the other pragmas, so even the switch to
	// WAL, which needs a lock, waits for another process instead of failing.
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(on)")
	for i := 0; i+1 < len(extra); i += 2 {
		q.Add(extra[i], extra[i+1])
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// migrate applies the embedded migrations through a connection of its own, closed
// before the store's pools open: goose holds one connection for the whole run, and
// the writer pool has only one.
func migrate(ctx context.Context, dsn string) error {
	migrateRuns.Add(1)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	p, err := migrator(db)
	if err != nil {
		return err
	}
	// goose has no lock for SQLite: processes opening one new file at the same moment
	// race to migrate it. The loser's read transaction cannot become a write one
	// (SQLITE_BUSY at once, whatever busy_timeout says), so it tries again; once
	// nothing is pending, someone has done the work and all is well.
	for attempt := 1; ; attempt++ {
		_, err = p.Up(ctx)
		if err == nil {
			return nil
		}
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
		}
		if attempt == 20 || !strings.Contains(err.Error(), "locked") && !strings.Contains(err.Error(), "busy") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 25 * time.Millisecond):
		}
	}
}

// migrator is goose over the embedded migrations.
func migrator(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db, fsys,
		// Go migrations registered globally by some other package are none of ours.
		goose.WithDisableGlobalRegistry(true))
}

// schemaCurrent reports whether every embedded migration is applied to db, by
// goose's own reckoning (a missing or out-of-order one counts as pending). Any error
// (a new file has no version table yet) means "migrate": migrate decides properly.
func schemaCurrent(ctx context.Context, db *sql.DB) bool {
	p, err := migrator(db)
	if err != nil {
		return false
	}
	pending, err := p.HasPending(ctx)
	return err == nil && !pending
}

// Ready reports whether the store can serve: the database answers and its schema is
// the one this binary expects (no migration pending). For a server's readiness probe.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if !schemaCurrent(ctx, s.w) {
		return errors.New("sqlite store: the schema is not current (a migration is pending); restart parley to apply it")
	}
	return nil
}

func (s *Store) prepare(ctx context.Context) error {
	var err error
	if s.insertDebate, err = s.w.PrepareContext(ctx, `
		INSERT INTO debates (id, problem, mode, status, created_at, updated_at, last_seq)
		VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1)
		ON CONFLICT (id) DO NOTHING`); err != nil {
		return err
	}
	// The sequence check and the summary update are one statement: it matches only
	// when the run of events ?2..?3 continues the log, so the common path needs no
	// extra read.
	if s.advance, err = s.w.PrepareContext(ctx, `
		UPDATE debates SET last_seq = ?3, updated_at = ?4, status = COALESCE(?5, status)
		WHERE id = ?1 AND last_seq = ?2 - 1`); err != nil {
		return err
	}
	if s.insertEvent, err = s.w.PrepareContext(ctx, `
		INSERT INTO events (debate_id, seq, kind, at, data) VALUES (?, ?, ?, ?, ?)`); err != nil {
		return err
	}
	if s.insertCall, err = s.w.PrepareContext(ctx, `
		INSERT INTO calls (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`); err != nil {
		return err
	}
	return nil
}

// Close releases the store. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		// The call rows still waiting for a commit are written first.
		s.qmu.Lock()
		s.closed = true
		if s.callTimer != nil {
			s.callTimer.Stop()
			s.callTimer = nil
		}
		s.qmu.Unlock()
		if s.w != nil {
			errs = append(errs, s.commit(context.Background(), nil))
		}
		for _, st := range []*sql.Stmt{s.insertDebate, s.advance, s.insertEvent, s.insertCall} {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			errs = append(errs, s.w.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// pending is one event ready to be written.
type pending struct {
	e    *debate.Event
	data []byte
}

// Append implements store.Store. Events of kinds that are not stored (deltas) are
// skipped. All the stored events are written in one transaction: on any error none
// of them is.
func (s *Store) Append(ctx context.Context, events ...debate.Event) error {
	// Check and encode before taking the writer: the single writer connection is the
	// one shared resource, so its critical section should be SQL only.
	batch := make([]pending, 0, len(events))
	for i := range events {
		e := &events[i]
		if !e.Kind.Stored() {
			continue
		}
		if err := store.Check(e); err != nil {
			return fmt.Errorf("sqlite store: %w", err)
		}
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("sqlite store: encoding %s event %d of debate %q: %w", e.Kind, e.Seq, e.DebateID, err)
		}
		batch = append(batch, pending{e: e, data: data})
	}
	if len(batch) == 0 {
		return nil
	}

	return s.commit(ctx, batch)
}

// commitReq is one Append waiting for its group's commit.
type commitReq struct {
	batch []pending
	err   error
	done  chan struct{}
}

// maxGroup bounds how many Appends share one commit.
const maxGroup = 512

// commit writes a batch with group commit. Under load most of an append's cost is
// the commit itself (WAL frames and locks: system calls), and the single writer
// makes concurrent debates queue for it. So the first caller to find the writer
// idle becomes the leader: it commits its own batch, then every batch that queued
// meanwhile, together, in one transaction, each in its own savepoint so that one
// batch's conflict does not fail the others. A lone caller commits at once, as
// before; nothing waits for a timer.
func (s *Store) commit(ctx context.Context, batch []pending) error {
	req := &commitReq{batch: batch, done: make(chan struct{})}
	s.qmu.Lock()
	if len(batch) == 0 && len(s.calls) == 0 {
		s.qmu.Unlock()
		return nil // a flush of call rows that an Append has taken along already
	}
	s.queue = append(s.queue, req)
	if s.committing {
		s.qmu.Unlock()
		<-req.done // the leader commits it; its outcome is final either way
		return req.err
	}
	s.committing = true
	for len(s.queue) > 0 {
		n := min(len(s.queue), maxGroup)
		group := s.queue[:n:n]
		s.queue = s.queue[n:]
		calls := s.calls
		s.calls = nil
		s.qmu.Unlock()
		// Others' batches ride on this commit: the leader's cancellation must not fail them.
		s.commitGroup(context.WithoutCancel(ctx), group, calls)
		s.qmu.Lock()
	}
	s.committing = false
	s.qmu.Unlock()
	return req.err
}

func (s *Store) commitGroup(ctx context.Context, group []*commitReq, calls []callRow) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	fail := func(err error) {
		for _, r := range group {
			if r.err == nil {
				r.err = err
			}
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("sqlite store: %w", err))
		return
	}
	defer tx.Rollback() // a no-op after Commit
	st := stmts{
		insertDebate: tx.StmtContext(ctx, s.insertDebate),
		advance:      tx.StmtContext(ctx, s.advance),
		insertEvent:  tx.StmtContext(ctx, s.insertEvent),
	}
	if len(calls) > 0 {
		st.insertCall = tx.StmtContext(ctx, s.insertCall)
	}
	// The call-cache rows first and outside the batches' savepoints: they are best
	// effort (a row that cannot be written is a cache miss later), and they must not
	// depend on whether some debate's batch conflicts.
	for _, c := range calls {
		_, _ = st.insertCall.ExecContext(ctx, c.key, c.value, c.at)
	}
	if len(group) == 1 {
		if err := apply(ctx, tx, st, group[0].batch); err != nil {
			group[0].err = err
			if len(calls) == 0 {
				return
			}
		}
	} else {
		ok := 0
		for _, r := range group {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT batch"); err != nil {
				fail(fmt.Errorf("sqlite store: %w", err))
				return
			}
			if r.err = apply(ctx, tx, st, r.batch); r.err != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO batch"); err != nil {
					fail(fmt.Errorf("sqlite store: %w", err))
					return
				}
			} else {
				ok++
			}
			if _, err := tx.ExecContext(ctx, "RELEASE batch"); err != nil {
				fail(fmt.Errorf("sqlite store: %w", err))
				return
			}
		}
		if ok == 0 && len(calls) == 0 {
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("sqlite store: %w", err))
		return
	}
	commits.Add(1)
}

// stmts are the append path's statements bound to one transaction.
type stmts struct {
	insertDebate, advance, insertEvent, insertCall *sql.Stmt
}

// apply writes one Append's events inside tx. The debates row is advanced once per
// run of events that continue one debate's log (a turn's start and its answer, a
// round's end and the next one's start), not once per event: the summary only
// keeps the last of them, and the statements are most of an append's SQL.
func apply(ctx context.Context, tx *sql.Tx, st stmts, batch []pending) error {
	for i := 0; i < len(batch); {
		e := batch[i].e
		if e.Kind == debate.KindDebateStarted {
			if err := create(ctx, st.insertDebate, e); err != nil {
				return err
			}
			if err := insertEvent(ctx, st.insertEvent, batch[i]); err != nil {
				return err
			}
			i++
			continue
		}
		j := i + 1
		for j < len(batch) && batch[j].e.DebateID == e.DebateID && batch[j].e.Seq == batch[j-1].e.Seq+1 &&
			batch[j].e.Kind != debate.KindDebateStarted {
			j++
		}
		last := batch[j-1].e
		var status any // nil: unchanged
		for _, p := range batch[i:j] {
			switch p.e.Kind {
			case debate.KindDebateResumed:
				status = string(debate.StatusRunning)
			case debate.KindDebateFinished:
				status = string(p.e.Finished.Status)
			}
		}
		res, err := st.advance.ExecContext(ctx, e.DebateID, e.Seq, last.Seq, formatTime(last.At), status)
		if err != nil {
			return fmt.Errorf("sqlite store: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite store: %w", err)
		} else if n == 0 {
			return explainRefusal(ctx, tx, e)
		}
		for _, p := range batch[i:j] {
			if err := insertEvent(ctx, st.insertEvent, p); err != nil {
				return err
			}
		}
		i = j
	}
	return nil
}

// create inserts the debates row of a debate_started event.
func create(ctx context.Context, insertDebate *sql.Stmt, e *debate.Event) error {
	if e.Seq != 1 {
		return fmt.Errorf("%w: debate_started of debate %q has seq %d, want 1", store.ErrConflict, e.DebateID, e.Seq)
	}
	res, err := insertDebate.ExecContext(ctx, e.DebateID, e.Started.Spec.Problem,
		string(e.Started.Spec.Mode), string(debate.StatusRunning), formatTime(e.At))
	if err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	} else if n == 0 {
		return fmt.Errorf("%w: debate %q already exists", store.ErrConflict, e.DebateID)
	}
	return nil
}

func insertEvent(ctx context.Context, stmt *sql.Stmt, p pending) error {
	e := p.e
	// As a string: the column is TEXT in a STRICT table, which refuses a BLOB. The
	// bytes are never written again, so the string shares them instead of copying
	// every event once more.
	data := unsafe.String(unsafe.SliceData(p.data), len(p.data))
	if _, err := stmt.ExecContext(ctx, e.DebateID, e.Seq, string(e.Kind), formatTime(e.At), data); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	return nil
}

// explainRefusal says why the advance statement matched no row: the debate does not
// exist, or the event does not continue its log. It runs only on the error path.
func explainRefusal(ctx context.Context, tx *sql.Tx, e *debate.Event) error {
	var last int
	err := tx.QueryRowContext(ctx, `SELECT last_seq FROM debates WHERE id = ?`, e.DebateID).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %q (appending %s event %d)", store.ErrNotFound, e.DebateID, e.Kind, e.Seq)
	case err != nil:
		return fmt.Errorf("sqlite store: %w", err)
	}
	return fmt.Errorf("%w: debate %q is at seq %d; %s event has seq %d, want %d",
		store.ErrConflict, e.DebateID, last, e.Kind, e.Seq, last+1)
}

// Events implements store.Store.
func (s *Store) Events(ctx context.Context, id string) ([]debate.Event, error) {
	return s.log().Events(ctx, id)
}

// EventsSince implements store.Store.
func (s *Store) EventsSince(ctx context.Context, id string, after int) ([]debate.Event, error) {
	return s.log().EventsSince(ctx, id, after)
}

func (s *Store) log() store.Log { return store.Log{After: s.eventsAfter, Exists: s.exists} }

// exists reports whether debate id has a row.
func (s *Store) exists(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM debates WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlite store: %w", err)
	}
	return true, nil
}

func (s *Store) eventsAfter(ctx context.Context, id string, after int) ([]debate.Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT data FROM events WHERE debate_id = ? AND seq > ? ORDER BY seq`, id, after)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	defer rows.Close()
	var (
		events []debate.Event
		data   sql.RawBytes // reused between rows; Unmarshal copies what it keeps
	)
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("sqlite store: %w", err)
		}
		var e debate.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("sqlite store: decoding event %d of debate %q: %w", after+len(events)+1, id, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return events, nil
}

const summaryColumns = `id, status, problem, mode, created_at, updated_at, owner_host, owner_pid, owner_since`

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, id string) (store.Summary, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+summaryColumns+` FROM debates WHERE id = ?`, id)
	sum, err := scanSummary(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Summary{}, fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	if err != nil {
		return store.Summary{}, fmt.Errorf("sqlite store: %w", err)
	}
	return sum, nil
}

// List implements store.Store: newest first (by creation time, then by id
// descending for debates created at the same instant).
func (s *Store) List(ctx context.Context, opts store.ListOptions) ([]store.Summary, error) {
	q := `SELECT ` + summaryColumns + ` FROM debates`
	var args []any
	var where []string
	if opts.Status != "" {
		where = append(where, `status = ?`)
		args = append(args, string(opts.Status))
	}
	if opts.Query != "" {
		// The verdict lives only in the log: its recommendation and the chair's
		// full reply are read out of its event's JSON (the keys must not match). A
		// scan, not an index: fine for the thousands of debates a user or team
		// keeps. LIKE is case-insensitive for ASCII letters.
		where = append(where, `(problem LIKE ? ESCAPE '\' OR EXISTS (
			SELECT 1 FROM events e WHERE e.debate_id = debates.id AND e.kind = 'verdict_completed'
			AND (coalesce(json_extract(e.data, '$.verdict.recommendation'), '') || char(10) ||
				coalesce(json_extract(e.data, '$.verdict.text'), '')) LIKE ? ESCAPE '\'))`)
		pat := store.LikePattern(opts.Query)
		args = append(args, pat, pat)
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if opts.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, opts.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	defer rows.Close()
	var list []store.Summary
	if opts.Limit > 0 {
		list = make([]store.Summary, 0, min(opts.Limit, 1024))
	}
	for rows.Next() {
		sum, err := scanSummary(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite store: %w", err)
		}
		list = append(list, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return list, nil
}

func scanSummary(row interface{ Scan(...any) error }) (store.Summary, error) {
	var (
		sum                     store.Summary
		status                  string
		created, updated, since string
	)
	if err := row.Scan(&sum.ID, &status, &sum.Problem, &sum.Mode, &created, &updated,
		&sum.Owner.Host, &sum.Owner.PID, &since); err != nil {
		return store.Summary{}, err
	}
	sum.Status = debate.Status(status)
	var err error
	if sum.CreatedAt, err = parseTime(created); err != nil {
		return store.Summary{}, err
	}
	if sum.UpdatedAt, err = parseTime(updated); err != nil {
		return store.Summary{}, err
	}
	if sum.Owner.Since, err = parseTime(since); err != nil {
		return store.Summary{}, err
	}
	return sum, nil
}

// Claim implements store.Store. Owners are compared by host, pid and the instant of
// Since (its location does not matter).
func (s *Store) Claim(ctx context.Context, id string, prev, owner store.Owner) error {
	res, err := s.w.ExecContext(ctx, `
		UPDATE debates SET owner_host = ?, owner_pid = ?, owner_since = ?
		WHERE id = ? AND owner_host = ? AND owner_pid = ? AND owner_since = ?`,
		owner.Host, owner.PID, formatTime(owner.Since),
		id, prev.Host, prev.PID, formatTime(prev.Since))
	if err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	} else if n == 1 {
		return nil
	}
	// Say why. Debates are never deleted, so the answer cannot be stale in a way
	// that matters: a debate that existed a moment ago still does.
	var (
		cur   store.Owner
		since string
	)
	err = s.w.QueryRowContext(ctx, `SELECT owner_host, owner_pid, owner_since FROM debates WHERE id = ?`, id).
		Scan(&cur.Host, &cur.PID, &since)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %q", store.ErrNotFound, id)
	case err != nil:
		return fmt.Errorf("sqlite store: %w", err)
	}
	if cur.Host == "" && cur.PID == 0 && since == "" {
		return fmt.Errorf("%w: debate %q has no owner", store.ErrClaimed, id)
	}
	return fmt.Errorf("%w: debate %q is owned by pid %d on %q since %s", store.ErrClaimed, id, cur.PID, cur.Host, since)
}

// timeLayout is fixed width (nanoseconds always written, always UTC) so that the
// text order of stored times is their time order, which List's index relies on.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime gives the stored form of t; the zero time is stored as "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads what formatTime wrote. It reads the fixed-width form by hand
// (List parses two or three times per row, and time.Parse was a sixth of its cost)
// and leaves anything else to time.Parse.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) == len(timeLayout) && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
		s[16] == ':' && s[19] == '.' && s[29] == 'Z' {
		year, ok1 := digits(s[0:4])
		month, ok2 := digits(s[5:7])
		day, ok3 := digits(s[8:10])
		hour, ok4 := digits(s[11:13])
		minute, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		nsec, ok7 := digits(s[20:29])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 &&
			month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && sec < 60 {
			t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
			if t.Day() == day { // time.Date normalises Feb 30 to March; refuse it instead
				return t, nil
			}
		}
	}
	return time.Parse(timeLayout, s)
}

// digits reads a string of ASCII digits as a number.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
