//go:build !linux

package cli_test

import "testing"

// ahead raises the process's CPU priority where that is per thread (Linux, see
// priority_linux_test.go); elsewhere a timing test measures with the machine's load.
func ahead(tb testing.TB) bool {
	tb.Helper()
	tb.Log("no per-thread CPU priority here: the figure includes the machine's load")
	return false
}
