package lifecycle

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/internal/goid"
)

// Dispatcher goroutines are kept for a short while after their run, so that
// the next run with observers reuses one rather than starting a goroutine and
// reading its id again.
//
// The callback check (callback.go) must know the id of the goroutine that
// calls the observers, and reading it costs a few microseconds (a runtime
// stack trace): a tenth of a whole 10-service run. A dispatcher goroutine
// reads its id once, when it starts; when its run's dispatcher exits, it waits
// up to dispatcherIdle for another run to hand it a dispatcher, and then
// exits. At most maxIdleDispatchers wait at once; more exit at once.
const (
	dispatcherIdle     = 100 * time.Millisecond
	maxIdleDispatchers = 4
)

// keptEvents is the most events a dispatcher buffer kept for the next run
// holds (80 bytes each); a larger one is dropped.
const keptEvents = 4096

// dispatchWorker is one dispatcher goroutine.
type dispatchWorker struct {
	id   uint64           // its goroutine id
	next chan *dispatcher // cap 1: the dispatcher of the run that took it, or nil: exit
	// nudge is its dispatchers' coalescing timer (dispatcher.nudge), stopped
	// between runs: it signals the dispatcher it serves (serving). wait ends
	// its idle wait (idle). Both call a function rather than send on a
	// channel, so that the goroutine waits on one channel, not in a select.
	nudge, wait *time.Timer
	serving     atomic.Pointer[dispatcher]
	// The buffers its last run grew, empty: the next run's batch and queue.
	batch, queue []Event
	cb           Callbacks // the tracker of the run it serves (see track)
}

// track registers the worker's goroutine as a callback goroutine of o for
// the run it serves now, and returns its tracker (nil, tracking nothing, for
// a nil o). The tracker lives in the worker: a run allocates none.
func (w *dispatchWorker) track(o *callbackOwner) *Callbacks {
	if o == nil {
		return nil
	}
	o.register(w.id)
	w.cb = Callbacks{owner: o, id: w.id}
	return &w.cb
}

// keep leaves the worker a run's two buffers, both empty, for the next run.
func (w *dispatchWorker) keep(batch, queue []Event) {
	w.batch, w.queue = nil, nil
	if cap(batch) <= keptEvents {
		w.batch = batch[:0]
	}
	if cap(queue) <= keptEvents {
		w.queue = queue[:0]
	}
}

var idleDispatchers struct {
	mu   sync.Mutex
	list []*dispatchWorker
}

// runDispatcher has d delivered on an idle dispatcher goroutine, or on a new
// one.
func runDispatcher(d *dispatcher, room int) {
	if w := takeIdle(); w != nil {
		d.queue = w.queue // nil if the last run's grew past keptEvents
		d.nudge = w.nudge
		w.serving.Store(d)
		w.next <- d
		return
	}
	d.queue = make([]Event, 0, room)
	w := &dispatchWorker{next: make(chan *dispatcher, 1), batch: make([]Event, 0, room)}
	w.nudge = time.AfterFunc(time.Hour, func() { w.serving.Load().nudged() })
	w.wait = time.AfterFunc(time.Hour, w.expire)
	w.nudge.Stop()
	w.wait.Stop()
	d.nudge = w.nudge
	w.serving.Store(d)
	go func() {
		w.id = goid.Current()
		for d := d; d != nil; d = w.idle() {
			d.loop(w)
		}
	}()
}

// takeIdle takes the dispatcher goroutine that became idle last, if any.
func takeIdle() *dispatchWorker {
	idleDispatchers.mu.Lock()
	defer idleDispatchers.mu.Unlock()
	n := len(idleDispatchers.list)
	if n == 0 {
		return nil
	}
	w := idleDispatchers.list[n-1]
	idleDispatchers.list = slices.Delete(idleDispatchers.list, n-1, n)
	return w
}

// idle waits up to dispatcherIdle for another run's dispatcher; nil means
// exit.
func (w *dispatchWorker) idle() *dispatcher {
	idleDispatchers.mu.Lock()
	if len(idleDispatchers.list) == maxIdleDispatchers {
		idleDispatchers.mu.Unlock()
		return nil
	}
	idleDispatchers.list = append(idleDispatchers.list, w)
	idleDispatchers.mu.Unlock()
	w.wait.Reset(dispatcherIdle)
	d := <-w.next
	if d != nil {
		w.wait.Stop() // if it fires anyway, expire finds w taken
	}
	return d
}

// expire is the wait timer's function: a worker still idle is removed from
// the list and told to exit; one that was taken meanwhile has its dispatcher
// on the way.
func (w *dispatchWorker) expire() {
	idleDispatchers.mu.Lock()
	defer idleDispatchers.mu.Unlock()
	if i := slices.Index(idleDispatchers.list, w); i >= 0 {
		idleDispatchers.list = slices.Delete(idleDispatchers.list, i, i+1)
		w.next <- nil // room: nothing was sent to an idle worker
	}
}
