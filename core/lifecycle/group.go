package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/clock"
)

// A Group runs services in order and stops them in reverse.
//
// Run starts the services one after another in the order they were added; the
// next starts only when the previous is running. When ctx is cancelled, or a
// service fails (and is not restarted), it stops the running services in exact
// reverse order, each within its stop timeout and all within the group's, and
// returns. A failed start stops only the services already started.
//
// A Group is itself a Service that signals readiness once every service is
// running, so groups nest and Start gives a Handle on one. It runs once.
type Group struct {
	opts      groupOptions
	observers observerList

	mu      sync.Mutex
	entries []*entry
	names   map[string]bool
	started bool
}

// NewGroup returns an empty Group.
func NewGroup(opts ...GroupOption) *Group {
	o := groupOptions{stopTimeout: DefaultGroupStop, obsTimeout: DefaultStartTimeout, clock: clock.Real(), log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return &Group{opts: o, names: map[string]bool{}}
}

// Add appends a service. It fails with ErrNilService for a nil svc, with
// ErrDuplicateName if the name is taken, and with ErrAlreadyStarted once Run
// has been called.
func (g *Group) Add(name string, svc Service, opts ...Option) error {
	if svc == nil {
		return fmt.Errorf("add %q: %w", name, ErrNilService)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return fmt.Errorf("add %q: %w", name, ErrAlreadyStarted)
	}
	if g.names[name] {
		return fmt.Errorf("add %q: %w", name, ErrDuplicateName)
	}
	g.names[name] = true
	e := &entry{name: name, svc: svc, signals: signalsReady(svc)}
	e.opts.apply(opts)
	g.entries = append(g.entries, e)
	return nil
}

// Observe registers obs to receive the events of every service in the group
// from now on (there is no replay). Start events go to higher priorities
// first; stop events to lower priorities first; equal priorities in
// registration order (reversed for stop events). See Observer.
func (g *Group) Observe(priority int, obs Observer) {
	g.observers.add(priority, obs)
}

// SignalsReady reports true: a Group calls Ready(ctx) once all its services run.
func (g *Group) SignalsReady() bool { return true }

// StopBound returns the group's stop timeout.
func (g *Group) StopBound() time.Duration { return g.opts.stopTimeout }

// StartBound returns the longest a start can take: the start timeouts of the
// services that signal readiness, one after another, and the observers'.
func (g *Group) StartBound() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := g.opts.obsTimeout
	for _, e := range g.entries {
		if e.signals {
			d += e.opts.startTimeout
		}
	}
	return d
}

// ServiceStatus is a snapshot of one service in a Group.
type ServiceStatus struct {
	Name          string
	State         State
	Err           error // the last failure, if any
	StartDuration time.Duration
	StopDuration  time.Duration
}

// Status returns a snapshot of every service, in the order they were added.
func (g *Group) Status() []ServiceStatus {
	g.mu.Lock()
	entries := g.entries
	g.mu.Unlock()
	out := make([]ServiceStatus, len(entries))
	for i, e := range entries {
		s := ServiceStatus{Name: e.name, State: State(e.state.Load()),
			StartDuration: time.Duration(e.startDur.Load()), StopDuration: time.Duration(e.stopDur.Load())}
		if p := e.lastErr.Load(); p != nil {
			s.Err = *p
		}
		out[i] = s
	}
	return out
}

// entry is one service of a Group. Fields without a comment are owned by the
// goroutine running Group.Run.
type entry struct {
	name    string
	svc     Service
	opts    serviceOptions
	signals bool

	state    atomic.Int32          // read by Status
	lastErr  atomic.Pointer[error] // read by Status
	startDur atomic.Int64          // read by Status
	stopDur  atomic.Int64          // read by Status

	since      time.Time   // when state was entered
	gen        int         // number of the current Run invocation
	live       bool        // the current Run invocation has not returned
	cancelled  bool        // the group cancelled the current invocation
	wasRunning bool        // reached Running at least once
	ctx        *serviceCtx // of the current invocation
	fails      failures
	restartAt  time.Time // non-zero: a restart is pending
}

// note is what a service goroutine reports to the group goroutine.
type note struct {
	e     *entry
	gen   int
	ready bool  // Ready was called; otherwise Run returned
	err   error // what Run returned
}

// run is the state of one Group.Run.
type run struct {
	g          *Group
	ctx        context.Context
	base       context.Context // ctx without its cancellation: services are cancelled one by one
	entries    []*entry
	clock      clock.Clock
	notes      chan note
	aborts     chan *AbortError
	disp       *dispatcher
	events     []Event     // not yet handed to the dispatcher: see flush
	restarts   clock.Timer // armed for the earliest pending restart
	obsOverran bool        // an observer overran the start: do not wait for it on stop
}

// Run runs the group until ctx is cancelled or a service fails, as described
// on Group, and returns nil after a clean stop. Otherwise the error joins the
// cause (a *ServiceError, *AbortError or *TimeoutError) with any failures and
// stop timeouts of the stop that followed.
func (g *Group) Run(ctx context.Context) error {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		return ErrAlreadyStarted
	}
	g.started = true
	entries := g.entries
	g.mu.Unlock()

	r := &run{g: g, ctx: ctx, base: context.WithoutCancel(ctx), entries: entries, clock: g.opts.clock,
		notes: make(chan note, 2*len(entries)), aborts: make(chan *AbortError, 1)}
	r.disp = newDispatcher(ctx, &g.observers, g.opts.log, func(a *AbortError) {
		select {
		case r.aborts <- a:
		default: // the first refusal decides
		}
	})
	now := r.clock.Now()
	for _, e := range entries {
		e.since = now
	}
	err := r.start()
	if err == nil && ctx.Err() == nil {
		err = r.awaitObservers()
	}
	if err == nil && ctx.Err() == nil {
		Ready(ctx)
		err = r.loop()
	}
	if err == errStopRequested {
		err = nil // a requested stop is a clean stop
	}
	if r.restarts != nil {
		r.restarts.Stop()
	}
	deadline := r.clock.Now().Add(g.opts.stopTimeout)
	stopErr := r.stopAll(deadline)
	obsErr := r.closeDispatcher(deadline)
	select {
	case a := <-r.aborts:
		if err == nil || !errors.Is(err, ErrAborted) {
			err = errors.Join(err, a)
		}
	default:
	}
	return errors.Join(err, stopErr, obsErr)
}

// start launches the services in order. It returns nil when all run or ctx
// was cancelled, and the cause when the start failed.
func (r *run) start() error {
	for _, e := range r.entries {
		r.launch(e)
		if e.signals {
			if err := r.awaitReady(e); err != nil {
				return err
			}
			continue
		}
		if len(r.notes) == 0 && len(r.aborts) == 0 && !closed(r.ctx.Done()) {
			continue // the common case, without a select
		}
		select { // between services, take note of failures, aborts and cancellation
		case <-r.ctx.Done():
			return nil
		case a := <-r.aborts:
			return a
		case n := <-r.notes:
			if err := r.handle(n, true); err != nil {
				return err
			}
		default:
		}
	}
	return nil
}

// closed reports whether done is closed (a nil channel never is).
func closed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// errStopRequested ends a wait because the group's context was cancelled.
var errStopRequested = errors.New("stop requested")

// awaitReady waits until e calls Ready, handling whatever else happens meanwhile.
func (r *run) awaitReady(e *entry) error {
	t := r.clock.NewTimer(e.opts.startTimeout)
	defer t.Stop()
	for State(e.state.Load()) == Starting {
		if err := r.wait(t.C(), nil); err == errTimerFired {
			te := &TimeoutError{Names: []string{e.name}, Timeout: e.opts.startTimeout}
			r.leaveBehind(e, te)
			return &ServiceError{Service: e.name, Err: te}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// leaveBehind gives up on e's current invocation, which overran its start:
// its context is cancelled, it is Failed with err, and the rollback does not
// wait for it (its note, when it returns, is ignored).
func (r *run) leaveBehind(e *entry, err error) {
	e.ctx.cancel()
	e.live = false
	e.gen++
	r.transition(e, Failed, err)
}

// awaitObservers waits until the observers have returned for every event so
// far (the start events), within the observer timeout, so that a refusal is
// the start's outcome.
func (r *run) awaitObservers() error {
	r.flush()
	acked := r.disp.barrier()
	if acked == nil {
		return nil
	}
	t := r.clock.NewTimer(r.g.opts.obsTimeout)
	defer t.Stop()
	for {
		switch err := r.wait(t.C(), acked); err {
		case errAcked:
			select { // a refusal of the last event is delivered before the ack
			case a := <-r.aborts:
				return a
			default:
				return nil
			}
		case errTimerFired:
			r.obsOverran = true // left behind: the stop does not wait for it again
			return &TimeoutError{Names: []string{r.disp.busyName()}, Timeout: r.g.opts.obsTimeout}
		case nil:
		default:
			return err
		}
	}
}

// loop runs until the group must stop, and returns why.
func (r *run) loop() error {
	for {
		if err := r.wait(nil, nil); err != nil {
			return err
		}
	}
}

var (
	errTimerFired = errors.New("timer fired")
	errAcked      = errors.New("observers acknowledged")
)

// wait blocks until one thing happens and deals with it: a note from a
// service, a due restart, an observer's abort (returned), the group's
// cancellation (errStopRequested), timer firing (errTimerFired) or acked
// closing (errAcked).
func (r *run) wait(timer <-chan time.Time, acked <-chan struct{}) error {
	r.flush()
	select {
	case <-r.ctx.Done():
		return errStopRequested
	case a := <-r.aborts:
		return a
	case n := <-r.notes:
		return r.handle(n, true)
	case <-r.restartC():
		r.restartDue()
		return nil
	case <-timer:
		return errTimerFired
	case <-acked:
		return errAcked
	}
}

// launch starts a new Run invocation of e.
func (r *run) launch(e *entry) {
	e.gen++
	gen := e.gen
	var onReady func()
	if e.signals {
		onReady = func() { r.notes <- note{e: e, gen: gen, ready: true} }
	}
	ctx := newServiceCtx(r.base, onReady)
	e.ctx, e.live, e.cancelled, e.restartAt = ctx, true, false, time.Time{}
	now := r.clock.Now()
	r.transitionAt(e, Starting, nil, now)
	go r.invoke(e, gen, ctx)
	if !e.signals {
		r.transitionAt(e, Running, nil, now) // running as soon as launched: the same instant
	}
}

// invoke is the goroutine of one Run invocation.
func (r *run) invoke(e *entry, gen int, ctx *serviceCtx) {
	err := Protect(func() error { return e.svc.Run(ctx) })
	r.notes <- note{e: e, gen: gen, err: err}
}

// handle applies a note. With restart set, a failure of a service that has
// run may be retried; otherwise, and when the policy gives up, it returns the
// failure.
func (r *run) handle(n note, restart bool) error {
	e := n.e
	if n.gen != e.gen {
		return nil // from an invocation that was given up on
	}
	if n.ready {
		if State(e.state.Load()) == Starting {
			r.transition(e, Running, nil)
		}
		return nil
	}
	e.live = false
	e.ctx.cancel()
	if n.err == nil || (e.cancelled && errors.Is(n.err, context.Canceled)) {
		r.transition(e, Stopped, nil)
		return nil
	}
	r.transition(e, Failed, n.err)
	p := e.opts.restart
	if !restart || p == nil || !e.wasRunning || errors.Is(n.err, ErrDoNotRestart) {
		return &ServiceError{Service: e.name, Err: n.err}
	}
	now := r.clock.Now()
	count := e.fails.record(now, p.Window)
	if count > p.MaxFailures {
		return &ServiceError{Service: e.name,
			Err: fmt.Errorf("%w: %d failures within %s, last: %w", ErrTooManyRestarts, count, p.Window, n.err)}
	}
	delay := p.delay(count)
	r.g.opts.log.Warn("lifecycle: restarting service", "service", e.name, "in", delay, "failures", count, "err", n.err)
	e.restartAt = now.Add(delay)
	r.armRestarts()
	return nil
}

// armRestarts points the restart timer at the earliest pending restart.
func (r *run) armRestarts() {
	var next time.Time
	for _, e := range r.entries {
		if !e.restartAt.IsZero() && (next.IsZero() || e.restartAt.Before(next)) {
			next = e.restartAt
		}
	}
	switch {
	case next.IsZero():
		if r.restarts != nil {
			r.restarts.Stop()
		}
	case r.restarts == nil:
		r.restarts = r.clock.NewTimer(next.Sub(r.clock.Now()))
	default:
		r.restarts.Reset(next.Sub(r.clock.Now()))
	}
}

// restartC is the restart timer's channel, or nil (never ready) if none is armed.
func (r *run) restartC() <-chan time.Time {
	if r.restarts == nil {
		return nil
	}
	return r.restarts.C()
}

// restartDue relaunches every service whose restart is due.
func (r *run) restartDue() {
	now := r.clock.Now()
	for _, e := range r.entries {
		if !e.restartAt.IsZero() && !e.restartAt.After(now) {
			r.launch(e)
		}
	}
	r.armRestarts()
}

// stopAll stops every live service in reverse order, each within the smaller
// of its stop timeout and what is left until deadline.
func (r *run) stopAll(deadline time.Time) error {
	var errs []error
	var overran []string
	var firstBudget time.Duration
	var timer clock.Timer
	for i := len(r.entries) - 1; i >= 0; i-- {
		e := r.entries[i]
		if !e.restartAt.IsZero() {
			e.restartAt = time.Time{}
			r.transition(e, Stopped, nil)
			continue
		}
		if !e.live {
			continue
		}
		r.transition(e, Stopping, nil)
		e.cancelled = true
		e.ctx.cancel()
		r.flush()
		budget := min(e.opts.stopTimeout, deadline.Sub(r.clock.Now()))
		if timer == nil {
			timer = r.clock.NewTimer(budget)
		} else {
			timer.Reset(budget)
		}
		for e.live {
			select {
			case n := <-r.notes:
				if err := r.handle(n, false); err != nil {
					errs = append(errs, err)
				}
			case <-timer.C():
				if len(overran) == 0 {
					firstBudget = budget
				}
				overran = append(overran, e.name)
				e.live = false // left to finish in the background
			}
		}
		timer.Stop()
	}
	if len(overran) > 0 {
		errs = append(errs, &TimeoutError{Stop: true, Names: overran, Timeout: firstBudget})
	}
	return errors.Join(errs...)
}

// closeDispatcher lets the observers finish the queued events, until deadline.
func (r *run) closeDispatcher(deadline time.Time) error {
	r.flush()
	r.disp.close()
	if r.obsOverran {
		return nil // it exits once the observer returns; the start error names it
	}
	t := r.clock.NewTimer(max(deadline.Sub(r.clock.Now()), 0))
	defer t.Stop()
	select {
	case <-r.disp.done:
		return nil
	case <-t.C():
		return &TimeoutError{Stop: true, Names: []string{"observers"}, Timeout: r.g.opts.stopTimeout}
	}
}

// transition moves e to state to and tells the observers.
func (r *run) transition(e *entry, to State, err error) {
	r.transitionAt(e, to, err, r.clock.Now())
}

// transitionAt is transition at a time the caller has read already.
func (r *run) transitionAt(e *entry, to State, err error, now time.Time) {
	from := State(e.state.Load())
	d := now.Sub(e.since)
	e.since = now
	e.state.Store(int32(to))
	switch {
	case to == Running:
		e.wasRunning = true
		e.startDur.Store(int64(d))
	case from == Stopping:
		e.stopDur.Store(int64(d))
	}
	if err != nil {
		cause := err // a copy, so that err itself does not escape on every call
		e.lastErr.Store(&cause)
	}
	if !r.g.observers.empty() {
		r.events = append(r.events, Event{Service: e.name, From: from, To: to, Duration: d, Err: err, At: now})
	}
}

// flush hands the events gathered so far to the dispatcher. The group
// goroutine calls it before it blocks, so that observers get events promptly
// and the dispatcher's lock is taken once per batch, not once per event.
func (r *run) flush() {
	if len(r.events) > 0 {
		r.disp.emit(r.events)
		clear(r.events)
		r.events = r.events[:0]
	}
}
