package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/jobs/jobstest"
	"github.com/parleyhq/parley/internal/store/postgres"
	"github.com/parleyhq/parley/internal/store/postgres/pgtest"
)

// TestTeamCancel: on a team server, POST …/cancel stops a debate the replica runs;
// it is recorded as interrupted and its job is done, not handed to a replica that
// would resume it.
func TestTeamCancel(t *testing.T) {
	dsn := pgtest.Schema(t)
	h := newHarness(t)
	for _, m := range []string{"gpt-5", "o4-mini", "gpt-4.1"} {
		h.srv.Script(m, answers(m, 10*time.Second))
	}
	s := h.serve("--db", dsn)
	id := s.start(`{"problem": "A slow one", "models": ["openai:gpt-5", "openai:o4-mini", "openai:gpt-4.1"]}`)
	// The job runs once River hands it to this replica; until then there is
	// nothing here to cancel (409).
	var r httpResult
	waitFor(t, 30*time.Second, "the cancel to be accepted", func() bool {
		r = s.do("POST", "/api/debates/"+id+"/cancel", "")
		return r.status == 202
	})
	if got := s.follow(id, 0); !strings.Contains(got.finished, `"interrupted"`) {
		t.Fatalf("the canceled debate finished with %q", got.finished)
	}
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The job is done for good: had it failed instead, it would be waiting for
	// River's retry ('retryable'), and WaitSettled waits through the retry.
	jobstest.WaitSettled(t, dsn, 30*time.Second)
	events, err := st.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Kind != debate.KindDebateFinished || last.Finished.Status != debate.StatusInterrupted {
		t.Fatalf("the log ends with %s %+v: the job ran again", last.Kind, last.Finished)
	}
	if r := s.do("POST", "/api/debates/"+id+"/cancel", ""); r.status != 409 {
		t.Errorf("a second cancel = %d %s", r.status, r.body)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
}
