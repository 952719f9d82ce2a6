package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
)

func TestCalls(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calls.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCall(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("miss: %v, want ErrNotFound", err)
	}
	if err := s.PutCall(ctx, "k1", []byte(`{"text":"first"}`)); err != nil {
		t.Fatal(err)
	}
	// Content-addressed: a second write of a key keeps the first answer.
	if err := s.PutCall(ctx, "k1", []byte(`{"text":"second"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkReplay(ctx, "r1", "d1"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Durable across a reopen.
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.GetCall(ctx, "k1")
	if err != nil || string(v) != `{"text":"first"}` {
		t.Errorf("got %q, %v", v, err)
	}
	if o, err := s.ReplayOf(ctx, "r1"); err != nil || o != "d1" {
		t.Errorf("replay of r1: %q, %v", o, err)
	}
	if o, err := s.ReplayOf(ctx, "d1"); err != nil || o != "" {
		t.Errorf("d1 is no replay, got %q, %v", o, err)
	}
}

// committedCall reads key through the readers, past the rows still waiting for a
// commit: what another process would see.
func committedCall(t *testing.T, s *Store, key string) (string, bool) {
	t.Helper()
	var v []byte
	err := s.r.QueryRowContext(context.Background(), `SELECT value FROM calls WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v), true
}

// TestCallRidesTheNextAppend: a call-cache row is committed with the event the
// engine appends after it, in one transaction (one commit per paid answer, not two).
func TestCallRidesTheNextAppend(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if err := s.Append(ctx, startedEvent("d1", t0)); err != nil {
		t.Fatal(err)
	}
	before := commits.Load()
	if err := s.PutCall(ctx, "k1", []byte(`{"text":"answer"}`)); err != nil {
		t.Fatal(err)
	}
	// Not committed yet, but this process's cache sees it.
	if _, ok := committedCall(t, s, "k1"); ok {
		t.Fatal("the call row was committed on its own")
	}
	if v, err := s.GetCall(ctx, "k1"); err != nil || string(v) != `{"text":"answer"}` {
		t.Fatalf("a pending row: got %q, %v", v, err)
	}
	if err := s.Append(ctx, turnEvent("d1", 2, "answer")); err != nil {
		t.Fatal(err)
	}
	if n := commits.Load() - before; n != 1 {
		t.Errorf("the call row and the turn took %d commits, want 1", n)
	}
	if v, ok := committedCall(t, s, "k1"); !ok || v != `{"text":"answer"}` {
		t.Errorf("after the append the row reads %q (%v)", v, ok)
	}
}

// TestCallWithoutAppendIsCommittedSoon: with no Append to ride on, the row is
// committed on its own after callFlushDelay; and Close commits what is left.
func TestCallWithoutAppendIsCommittedSoon(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if err := s.PutCall(ctx, "alone", []byte(`{"text":"x"}`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := committedCall(t, s, "alone"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lone call row was never committed")
		}
		time.Sleep(5 * time.Millisecond)
	}

	path := filepath.Join(t.TempDir(), "close.db")
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.PutCall(ctx, "at-close", []byte(`{"text":"y"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s2.PutCall(ctx, "late", []byte(`{}`)); err == nil {
		t.Error("PutCall on a closed store succeeded")
	}
	s3, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if _, ok := committedCall(t, s3, "at-close"); !ok {
		t.Error("Close lost a call row that was waiting for a commit")
	}
}
