package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/clock"
)

// StopBounder is implemented by services that bound their own stop, as a
// Group does. A Handle on such a service waits StopBound plus one second of
// grace before it reports a stop timeout of its own.
type StopBounder interface {
	StopBound() time.Duration
}

// StartBounder is implemented by services that bound their own start and
// fail when it overruns, as a Group does. A Handle on such a service applies
// no start timeout of its own unless WithStartTimeout is given. StartBound
// says how long the start can take at most.
type StartBounder interface {
	StartBound() time.Duration
}

// ActivityReporter is implemented by services that can say what they are busy
// with ("persister", "handler"); a stop timeout error includes it.
type ActivityReporter interface {
	Activity() string
}

// Handle controls one running service: see Start.
type Handle struct {
	name        string
	svc         Service
	opts        serviceOptions
	stopTimeout time.Duration
	selfBound   bool // the service's own stop bound always ends Stop first: no timer of the Handle's
	ready, done chan struct{}
	cancelled   chan struct{} // Done of Run's context (see handleCtx)
	isCancelled atomic.Bool
	startTimer  *time.Timer // armed until ready, for services that signal readiness
	readyOnce   sync.Once
	finishOnce  sync.Once
	stopOnce    sync.Once
	state       atomic.Int32
	stopAsked   atomic.Bool
	signals     bool          // the service calls Ready itself
	cb          callbackOwner // see NewCallbacks

	mu                              sync.Mutex // guards the fields below until done is closed
	err                             error
	startAt, readyAt, stopAt, endAt time.Time
	onCancel                        canceller // set once by a Group run by this Handle
	cancelledOnce                   bool
}

// Start runs svc in a new goroutine and returns its Handle at once (a Group
// needs no goroutine of its own: the launch of its first service happens
// before Start returns, on the caller's goroutine, and its services'
// goroutines do the rest).
//
// The service is Starting until it counts as running (see Service), then
// Running; Stop or the end of Run takes it to Stopped, or to Failed with the
// cause. Every option applies: WithStartTimeout bounds the start of a service
// that signals readiness (default DefaultStartTimeout; a StartBounder such as
// a Group bounds its own start unless the option is given): one that
// overruns it is Failed at once with a
// *TimeoutError naming it, its context is cancelled and its Run left to end
// in the background. WithStopTimeout bounds Stop (default DefaultStopTimeout,
// or a StopBounder's own bound plus one second). With WithRestart the service
// runs inside a one-service Group that restarts it.
//
// A nil svc is refused: the Handle is Failed at once with ErrNilService.
func Start(name string, svc Service, opts ...Option) *Handle {
	h := &Handle{name: name, svc: svc, ready: make(chan struct{}), done: make(chan struct{}),
		cancelled: make(chan struct{}), startAt: time.Now()}
	if svc == nil {
		h.finish(fmt.Errorf("start %q: %w", name, ErrNilService))
		return h
	}
	o := &h.opts
	o.apply(opts)
	set := explicit(opts)
	if o.restart != nil {
		g := NewGroup()
		_ = g.Add(name, svc, opts...) // cannot fail: one non-nil service in a new group
		svc, h.svc = g, g
	}
	h.stopTimeout = o.stopTimeout
	if b, ok := svc.(StopBounder); ok && set.stopTimeout == 0 {
		h.stopTimeout = addDurations(b.StopBound(), time.Second)
	}
	startTimeout := o.startTimeout
	if _, ok := svc.(StartBounder); ok && set.startTimeout == 0 {
		startTimeout = 0 // it bounds its own start, and fails when it overruns
	}
	h.state.Store(int32(Starting))
	ctx := (*handleCtx)(h)
	h.signals = signalsReady(svc)
	if !h.signals {
		h.markReady()
	} else if startTimeout > 0 {
		h.mu.Lock() // markReady, on another goroutine, stops the timer
		h.startTimer = time.AfterFunc(startTimeout, func() { h.startOverrun(startTimeout) })
		h.mu.Unlock()
	}
	// A Group runs without a goroutine of its own: its first steps run here
	// (they call no user code), and the goroutine that ends its stop relay
	// reports the outcome (see Group).
	if g, ok := svc.(*Group); ok {
		// The group's watchdog ends its stop within StopBound, a second
		// before the Handle's bound: Stop needs no timer of its own.
		h.selfBound = set.stopTimeout == 0 && g.opts.clock == clock.Real()
		if _, err := g.begin(ctx, h); err != nil {
			h.ended(err)
		}
		return h
	}
	go func() { h.ended(Protect(func() error { return svc.Run(ctx) })) }()
	return h
}

// ended records the outcome of Run: a Run that returns context.Canceled
// after Stop has stopped cleanly.
func (h *Handle) ended(err error) {
	if h.stopAsked.Load() && errors.Is(err, context.Canceled) {
		err = nil
	}
	h.finish(err)
}

// startOverrun fails a service that was not ready within its start timeout
// and leaves its Run behind.
func (h *Handle) startOverrun(d time.Duration) {
	if closed(h.ready) {
		return
	}
	h.finish(&TimeoutError{Names: []string{h.name}, Timeout: d})
}

// handleCtx is the context a Handle passes to Run: the Handle itself seen
// as a context (no allocation of its own), cancelled by Stop, and carrying
// the Handle's readiness mark and callback owner (see NewCallbacks).
type handleCtx Handle

func (c *handleCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *handleCtx) Done() <-chan struct{}       { return c.cancelled }

func (c *handleCtx) Err() error {
	if c.isCancelled.Load() {
		return context.Canceled
	}
	return nil
}

// cancelKey finds the Handle whose Run received a context, for notifyCancel.
type cancelKey struct{}

func (c *handleCtx) Value(key any) any {
	h := (*Handle)(c)
	switch key {
	case readyKey{}:
		if h.signals {
			return readyMarker(h)
		}
		return nil
	case ownerKey{}:
		return &h.cb
	case cancelKey{}:
		return h
	}
	return nil
}

func (h *Handle) markReady() {
	h.readyOnce.Do(func() {
		h.mu.Lock()
		h.readyAt = h.since()
		if h.startTimer != nil {
			h.startTimer.Stop()
		}
		h.mu.Unlock()
		if closed(h.done) {
			return // too late: the start timed out
		}
		h.state.CompareAndSwap(int32(Starting), int32(Running))
		close(h.ready)
	})
}

// finish records the outcome once: the end of Run, or a stop timeout.
func (h *Handle) finish(err error) {
	h.finishOnce.Do(func() {
		h.mu.Lock()
		h.err, h.endAt = err, h.since()
		if h.startTimer != nil {
			h.startTimer.Stop()
		}
		h.mu.Unlock()
		if err != nil {
			h.state.Store(int32(Failed))
		} else {
			h.state.Store(int32(Stopped))
		}
		h.cancelRun()
		close(h.done)
	})
}

// since reads the clock as startAt plus the monotonic time since (one read
// of the monotonic clock, cheaper than time.Now).
func (h *Handle) since() time.Time { return h.startAt.Add(time.Since(h.startAt)) }

// Name returns the service's name.
func (h *Handle) Name() string { return h.name }

// RequestStop asks the service to stop (it cancels the context its Run
// received) and returns at once, without waiting. It is idempotent, safe from
// any goroutine, and the one stop to call from inside the service's own
// callbacks. Join, Done or Err report the outcome.
func (h *Handle) RequestStop() {
	h.stopOnce.Do(func() {
		h.mu.Lock()
		h.stopAt = h.since()
		h.mu.Unlock()
		h.stopAsked.Store(true)
		h.state.CompareAndSwap(int32(Starting), int32(Stopping))
		h.state.CompareAndSwap(int32(Running), int32(Stopping))
		h.cancelRun()
	})
}

// cancelRun cancels the context of Run and tells the service directly if it
// asked to be told (a Group begins its stop on the caller's goroutine instead
// of waking its own for it).
func (h *Handle) cancelRun() {
	if h.isCancelled.CompareAndSwap(false, true) {
		close(h.cancelled)
	}
	h.mu.Lock()
	f := h.onCancel
	first := !h.cancelledOnce
	h.cancelledOnce = true
	h.mu.Unlock()
	if f != nil && first {
		f.cancelled()
	}
}

// A canceller is told when the context of its Run is cancelled.
type canceller interface{ cancelled() }

// notifyCancel registers f to be told, once, when Run's context is
// cancelled; it reports false (and registers nothing) if that has happened.
func (h *Handle) notifyCancel(f canceller) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancelledOnce || h.onCancel != nil {
		return false
	}
	h.onCancel = f
	return true
}

// Stop requests the stop (RequestStop) and waits until Run has returned or the
// stop timeout has passed, and returns the outcome: nil for a clean stop, the
// service's error, or a *TimeoutError naming it (it is then left to finish in
// the background). Stop is idempotent, may be called concurrently and from any
// goroutine, and returns the same error as Join.
//
// Called from inside a callback that the end of this service waits for (an
// Observer of the Group it runs, a processor's Handler, timer or Persister,
// code run through AsCallback), Stop requests the stop and returns at once an
// error matching ErrCalledFromCallback: it never waits for itself and never
// reports a stop that has not happened. See NewCallbacks for how the call is
// recognised.
func (h *Handle) Stop() error {
	h.RequestStop()
	if err := h.selfWait("stop"); err != nil {
		return err
	}
	if h.selfBound || closed(h.done) {
		<-h.done
		return h.join()
	}
	t := time.NewTimer(h.stopTimeout)
	defer t.Stop()
	select {
	case <-h.done:
	case <-t.C:
		h.stopOverrun(h.stopTimeout)
	}
	return h.join()
}

// StopContext is Stop with the caller's deadline instead of the stop timeout.
// If ctx's deadline passes first, the outcome becomes a *TimeoutError naming
// the service and what it was busy with (see ActivityReporter). If ctx is
// cancelled first, StopContext returns an error wrapping context.Canceled and
// the outcome is left to Join. From inside a callback it behaves as Stop.
func (h *Handle) StopContext(ctx context.Context) error {
	h.RequestStop()
	if err := h.selfWait("stop"); err != nil {
		return err
	}
	var budget time.Duration
	if d, ok := ctx.Deadline(); ok {
		budget = time.Until(d)
	}
	select {
	case <-h.done:
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("stop %q abandoned: %w", h.name, ctx.Err())
		}
		h.stopOverrun(budget)
	}
	return h.join()
}

// stopOverrun makes a stop that overran budget the outcome.
func (h *Handle) stopOverrun(budget time.Duration) {
	h.finish(&TimeoutError{Stop: true, Names: []string{h.describe()}, Timeout: budget.Round(time.Millisecond)})
}

// selfWait returns an error matching ErrCalledFromCallback if the caller is
// inside one of h's callbacks and h has not ended, nil otherwise.
func (h *Handle) selfWait(op string) error {
	if !h.cb.inCallback() || closed(h.done) {
		return nil
	}
	return &CallbackError{Op: op, Service: h.name}
}

// describe names the service and, if it reports one, its current activity.
func (h *Handle) describe() string {
	if a, ok := h.svc.(ActivityReporter); ok {
		if act := a.Activity(); act != "" {
			return fmt.Sprintf("%s (in %s)", h.name, act)
		}
	}
	return h.name
}

// Join waits until the service has ended (or its stop timed out) and returns
// the outcome, the same on every call. From inside one of the service's
// callbacks (see Stop) it returns an error matching ErrCalledFromCallback at
// once, unless the service has already ended.
func (h *Handle) Join() error {
	if err := h.selfWait("join"); err != nil {
		return err
	}
	<-h.done
	return h.join()
}

// join returns the outcome; h.done must be closed.
func (h *Handle) join() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Done is closed when the service has ended.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Ready is closed when the service is running. It stays open if the service
// ends before it was ready.
func (h *Handle) Ready() <-chan struct{} { return h.ready }

// AwaitRunning waits until the service is running (nil), has ended before it
// was (its error, or ErrNotRunning if it stopped cleanly), or ctx ends
// (ctx.Err()). From inside one of the service's callbacks (see Stop) it
// returns an error matching ErrCalledFromCallback at once, unless the service
// is already running or has ended.
func (h *Handle) AwaitRunning(ctx context.Context) error {
	if !closed(h.ready) {
		if err := h.selfWait("await running"); err != nil {
			return err
		}
	}
	select {
	case <-h.ready:
		return nil
	case <-h.done:
		if closed(h.ready) {
			return nil
		}
		if err := h.join(); err != nil {
			return err
		}
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
}

// State returns the service's current state.
func (h *Handle) State() State { return State(h.state.Load()) }

// Err returns the outcome once the service has ended, nil before.
func (h *Handle) Err() error {
	select {
	case <-h.done:
		return h.join()
	default:
		return nil
	}
}

// StartDuration is how long the service took to become ready (0 until it is).
func (h *Handle) StartDuration() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.readyAt.IsZero() {
		return 0
	}
	return h.readyAt.Sub(h.startAt)
}

// StopDuration is how long Stop took to end the service (0 until it has, or
// if it ended without Stop).
func (h *Handle) StopDuration() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopAt.IsZero() || h.endAt.IsZero() {
		return 0
	}
	return h.endAt.Sub(h.stopAt)
}
