//go:build !unix

package agentcli

import "os/exec"

// setProcessGroup does nothing where there are no process groups.
func setProcessGroup(cmd *exec.Cmd) {}

// killGroup kills the CLI itself; helpers it started may survive it on such systems.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return nil
	}
	return cmd.Process.Kill()
}

// textBusy is a Unix condition.
func textBusy(err error) bool { return false }
