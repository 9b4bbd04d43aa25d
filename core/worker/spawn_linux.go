package worker

import "syscall"

// sysProcAttr puts the worker in its own process group and has the kernel
// kill it when the parent dies (the parent-death signal; the worker also
// exits when its channel reaches end of file).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
