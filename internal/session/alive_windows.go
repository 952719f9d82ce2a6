//go:build windows

package session

import "golang.org/x/sys/windows"

// processAlive opens the process and asks its exit code: Windows has no signal 0,
// and a handle to an exited process still opens while someone holds it, so the
// exit code (STILL_ACTIVE = 259) is what tells.
func processAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		// Access denied means it exists but is another user's.
		return err == windows.ERROR_ACCESS_DENIED
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	return code == 259
}
