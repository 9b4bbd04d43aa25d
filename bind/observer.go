package nodekit

import "nodekit.dev/nodekit/core/lifecycle"

// Observer receives a Group's lifecycle events: onEvent() is called one event
// at a time and in order, on a background thread owned by Go (not always the
// same one, never the caller's), with the event's fields as plain values, so
// an event hands Java no Go object to collect. It may hold up the group while
// it runs, so it should return quickly. It may call the group's stop() or
// requestStop() (stop() then returns KindCalledFromCallback at once). An
// exception for a start event (to Starting or Running) aborts the group's
// start (KindAborted); for other events it is logged. In Java,
// dev.nodekit.Event.observer(handler) adapts a handler of Event values.
type Observer interface {
	// OnEvent receives one event, on a Go thread, in order; an exception
	// for a start event aborts the group's start (KindAborted). Its
	// arguments are one state transition: the service's name, the State*
	// it left and entered, how long it was in from, the cause and its Kind*
	// when to is StateFailed ("" and KindOK otherwise), and when it happened.
	OnEvent(service string, from, to int, durationNanos int64, err string, errKind int, atUnixNanos int64) error
}

type observerAdapter struct{ obs Observer }

func (a observerAdapter) Observe(e lifecycle.Event) error {
	msg, kind := "", KindOK
	if e.Err != nil {
		msg, kind = e.Err.Error(), kindOf(e.Err)
	}
	return a.obs.OnEvent(e.Service, int(e.From), int(e.To), int64(e.Duration), msg, kind, e.At.UnixNano())
}
