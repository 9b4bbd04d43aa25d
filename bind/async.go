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

// JoinAsync is join() without blocking: it returns at once and calls
// cb.onResult with join()'s Result, on a Go thread, when the processor has
// stopped. Unlike join() it may be called from the processor's own
// callbacks too. cb may be null (nothing is called). Cancel the returned
// Pending to drop cb early. Never throws.
func (p *Processor) JoinAsync(cb ResultCallback) *Pending {
	live, end, err := p.core()
	switch {
	case err != nil:
		return joinAsync(nil, now(resultOf(err)), cb)
	case end != nil:
		return joinAsync(nil, now(end.res), cb)
	}
	pc := p.proc // not p: goroutines never hold *Processor itself
	return joinAsync(live.h.Done(), func() *Result { return pc.release(live).res }, cb)
}

// StopAsync is stop() without blocking: it starts the stop, returns at once,
// and calls cb.onResult with stop()'s Result, on a Go thread, at most the
// stop timeout later. cb may be null. Cancelling the Pending drops cb; the
// processor still stops. Never throws; any thread.
func (p *Processor) StopAsync(cb ResultCallback) *Pending {
	pend := newPending(cb)
	go func() { pend.deliver(p.Stop()) }()
	return pend
}

// JoinAsync is join() without blocking: it returns at once and calls
// cb.onResult with join()'s Result, on a Go thread, when the group has
// stopped (see Processor.joinAsync). Before start() the Result is
// KindIllegalState. cb may be null. Never throws.
func (g *Group) JoinAsync(cb ResultCallback) *Pending {
	in, err := g.inner()
	if err != nil {
		return joinAsync(nil, now(resultOf(err)), cb)
	}
	switch h, end := in.handle(); {
	case end != nil:
		return joinAsync(nil, now(end.res), cb)
	case h == nil:
		return joinAsync(nil, now(g.Join()), cb)
	default:
		return joinAsync(h.Done(), func() *Result { return in.release(h).res }, cb)
	}
}

// StopAsync is stop() without blocking: it starts the stop, returns at once,
// and calls cb.onResult with stop()'s Result on a Go thread (see
// Processor.stopAsync). cb may be null. Never throws; any thread.
func (g *Group) StopAsync(cb ResultCallback) *Pending {
	pend := newPending(cb)
	go func() { pend.deliver(g.Stop()) }()
	return pend
}

// JoinAsync is join() without blocking: it returns at once and calls
// cb.onResult with join()'s Result, on a Go thread, when the node has ended
// (see Processor.joinAsync). cb may be null. Cancelling drops cb at once;
// Go's wait for the node ends with the node. Never throws.
func (n *Node) JoinAsync(cb ResultCallback) *Pending {
	if n == nil || n.nodeHandle == nil {
		return joinAsync(nil, now(resultOf(errNoNode)), cb)
	}
	pend := newPending(cb)
	h := n.nodeHandle // not n: a waiting goroutine must not keep a dropped Node alive
	go func() {
		err := h.n.Join()
		pend.deliver(resultOf(err))
	}()
	return pend
}

// StopAsync is stop() without blocking: it starts the stop, returns at once,
// and calls cb.onResult with stop()'s Result on a Go thread (see
// Processor.stopAsync). cb may be null. Never throws; any thread.
func (n *Node) StopAsync(cb ResultCallback) *Pending {
	pend := newPending(cb)
	go func() { pend.deliver(n.Stop()) }()
	return pend
}
