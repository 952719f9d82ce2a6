// Package postgres is parley's store for a team server: debates and their event logs
// in PostgreSQL, through pgx, so that several `parley serve` replicas share them (and
// share the River job queue that lives in the same database; see internal/jobs).
//
// The schema mirrors the SQLite store's: an append-only events table and a summary
// row per debate updated in the same transaction. The sequence check is a
// conditional UPDATE of the summary row (last_seq = seq - 1), so two writers racing
// for the same Seq serialise on that row's lock and exactly one of them wins; the
// other gets store.ErrConflict. That check is what keeps two replicas from ever both
// writing one debate, whatever the job queue believes.
//
// # Time precision
//
// PostgreSQL keeps microseconds. Summary times (CreatedAt, UpdatedAt, Owner.Since)
// come back truncated to the microsecond; events keep full precision because they
// are stored whole, as JSON. Owners are compared after the same truncation on both
// sides, so an Owner held in memory at nanosecond precision still matches its stored
// self in Claim.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationsTable is where goose records which of this package's migrations ran; it
// is not goose's default name, so that parley can share a database with an
// application that uses goose itself.
const MigrationsTable = "parley_goose_db_version"

// IsURL reports whether a --db value names a PostgreSQL database rather than a
// SQLite file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Store is a store.Store kept in PostgreSQL. Create it with Open or New.
type Store struct {
	pool    *pgxpool.Pool
	ownPool bool

	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…), brings this package's schema
// up to date and returns the store, which owns its connection pool. Errors never
// carry the URL's password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %s", redact(err.Error(), dsn))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %s", redact(err.Error(), dsn))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: %s", redact(err.Error(), dsn))
	}
	s, err := New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownPool = true
	return s, nil
}

// New returns a store over an existing pool after bringing the schema up to date.
// Close then leaves the pool open: it belongs to the caller.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if err := Migrate(ctx, pool); err != nil {
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Migrate applies the embedded migrations. Replicas starting at the same moment
// take turns: goose holds a PostgreSQL advisory lock for the whole run.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := migrator(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres store: migrating: %w", err)
	}
	return nil
}

// Ready reports whether the store can serve: the database answers and no migration
// of this binary is pending (a replica of an older binary may still run against a
// newer schema, but not the reverse). For a server's readiness probe. Errors carry
// no password: pgx does not put one in them.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres store: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := migrator(db)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("postgres store: reading the schema version: %w", err)
	}
	if pending {
		return errors.New("postgres store: the schema is not current (a migration is pending); restart a replica to apply it")
	}
	return nil
}

func migrator(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(MigrationsTable),
		goose.WithSessionLocker(locker),
		// Go migrations registered globally by some other package are none of ours.
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	return p, nil
}

// Pool is the store's connection pool, for the job queue that shares the database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close releases the store (and its pool, if Open made it). Safe to call twice.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.ownPool {
			s.pool.Close()
		}
	})
	return nil
}

// Append implements store.Store: the stored events (deltas are skipped) are written
// in one transaction; on any error none of them is.
func (s *Store) Append(ctx context.Context, events ...debate.Event) error {
	return s.appendWith(ctx, events, nil)
}

// AppendWith appends like Append and runs also(tx) in the same transaction before
// it commits: the debate's events and, say, the job that will run it become
// visible together or not at all. An error from also rolls everything back.
func (s *Store) AppendWith(ctx context.Context, events []debate.Event, also func(pgx.Tx) error) error {
	return s.appendWith(ctx, events, also)
}

// pending is one event checked and encoded, ready to be written.
type pending struct {
	e    *debate.Event
	data string
}

func (s *Store) appendWith(ctx context.Context, events []debate.Event, also func(pgx.Tx) error) error {
	// Check and encode before taking a connection: the transaction should hold its
	// row locks for SQL only.
	batch := make([]pending, 0, len(events))
	for i := range events {
		e := &events[i]
		if !e.Kind.Stored() {
			continue
		}
		if err := store.Check(e); err != nil {
			return fmt.Errorf("postgres store: %w", err)
		}
		if e.Kind == debate.KindDebateStarted && e.Seq != 1 {
			return fmt.Errorf("%w: debate_started of debate %q has seq %d, want 1", store.ErrConflict, e.DebateID, e.Seq)
		}
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("postgres store: encoding %s event %d of debate %q: %w", e.Kind, e.Seq, e.DebateID, err)
		}
		batch = append(batch, pending{e: e, data: string(data)})
	}
	if len(batch) == 0 && also == nil {
		return nil
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres store: %w", err)
	}
	defer tx.Rollback(ctx) // a no-op after Commit

	// Every statement goes in one pipelined batch: one round trip whatever the
	// number of events. Results are read in order and the first refusal decides;
	// anything sent after it fails too (the transaction is aborted) and is rolled back.
	var b pgx.Batch
	for _, p := range batch {
		e := p.e
		if e.Kind == debate.KindDebateStarted {
			b.Queue(`INSERT INTO parley_debates (id, problem, mode, status, created_at, updated_at, last_seq)
				VALUES ($1, $2, $3, $4, $5, $5, 1) ON CONFLICT (id) DO NOTHING`,
				e.DebateID, []byte(e.Started.Spec.Problem), e.Started.Spec.Mode, string(debate.StatusRunning), e.At)
		} else {
			var status *string // nil: unchanged
			switch e.Kind {
			case debate.KindDebateResumed:
				v := string(debate.StatusRunning)
				status = &v
			case debate.KindDebateFinished:
				v := string(e.Finished.Status)
				status = &v
			}
			// The sequence check and the summary update are one statement: it matches
			// only when the event continues the log.
			b.Queue(`UPDATE parley_debates SET last_seq = $2, updated_at = $3, status = COALESCE($4, status)
				WHERE id = $1 AND last_seq = $2 - 1`, e.DebateID, e.Seq, e.At, status)
		}
		b.Queue(`INSERT INTO parley_events (debate_id, seq, kind, at, data) VALUES ($1, $2, $3, $4, $5)`,
			e.DebateID, e.Seq, string(e.Kind), e.At, p.data)
	}
	if len(batch) > 0 {
		if err := s.runBatch(ctx, tx, &b, batch); err != nil {
			return err
		}
	}
	if also != nil {
		if err := also(tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres store: %w", err)
	}
	return nil
}

// runBatch sends b and reads its results: two per event (the summary statement and
// the event insert).
func (s *Store) runBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch, batch []pending) error {
	br := tx.SendBatch(ctx, b)
	var refused *debate.Event
	var firstErr error
	for _, p := range batch {
		tag, err := br.Exec()
		if err != nil {
			firstErr = fmt.Errorf("postgres store: %w", err)
			break
		}
		if tag.RowsAffected() == 0 {
			refused = p.e
			break
		}
		if _, err := br.Exec(); err != nil {
			firstErr = fmt.Errorf("postgres store: %w", err)
			break
		}
	}
	// Close reads what is left; after a refusal those are errors of an aborted
	// transaction, of no interest.
	if err := br.Close(); err != nil && firstErr == nil && refused == nil {
		firstErr = fmt.Errorf("postgres store: %w", err)
	}
	if refused != nil {
		// Roll back before explaining: the explanation reads committed state only.
		tx.Rollback(ctx)
		return s.explainRefusal(ctx, refused)
	}
	return firstErr
}

// explainRefusal says why an event's statement matched no row: the debate does not
// exist, it already exists (a second debate_started), or the event does not
// continue its log. Debates are never deleted, so reading after the rollback gives
// an answer that cannot be stale in a way that matters.
func (s *Store) explainRefusal(ctx context.Context, e *debate.Event) error {
	var last int
	err := s.pool.QueryRow(ctx, `SELECT last_seq FROM parley_debates WHERE id = $1`, e.DebateID).Scan(&last)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if e.Kind == debate.KindDebateStarted {
			// Created and gone again within the same batch cannot happen; a racing
			// creator whose transaction rolled back can. Either way: try again.
			return fmt.Errorf("%w: debate %q was being created by another writer", store.ErrConflict, e.DebateID)
		}
		return fmt.Errorf("%w: %q (appending %s event %d)", store.ErrNotFound, e.DebateID, e.Kind, e.Seq)
	case err != nil:
		return fmt.Errorf("postgres store: %w", err)
	}
	if e.Kind == debate.KindDebateStarted {
		return fmt.Errorf("%w: debate %q already exists", store.ErrConflict, e.DebateID)
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
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM parley_debates WHERE id = $1`, id).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("postgres store: %w", err)
	}
	return true, nil
}

func (s *Store) eventsAfter(ctx context.Context, id string, after int) ([]debate.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT data FROM parley_events WHERE debate_id = $1 AND seq > $2 ORDER BY seq`, id, after)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	defer rows.Close()
	var events []debate.Event
	for rows.Next() {
		// Raw bytes of the text column: Unmarshal copies what it keeps.
		data := rows.RawValues()[0]
		var e debate.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("postgres store: decoding event %d of debate %q: %w", after+len(events)+1, id, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	return events, nil
}

const summaryColumns = `id, status, problem, mode, created_at, updated_at, owner_host, owner_pid, owner_since`

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, id string) (store.Summary, error) {
	sum, err := scanSummary(s.pool.QueryRow(ctx, `SELECT `+summaryColumns+` FROM parley_debates WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Summary{}, fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	if err != nil {
		return store.Summary{}, fmt.Errorf("postgres store: %w", err)
	}
	return sum, nil
}

// List implements store.Store: newest first (by creation time, then by id
// descending for debates created at the same instant).
func (s *Store) List(ctx context.Context, opts store.ListOptions) ([]store.Summary, error) {
	q := `SELECT ` + summaryColumns + ` FROM parley_debates`
	var args []any
	var where []string
	if opts.Status != "" {
		args = append(args, string(opts.Status))
		where = append(where, fmt.Sprintf(`status = $%d`, len(args)))
	}
	if opts.Query != "" {
		// The problem is BYTEA (it may hold NUL, which TEXT cannot): it is read as
		// UTF-8 unless it holds a NUL, which convert_from refuses. The verdict lives
		// only in the log: its recommendation and the chair's reply are read out of its
		// JSON, which json (not jsonb) parses unless it escapes a NUL, which ->> refuses;
		// such an event is searched as raw text.
		args = append(args, store.LikePattern(opts.Query))
		n := len(args)
		where = append(where, fmt.Sprintf(`(CASE WHEN position('\x00'::bytea IN problem) = 0
			THEN convert_from(problem, 'UTF8') ELSE encode(problem, 'escape') END ILIKE $%d
			OR EXISTS (SELECT 1 FROM parley_events e WHERE e.debate_id = parley_debates.id
				AND e.kind = 'verdict_completed' AND CASE WHEN strpos(e.data, '\u0000') = 0
					THEN coalesce(e.data::json->'verdict'->>'recommendation', '') || E'\n' ||
						coalesce(e.data::json->'verdict'->>'text', '')
					ELSE e.data END ILIKE $%d))`, n, n))
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if opts.Limit > 0 {
		args = append(args, opts.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	defer rows.Close()
	var list []store.Summary
	for rows.Next() {
		sum, err := scanSummary(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres store: %w", err)
		}
		list = append(list, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	return list, nil
}

func scanSummary(row pgx.Row) (store.Summary, error) {
	var (
		sum              store.Summary
		status           string
		problem          []byte
		created, updated time.Time
		since            *time.Time
	)
	if err := row.Scan(&sum.ID, &status, &problem, &sum.Mode, &created, &updated,
		&sum.Owner.Host, &sum.Owner.PID, &since); err != nil {
		return store.Summary{}, err
	}
	sum.Status = debate.Status(status)
	sum.Problem = string(problem)
	sum.CreatedAt, sum.UpdatedAt = created.UTC(), updated.UTC()
	if since != nil {
		sum.Owner.Since = since.UTC()
	}
	return sum, nil
}

// nullTime is t as a query argument, with the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Claim implements store.Store. Owners are compared by host, pid and the instant of
// Since (its location does not matter).
func (s *Store) Claim(ctx context.Context, id string, prev, owner store.Owner) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE parley_debates SET owner_host = $1, owner_pid = $2, owner_since = $3
		WHERE id = $4 AND owner_host = $5 AND owner_pid = $6 AND owner_since IS NOT DISTINCT FROM $7`,
		owner.Host, owner.PID, nullTime(owner.Since),
		id, prev.Host, prev.PID, nullTime(prev.Since))
	if err != nil {
		return fmt.Errorf("postgres store: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	cur, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if cur.Owner == (store.Owner{}) {
		return fmt.Errorf("%w: debate %q has no owner", store.ErrClaimed, id)
	}
	return fmt.Errorf("%w: debate %q is owned by pid %d on %q since %s", store.ErrClaimed, id,
		cur.Owner.PID, cur.Owner.Host, cur.Owner.Since.Format(time.RFC3339Nano))
}

// redact removes the password of dsn from msg: connection errors must not carry it.
func redact(msg, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return msg
	}
	if pw, ok := u.User.Password(); ok && len(pw) >= 3 {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
		if esc := url.QueryEscape(pw); esc != pw {
			msg = strings.ReplaceAll(msg, esc, "xxxxx")
		}
	}
	return msg
}
