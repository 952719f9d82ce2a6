package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/version"
)

// TestVersionStampedByLdflags builds cmd/parley the way .goreleaser.yaml does and
// checks that all three ways of asking print the stamps.
func TestVersionStampedByLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "parley")
	const pkg = "github.com/parleyhq/parley/internal/version"
	ld := "-s -w -X " + pkg + ".Version=1.2.3 -X " + pkg + ".Commit=abc1234def5678abc1234def5678abc1234def56 -X " + pkg + ".Date=2026-12-06T04:00:00Z"
	build := exec.Command("go", "build", "-ldflags", ld, "-o", bin, "../../cmd/parley")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(args ...string) string {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("parley %v: %v", args, err)
		}
		return string(out)
	}
	want := "parley v1.2.3 (commit abc1234, built 2026-12-06T04:00:00Z, go"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if got := run(args...); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ")\n") {
			t.Errorf("parley %v = %q, want prefix %q", args, got, want)
		}
	}
	var in version.Info
	if err := json.Unmarshal([]byte(run("version", "--format", "json")), &in); err != nil {
		t.Fatal(err)
	}
	if in.Version != "v1.2.3" || in.Commit != "abc1234def5678abc1234def5678abc1234def56" || in.Date != "2026-12-06T04:00:00Z" || !strings.HasPrefix(in.Go, "go") {
		t.Errorf("version --format json = %+v", in)
	}
}

// TestCrossBuilds: the release targets other than this machine's still compile,
// so a unix-only syscall in a shared file fails here and not at release time.
func TestCrossBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles")
	}
	for _, target := range [][2]string{{"windows", "amd64"}, {"darwin", "arm64"}} {
		cmd := exec.Command("go", "build", "-o", os.DevNull, "../../cmd/...")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+target[0], "GOARCH="+target[1])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s GOARCH=%s go build ./cmd/...: %v\n%s", target[0], target[1], err, out)
		}
	}
}
