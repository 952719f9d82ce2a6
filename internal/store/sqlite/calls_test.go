package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

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
