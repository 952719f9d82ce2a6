package startup

import (
	"runtime"
	"syscall"
	"unsafe"
)

// madvPopulateRead (Linux 5.14) maps the range's pages into the page tables as if
// each had been read, without a fault per page. An older kernel answers EINVAL and
// nothing changes.
const madvPopulateRead = 22

// disabled is PARLEY_NO_PREFAULT=1. os.Getenv is not used: package os would make
// this package wait for os's own init.
func disabled() bool {
	v, ok := syscall.Getenv("PARLEY_NO_PREFAULT")
	return ok && v != "" && v != "0"
}

// prefault maps the pages of the running executable (its code, read-only data and
// initialised data) that the page cache already holds. A page that is not cached
// (the first run after an upgrade) is left to be read on demand as usual: reading
// the whole 100 MB binary from disk to save faults would cost more than it saves.
func prefault() {
	// The prefault is worth its work only on a core that would otherwise idle. With
	// every core busy (a loaded machine, a parallel test run) it would only add
	// that work, and the faults it saves cost less than mapping the whole binary.
	if load, err := readFile("/proc/loadavg"); err != nil || !spareCore(load, runtime.NumCPU()) {
		return
	}
	populate()
}

// populate maps the executable's mappings that the page cache holds.
func populate() {
	self, err := readlink("/proc/self/exe")
	if err != nil {
		return
	}
	maps, err := readFile("/proc/self/maps")
	if err != nil {
		return
	}
	for _, s := range mappingsOf(maps, self) {
		if resident(s) {
			syscall.Syscall(syscall.SYS_MADVISE, s.lo, s.hi-s.lo, madvPopulateRead)
		}
	}
}

func readlink(path string) (string, error) {
	buf := make([]byte, 4096)
	n, err := syscall.Readlink(path, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// readFile is os.ReadFile in raw system calls (see disabled).
func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, 64<<10)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if n > 0 {
			buf = buf[:len(buf)+n]
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return buf, nil
		}
	}
}

// resident reports whether the span's pages are in the page cache, from mincore
// on 32 pages spread over it: a cheap sample, where one call over a 64 MB span
// costs a millisecond.
func resident(s span) bool {
	const samples = 32
	page := uintptr(syscall.Getpagesize())
	pages := (s.hi - s.lo) / page
	if pages == 0 {
		return false
	}
	var vec [1]byte
	in := 0
	for i := uintptr(0); i < samples; i++ {
		addr := s.lo + (i*pages/samples)*page
		if _, _, errno := syscall.Syscall(syscall.SYS_MINCORE, addr, page, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
			return false
		}
		if vec[0]&1 != 0 {
			in++
		}
	}
	return in*10 >= samples*9
}
