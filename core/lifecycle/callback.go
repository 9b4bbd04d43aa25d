package lifecycle

import (
	"context"
	"sync"
	"sync/atomic"

	"nodekit.dev/nodekit/internal/goid"
)

// How a Handle recognises a call from inside one of its own callbacks.
//
// Stop and Join wait for the service to end. If they are called from code the
// service's end itself waits for (an Observer of a Group, a processor's
// Handler, a Java hook), they would wait for themselves. Such code is run
// through a Callbacks tracker, which the goroutine delivering the callbacks
// makes once from the context its Run received (NewCallbacks). The context
// says which Handle the callbacks belong to; the tracker registers the
// goroutine with that Handle once, and each callback only increments and
// decrements an atomic counter on the Handle.
//
// Stop, StopContext, Join and AwaitRunning read that counter first: when no
// callback of this Handle is running at that instant (the common case) they
// wait as usual, at the cost of one atomic load. Only while a callback of this
// same Handle is running do they ask which goroutine is calling (the
// goroutine's id, read from the runtime, a few microseconds) and compare it
// with the registered ones; a match returns ErrCalledFromCallback at once,
// after Stop has requested the stop.
//
// Run itself is not such a callback: a Run that wants its own service stopped
// calls Handle.RequestStop, or simply returns.

// callbackOwner is the part of a Handle that knows its callback goroutines.
// Most Handles have one (a Group's dispatcher goroutine, a processor's
// loop): it is kept in first, without a map.
type callbackOwner struct {
	active atomic.Int32 // callbacks of this owner running right now

	mu     sync.Mutex
	first  uint64         // with firstN > 0: a callback goroutine's id
	firstN int            // live Callbacks trackers on it
	ids    map[uint64]int // the other goroutines: id → live trackers on it
}

// inCallback reports whether the calling goroutine is running one of o's
// callbacks. It is cheap unless one of o's callbacks is running.
func (o *callbackOwner) inCallback() bool {
	if o.active.Load() == 0 {
		return false
	}
	return o.has(goid.Current())
}

// has reports whether a tracker of o is live on the goroutine whose id is id.
func (o *callbackOwner) has(id uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return (o.firstN > 0 && o.first == id) || o.ids[id] > 0
}

func (o *callbackOwner) register(id uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.firstN == 0 || o.first == id:
		o.first = id
		o.firstN++
	case o.ids == nil:
		o.ids = map[uint64]int{id: 1}
	default:
		o.ids[id]++
	}
}

func (o *callbackOwner) unregister(id uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.firstN > 0 && o.first == id {
		o.firstN--
		return
	}
	if o.ids[id]--; o.ids[id] <= 0 {
		delete(o.ids, id)
	}
}

type ownerKey struct{}

// ownerOf returns the callback owner that ctx came from, or nil.
func ownerOf(ctx context.Context) *callbackOwner {
	o, _ := ctx.Value(ownerKey{}).(*callbackOwner)
	return o
}

// Callbacks runs user callbacks on one goroutine on behalf of the Handle whose
// service received a given context, so that the Handle's Stop, Join and
// AwaitRunning, called from inside such a callback, return
// ErrCalledFromCallback at once instead of waiting for themselves (see
// Handle.Stop). A nil *Callbacks is valid: Call then only protects.
type Callbacks struct {
	owner *callbackOwner
	id    uint64
}

// NewCallbacks returns a tracker for callbacks that the calling goroutine will
// run on behalf of whatever Handle ctx belongs to (the context passed to a
// Run, or derived from it; a Group passes its own on to its services and
// observers). It returns nil if ctx belongs to no Handle. Call it once, on the
// goroutine that runs the callbacks, and Close it on that goroutine when done.
func NewCallbacks(ctx context.Context) *Callbacks {
	o := ownerOf(ctx)
	if o == nil {
		return nil
	}
	return o.track(goid.Current())
}

// track is NewCallbacks for the goroutine whose id is id, which the caller
// knows already (a dispatcher goroutine reads its own once:
// dispatchpool.go). A nil o tracks nothing.
func (o *callbackOwner) track(id uint64) *Callbacks {
	if o == nil {
		return nil
	}
	o.register(id)
	return &Callbacks{owner: o, id: id}
}

// Call runs fn as a callback and returns its error, or a *PanicError if fn
// panics. It must be called on the goroutine that made c.
func (c *Callbacks) Call(fn func() error) error {
	if c == nil {
		return Protect(fn)
	}
	c.owner.active.Add(1)
	defer c.owner.active.Add(-1)
	return Protect(fn)
}

// enter and exit bracket callbacks run without Call (inside this package,
// where a batch of them is delivered at once).
func (c *Callbacks) enter() {
	if c != nil {
		c.owner.active.Add(1)
	}
}

func (c *Callbacks) exit() {
	if c != nil {
		c.owner.active.Add(-1)
	}
}

// Close ends the tracker; its goroutine no longer counts as a callback
// goroutine.
func (c *Callbacks) Close() {
	if c != nil {
		c.owner.unregister(c.id)
	}
}

// AsCallback runs fn once as a callback on behalf of the Handle ctx belongs
// to: NewCallbacks, Call and Close in one. Binding layers wrap calls into
// foreign code (a Java hook) with it. Goroutines that run many callbacks keep
// one Callbacks instead.
func AsCallback(ctx context.Context, fn func() error) error {
	c := NewCallbacks(ctx)
	defer c.Close()
	return c.Call(fn)
}
