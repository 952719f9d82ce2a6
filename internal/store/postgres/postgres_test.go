package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/postgres/pgtest"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	pgtest.URL(t) // one skip, with the reason, rather than one per case
	storetest.Run(t, open)
}

// TestMigrateTwice opens a second store on a migrated schema, as a second replica
// does: the migration is a no-op and the data is there.
func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	u := pgtest.Schema(t)
	a, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ev := debate.Event{DebateID: "d1", Seq: 1, Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p"}}}
	if err := a.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	b, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer b.Close()
	if _, err := b.Get(ctx, "d1"); err != nil {
		t.Fatalf("Get from the second store: %v", err)
	}
}

// TestAppendWith: what the callback writes commits with the events, and its error
// rolls the events back.
func TestAppendWith(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Pool().Exec(ctx, `CREATE TABLE side (id TEXT)`); err != nil {
		t.Fatal(err)
	}
	ev := func(id string) []debate.Event {
		return []debate.Event{{DebateID: id, Seq: 1, Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p"}}}}
	}
	err = s.AppendWith(ctx, ev("ok"), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO side VALUES ('ok')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = s.AppendWith(ctx, ev("rolled-back"), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO side VALUES ('rolled-back')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("AppendWith = %v, want boom", err)
	}
	if _, err := s.Get(ctx, "rolled-back"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the debate of a failed AppendWith exists: %v", err)
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM side`).Scan(&n); err != nil || n != 1 {
		t.Errorf("side rows = %d (%v), want 1", n, err)
	}
	if _, err := s.Get(ctx, "ok"); err != nil {
		t.Errorf("Get(ok): %v", err)
	}
}

// TestPasswordNotInErrors: a URL that cannot connect gives an error without its password.
func TestPasswordNotInErrors(t *testing.T) {
	const pw = "s3cret-Passw0rd"
	_, err := postgres.Open(context.Background(), "postgres://someone:"+pw+"@127.0.0.1:1/nothing?connect_timeout=2&sslmode=disable")
	if err == nil {
		t.Fatal("opened a store on port 1")
	}
	if strings.Contains(err.Error(), pw) {
		t.Fatalf("error carries the password: %v", err)
	}
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"postgres://u@h/db": true, "postgresql://h/db": true, "/tmp/parley.db": false, "parley.db": false, "": false,
	} {
		if got := postgres.IsURL(in); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", in, got, want)
		}
	}
}
