package main

import "syscall"

// childProcAttr has the kernel stop the bench's child if the bench dies
// without stopping it (killed outright), so no daemon is left behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
