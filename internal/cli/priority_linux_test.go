package cli_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// ahead gives every thread of this process a CPU weight above other processes'
// (nice -10, ~10× the weight of nice 0 under Linux's fair scheduler) until the test
// ends, logs whether it could, and returns that. A timing test run this way
// measures the code rather than the machine: other packages' tests, browsers and
// agent CLIs that `go test ./...` runs on the same cores give way, while
// everything parley itself does, sleeps and waits included, still counts in full.
// Threads the runtime starts meanwhile, and the processes they start, inherit the
// weight from the thread that starts them.
//
// Written by hand: no library sets a whole Go process's priority, and
// setpriority(PRIO_PROCESS, pid) changes only the main thread on Linux.
func ahead(tb testing.TB) bool {
	tb.Helper()
	const raised = -10
	before := map[int]int{}
	for _, tid := range threads() {
		n, err := nice(tid)
		if err != nil {
			continue // the thread is gone
		}
		before[tid] = n
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, raised); err != nil {
			tb.Logf("cannot raise this process's CPU priority (%v): the figure includes the machine's load", err)
			restore(before)
			return false
		}
	}
	tb.Cleanup(func() { restore(before) })
	tb.Logf("ahead of other processes for the CPU, children included (nice %d)", raised)
	return true
}

// nice is a thread's nice value. The raw system call returns 20 - nice, and Go's
// wrapper passes it through.
func nice(tid int) (int, error) {
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	return 20 - p, err
}

// restore puts the threads that were there back at their nice value, and those
// started since at the main thread's (all of a Go test process's threads start at
// the same nice). It goes over the threads twice: one started during the first
// pass by a thread not yet put back would inherit the raised weight.
func restore(before map[int]int) {
	for range 2 {
		for _, tid := range threads() {
			n, ok := before[tid]
			if !ok {
				n = before[os.Getpid()]
			}
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, n)
		}
	}
}

func threads() []int {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil
	}
	var tids []int
	for _, e := range entries {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids
}

func niceOf(tb testing.TB, tid int) int {
	tb.Helper()
	n, err := nice(tid)
	if err != nil {
		tb.Fatalf("getpriority %d: %v", tid, err)
	}
	return n
}

// TestAheadRaisesEveryThreadAndPutsThemBack: while a timing test runs, every thread
// of the process and the processes it starts run at nice -10; afterwards the
// package's other tests run at the nice they had.
func TestAheadRaisesEveryThreadAndPutsThemBack(t *testing.T) {
	start := niceOf(t, os.Getpid())
	t.Run("timed", func(t *testing.T) {
		if !ahead(t) {
			t.Skip("this process may not raise its priority (no CAP_SYS_NICE)")
		}
		for _, tid := range threads() {
			if n := niceOf(t, tid); n != -10 {
				t.Errorf("thread %d runs at nice %d, want -10", tid, n)
			}
		}
		out, err := exec.Command("sh", "-c", "cut -d' ' -f19 /proc/self/stat").Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != "-10" {
			t.Errorf("a child process runs at nice %s, want -10", got)
		}
	})
	for _, tid := range threads() {
		if n := niceOf(t, tid); n != start {
			t.Errorf("after the test, thread %d runs at nice %d, want %d", tid, n, start)
		}
	}
}
