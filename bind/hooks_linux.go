package nodekit

import "syscall"

// threadID identifies the calling thread (its kernel thread id).
func threadID() int { return syscall.Gettid() }
