package nodekit

import "sync"

// ResultCallback receives the Result of a joinAsync or stopAsync: onResult()
// is called exactly once (unless the Pending is cancelled first), on a
// background thread owned by Go: never the caller's, never a thread of a
// Java executor (hand the Result to your own executor, or complete a
// CompletableFuture, to continue elsewhere). It should return quickly. An
// exception from it is ignored.
type ResultCallback interface {
	// OnResult receives the Result (never null), once, on a Go thread.
	OnResult(r *Result) error
}

// Pending is the handle of a joinAsync or stopAsync whose callback has not
// run yet; cancel() drops the callback. Dropping the Pending without
// cancel() leaves the callback to run.
type Pending struct {
	mu     sync.Mutex
	cb     ResultCallback // nil once delivered or cancelled
	cancel chan struct{}
}

// Cancel drops the callback: once cancel() returns it will not be called
// (unless it was already running), and Go no longer holds it. The operation
// itself goes on (a stop still stops). Never blocks; safe from any thread;
// later calls do nothing.
func (p *Pending) Cancel() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cb != nil {
		p.cb = nil
		close(p.cancel)
	}
}

func newPending(cb ResultCallback) *Pending {
	return &Pending{cb: cb, cancel: make(chan struct{})}
}

// deliver calls the callback with r unless it was cancelled.
func (p *Pending) deliver(r *Result) {
	p.mu.Lock()
	cb := p.cb
	p.cb = nil
	p.mu.Unlock()
	if cb == nil {
		return
	}
	var err error
	func() {
		defer guard(&err)
		_ = cb.OnResult(r) // the callback's own exception has nowhere to go
	}()
}

// joinAsync delivers outcome() once done is closed, or nothing if cancelled
// first; the waiting goroutine exits on cancel. done nil: at once.
func joinAsync(done <-chan struct{}, outcome func() *Result, cb ResultCallback) *Pending {
	pend := newPending(cb)
	if cb == nil {
		return pend
	}
	go func() {
		if done != nil {
			select {
			case <-done:
			case <-pend.cancel:
				return
			}
		}
		pend.deliver(outcome())
	}()
	return pend
}

// now returns an outcome function for a Result known already.
func now(r *Result) func() *Result { return func() *Result { return r } }
