// Package startup makes the process's start cheaper before main runs. Go runs the
// init of every linked package (over 360: the three vendor SDKs, SQLite, goldmark,
// bluemonday, gonum/plot, gRPC via genai...) before main, one after the other on
// one goroutine, so every command, `parley version` included, pays for all of them
// (docs/STARTUP.md). Two things cut that without touching what the packages do:
//
//   - The inits are bound by page faults: each init's code and data are touched
//     for the first time. On Linux a goroutine asks the kernel to map the
//     executable's pages on the other core while the inits run on this one
//     (prefault_linux.go).
//   - The inits allocate 3.75 MB, which with the runtime's own allocations
//     passes the 4 MB at which the first collection starts, so one or two
//     collections ran in the middle of them. The collector is held off until
//     main calls Done.
//
// Both must start early. Go initialises a package once its imports are, and among
// those ready the first by import path, so this package imports only syscall,
// unsafe and runtime; internal/cli's TestProcessStartup fails if it starts late.
package startup

import _ "unsafe" // for go:linkname

// setGCPercent is runtime/debug.SetGCPercent without package runtime/debug, whose
// imports (fmt, os, reflect...) would make this package's init wait until a third
// of the others have run, past the first collection. The runtime provides it to
// runtime/debug under this name (mgcpacer.go), which is what makes the link
// allowed; should a Go release drop it, the build fails here rather than misbehave.
//
//go:linkname setGCPercent runtime/debug.setGCPercent
func setGCPercent(percent int32) (previous int32)

// gcPercent is the setting from GOGC (100 without it), switched off during init.
var gcPercent = setGCPercent(-1)

func init() {
	if !disabled() {
		go prefault()
	}
}

// Done gives the collector back the setting from GOGC. main calls it first thing:
// what runs after the inits allocates as the user configured.
func Done() { setGCPercent(gcPercent) }
