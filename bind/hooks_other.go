//go:build !linux

package nodekit

import "nodekit.dev/nodekit/internal/goid"

// threadID identifies the calling thread where there is no cheap thread id:
// by its goroutine, which is the same for the whole of a hook (the goroutine
// is locked to its thread, and a call back from Java runs on it).
func threadID() int { return int(goid.Current()) }
