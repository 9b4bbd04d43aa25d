package nodekit

import (
	"runtime"
	"time"
)

// gcUntil runs Go GCs until done is closed, or returns false after
// waitTimeout. It wakes as soon as done closes and runs another GC only when
// a pause (1 ms, doubling up to 100 ms) passes without it: what a GC frees
// may take more than one cycle to be released (a cleanup that drops the last
// reference to the next object), as CollectDropped after each Java GC would.
func gcUntil(done <-chan struct{}) bool {
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for pause := time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		runtime.GC()
		select {
		case <-done:
			return true
		case <-deadline.C:
			return false
		case <-time.After(pause):
		}
	}
}

// collectedSignal returns a channel that is closed once obj has been
// collected (a cleanup: it does not keep obj reachable).
func collectedSignal[T any](obj *T) <-chan struct{} {
	ch := make(chan struct{})
	runtime.AddCleanup(obj, func(ch chan struct{}) { close(ch) }, ch)
	return ch
}
