//go:build unix

package agentcli

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup puts the CLI in a process group of its own, so that one signal
// reaches it and every helper it starts (node workers, shells, MCP servers).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the CLI's whole process group. SIGKILL, not SIGTERM: a CLI that is
// past its deadline gets no chance to hang in its own shutdown.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	// With Setpgid the group id is the leader's pid. ESRCH (nothing left) is fine.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
		return err
	}
	return nil
}

// textBusy reports a start that failed because the executable was open for writing.
func textBusy(err error) bool { return errors.Is(err, syscall.ETXTBSY) }
