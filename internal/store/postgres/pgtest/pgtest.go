// Package pgtest gives tests a PostgreSQL database of their own. The server comes
// from PARLEY_TEST_POSTGRES (scripts/start-postgres.sh starts one and prints it);
// each call makes a fresh schema there and returns a URL whose search_path points at
// it, so tests running in parallel, and replicas started by one test, share exactly
// what they should.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable holding the test server's URL.
const Env = "PARLEY_TEST_POSTGRES"

// URL returns the test server's URL, or skips the test, saying how to get one, when
// PARLEY_TEST_POSTGRES is unset. A URL that is set but does not work fails the test
// (in Schema): CI must not silently skip what it was told to run.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		t.Skip(Env + " is not set: start a PostgreSQL with `export \"$(bash scripts/start-postgres.sh | tail -n 1)\"` to run the PostgreSQL tests")
	}
	return u
}

// Schema creates an empty schema on the test server, drops it when the test ends, and
// returns a URL that uses it.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "parley_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("creating schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
