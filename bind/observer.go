package nodekit

import "nodekit.dev/nodekit/core/lifecycle"

// Observer receives a Group's lifecycle events one at a time and in order, on
// a background thread (not always the same one). An exception for a start event (to Starting or
// Running) aborts the group's start (KindAborted); for other events it is
// logged.
type Observer interface {
	OnEvent(e *Event) error
}

// Event is one state transition of one service.
type Event struct {
	Service       string // the service's name
	From, To      int    // State* constants
	DurationNanos int64  // how long the service was in From
	Error         string // the cause when To is StateFailed, else ""
	ErrorKind     int    // a Kind* constant (KindOK when Error is "")
	AtUnixNanos   int64  // when it happened
}

// IsStart reports whether the event belongs to the start phase.
func (e *Event) IsStart() bool { return e.To == StateStarting || e.To == StateRunning }

type observerAdapter struct{ obs Observer }

func (a observerAdapter) Observe(e lifecycle.Event) error {
	ev := &Event{Service: untiny(e.Service), From: int(e.From), To: int(e.To),
		DurationNanos: int64(e.Duration), AtUnixNanos: e.At.UnixNano()}
	if e.Err != nil {
		ev.Error, ev.ErrorKind = untiny(e.Err.Error()), kindOf(e.Err)
	}
	return a.obs.OnEvent(ev)
}
