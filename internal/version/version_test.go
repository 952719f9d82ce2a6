package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

const rev = "0123456789abcdef0123456789abcdef01234567"

// TestResolveFallsBackToBuildInfo: a `go install …@v0.4.1` binary has no ldflags;
// the module version and VCS stamps name it.
func TestResolveFallsBackToBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.25.0",
		Main:      debug.Module{Path: "github.com/parleyhq/parley", Version: "v0.4.1"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	got := resolve("", "", "", bi)
	want := Info{Version: "v0.4.1", Commit: rev, Date: "2026-12-01T10:00:00Z", Go: "go1.25.0"}
	if got != want {
		t.Fatalf("resolve = %+v, want %+v", got, want)
	}
	if s, want := got.String(), "v0.4.1 (commit 0123456, built 2026-12-01T10:00:00Z, go1.25.0)"; s != want {
		t.Fatalf("String = %q, want %q", s, want)
	}
}

// TestResolveLdflagsWin: release stamps beat whatever the build info says, and
// goreleaser's bare "1.0.0" is shown as the tag "v1.0.0".
func TestResolveLdflagsWin(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v0.4.1"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "aaa"}, {Key: "vcs.time", Value: "2020-01-01T00:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	got := resolve("1.0.0", "bbb", "2026-12-06T00:00:00Z", bi)
	want := Info{Version: "v1.0.0", Commit: "bbb", Date: "2026-12-06T00:00:00Z", Go: runtime.Version()}
	if got != want {
		t.Fatalf("resolve = %+v, want %+v", got, want)
	}
	if got := resolve("v2.0.0-rc.1", "", "", nil); got.Version != "v2.0.0-rc.1" {
		t.Fatalf("a tag with its v: %+v", got)
	}
}

// TestResolveDevelAndDirty: a checkout build with uncommitted changes says so, and
// a build with no stamps at all (go build -buildvcs=false) says "devel"/"unknown"
// rather than printing empty fields.
func TestResolveDevelAndDirty(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"},
	}}
	got := resolve("", "", "", bi)
	if got.Version != "devel" || got.Commit != rev+"-dirty" || got.Date != "unknown" {
		t.Fatalf("resolve = %+v", got)
	}
	if s, want := got.String(), "devel (commit 0123456-dirty, built unknown, go1.26.0)"; s != want {
		t.Fatalf("String = %q, want %q", s, want)
	}
	got = resolve("", "", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}})
	if s, want := got.String(), "devel (commit unknown, built unknown, go1.26.0)"; s != want {
		t.Fatalf("no stamps: String = %q, want %q", s, want)
	}
	if got := resolve("", "", "", nil); got.Version != "devel" || got.Commit != "unknown" || got.Go != runtime.Version() {
		t.Fatalf("nil build info: %+v", got)
	}
}

// TestGetReadsTheRunningBinary: Get uses the variables the linker sets.
func TestGetReadsTheRunningBinary(t *testing.T) {
	old := [3]string{Version, Commit, Date}
	t.Cleanup(func() { Version, Commit, Date = old[0], old[1], old[2] })
	Version, Commit, Date = "v9.9.9", "cafe", "2026-12-06T12:00:00Z"
	if got := Get(); got.Version != "v9.9.9" || got.Commit != "cafe" || got.Date != "2026-12-06T12:00:00Z" || got.Go == "" {
		t.Fatalf("Get = %+v", got)
	}
}
