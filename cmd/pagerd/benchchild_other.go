//go:build !linux

package main

import "syscall"

// childProcAttr: only Linux can tie the child's life to the bench's.
func childProcAttr() *syscall.SysProcAttr { return nil }
