package lifecycle

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestDispatcher starts a dispatcher whose one observer sends every event
// it receives to the returned channel.
func newTestDispatcher(t *testing.T) (*dispatcher, <-chan Event) {
	t.Helper()
	got := make(chan Event, 4*coalesceEvents)
	var obs observerList
	obs.add(0, ObserverFunc(func(e Event) error { got <- e; return nil }))
	d := newDispatcher(context.Background(), &obs, slog.Default(), func(*AbortError) {}, 0)
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
	d, got := newTestDispatcher(t)
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
	d, got := newTestDispatcher(t)
	const n = 3*coalesceEvents + 5
	acked := make(chan int, 1)
	for i := range n {
		d.emit([]Event{{Service: "svc", Duration: time.Duration(i)}})
		if i == coalesceEvents+2 {
			require.True(t, d.barrier(func() { acked <- len(got) }), "events are still queued")
		}
	}
	d.close()
	<-d.done
	require.Len(t, got, n, "the close delivered everything queued")
	for i := range n {
		require.Equal(t, time.Duration(i), (<-got).Duration, "event %d in order", i)
	}
	assert.GreaterOrEqual(t, <-acked, coalesceEvents+3, "the barrier was called after the events before it")
}
