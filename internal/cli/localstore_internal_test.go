package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/store"
	"go.uber.org/goleak"
)

// TestOpenAheadCreatesNothingUntilWait: a new database is created only when the
// command asks for it, so that one failing on its input leaves no file; an
// existing one is opened in the background and handed over, or closed when the
// command stops first.
func TestOpenAheadCreatesNothingUntilWait(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")

	openAhead(ctx, path).discard()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a discarded openAhead of a new database left %s (%v)", path, err)
	}

	a := openAhead(ctx, path)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("openAhead created the new database %s before wait (%v)", path, err)
	}
	st, err := a.wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.List(ctx, store.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Now the file exists: opened ahead, in the background.
	a = openAhead(ctx, path)
	<-a.done
	if a.st == nil || a.err != nil {
		t.Fatalf("openAhead of an existing database did not open it ahead: %v, %v", a.st, a.err)
	}
	st, err = a.wait(ctx)
	if err != nil || st != a.st {
		t.Fatalf("wait = %v, %v; want the store opened ahead", st, err)
	}
	st.Close()

	openAhead(ctx, path).discard() // opened and closed: goleak checks nothing is left
}

// TestOpenAheadReportsTheOpenError: a path that cannot be a database gives the
// same error as opening it directly.
func TestOpenAheadReportsTheOpenError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir() // a directory, not a file: never opened ahead
	_, err := openAhead(ctx, dir).wait(ctx)
	_, direct := openStore(ctx, dir)
	if err == nil || direct == nil || err.Error() != direct.Error() {
		t.Errorf("openAhead(dir).wait = %v, openStore(dir) = %v: want the same error", err, direct)
	}
}
