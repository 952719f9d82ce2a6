package cli_test

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parleyhq/parley/internal/cli"
)

// TestMain makes this test binary double as the parley command: testscript puts it
// on PATH as "parley", so scripts and process-level tests (SIGKILL, resume) run the
// real command line.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"parley": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], cli.System()))
		},
	})
}
