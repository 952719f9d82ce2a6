package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

// GetCall returns the cached value stored under key, or store.ErrNotFound. The
// value is opaque here: internal/callcache owns its encoding.
func (s *Store) GetCall(ctx context.Context, key string) ([]byte, error) {
	s.qmu.Lock()
	for _, c := range s.calls { // a row put but not yet committed
		if c.key == key {
			s.qmu.Unlock()
			return c.value, nil
		}
	}
	s.qmu.Unlock()
	var v []byte
	err := s.r.QueryRowContext(ctx, `SELECT value FROM calls WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return v, err
}

// callRow is a call-cache row waiting for the next commit.
type callRow struct {
	key   string
	value []byte
	at    string
}

// callFlushDelay bounds how long a call row waits for an Append to ride on.
const callFlushDelay = 50 * time.Millisecond

// PutCall stores value under key. The key is content-addressed, so a second write of
// one key carries the same call: the first answer is kept.
//
// The row is not committed on its own: it rides on the next commit, which in a
// debate is the turn_completed event the engine appends a moment later (or on a
// commit of its own after callFlushDelay, or at Close). A commit per paid answer
// instead of two halves the append path's system calls; the cache is best effort
// either way, and the answer itself is in the event.
func (s *Store) PutCall(ctx context.Context, key string, value []byte) error {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.closed {
		return errors.New("sqlite store: closed")
	}
	s.calls = append(s.calls, callRow{key: key, value: value, at: formatTime(time.Now())})
	if s.callTimer == nil {
		s.callTimer = time.AfterFunc(callFlushDelay, s.flushCalls)
	}
	return nil
}

// flushCalls commits the call rows that no Append has taken along.
func (s *Store) flushCalls() {
	s.qmu.Lock()
	s.callTimer = nil
	n := len(s.calls)
	s.qmu.Unlock()
	if n > 0 {
		_ = s.commit(context.Background(), nil)
	}
}

// MarkReplay records that debate id is a replay of original.
func (s *Store) MarkReplay(ctx context.Context, id, original string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO replays (id, original) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET original = excluded.original`, id, original)
	return err
}

// ReplayOf returns the debate that id replays, or "" when it is no replay.
func (s *Store) ReplayOf(ctx context.Context, id string) (string, error) {
	var o string
	err := s.r.QueryRowContext(ctx, `SELECT original FROM replays WHERE id = ?`, id).Scan(&o)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return o, err
}
