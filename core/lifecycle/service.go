package lifecycle

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
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

// Ready marks the service whose Run received ctx as running. Calls after the
// first, and calls with a context that did not come from nodekit, do nothing.
func Ready(ctx context.Context) {
	if f, ok := ctx.Value(readyKey{}).(func()); ok {
		f()
	}
}

// withReady returns ctx carrying a once-only notification.
func withReady(ctx context.Context, notify func()) context.Context {
	return context.WithValue(ctx, readyKey{}, sync.OnceFunc(notify))
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

// Protect calls fn and returns its error, or a *PanicError if fn panics.
func Protect(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn()
}
