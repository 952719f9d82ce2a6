// Package jobstest helps tests of the job queue wait on River's state instead of
// sleeping through it.
package jobstest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// WaitSettled waits until every job in river_job has reached a final state
// (completed, cancelled or discarded), so that no retry of any of them can come
// any more, and fails the test if that takes longer than timeout. A job that is
// waiting to be retried is 'retryable' (or 'scheduled', or 'available' once due),
// not final, so WaitSettled goes on waiting through it: a retry that should not
// happen runs (and is seen by the test) before WaitSettled returns, or makes it
// time out.
//
// dsn is the database the jobs live in, as the test gave it to the Runner; a
// search_path in it (pgtest.Schema's) selects the schema of River's tables.
func WaitSettled(t testing.TB, dsn string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("jobstest: connecting: %v", err)
	}
	defer conn.Close(context.Background())
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		// The query gets a context of its own, so that the last look before the
		// deadline still says which jobs were left.
		qctx, qcancel := context.WithTimeout(context.Background(), 10*time.Second)
		pending, err := unsettled(qctx, conn)
		qcancel()
		switch {
		case err != nil:
			t.Fatalf("jobstest: reading river_job: %v", err)
		case len(pending) == 0:
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("jobstest: River's jobs not settled after %v: %s", timeout, strings.Join(pending, ", "))
		case <-tick.C:
		}
	}
}

// unsettled lists the jobs not in a final state, as "id kind state (attempt n)".
func unsettled(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT id, kind, state::text, attempt FROM river_job
		WHERE state NOT IN ('completed', 'cancelled', 'discarded') ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var id int64
		var kind, state string
		var attempt int
		if err := rows.Scan(&id, &kind, &state, &attempt); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%d %s %s (attempt %d)", id, kind, state, attempt))
	}
	return out, rows.Err()
}
