package nodekit

import "nodekit.dev/nodekit/core/lifecycle"

// Observer receives a Group's lifecycle events: onEvent() is called one event
// at a time and in order, on a background thread owned by Go (not always the
// same one, never the caller's). It may hold up the group while it runs, so it
// should return quickly. It may call the group's stop() or requestStop()
// (stop() then returns KindCalledFromCallback at once). An exception for a
// start event (to Starting or Running) aborts the group's start
// (KindAborted); for other events it is logged.
type Observer interface {
	// OnEvent receives one event, on a Go thread, in order. An exception
	// for a start event aborts the group's start (KindAborted).
	OnEvent(e *Event) error
}

// Event is one state transition of one service, read with its getters
// (getService(), getFrom(), getTo(), ...). It does not change.
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

// EventListener receives a Group's lifecycle events like an Observer (one at
// a time, in order, on a background thread; an exception for a start event
// aborts the start), with the Event's fields as arguments instead of an
// Event object. Prefer it where events are many: an Event is a Go object
// that the JVM pins until it collects its proxy (see Group.Listen), a
// listener's arguments are plain values that pin nothing.
type EventListener interface {
	// OnEvent receives one state transition: the service's name, the State*
	// it left and entered, how long it was in from, the cause and its Kind*
	// when to is StateFailed ("" and KindOK otherwise), and when it happened.
	OnEvent(service string, from, to int, durationNanos int64, err string, errKind int, atUnixNanos int64) error
}

type listenerAdapter struct{ l EventListener }

func (a listenerAdapter) Observe(e lifecycle.Event) error {
	msg, kind := "", KindOK
	if e.Err != nil {
		msg, kind = e.Err.Error(), kindOf(e.Err)
	}
	return a.l.OnEvent(e.Service, int(e.From), int(e.To), int64(e.Duration), msg, kind, e.At.UnixNano())
}
