package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
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
// running and the observers have acknowledged the start, so groups nest and
// Start gives a Handle on one. It runs once.
//
// How it runs (group.go): the goroutine of Run only supervises. The start is a
// relay: the service that becomes ready (in its call to Ready) launches the
// next one, and the last one to become ready makes the group running (or
// asks the observers to acknowledge the start), and the stop is one too: the
// service whose Run returns cancels the one before it. All of it happens under one mutex of the run, so events
// stay in order; the supervising goroutine wakes only for what needs a
// decision (a failure, the context's cancellation, an observer's refusal, a
// due restart; under a Handle the stop relay begins on the goroutine that asks
// for the stop) or when the
// phase's single watchdog timer fires (the start or stop timeout of the
// service being waited for, or the observers' acknowledgement). Without
// observers there is no dispatcher goroutine at all.
type Group struct {
	opts      groupOptions
	observers observerList

	mu      sync.Mutex
	entries []*entry
	slab    []entry // entries are carved from it: one allocation per chunk
	names   nameSet // indexes entries by name once there are more than namesAt
	started bool
	run     *run // once started: its mutex guards the entries' states (Status)
}

// namesAt is the size from which a Group finds taken names in its nameSet
// rather than by looking through its entries.
const namesAt = 16

// NewGroup returns an empty Group.
func NewGroup(opts ...GroupOption) *Group {
	g := &Group{opts: groupOptions{stopTimeout: DefaultGroupStop, obsTimeout: DefaultStartTimeout,
		clock: clock.Real(), log: slog.Default()}}
	for _, opt := range opts {
		opt(&g.opts)
	}
	return g
}

// taken reports whether a service of that name has been added; g.mu is held.
func (g *Group) taken(name string) bool {
	if len(g.entries) > namesAt {
		return g.names.has(g.entries, name)
	}
	for _, e := range g.entries {
		if e.name == name {
			return true
		}
	}
	return false
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
	if g.taken(name) {
		return fmt.Errorf("add %q: %w", name, ErrDuplicateName)
	}
	if len(g.slab) == 0 {
		g.slab = make([]entry, min(max(len(g.entries), 8), 256))
	}
	e := &g.slab[0]
	g.slab = g.slab[1:]
	e.name, e.svc, e.signals = name, svc, signalsReady(svc)
	e.opts.apply(opts)
	if g.entries == nil {
		g.entries = make([]*entry, 0, 8)
	}
	g.entries = append(g.entries, e)
	if len(g.entries) > namesAt {
		g.names.add(g.entries)
	}
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
			d = addDurations(d, e.opts.startTimeout)
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
// It takes the run's mutex, so that the relay records a transition with
// plain writes rather than atomic ones; before the run has begun, it holds
// the group's, which the run needs to begin.
func (g *Group) Status() []ServiceStatus {
	g.mu.Lock()
	entries, r := g.entries, g.run
	if r == nil {
		defer g.mu.Unlock()
	} else {
		g.mu.Unlock()
		r.mu.Lock()
		defer r.mu.Unlock()
	}
	out := make([]ServiceStatus, len(entries))
	for i, e := range entries {
		out[i] = ServiceStatus{Name: e.name, State: e.state, Err: e.lastErr,
			StartDuration: e.startDur, StopDuration: e.stopDur}
	}
	return out
}

// entry is one service of a Group. Fields without a comment are guarded by
// the run's mutex.
//
// The fields are laid out without padding, and what only restarts need is
// allocated on the first failure: a Group allocates its entries in slabs,
// 192 bytes each (three cache lines).
type entry struct {
	name string
	svc  Service
	opts serviceOptions

	state      State
	signals    bool
	live       bool // the current Run invocation has not returned (or was left behind)
	cancelled  bool // the group cancelled the current invocation
	wasRunning bool // reached Running at least once

	lastErr  error // the last failure
	startDur time.Duration
	stopDur  time.Duration

	since     runTime       // when state was entered
	gen       int           // number of the current Run invocation
	ctx       *serviceCtx   // of the current invocation
	firstCtx  serviceCtx    // the first invocation's, allocated with the entry
	deadline  runTime       // of the start or stop the run waits for
	budget    time.Duration // the stop timeout that deadline stands for
	fails     *failures     // made on the first failure
	restartAt runTime       // > 0: a restart is pending, due then
}

// phase is where a run is.
type phase int

const (
	phaseStarting phase = iota // launching in order (the relay)
	phaseStarted               // every service is running; observers acknowledging
	phaseRunning               // Ready was called
	phaseStopping              // stopping in reverse (the relay)
	phaseStopped
)

// run is the state of one Group.Run.
type run struct {
	g       *Group
	ctx     context.Context
	base    detached // ctx without its cancellation: services are cancelled one by one
	entries []*entry
	clock   clock.Clock
	epoch   time.Time     // when the run began: its runTime 0 (see now)
	real    bool          // clock is the real clock (see now)
	ended   chan struct{} // without a Handle: closed when the stop relay has ended
	owner   *Handle       // under a Handle: the outcome goes to it (see end)
	spawn   func()        // r.firstRun, made once per run: the goroutine of every first invocation
	spawned atomic.Int32  // first invocations taken by their goroutines (see firstRun)

	mu         sync.Mutex // guards the fields below and the entries' unguarded fields
	phase      phase
	next       int    // starting: entries[:next] are launched
	waiting    *entry // starting: the service whose Ready the relay waits for
	stopIdx    int    // stopping: entries[stopIdx+1:] are stopped or left behind
	stopping   *entry // stopping: the service whose end the relay waits for
	cause      error  // why the group stops; nil for a cancelled context
	abort      *AbortError
	stopErrs   []error
	overran    []string // left behind by the stop
	overBudget time.Duration
	deadline   runTime     // the whole stop's
	watch      clock.Timer // the phase's watchdog, armed for watchAt
	watchAt    runTime
	watchOn    bool
	readyDue   bool        // the relay made the group running: Ready(ctx) once r.mu is released (see unlock)
	endDue     bool        // the stop relay ended: end once r.mu is released (see unlock)
	lateDue    bool        // the observers overran the stop: report so once r.mu is released
	reported   atomic.Bool // the outcome went to the Handle (see report)
	restarts   clock.Timer // armed for the earliest pending restart
	disp       *dispatcher // made on the first event for an observer
	events     []Event     // not yet handed to the dispatcher: see flush
	obsOverran bool        // an observer overran the start: do not wait for it on stop
	told       bool        // the Handle calls cancelled: no need to watch ctx.Done
}

// Run runs the group until ctx is cancelled or a service fails, as described
// on Group, and returns nil after a clean stop. Otherwise the error joins the
// cause (a *ServiceError, *AbortError or *TimeoutError) with any failures and
// stop timeouts of the stop that followed.
func (g *Group) Run(ctx context.Context) error {
	r, err := g.begin(ctx, nil)
	if err != nil {
		return err
	}
	if !r.told {
		select {
		case <-r.ended:
		case <-ctx.Done():
			r.cancelled()
			<-r.ended
		}
	}
	<-r.ended
	return r.result(r.closeDispatcher())
}

// begin launches the first services (the start relay goes on on their
// goroutines) and returns at once. It calls no user code, so Start calls it
// on the caller's goroutine. Under a Handle (owner), the goroutine that ends
// the stop relay reports the outcome to it, and no goroutine of the run's
// own waits for anything (see end).
func (g *Group) begin(ctx context.Context, owner *Handle) (*run, error) {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		return nil, ErrAlreadyStarted
	}
	g.started = true
	entries := g.entries
	r := &run{g: g, ctx: ctx, base: detached{ctx}, entries: entries, clock: g.opts.clock, owner: owner}
	r.spawn = r.firstRun
	g.run = r
	g.mu.Unlock()

	if owner == nil {
		r.ended = make(chan struct{})
	}
	r.epoch, r.real = r.clock.Now(), r.clock == clock.Real()
	var now runTime // 0: the run begins
	// What the relay would allocate on the services' goroutines, deep in
	// their stacks, is allocated here: their stacks stay small.
	for _, e := range entries {
		e.since = now
		e.firstCtx.init(r, e, 1)
	}
	if !g.observers.empty() {
		r.events = make([]Event, 0, 8)
		r.disp = newDispatcher(r.ctx, &g.observers, g.opts.log, r, len(entries))
	}
	r.mu.Lock()
	r.advance(now)
	r.unlock()
	// Run by a Handle: its stop begins on the goroutine that asks for it, and
	// the supervisor need not wake for the cancellation.
	if h, ok := ctx.Value(cancelKey{}).(*Handle); ok {
		r.told = h.notifyCancel(r)
	}
	return r, nil
}

// result is the outcome of a run that has stopped, given the observers'
// (closeDispatcher's).
func (r *run) result(obsErr error) error {
	r.mu.Lock()
	err := r.cause
	errs := r.stopErrs
	if len(r.overran) > 0 {
		errs = append(errs, &TimeoutError{Stop: true, Names: r.overran, Timeout: r.overBudget})
	}
	abort := r.abort
	r.mu.Unlock()
	if abort != nil && !errors.Is(err, ErrAborted) {
		err = errors.Join(err, abort)
	}
	return errors.Join(err, errors.Join(errs...), obsErr)
}

// runTime is a point in a run's time: how long after the run began (see
// run.now). A run keeps its timestamps as these, 8 bytes each and integer
// arithmetic, where a time.Time takes 24: they are per service.
type runTime = time.Duration

// addDurations returns a+b, or the largest Duration if the sum would pass it:
// a timeout of math.MaxInt64 ("never") must not wrap around into the past.
func addDurations(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// now reads the run's clock. With the real clock it reads only the monotonic
// clock (time.Since), which costs half of a time.Now: the lifecycle reads the
// clock twice per service.
func (r *run) now() runTime {
	if r.real {
		return time.Since(r.epoch)
	}
	return r.clock.Now().Sub(r.epoch)
}

// detached is a context without the cancellation of the one it wraps, as
// context.WithoutCancel, kept inside the run rather than allocated.
type detached struct{ context.Context }

func (detached) Deadline() (time.Time, bool) { return time.Time{}, false }
func (detached) Done() <-chan struct{}       { return nil }
func (detached) Err() error                  { return nil }

// decide begins the stop once there is a cause, or the context is
// cancelled. Every step that may set a cause ends with it, on whatever
// goroutine took the step: no goroutine of the run's own waits to decide.
func (r *run) decide() {
	if r.phase < phaseStopping && (r.cause != nil || r.ctx.Err() != nil) {
		r.beginStop()
	}
}

// cancelled is called when the group's context is cancelled, on the
// goroutine that cancels it (a Handle's Stop, through notifyCancel) or that
// of Run: the stop relay begins there.
func (r *run) cancelled() {
	r.mu.Lock()
	r.decide()
	r.unlock()
}

// advance is the start relay: it launches services in order from r.next
// until one must be waited for (it signals readiness) or all are launched.
func (r *run) advance(now runTime) {
	for r.phase == phaseStarting && r.cause == nil && r.ctx.Err() == nil {
		if r.next == len(r.entries) {
			// The last service runs: the relay itself makes the group running,
			// or asks the observers to acknowledge the start first.
			r.waiting = nil
			r.phase = phaseStarted
			r.stopWatch()
			if !r.awaitObservers() {
				r.phase, r.readyDue = phaseRunning, true
			}
			return
		}
		e := r.entries[r.next]
		r.launch(e, now)
		if e.signals {
			e.deadline = addDurations(now, e.opts.startTimeout)
			r.waiting = e
			r.armWatch(e.deadline, now)
			return
		}
		r.next++
	}
	r.decide() // stopped short: the stop begins
}

// launch starts a new Run invocation of e. The first one allocates nothing:
// begin made its context, and its goroutine runs the run's r.spawn (see
// firstRun).
func (r *run) launch(e *entry, now runTime) {
	e.gen++
	ctx := &e.firstCtx
	if e.gen > 1 { // a restart
		ctx = new(serviceCtx)
		ctx.init(r, e, e.gen)
	}
	e.ctx, e.live, e.cancelled, e.restartAt = ctx, true, false, 0
	r.transitionAt(e, Starting, nil, now)
	if e.gen == 1 {
		go r.spawn()
	} else {
		go ctx.invoke()
	}
	if !e.signals {
		r.transitionAt(e, Running, nil, now) // running as soon as launched: the same instant
	}
}

// firstRun is the goroutine of a service's first invocation. The relay
// launches first invocations in the entries' order, one goroutine each, so
// the k-th of these goroutines to begin runs entries[k]: which goroutine runs
// which service does not matter, and every entry it can take has been
// launched (k goroutines exist only once k entries have been launched). So
// the go statement needs no closure of its own per service.
func (r *run) firstRun() {
	r.entries[r.spawned.Add(1)-1].firstCtx.invoke()
}

// unlock hands the gathered events to the dispatcher, releases r.mu and, if
// the relay has just made the group running, reports it (Ready on the
// group's own context, which may take a parent group's mutex: hence after),
// or, if the stop relay has just ended, ends the run (end), or, if the
// observers overran the stop, reports that (report). Every step of
// the run releases r.mu through it.
func (r *run) unlock() {
	r.flush()
	ready, end, late := r.readyDue, r.endDue, r.lateDue
	r.readyDue, r.endDue, r.lateDue = false, false, false
	r.mu.Unlock()
	if ready {
		Ready(r.ctx)
	}
	if end {
		r.end()
	}
	if late {
		r.report(r.obsTimeout())
	}
}

// end reports the outcome of a run under a Handle once the stop relay has
// ended, on the goroutine that ended it: at once if no observer event is
// still being delivered; otherwise the dispatcher reports it when it has
// delivered the last event, or the watchdog does at the stop's deadline
// (watchFired), whichever comes first (this goroutine may be the
// dispatcher's, or one that must not wait).
func (r *run) end() {
	r.mu.Lock()
	d := r.disp
	if d == nil || r.obsOverran || closed(d.done) {
		r.mu.Unlock()
		r.report(nil)
		return
	}
	r.armWatch(r.deadline, r.now())
	r.mu.Unlock()
	if !d.afterExit() {
		r.observersDone() // it exited meanwhile
	}
}

// observersDone is called once the dispatcher has delivered the last event.
func (r *run) observersDone() { r.report(nil) }

// report hands the outcome to the Handle, once; obsErr is the observers'
// stop timeout if they overran it.
func (r *run) report(obsErr error) {
	if !r.reported.CompareAndSwap(false, true) {
		return
	}
	r.mu.Lock()
	r.stopWatch()
	r.mu.Unlock()
	r.owner.ended(r.result(obsErr))
}

// ready is called (through Ready, on the service's goroutine) when invocation
// gen of e reports ready; the relay launches the next service.
func (r *run) ready(e *entry, gen int) {
	r.mu.Lock()
	defer r.unlock()
	if gen != e.gen || e.state != Starting {
		return
	}
	now := r.now()
	r.transitionAt(e, Running, nil, now)
	if r.phase == phaseStarting && r.waiting == e {
		r.waiting = nil
		r.next++
		r.advance(now)
	}
}

// exited records the end of invocation gen of e and moves the relays on.
func (r *run) exited(e *entry, gen int, err error) {
	if gen != e.gen {
		return // from an invocation that was left behind
	}
	e.live = false
	e.ctx.cancel()
	now := r.now()
	clean := err == nil || (e.cancelled && errors.Is(err, context.Canceled))
	if clean {
		r.transitionAt(e, Stopped, nil, now)
	} else {
		r.transitionAt(e, Failed, err, now)
	}
	switch {
	case r.phase >= phaseStopping:
		if !clean {
			r.stopErrs = append(r.stopErrs, &ServiceError{Service: e.name, Err: err})
		}
		if r.stopping == e {
			r.stopping = nil
			r.stopIdx--
			r.stopNext(now)
		}
	case clean:
		// It ended on its own: the group goes on without it.
		if r.waiting == e {
			r.waiting = nil
			r.next++
			r.advance(now)
		}
	default:
		if cause := r.restartOrCause(e, err, now); cause != nil && r.cause == nil {
			r.cause = cause
		}
		r.decide()
	}
}

// restartOrCause schedules a restart of a failed e if its policy allows, and
// otherwise returns the failure as the group's cause.
func (r *run) restartOrCause(e *entry, err error, now runTime) error {
	p := e.opts.restart
	if p == nil || !e.wasRunning || errors.Is(err, ErrDoNotRestart) {
		return &ServiceError{Service: e.name, Err: err}
	}
	if e.fails == nil {
		e.fails = new(failures)
	}
	count := e.fails.record(now, p.Window)
	if count > p.MaxFailures {
		return &ServiceError{Service: e.name,
			Err: fmt.Errorf("%w: %d failures within %s, last: %w", ErrTooManyRestarts, count, p.Window, err)}
	}
	delay := p.delay(count)
	r.g.opts.log.Warn("lifecycle: restarting service", "service", e.name, "in", delay, "failures", count, "err", err)
	e.restartAt = addDurations(now, delay)
	r.armRestarts(now)
	return nil
}

// armWatch makes the watchdog fire at at, unless it fires earlier already.
func (r *run) armWatch(at, now runTime) {
	if r.watchOn && at >= r.watchAt {
		return // it fires earlier and is re-armed then
	}
	r.watchAt, r.watchOn = at, true
	if r.watch == nil {
		r.watch = r.clock.AfterFunc(at-now, r.watchdog)
		return
	}
	r.watch.Reset(at - now)
}

// watchdog is the watchdog timer's function.
func (r *run) watchdog() {
	r.mu.Lock()
	r.watchFired()
	r.decide()
	r.unlock()
}

func (r *run) stopWatch() {
	if r.watchOn {
		r.watch.Stop()
		r.watchOn = false
	}
}

// watchFired handles the watchdog: the service or observers waited for may
// have overrun their timeout; if not, it is re-armed for them. It may run
// late, after the watchdog was stopped or re-armed: it looks at the deadline
// of what the run waits for now.
func (r *run) watchFired() {
	r.watchOn = false
	now := r.now()
	switch r.phase {
	case phaseStarting:
		e := r.waiting
		if e == nil {
			return
		}
		if now < e.deadline {
			r.armWatch(e.deadline, now)
			return
		}
		te := &TimeoutError{Names: []string{e.name}, Timeout: e.opts.startTimeout}
		r.leaveBehind(e, te, now)
		r.waiting = nil
		if r.cause == nil {
			r.cause = &ServiceError{Service: e.name, Err: te}
		}
	case phaseStarted:
		if now < r.watchAt {
			r.armWatch(r.watchAt, now)
			return
		}
		r.obsOverran = true // left behind: the stop does not wait for it again
		if r.cause == nil {
			r.cause = &TimeoutError{Names: []string{r.disp.busyName()}, Timeout: r.g.opts.obsTimeout}
		}
	case phaseStopping:
		e := r.stopping
		if e == nil {
			return
		}
		if now < e.deadline {
			r.armWatch(e.deadline, now)
			return
		}
		if len(r.overran) == 0 {
			r.overBudget = e.budget
		}
		r.overran = append(r.overran, e.name)
		e.live = false // left to finish in the background
		e.gen++
		r.stopping = nil
		r.stopIdx--
		r.stopNext(now)
	case phaseStopped: // armed by end: the observers' last events
		if now < r.deadline {
			r.armWatch(r.deadline, now)
			return
		}
		r.lateDue = true
	}
}

// leaveBehind gives up on e's current invocation, which overran its start:
// its context is cancelled, it is Failed with err, and the rollback does not
// wait for it (its end, when it comes, is ignored).
func (r *run) leaveBehind(e *entry, err error, now runTime) {
	e.ctx.cancel()
	e.live = false
	e.gen++
	r.transitionAt(e, Failed, err, now)
}

// awaitObservers asks the dispatcher to call acknowledged once the observers
// have returned for every event so far (the start events), so that a refusal
// is the start's outcome, and arms the watchdog for the observer timeout. It
// reports false if there is nothing to wait for.
func (r *run) awaitObservers() bool {
	r.flush()
	if r.disp == nil || !r.disp.barrier() {
		return false
	}
	now := r.now()
	r.armWatch(addDurations(now, r.g.opts.obsTimeout), now)
	return true
}

// acknowledged is called on the dispatcher's goroutine once the observers
// have returned for the start events: the group is running, unless one of
// them refused (refused came first) or the stop began.
func (r *run) acknowledged() {
	r.mu.Lock()
	if r.phase == phaseStarted && r.cause == nil {
		r.phase, r.readyDue = phaseRunning, true
		r.stopWatch()
	}
	r.unlock()
}

// beginStop ends the start or the running phase and starts the stop relay.
func (r *run) beginStop() {
	r.phase = phaseStopping
	r.waiting = nil
	r.stopWatch()
	if r.restarts != nil {
		r.restarts.Stop()
	}
	now := r.now()
	r.deadline = addDurations(now, r.g.opts.stopTimeout)
	r.stopIdx = len(r.entries) - 1
	r.stopNext(now)
}

// stopNext is the stop relay: it stops the next live service in reverse
// order, each within the smaller of its stop timeout and what is left of the
// group's, or ends the stop.
func (r *run) stopNext(now runTime) {
	for ; r.stopIdx >= 0; r.stopIdx-- {
		e := r.entries[r.stopIdx]
		if e.restartAt > 0 {
			e.restartAt = 0
			r.transitionAt(e, Stopped, nil, now)
			continue
		}
		if !e.live {
			continue
		}
		r.transitionAt(e, Stopping, nil, now)
		e.cancelled = true
		e.budget = max(min(e.opts.stopTimeout, r.deadline-now), 0)
		e.deadline = now + e.budget
		r.stopping = e
		r.armWatch(e.deadline, now)
		e.ctx.cancel()
		return
	}
	r.stopping = nil
	r.phase = phaseStopped
	r.stopWatch()
	// No event follows: the dispatcher may finish now.
	r.flush()
	if r.disp != nil {
		r.disp.close()
	}
	if r.owner == nil {
		close(r.ended)
	} else {
		r.endDue = true
	}
}

// armRestarts points the restart timer at the earliest pending restart.
func (r *run) armRestarts(now runTime) {
	var next runTime
	for _, e := range r.entries {
		if e.restartAt > 0 && (next == 0 || e.restartAt < next) {
			next = e.restartAt
		}
	}
	switch {
	case next == 0:
		if r.restarts != nil {
			r.restarts.Stop()
		}
	case r.restarts == nil:
		r.restarts = r.clock.AfterFunc(next-now, r.restartTimer)
	default:
		r.restarts.Reset(next - now)
	}
}

// restartTimer is the restart timer's function.
func (r *run) restartTimer() {
	r.mu.Lock()
	r.restartDue()
	r.unlock()
}

// restartDue relaunches every service whose restart is due (it may run late:
// it looks at the times).
func (r *run) restartDue() {
	if r.phase >= phaseStopping {
		return
	}
	now := r.now()
	for _, e := range r.entries {
		if e.restartAt > 0 && e.restartAt <= now {
			r.launch(e, now)
		}
	}
	r.armRestarts(now)
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

// closeDispatcher waits until the observers have finished the queued events
// (the stop relay has closed the dispatcher), until the stop's deadline.
func (r *run) closeDispatcher() error {
	r.mu.Lock()
	d, overran, deadline := r.disp, r.obsOverran, r.deadline
	r.mu.Unlock()
	if d == nil || overran || closed(d.done) {
		return nil // an overran observer: it exits once it returns; the start error names it
	}
	t := r.clock.NewTimer(max(deadline-r.now(), 0))
	defer t.Stop()
	select {
	case <-d.done:
		return nil
	case <-t.C():
		return r.obsTimeout()
	}
}

// obsTimeout is the error of observers that overran the stop's deadline.
func (r *run) obsTimeout() error {
	return &TimeoutError{Stop: true, Names: []string{"observers"}, Timeout: r.g.opts.stopTimeout}
}

// transitionAt moves e to state to at now and queues the event for the
// observers, if there are any.
func (r *run) transitionAt(e *entry, to State, err error, now runTime) {
	from := e.state
	d := now - e.since
	e.since, e.state = now, to
	switch {
	case to == Running:
		e.wasRunning = true
		e.startDur = d
	case from == Stopping:
		e.stopDur = d
	}
	if err != nil {
		e.lastErr = err
	}
	if !r.g.observers.empty() {
		r.events = append(r.events, Event{Service: e.name, From: from, To: to, Duration: d, Err: err, At: r.epoch.Add(now)})
	}
}

// flush hands the events gathered so far to the dispatcher (made on the
// first), once per relay step rather than once per event.
func (r *run) flush() {
	if len(r.events) == 0 {
		return
	}
	if r.disp == nil { // an observer registered once the run had begun
		r.disp = newDispatcher(r.ctx, &r.g.observers, r.g.opts.log, r, 0)
	}
	r.disp.emit(r.events)
	clear(r.events)
	r.events = r.events[:0]
}

// refused is called by the dispatcher when an observer refuses a start
// event: the first refusal aborts the start (or the running group).
func (r *run) refused(a *AbortError) {
	r.mu.Lock()
	if r.abort == nil {
		r.abort = a
		if r.phase < phaseStopping && r.cause == nil {
			r.cause = a
		}
		r.decide()
	}
	r.unlock()
}
