package nodekit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
)

// States of a service, a Group or a Processor, as state(),
// serviceState() and Event.getFrom()/getTo() report them (a long in Java;
// Nodekit.stateName names one).
const (
	// StateNew: made, not started yet.
	StateNew = int(lifecycle.New)
	// StateStarting: start() is running and the service is not ready yet.
	StateStarting = int(lifecycle.Starting)
	// StateRunning: started and running.
	StateRunning = int(lifecycle.Running)
	// StateStopping: stopping; stop hooks are running.
	StateStopping = int(lifecycle.Stopping)
	// StateStopped: stopped cleanly.
	StateStopped = int(lifecycle.Stopped)
	// StateFailed: ended with an error (the Result says which kind).
	StateFailed = int(lifecycle.Failed)
)

// Service is a service written in Java or Kotlin: start() brings it up and
// returns once it is running; stop() brings it down. An exception from either
// fails the service, with the exception's message (KindFailed). Both are
// called on a background thread owned by Go, never the caller's: start()
// exactly once (again on each restart), within its start timeout, and stop()
// exactly once after a start() that succeeded, within its stop timeout. Both
// may block that long; a hook that returns later makes the Result
// KindStartTimeout or KindStopTimeout. From a hook, group.stop() and
// group.join() return KindCalledFromCallback at once. Pass null for a service
// with no hooks.
type Service interface {
	// Start brings the service up and returns once it is running; it runs
	// on a Go thread and may block up to the start timeout. An exception
	// fails the service (and the group's start).
	Start() error
	// Stop brings the service down; it runs on a Go thread, once, after a
	// start() that succeeded, and may block up to the stop timeout.
	Stop() error
}

// ServiceOptions tunes one service; a zero field keeps the default
// (start 15 s, stop 10 s, no restart).
type ServiceOptions struct {
	StartTimeoutMillis int64
	StopTimeoutMillis  int64
	// Restart restarts the service after it fails, with exponential backoff.
	Restart              bool
	RestartBackoffMillis int64 // first delay (default 100 ms)
	RestartMaxFailures   int   // failures tolerated in the window (default 5)
	RestartWindowMillis  int64 // default 60 s
}

// NewServiceOptions returns options with every field at its default.
func NewServiceOptions() *ServiceOptions { return &ServiceOptions{} }

// Group runs services in the order they were added and stops them in reverse;
// see core/lifecycle.Group. Build it, add services and observers, start() it
// once, and stop() it. All methods are safe from any thread; stop() is
// idempotent and may be called from inside an observer or a hook.
type Group struct {
	*group // the object a cleanup may stop: goroutines never hold *Group itself
}

type group struct {
	mu       sync.Mutex
	g        *lifecycle.Group
	h        *lifecycle.Handle
	log      Logger
	stopMs   int64
	pending  []pendingObserver
	services map[string]*javaService
	hooks    hookThreads // the threads running a hook: see Stop and Join
	// end is set once the group has ended; every field above is then
	// released, so that a Group whose Java proxy the JVM has not collected
	// yet pins only this (its Java services and observers are let go at once).
	end *groupEnd
}

// groupEnd is what an ended group keeps: its outcome and last states.
type groupEnd struct {
	res      *Result
	state    int
	services []serviceEnd
}

type serviceEnd struct {
	name  string // in memory of its own: see untiny
	state int
}

// errNoGroup is what a Group that was not made by NewGroup reports.
var errNoGroup = fmt.Errorf("group not made by NewGroup: %w", errIllegalState)

// inner returns the group's state, or an error for a zero value.
func (g *Group) inner() (*group, error) {
	if g == nil || g.group == nil {
		return nil, errNoGroup
	}
	return g.group, nil
}

type pendingObserver struct {
	priority int
	obs      lifecycle.Observer
}

// NewGroup returns an empty Group (Java: new Group()).
func NewGroup() *Group {
	g := &Group{&group{services: map[string]*javaService{}}}
	runtime.AddCleanup(g, (*group).dropped, g.group)
	return g
}

// dropped runs when Go collects a Group that Java no longer references.
func (g *group) dropped() {
	g.mu.Lock()
	h := g.h
	g.mu.Unlock()
	if h != nil {
		go h.Stop() //nolint:errcheck // nobody is left to receive the result
	}
}

// SetLogger sets where the group logs (null: nowhere). It throws once the
// first service has been added: set it first.
func (g *Group) SetLogger(l Logger) error {
	return g.configure(func(in *group) { in.log = l })
}

// SetStopTimeoutMillis bounds the whole stop (default 30 s). It throws once
// the first service has been added: set it first.
func (g *Group) SetStopTimeoutMillis(ms int64) error {
	return g.configure(func(in *group) { in.stopMs = ms })
}

func (g *Group) configure(set func(*group)) error {
	in, err := g.inner()
	if err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.g != nil || in.end != nil {
		return fmt.Errorf("group settings must come before the first add(): %w", errIllegalState)
	}
	set(in)
	return nil
}

// Add appends a service with default options (see AddWithOptions).
func (g *Group) Add(name string, svc Service) error { return g.AddWithOptions(name, svc, nil) }

// AddWithOptions appends a service. It throws if the name is null, empty or
// taken, or the group has started. svc and opts may be null.
func (g *Group) AddWithOptions(name string, svc Service, opts *ServiceOptions) (err error) {
	defer guard(&err)
	in, err := g.inner()
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("add: a service needs a name (got null or empty): %w", errIllegalState)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.h != nil || in.end != nil {
		return fmt.Errorf("add %q: %w", name, lifecycle.ErrAlreadyStarted)
	}
	js := &javaService{svc: svc, hooks: &in.hooks, fail: make(chan error, 1)}
	if err := in.core().Add(name, js, serviceOptions(opts)...); err != nil {
		return err
	}
	in.services[name] = js
	return nil
}

// FailService reports that the named service, while running, has failed (a
// lost connection, a dead thread): its stop() hook is called and it ends with
// reason as its error. With restart options it is then restarted (start()
// again, after the backoff); otherwise the group stops. It throws if there is
// no such service.
func (g *Group) FailService(name string, reason string) (err error) {
	defer guard(&err)
	in, err := g.inner()
	if err != nil {
		return err
	}
	in.mu.Lock()
	js, ended := in.services[name], in.end != nil
	in.mu.Unlock()
	if ended {
		return fmt.Errorf("fail service %q: the group has stopped: %w", name, errIllegalState)
	}
	if js == nil {
		return fmt.Errorf("fail service %q: no such service: %w", name, errIllegalState)
	}
	select {
	case js.fail <- errors.New(reason):
	default: // a failure is already pending
	}
	return nil
}

// core returns the lifecycle group, made on first use from the settings so
// far (logger, stop timeout, observers). g.mu must be held.
func (g *group) core() *lifecycle.Group {
	if g.g != nil {
		return g.g
	}
	opts := []lifecycle.GroupOption{lifecycle.WithLogger(slogFor(g.log))}
	if g.stopMs > 0 {
		opts = append(opts, lifecycle.WithGroupStopTimeout(time.Duration(g.stopMs)*time.Millisecond))
	}
	g.g = lifecycle.NewGroup(opts...)
	for _, p := range g.pending {
		g.g.Observe(p.priority, p.obs)
	}
	g.pending = nil
	return g.g
}

func serviceOptions(o *ServiceOptions) []lifecycle.Option {
	if o == nil {
		return nil
	}
	var opts []lifecycle.Option
	if o.StartTimeoutMillis > 0 {
		opts = append(opts, lifecycle.WithStartTimeout(time.Duration(o.StartTimeoutMillis)*time.Millisecond))
	}
	if o.StopTimeoutMillis > 0 {
		opts = append(opts, lifecycle.WithStopTimeout(time.Duration(o.StopTimeoutMillis)*time.Millisecond))
	}
	if o.Restart {
		opts = append(opts, lifecycle.WithRestart(lifecycle.RestartPolicy{
			Backoff:     time.Duration(o.RestartBackoffMillis) * time.Millisecond,
			MaxFailures: o.RestartMaxFailures,
			Window:      time.Duration(o.RestartWindowMillis) * time.Millisecond,
		}))
	}
	return opts
}

// Observe registers an observer with a priority (higher sees start events
// first and stop events last). A null observer is ignored. Observers
// registered after start() see only later events.
func (g *Group) Observe(priority int, obs Observer) {
	if obs != nil {
		g.observe(priority, observerAdapter{obs})
	}
}

func (g *Group) observe(priority int, obs lifecycle.Observer) {
	in, err := g.inner()
	if err != nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.end != nil {
		return // nothing is left to observe
	}
	if in.g == nil {
		in.pending = append(in.pending, pendingObserver{priority, obs})
		return
	}
	in.g.Observe(priority, obs)
}

// Start starts the services in order and blocks the calling thread until all
// are running (ok) or the start failed (the cause, after the started services were stopped in
// reverse). If stop() is called meanwhile, start() returns KindCanceled. A
// second call returns KindIllegalState.
func (g *Group) Start() (res *Result) {
	defer guardResult(&res)
	in, err := g.inner()
	if err != nil {
		return resultOf(err)
	}
	in.mu.Lock()
	if in.h != nil || in.end != nil {
		in.mu.Unlock()
		return resultOf(fmt.Errorf("start: %w", lifecycle.ErrAlreadyStarted))
	}
	h := lifecycle.Start("group", in.core())
	in.h = h
	in.mu.Unlock()
	go in.releaseWhenDone(h)
	err = h.AwaitRunning(context.Background())
	if errors.Is(err, lifecycle.ErrNotRunning) { // stop() won the race with start()
		err = fmt.Errorf("start: the group was stopped before all services were running: %w", context.Canceled)
	}
	return resultOf(err)
}

// handle returns the running group's handle, or the outcome of an ended
// one (both nil before start()).
func (g *group) handle() (*lifecycle.Handle, *groupEnd) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.h, g.end
}

func (g *group) releaseWhenDone(h *lifecycle.Handle) {
	<-h.Done()
	g.release(h)
}

// release records the outcome of the ended handle h and lets go of
// everything else; it returns the outcome. The first call wins.
func (g *group) release(h *lifecycle.Handle) *groupEnd {
	err := h.Err() // h has ended: its outcome
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.end != nil {
		return g.end
	}
	end := &groupEnd{res: resultOf(err), state: int(h.State())}
	if g.g != nil {
		for _, s := range g.g.Status() {
			end.services = append(end.services, serviceEnd{untiny(s.Name), int(s.State)})
		}
	}
	g.end = end
	g.g, g.h, g.log, g.pending, g.services = nil, nil, nil, nil, nil
	return end
}

// Join blocks the calling thread until the group has stopped and returns its
// outcome, the same every time; it never throws. Before start() it returns
// KindIllegalState at once; from inside an observer or a hook of this group,
// KindCalledFromCallback at once.
func (g *Group) Join() (res *Result) {
	defer guardResult(&res)
	in, err := g.inner()
	if err != nil {
		return resultOf(err)
	}
	h, end := in.handle()
	switch {
	case end != nil:
		return end.res
	case h == nil:
		return resultOf(fmt.Errorf("join: not started: %w", errIllegalState))
	case in.hooks.inHook() && !closed(h.Done()):
		return resultOf(&lifecycle.CallbackError{Op: "join", Service: "group"})
	}
	if err := h.Join(); !closed(h.Done()) {
		return resultOf(err) // KindCalledFromCallback: from inside one of its callbacks
	}
	return in.release(h).res
}

// Stop stops the services in reverse order and returns the outcome, the same
// as Join. It is idempotent and safe from any thread. From inside an observer
// or a service hook of this group it cannot wait for itself: it requests the
// stop and returns KindCalledFromCallback at once (join() elsewhere gives the
// outcome; requestStop() says the same without a Result). Before start() it
// returns ok and the group can no longer start.
func (g *Group) Stop() (res *Result) {
	defer guardResult(&res)
	in, err := g.inner()
	if err != nil {
		return resultOf(err)
	}
	in.mu.Lock()
	h, end := in.h, in.end
	if h == nil && end == nil {
		in.h = lifecycle.Start("group", lifecycle.ServiceFunc(func(context.Context) error { return nil }))
		h = in.h
	}
	in.mu.Unlock()
	if end != nil {
		return end.res
	}
	if in.hooks.inHook() && !closed(h.Done()) {
		h.RequestStop()
		return resultOf(&lifecycle.CallbackError{Op: "stop", Service: "group"})
	}
	if err := h.Stop(); !closed(h.Done()) {
		return resultOf(err) // KindCalledFromCallback: the stop is requested, not waited for
	}
	return in.release(h).res
}

// RequestStop starts the stop (as stop() does) and returns at once, from
// any thread and from inside the group's own callbacks; join() gives the
// outcome. Idempotent. Before start() the group can then no longer start.
func (g *Group) RequestStop() {
	in, err := g.inner()
	if err != nil {
		return
	}
	in.mu.Lock()
	h, end := in.h, in.end
	if h == nil && end == nil {
		in.h = lifecycle.Start("group", lifecycle.ServiceFunc(func(context.Context) error { return nil }))
		h = in.h
		go in.releaseWhenDone(h)
	}
	in.mu.Unlock()
	if h != nil {
		h.RequestStop()
	}
}

// State returns the group's State* constant. Never blocks; any thread.
func (g *Group) State() int {
	in, err := g.inner()
	if err != nil {
		return StateNew
	}
	switch h, end := in.handle(); {
	case end != nil:
		return end.state
	case h == nil:
		return StateNew
	default:
		return int(h.State())
	}
}

// ServiceState returns the State* of the named service. It throws if the
// group has no service of that name.
func (g *Group) ServiceState(name string) (state int, err error) {
	in, err := g.inner()
	if err != nil {
		return StateNew, err
	}
	in.mu.Lock()
	lg, end := in.g, in.end
	in.mu.Unlock()
	if end != nil {
		for _, s := range end.services {
			if s.name == name {
				return s.state, nil
			}
		}
	} else if lg != nil {
		for _, s := range lg.Status() {
			if s.Name == name {
				return int(s.State), nil
			}
		}
	}
	return StateNew, fmt.Errorf("service state: no service %q in this group: %w", name, errIllegalState)
}

// javaService runs a Java Service as a lifecycle service: start() hook,
// running until stopped or failed through Group.FailService, stop() hook.
// The hooks run through hooks (not lifecycle.AsCallback: see hookThreads).
type javaService struct {
	svc   Service
	hooks *hookThreads
	fail  chan error // cap 1: a failure reported while running
}

func (s *javaService) SignalsReady() bool { return true }

// Run keeps its own stack frame small: the group's start relay (launching
// the next service) runs on top of it, inside lifecycle.Ready, and a
// goroutine whose stack outgrows its first allocation is copied whole.
func (s *javaService) Run(ctx context.Context) error {
	select { // a failure reported for an earlier run does not end this one
	case <-s.fail:
	default:
	}
	if err := s.start(); err != nil {
		return err
	}
	lifecycle.Ready(ctx)
	return s.runUntilStopped(ctx)
}

//go:noinline
func (s *javaService) start() error {
	if s.svc == nil {
		return nil
	}
	if err := s.hooks.call(s.svc.Start); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	return nil
}

// runUntilStopped waits for the stop or a failure, then calls the stop() hook.
//
//go:noinline
func (s *javaService) runUntilStopped(ctx context.Context) error {
	var failure error
	select {
	case <-ctx.Done():
	case failure = <-s.fail:
	}
	if s.svc != nil {
		if err := s.hooks.call(s.svc.Stop); err != nil {
			return errors.Join(failure, fmt.Errorf("stop: %w", err))
		}
	}
	return failure
}

// Close is stop() for try-with-resources: it blocks as stop() does (at most
// the stop timeout) and throws a NodekitException with the Result's kind and
// message if that Result is not ok. Any thread; idempotent.
func (g *Group) Close() error { return errorOf(g.Stop()) }

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
