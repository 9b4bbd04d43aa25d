package nodekit

import (
	"encoding/binary"

	"nodekit.dev/nodekit/core/lifecycle"
)

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

// BatchObserver receives a Group's lifecycle events in batches: every event
// queued when Go turns to it, in one onEvents() call instead of one call per
// event, on the same kind of thread and in the same order as an Observer's.
// Since a call from Go to Java costs about as much as one event's work, this
// is the observer for groups of many services (dev.nodekit.Event.batchObserver
// adapts a handler of Event values; Event.unpack reads a batch). A batch
// holds only start events or only other events. An exception for a batch of
// start events aborts the group's start (KindAborted, naming the batch's
// first event); for other batches it is logged.
type BatchObserver interface {
	// OnEvents receives count events packed into data (Event.unpack reads
	// them), one after another, each as: the service's name (a 4-byte
	// length, then its UTF-8 bytes), the State* it left and entered (4 bytes
	// each), how long it was in the first (8 bytes, nanoseconds), the cause
	// (length and UTF-8, empty unless it entered StateFailed), the cause's
	// Kind* (4 bytes) and when it happened (8 bytes, nanoseconds since the
	// Unix epoch); every number big-endian and signed. data is only valid
	// during the call.
	OnEvents(data []byte, count int) error
}

// ObserveBatch registers a BatchObserver with a priority, as observe() does
// an Observer (higher sees start events first and stop events last). A null
// observer is ignored.
func (g *Group) ObserveBatch(priority int, obs BatchObserver) {
	if obs != nil {
		g.observe(priority, &batchObserverAdapter{obs: obs})
	}
}

// batchObserverAdapter packs events for a BatchObserver. One Group's
// dispatcher calls it, one batch at a time, so it reuses its buffer.
type batchObserverAdapter struct {
	obs BatchObserver
	buf []byte
}

// maxKeptBatchBytes bounds the buffer an adapter keeps between batches.
const maxKeptBatchBytes = 64 << 10

func (a *batchObserverAdapter) Observe(e lifecycle.Event) error {
	return a.ObserveBatch([]lifecycle.Event{e})
}

func (a *batchObserverAdapter) ObserveBatch(events []lifecycle.Event) error {
	buf := a.buf[:0]
	for _, e := range events {
		buf = appendEvent(buf, e)
	}
	if cap(buf) <= maxKeptBatchBytes {
		a.buf = buf
	}
	return a.obs.OnEvents(buf, len(events))
}

// appendEvent appends e to buf in BatchObserver's format.
func appendEvent(buf []byte, e lifecycle.Event) []byte {
	msg, kind := "", KindOK
	if e.Err != nil {
		msg, kind = e.Err.Error(), kindOf(e.Err)
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(e.Service)))
	buf = append(buf, e.Service...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(e.From))
	buf = binary.BigEndian.AppendUint32(buf, uint32(e.To))
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.Duration))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(msg)))
	buf = append(buf, msg...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(kind))
	return binary.BigEndian.AppendUint64(buf, uint64(e.At.UnixNano()))
}
