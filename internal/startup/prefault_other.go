//go:build !linux

package startup

// The prefault is Linux's (madvise MADV_POPULATE_READ); elsewhere the pages are
// faulted in on demand as usual.
func disabled() bool { return true }
func prefault()      {}
func populate()      {}
