package startup

import (
	"syscall"
	"unsafe"
)

// kernelPopulates asks the kernel to populate one page of the ballast: EINVAL means
// it does not know MADV_POPULATE_READ.
func kernelPopulates() bool {
	page := uintptr(syscall.Getpagesize())
	addr := (uintptr(unsafe.Pointer(&ballast[len(ballast)/2])) + page - 1) &^ (page - 1)
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, page, madvPopulateRead)
	return errno == 0
}
