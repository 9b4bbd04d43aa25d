package clock

import (
	"context"
	"sync"
	"time"
)

// Fake is a Clock that only moves when Advance is called. It is safe for
// concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  map[*fakeTimer]struct{}
	changed chan struct{} // closed and replaced whenever the set of armed timers changes
}

// NewFake returns a Fake clock that reads start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, timers: map[*fakeTimer]struct{}{}, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the fake time reaches Now()+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// AfterFunc returns a timer that calls f in its own goroutine when the fake
// time reaches Now()+d (at once for d <= 0).
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn}
	t.Reset(d)
	return t
}

// Advance moves the fake time forward by d and fires, in deadline order,
// every timer that is due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	for {
		var next *fakeTimer
		for t := range f.timers {
			if !t.when.After(f.now) && (next == nil || t.when.Before(next.when)) {
				next = t
			}
		}
		if next == nil {
			return
		}
		delete(f.timers, next)
		f.notifyLocked()
		next.fire()
	}
}

// Timers returns how many timers are armed.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitTimers blocks until at least n timers are armed, or ctx ends.
func (f *Fake) WaitTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		armed, changed := len(f.timers), f.changed
		f.mu.Unlock()
		if armed >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	f    *Fake
	c    chan time.Time // nil for an AfterFunc timer
	fn   func()         // non-nil for an AfterFunc timer
	when time.Time
}

// fire delivers the deadline on c, or starts fn.
func (t *fakeTimer) fire() {
	if t.fn != nil {
		go t.fn()
		return
	}
	t.c <- t.when
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.stopLocked()
}

func (t *fakeTimer) stopLocked() bool {
	_, armed := t.f.timers[t]
	if armed {
		delete(t.f.timers, t)
		t.f.notifyLocked()
	}
	select { // drop a value that fired but was not received, as time.Timer does since Go 1.23
	case <-t.c:
	default:
	}
	return armed
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	armed := t.stopLocked()
	t.when = t.f.now.Add(d)
	if d <= 0 {
		t.fire()
		return armed
	}
	t.f.timers[t] = struct{}{}
	t.f.notifyLocked()
	return armed
}
