package lifecycle

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// A Service is anything that runs until it is told to stop.
//
// Run blocks until ctx is cancelled or the service fails, and returns only after
// every goroutine it started has exited. Returning nil, or an error that wraps
// ctx.Err() after ctx was cancelled, is a clean stop. Any other error is a
// failure. A panic in Run is recovered into a *PanicError.
//
// A service counts as running as soon as Run is entered, unless it implements
// ReadySignaler and reports true, in which case it counts as running once it
// calls Ready(ctx).
type Service interface {
	Run(ctx context.Context) error
}

// ServiceFunc adapts a function to a Service that is running as soon as it is
// entered.
type ServiceFunc func(ctx context.Context) error

// Run calls f(ctx).
func (f ServiceFunc) Run(ctx context.Context) error { return f(ctx) }

// ReadyFunc adapts a function to a Service that calls Ready(ctx) itself once it
// has started; until then it is Starting.
type ReadyFunc func(ctx context.Context) error

// Run calls f(ctx).
func (f ReadyFunc) Run(ctx context.Context) error { return f(ctx) }

// SignalsReady reports true: a ReadyFunc calls Ready(ctx).
func (ReadyFunc) SignalsReady() bool { return true }

// ReadySignaler is implemented by services that report their own readiness by
// calling Ready with the context passed to Run.
type ReadySignaler interface {
	SignalsReady() bool
}

func signalsReady(svc Service) bool {
	r, ok := svc.(ReadySignaler)
	return ok && r.SignalsReady()
}

type readyKey struct{}

// readyMarker is what Ready finds in a context that nodekit gave to a Run.
type readyMarker interface{ markReady() }

// Ready marks the service whose Run received ctx as running. Calls after the
// first, and calls with a context that did not come from nodekit, do nothing.
func Ready(ctx context.Context) {
	if m, ok := ctx.Value(readyKey{}).(readyMarker); ok {
		m.markReady()
	}
}

// serviceCtx is the context a Group passes to one Run of a service: the
// group's context without its cancellation (the run's base: services are
// cancelled one by one, in reverse), its own done channel made up front, and
// the readiness report to the run. The first invocation's lives in the
// entry, so it costs one allocation (the channel) where WithCancel+WithValue
// cost six. It is cancelled only under the run's mutex, so cancelled needs no
// atomic; Err reads the channel.
type serviceCtx struct {
	done      chan struct{}
	r         *run
	e         *entry
	gen       int
	cancelled bool // done is closed; guarded by r.mu
}

func (c *serviceCtx) init(r *run, e *entry, gen int) {
	c.done, c.r, c.e, c.gen = make(chan struct{}), r, e, gen
}

// invoke is the goroutine of one Run invocation.
func (c *serviceCtx) invoke() {
	err := c.call()
	r := c.r
	r.mu.Lock()
	r.exited(c.e, c.gen, err)
	r.unlock()
}

// call runs the service, turning a panic into a *PanicError (Protect's work,
// one frame less on every service's stack).
func (c *serviceCtx) call() (err error) {
	defer func() {
		if pe := Recovered(recover()); pe != nil {
			err = pe
		}
	}()
	return c.e.svc.Run(c)
}

func (c *serviceCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *serviceCtx) Done() <-chan struct{}       { return c.done }

func (c *serviceCtx) Err() error {
	if closed(c.done) {
		return context.Canceled
	}
	return nil
}

func (c *serviceCtx) Value(key any) any {
	switch key {
	case readyKey{}:
		return c
	case cancelKey{}:
		return nil // cancelled by its group, not by the Handle further up
	}
	return c.r.base.Value(key)
}

// cancel closes done once; r.mu is held.
func (c *serviceCtx) cancel() {
	if !c.cancelled {
		c.cancelled = true
		close(c.done)
	}
}

// markReady reports the readiness of a service that signals it; the run
// ignores all but the first report of an invocation (see run.ready).
func (c *serviceCtx) markReady() {
	if c.e.signals {
		c.r.ready(c.e, c.gen)
	}
}

// PanicError is a panic recovered from user code (a service, an observer, a
// hook, a handler), with the stack of the goroutine that panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack at the point of the panic
}

// Error returns the panic value followed by the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value if it is an error, so that errors.Is sees
// through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Protect calls fn and returns its error, or a *PanicError if fn panics. It
// is the one place nodekit turns a panic in user code into an error; code
// that must recover in a deferred function of its own (a facade entry point)
// calls Recovered.
func Protect(fn func() error) (err error) {
	defer func() {
		if pe := Recovered(recover()); pe != nil {
			err = pe
		}
	}()
	return fn()
}

// Recovered turns the value of recover() into a *PanicError carrying the
// stack of the panicking goroutine, or nil if there was no panic. Call it
// directly in a deferred function: defer func() { if pe :=
// lifecycle.Recovered(recover()); pe != nil { ... } }().
func Recovered(v any) *PanicError {
	if v == nil {
		return nil
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}
