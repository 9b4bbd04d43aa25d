package bench

import (
	"runtime"
	"testing"
)

// The floor: the least a lifecycle with nodekit's ordering contract costs,
// measured beside nodekit and errgroup in BenchmarkLifecycle. It is the same
// workload as benchNodekit with nothing but the ordering: the service that
// becomes ready launches the next (a start relay), the service that returns
// cancels the one before it (a stop relay, exact reverse order), and, with an
// observer, one dispatcher goroutine receives every transition through a
// buffered channel (it never delays a service) and acknowledges the start
// events before the group counts as running. It has no timeouts, no panic
// protection, no restarts, no states or durations to read, no names: what
// nodekit costs above it is the price of those.

// floorEvent is one transition; ack asks the dispatcher to report that it
// has returned for every event before it.
type floorEvent struct {
	service, to int
	ack         bool
}

// floorRun is one Group of n services started, run and stopped.
type floorRun struct {
	p       *probe
	cancels []chan struct{}
	running chan struct{} // closed when every service runs (and, with an observer, it acknowledged)
	stopped chan struct{} // closed when the first service has returned
	events  chan floorEvent
}

func (r *floorRun) emit(service, to int) {
	if r.events != nil {
		r.events <- floorEvent{service: service, to: to}
	}
}

// launch starts service i, or, past the last, makes the group running.
func (r *floorRun) launch(i int) {
	if i == len(r.cancels) {
		if r.events != nil {
			r.events <- floorEvent{ack: true}
		} else {
			close(r.running)
		}
		return
	}
	r.cancels[i] = make(chan struct{})
	r.emit(i, 1) // starting
	go func() {
		r.emit(i, 2) // running: the relay launches the next
		r.launch(i + 1)
		r.p.enter()
		<-r.cancels[i]
		r.p.exit()
		r.emit(i, 4) // stopped
		if i == 0 {
			close(r.stopped)
			return
		}
		r.emit(i-1, 3) // stopping
		close(r.cancels[i-1])
	}()
}

func benchFloor(b *testing.B, p *probe, observe bool) {
	b.ReportAllocs()
	n := p.size()
	var seen int64
	before := runtime.NumGoroutine()
	for b.Loop() {
		p.arm()
		r := &floorRun{p: p, cancels: make([]chan struct{}, n), running: make(chan struct{}), stopped: make(chan struct{})}
		dispatched := make(chan struct{})
		if observe {
			r.events = make(chan floorEvent, 4*n+1)
			go func() {
				defer close(dispatched)
				for e := range r.events {
					if e.ack {
						close(r.running)
						continue
					}
					seen++
				}
			}()
		}
		r.launch(0)
		<-r.running
		p.waitRunning()
		r.emit(n-1, 3) // stopping
		close(r.cancels[n-1])
		<-r.stopped
		if observe {
			close(r.events)
			<-dispatched
		}
	}
	p.finish(b, before)
	if observe {
		if want := int64(b.N) * int64(n) * 4; seen != want {
			b.Fatalf("observer events: got %d, want %d", seen, want)
		}
	}
}
