// Package clock abstracts time for nodekit so that tests can drive timeouts,
// backoff and timers deterministically.
//
// Production code takes a Clock and defaults to Real(). Tests pass a *Fake and
// move it forward with Advance; Fake.WaitTimers lets a test wait until the code
// under test has armed the timers it is expected to arm, so that no test has to
// sleep and hope.
package clock

import "time"

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
	// AfterFunc returns a timer that calls f in its own goroutine once, d
	// from now, as time.AfterFunc does: its C is nil, Stop keeps f from
	// being called, and Reset arms it again. A goroutine that only waits for
	// a timer needs none: the timer calls what it would have called.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a one-shot timer, as time.Timer with Go 1.23 semantics: after Stop
// or Reset returns, no stale value is received from C.
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was armed.
	Stop() bool
	// Reset re-arms the timer to fire d from now; it reports whether it was armed.
	Reset(d time.Duration) bool
}

// Real returns the system clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time        { return t.t.C }
func (t realTimer) Stop() bool                 { return t.t.Stop() }
func (t realTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }
