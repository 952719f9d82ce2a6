//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package eval

import "os"

// lockFile is a no-op where flock(2) is not available: running one eval from two
// processes at once is then the user's to avoid.
func lockFile(*os.File) (func(), error) { return func() {}, nil }
