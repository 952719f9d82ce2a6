package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// BenchmarkOpenCurrent is the store's share of every command's start: opening a
// file whose schema is current (docs/BENCHMARKS.md).
func BenchmarkOpenCurrent(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "parley.db")
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	for b.Loop() {
		s, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkSchemaCurrent is the check alone, on an open connection.
func BenchmarkSchemaCurrent(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "parley.db")
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		if !schemaCurrent(ctx, db) {
			b.Fatal("schema not current")
		}
	}
}
