package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/session"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

// fullDisk is a store whose disk fills up after a number of appends.
type fullDisk struct {
	store.Store
	left atomic.Int64
}

func (f *fullDisk) Append(ctx context.Context, events ...debate.Event) error {
	if f.left.Add(-1) < 0 {
		return fmt.Errorf("sqlite store: disk I/O error: %w", syscall.ENOSPC)
	}
	return f.Store.Append(ctx, events...)
}

// TestDiskFullStopsCleanlyAndResumes: the disk fills in the middle of round 2. The
// debate stops with exit 1 and says how to resume; once there is room again,
// `parley resume` finishes it without calling any finished turn again.
func TestDiskFullStopsCleanlyAndResumes(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{})
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "parley.db")
	env := map[string]string{"HOME": dir, "PARLEY_DB": dbPath, "OPENAI_BASE_URL": srv.URL() + "/v1", "OPENAI_API_KEY": "k", "PARLEY_RETRY_BASE": "10ms", "PATH": ""}
	var stderr, stdout bytes.Buffer
	io := IO{In: strings.NewReader(""), Out: &stdout, Err: &stderr, Env: func(k string) string { return env[k] }}

	ctx := context.Background()
	cfg := &config.Config{}
	panel, resolved, err := (&session.Service{Config: cfg, Env: io.Env}).BuildPanel(ctx, []string{"openai:a", "openai:b"})
	if err != nil {
		t.Fatal(err)
	}
	real, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	full := &fullDisk{Store: real}
	// Three appends succeed: debate_started, then each round-1 answer (with the starts
	// that waited for it); the first round-2 answer finds the disk full.
	full.left.Store(3)
	mode, _ := debate.BuiltinMode("standard")
	d := debate.Debate{ID: debate.NewID(), Spec: debate.Spec{Problem: "Where do we start?", Mode: "standard", Seed: 1}, Mode: mode, Panel: panel}
	err = execute(ctx, io, full, &session.Prepared{Debate: d, Secrets: session.SecretsOf(resolved)}, reportOptions{format: "json", quiet: true})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitNoVerdict || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(ee.hint, "parley resume "+d.ID) {
		t.Fatalf("err = %v (%#v); want exit 1 naming the full disk with a resume hint", err, ee)
	}
	sum, err := real.Get(ctx, d.ID)
	if err != nil || sum.Status != debate.StatusRunning || sum.Owner != (store.Owner{}) {
		t.Fatalf("after the failure: %+v %v; want running and released", sum, err)
	}
	real.Close()
	before := len(srv.Calls())
	round1 := 0
	for _, c := range srv.Calls() {
		if strings.Contains(c.Prompt, "# Round 1 of") {
			round1++
		}
	}

	stdout.Reset()
	if code := Main(ctx, []string{"resume", d.ID, "--format", "json", "-q"}, io); code != 0 {
		t.Fatalf("resume exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"status": "completed"`) {
		t.Fatalf("resumed debate:\n%s", stdout.String())
	}
	again := 0
	for _, c := range srv.Calls()[before:] {
		if strings.Contains(c.Prompt, "# Round 1 of") {
			again++
		}
	}
	if again != 0 || round1 != 2 {
		t.Errorf("round 1 was called %d times before and %d times after the resume; want 2 and 0", round1, again)
	}
}
