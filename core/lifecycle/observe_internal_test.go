package lifecycle

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testOwner is a dispatcher's owner that calls ack when the observers have
// acknowledged a barrier.
type testOwner struct{ ack func() }

func (testOwner) refused(*AbortError) {}
func (o testOwner) acknowledged()     { o.ack() }
func (testOwner) observersDone()      {}

// newTestDispatcher starts a dispatcher whose one observer sends every event
// it receives to the returned channel; ack is called for a barrier.
func newTestDispatcher(t *testing.T, ack func()) (*dispatcher, <-chan Event) {
	t.Helper()
	got := make(chan Event, 4*coalesceEvents)
	var obs observerList
	obs.add(0, ObserverFunc(func(e Event) error { got <- e; return nil }))
	d := newDispatcher(context.Background(), &obs, slog.Default(), testOwner{ack: ack}, 0)
	return d, got
}

func recvEvent(t *testing.T, got <-chan Event) Event {
	t.Helper()
	select {
	case e := <-got:
		return e
	case <-time.After(5 * time.Second):
		require.FailNow(t, "an event queued with nothing waiting for it was never delivered")
		return Event{}
	}
}

// Events nobody waits for are coalesced, not held back: one event, with no
// barrier and no close after it, still reaches the observer (within
// coalesceDelay), and so does the next one, emitted after the nudge fired.
func TestDispatcherDeliversCoalescedEventsWithoutAWaiter(t *testing.T) {
	d, got := newTestDispatcher(t, func() { t.Error("no barrier was asked for") })
	for _, name := range []string{"a", "b"} {
		d.emit([]Event{{Service: name, To: Starting}})
		assert.Equal(t, name, recvEvent(t, got).Service)
	}
	d.close()
	<-d.done
}

// More than coalesceEvents events, a barrier after some and a close after
// all: every event arrives once, in order, the barrier's call comes only
// after the events before it were delivered, and the close drains the rest.
func TestDispatcherKeepsOrderAcrossCoalescedBatches(t *testing.T) {
	const n = 3*coalesceEvents + 5
	acked := make(chan int, 2)
	var got <-chan Event
	d, got := newTestDispatcher(t, func() { acked <- len(got) })
	for i := range n {
		d.emit([]Event{{Service: "svc", Duration: time.Duration(i)}})
		if i == coalesceEvents+2 {
			require.True(t, d.barrier(), "events are still queued")
		}
	}
	d.close()
	<-d.done
	require.Len(t, got, n, "the close delivered everything queued")
	for i := range n {
		require.Equal(t, time.Duration(i), (<-got).Duration, "event %d in order", i)
	}
	assert.GreaterOrEqual(t, <-acked, coalesceEvents+3, "the barrier was called after the events before it")
	assert.Empty(t, acked, "acknowledged once")
}
