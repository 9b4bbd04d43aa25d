package lifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The dispatcher coalesces its wake-ups: events queued while nothing waits
// for them (no acknowledgement, no close) are delivered once coalesceEvents
// have gathered, or at most coalesceDelay after the first of them was queued,
// whichever comes first, so that a relay step does not cost a goroutine
// switch per event. A barrier (start events awaiting acknowledgement) and a
// close wake the dispatcher at once.
const (
	coalesceEvents = 64
	coalesceDelay  = time.Millisecond
)

// An Observer receives every state transition of the services in a Group.
//
// Observe is called on the group's single dispatcher goroutine, one event at a
// time, in the order the transitions happened; it never delays the services
// (events queue up while an observer is slow). The dispatcher wakes once per
// batch of events, not once per event: at once when the start awaits
// acknowledgement or the group has stopped, otherwise when 64 events have
// gathered or 1 ms after the first of them, whichever comes first; so an event
// reaches the observers at most about 1 ms after its transition, plus the
// time they take for the events before it. The group itself counts as
// running only once every observer has returned for every start event
// (bounded by WithObserverTimeout), so that an error returned for a start
// event (Event.IsStart) is the start's outcome: the group stops what it has
// started, in reverse, and fails with an *AbortError, which AwaitRunning
// returns. An error for any other event, and a panic, is logged and delivery
// goes on. Observe runs as a callback of the group's Handle: it may call
// RequestStop, while Stop, Join and AwaitRunning return ErrCalledFromCallback.
type Observer interface {
	Observe(Event) error
}

// A BatchObserver is an Observer that takes events in batches: every event
// queued when the dispatcher turns to it, in one ObserveBatch call (the
// events are valid only during the call). It suits observers with a fixed
// cost per call, such as one that hands events to another runtime. Its
// events come in the same order and with the same guarantees as an
// Observer's: a batch holds only start events or only other events, and
// every observer, in priority order, receives a batch before the next
// observer does. An error for a batch of start events aborts the start; the
// *AbortError names the batch's first event, so the error itself should name
// the event refused. Observe is never called for a BatchObserver registered
// with a Group.
type BatchObserver interface {
	Observer
	ObserveBatch(events []Event) error
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(Event) error

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) error { return f(e) }

type observerEntry struct {
	priority int
	seq      int // registration order, breaks priority ties
	obs      Observer
}

// observerList is a copy-on-write list sorted by priority, highest first, ties
// in registration order.
type observerList struct {
	mu   sync.Mutex
	list atomic.Pointer[[]observerEntry]
}

func (l *observerList) add(priority int, obs Observer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var cur []observerEntry
	if p := l.list.Load(); p != nil {
		cur = *p
	}
	next := append(slices.Clip(cur), observerEntry{priority: priority, seq: len(cur), obs: obs})
	slices.SortStableFunc(next, func(a, b observerEntry) int {
		switch {
		case a.priority > b.priority:
			return -1
		case a.priority < b.priority:
			return 1
		}
		return a.seq - b.seq
	})
	l.list.Store(&next)
}

func (l *observerList) load() []observerEntry {
	if p := l.list.Load(); p != nil {
		return *p
	}
	return nil
}

func (l *observerList) empty() bool { return len(l.load()) == 0 }

// dispatchOwner is what a dispatcher reports to, on its goroutine: the run
// (tests have their own).
type dispatchOwner interface {
	refused(*AbortError) // an observer refused a start event; once per refusal
	acknowledged()       // the observers have returned for every event before the barrier
	observersDone()      // everything is delivered and the goroutine exits (see afterExit)
}

// dispatcher delivers events to observers on one goroutine, in order.
type dispatcher struct {
	ctx       context.Context // the group's: says which Handle observers belong to
	observers *observerList
	log       *slog.Logger
	owner     dispatchOwner

	busy atomic.Pointer[observerEntry] // the observer being called, if any

	mu        sync.Mutex
	queue     []Event
	emitted   uint64 // events queued so far
	delivered uint64 // events every observer has returned for
	ackAt     uint64 // with ackDue: acknowledged once delivered reaches it (see barrier)
	ackDue    bool
	closed    bool
	exited    bool // the goroutine delivers nothing more
	notify    bool // tell the owner when the goroutine exits (see afterExit)
	woken     bool // a wake is in wake, not yet taken by the goroutine
	nudgeOn   bool // nudge is armed for the queue's first event
	// nudge is the goroutine's timer for the queue's coalesceDelay (see
	// coalesceEvents); it is set before any event is emitted.
	nudge *time.Timer
	wake  chan struct{} // cap 1: deliver now (see signal)
	done  chan struct{} // closed when the goroutine exits
}

// newDispatcher starts the dispatcher of a group of services services: its
// queue has room for their start events up front (or the room an earlier
// run's left it: runDispatcher).
func newDispatcher(ctx context.Context, obs *observerList, log *slog.Logger, owner dispatchOwner, services int) *dispatcher {
	room := min(services+1, 64)
	d := &dispatcher{ctx: ctx, observers: obs, log: log, owner: owner,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	runDispatcher(d, room)
	return d
}

// barrier arranges for the owner's acknowledged to be called, on the
// dispatcher's goroutine, once the observers have returned for every event
// emitted so far (a run asks once, for its start events; a second barrier
// before the first is acknowledged moves it, and acknowledged comes once).
// It reports false, and arranges nothing, if they already have.
func (d *dispatcher) barrier() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.delivered >= d.emitted {
		return false
	}
	d.ackAt, d.ackDue = d.emitted, true
	d.signal()
	return true
}

// signal wakes the goroutine to deliver at once; d.mu is held. woken keeps
// at most one wake in the channel; the send does not block even so, since a
// late nudge may signal a dispatcher whose goroutine has exited.
func (d *dispatcher) signal() {
	if !d.woken {
		d.woken = true
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// urgent reports whether the queue must be delivered at once rather than
// coalesced; d.mu is held.
func (d *dispatcher) urgent() bool {
	return d.ackDue || d.closed || len(d.queue) >= coalesceEvents
}

// pending makes sure the queued events are delivered: at once if urgent,
// otherwise within coalesceDelay; d.mu is held, and the queue is not empty.
func (d *dispatcher) pending() {
	switch {
	case d.woken:
	case d.urgent():
		d.signal()
	case !d.nudgeOn:
		d.nudgeOn = true
		d.nudge.Reset(coalesceDelay)
	}
}

// nudged is the nudge timer's function: the coalesceDelay of the queue's
// first event has passed. A late one (the queue was taken meanwhile, or a
// later run's dispatcher is served now) finds nothing to do, or wakes the
// goroutine a little early: harmless.
func (d *dispatcher) nudged() {
	d.mu.Lock()
	if len(d.queue) > 0 {
		d.signal()
	}
	d.mu.Unlock()
}

// busyName names the observer being called, for a timeout error.
func (d *dispatcher) busyName() string {
	if o := d.busy.Load(); o != nil {
		return fmt.Sprintf("observer (priority %d)", o.priority)
	}
	return "observers"
}

// emit queues events, in order; it never blocks on observers. They are
// delivered within coalesceDelay, or at once if something waits for them.
func (d *dispatcher) emit(events []Event) {
	d.mu.Lock()
	d.queue = append(d.queue, events...)
	d.emitted += uint64(len(events))
	d.pending()
	d.mu.Unlock()
}

// afterExit arranges for the owner's observersDone to be called on the
// dispatcher's goroutine once it has delivered everything and exits; a run
// calls it once, when its stop relay has ended. It reports false, and
// arranges nothing, if the goroutine has exited already.
func (d *dispatcher) afterExit() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.exited {
		return false
	}
	d.notify = true
	return true
}

// close makes the dispatcher exit once it has delivered everything queued.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.signal()
	d.mu.Unlock()
}

// loop delivers d's events on w's goroutine until d is closed and drained,
// and leaves w the two buffers for the next run. It waits for a wake (from
// signal, or the nudge timer's); what it finds queued after a delivery goes
// through pending like any other event (an urgent queue wakes it again at
// once).
func (d *dispatcher) loop(w *dispatchWorker) {
	cb := w.track(ownerOf(d.ctx)) // observers are callbacks of the group's Handle
	batch := w.batch
	for {
		<-d.wake
		d.mu.Lock()
		d.woken, d.nudgeOn = false, false // a late nudge finds the queue empty: harmless
		batch, d.queue = d.queue, batch[:0]
		d.mu.Unlock()
		cb.enter()
		d.deliver(batch)
		cb.exit()
		d.mu.Lock()
		d.delivered += uint64(len(batch))
		ack := d.ackDue && d.delivered >= d.ackAt
		if ack {
			d.ackDue = false
		}
		d.mu.Unlock()
		if ack {
			d.owner.acknowledged()
		}
		clear(batch)
		d.mu.Lock()
		switch {
		case len(d.queue) > 0:
			d.pending()
		case d.closed:
			d.exited = true
		}
		notify, queue := d.notify, d.queue
		d.mu.Unlock()
		if d.exited { // only this goroutine writes it
			d.nudge.Stop()
			w.keep(batch, queue)
			cb.Close()
			close(d.done)
			if notify {
				d.owner.observersDone()
			}
			return
		}
	}
}

// deliver delivers events, split into runs of start events and runs of the
// others, to the observers in the run's priority order (start events highest
// first, the others lowest first). A BatchObserver receives the whole run in
// one call, after the observers before it have received it and before those
// after it do; between BatchObservers, Observers receive the run one event
// at a time, each event by each of them before the next event.
func (d *dispatcher) deliver(events []Event) {
	list := d.observers.load()
	for len(events) > 0 {
		start := events[0].IsStart()
		n := 1
		for n < len(events) && events[n].IsStart() == start {
			n++
		}
		run := events[:n]
		events = events[n:]
		order := func(i int) *observerEntry {
			if start {
				return &list[i]
			}
			return &list[len(list)-1-i]
		}
		for i := 0; i < len(list); {
			if bo, ok := order(i).obs.(BatchObserver); ok {
				o := order(i)
				d.busy.Store(o)
				d.check(o, run[0], Protect(func() error { return bo.ObserveBatch(run) }))
				i++
				continue
			}
			span := make([]*observerEntry, 0, 4) // order(i..j-1) are Observers
			for j := i; j < len(list) && !isBatch(order(j).obs); j++ {
				span = append(span, order(j))
			}
			d.observeEach(span, run)
			i += len(span)
		}
		d.busy.Store(nil)
	}
}

// observeEach delivers run to the Observers of span, each event to each of
// them before the next event. One deferred recover guards the whole loop
// rather than one per call: a panic is reported (check) for the observer and
// event it came from, and delivery resumes with the next.
func (d *dispatcher) observeEach(span []*observerEntry, run []Event) {
	if len(span) == 1 { // busy stays the same for the whole run
		d.busy.Store(span[0])
	}
	ev, k := 0, 0
	for ev < len(run) {
		ev, k = d.observeFrom(span, run, ev, k)
	}
}

// observeFrom delivers from event ev to observer k of span on; it returns
// where delivery goes on after a panic, or len(run) once it is done.
func (d *dispatcher) observeFrom(span []*observerEntry, run []Event, ev, k int) (nextEv, nextK int) {
	defer func() {
		if pe := Recovered(recover()); pe != nil {
			d.check(span[k], run[ev], pe)
			nextEv, nextK = ev, k+1
			if nextK == len(span) {
				nextEv, nextK = ev+1, 0
			}
		}
	}()
	for ; ev < len(run); ev++ {
		for ; k < len(span); k++ {
			o := span[k]
			if len(span) > 1 {
				d.busy.Store(o)
			}
			d.check(o, run[ev], o.obs.Observe(run[ev]))
		}
		k = 0
	}
	return ev, 0
}

func isBatch(obs Observer) bool {
	_, ok := obs.(BatchObserver)
	return ok
}

// check logs what o returned for e, or aborts the start if o refused a start
// event.
func (d *dispatcher) check(o *observerEntry, e Event, err error) {
	if err == nil {
		return
	}
	if _, panicked := err.(*PanicError); panicked || !e.IsStart() {
		d.log.Error("lifecycle: observer failed", "priority", o.priority, "event", e.String(), "err", err)
		return
	}
	d.owner.refused(&AbortError{Event: e, Priority: o.priority, Err: err})
}
