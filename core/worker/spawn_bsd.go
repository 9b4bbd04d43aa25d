//go:build unix && !linux

package worker

import "syscall"

// sysProcAttr puts the worker in its own process group. There is no
// parent-death signal here: the worker exits when its channel reaches end
// of file, which the kernel delivers when the parent dies.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
