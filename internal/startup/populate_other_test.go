//go:build !linux

package startup

func kernelPopulates() bool { return false }
