// Package version says which build of parley is running. Release builds stamp the
// three variables with -ldflags -X (see .goreleaser.yaml); a `go install …@vX`
// build has no ldflags, so the module version and the VCS stamps the go command
// records in the binary fill what is missing.
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by -ldflags "-X github.com/parleyhq/parley/internal/version.Version=v1.2.3 …".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is what `parley version` prints.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
}

// Get returns the stamped values, completed from the binary's build info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Commit, Date, bi)
}

// resolve is Get without globals, so the fallback order can be tested with a
// made-up BuildInfo. Each field is taken from the ldflags when stamped, else from
// the build info, else it says it is unknown.
func resolve(ver, commit, date string, bi *debug.BuildInfo) Info {
	in := Info{Version: tag(ver), Commit: commit, Date: date, Go: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			in.Go = bi.GoVersion
		}
		// "(devel)" is what a build from a checkout without VCS stamps reports;
		// it says nothing a reader could look up.
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.time":
				if in.Date == "" {
					in.Date = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		// A commit given by ldflags names what was released; only a revision read
		// from the checkout can carry uncommitted changes.
		if dirty && commit == "" && in.Commit != "" {
			in.Commit += "-dirty"
		}
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	if in.Date == "" {
		in.Date = "unknown"
	}
	return in
}

// tag gives a release version its "v": goreleaser's {{.Version}} is the tag
// without it ("1.2.3"), while go install reports module versions with it.
func tag(v string) string {
	if v != "" && v[0] >= '0' && v[0] <= '9' {
		return "v" + v
	}
	return v
}

// String is the one-line form: "v1.2.3 (commit abc1234, built 2026-12-06T04:00:00Z, go1.26.0)".
// The commit is shortened to git's default seven characters, which is what
// `git log --oneline` shows and `git show` accepts; JSON keeps the full hash.
func (in Info) String() string {
	c, dirty := strings.CutSuffix(in.Commit, "-dirty")
	if len(c) > 7 && isHex(c) {
		c = c[:7]
	}
	if dirty {
		c += "-dirty"
	}
	return in.Version + " (commit " + c + ", built " + in.Date + ", " + in.Go + ")"
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
