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
	var v []byte
	err := s.r.QueryRowContext(ctx, `SELECT value FROM calls WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return v, err
}

// PutCall stores value under key. The key is content-addressed, so a second write of
// one key carries the same call: the first answer is kept.
func (s *Store) PutCall(ctx context.Context, key string, value []byte) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO calls (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		key, value, time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z"))
	return err
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
