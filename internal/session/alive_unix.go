//go:build !windows

package session

import (
	"errors"
	"syscall"
)

// processAlive probes a local PID with signal 0: EPERM still means the process
// exists (it belongs to another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
