package nodekit

import (
	"runtime"
	"sync"
	"sync/atomic"

	"nodekit.dev/nodekit/core/lifecycle"
)

// hookThreads knows which threads are running a start() or stop() hook of
// one Group right now, so that group.stop() and group.join() called from
// inside a hook return KindCalledFromCallback instead of waiting for the
// hook that waits for them.
//
// A Java method called while Go waits in a hook runs on the hook's own
// thread, and Go serves a call back from Java on that same thread (and
// goroutine). A hook therefore runs with its goroutine locked to its thread
// and the thread's id registered; stop() and join() compare their own
// thread's id with the registered ones, and only while a hook is running.
// The thread id costs one system call per hook, where lifecycle.AsCallback
// identifies the goroutine from a stack trace (several microseconds).
type hookThreads struct {
	active atomic.Int32 // hooks running right now

	mu   sync.Mutex
	tids []int // threads of the running hooks, one entry per hook
}

// call runs the hook fn on the calling goroutine, locked to its thread and
// registered for inHook, and returns fn's error, or a *lifecycle.PanicError
// if fn panics.
func (h *hookThreads) call(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := threadID()
	h.mu.Lock()
	h.tids = append(h.tids, tid)
	h.mu.Unlock()
	h.active.Add(1)
	defer h.leave(tid)
	return lifecycle.Protect(fn)
}

func (h *hookThreads) leave(tid int) {
	h.active.Add(-1)
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, t := range h.tids {
		if t == tid {
			h.tids[i] = h.tids[len(h.tids)-1]
			h.tids = h.tids[:len(h.tids)-1]
			return
		}
	}
}

// inHook reports whether the caller runs inside one of the hooks. It costs
// one atomic load while no hook runs.
func (h *hookThreads) inHook() bool {
	if h.active.Load() == 0 {
		return false
	}
	tid := threadID()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.tids {
		if t == tid {
			return true
		}
	}
	return false
}
