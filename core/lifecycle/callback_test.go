package lifecycle_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
)

// Every handle in these tests has a stop timeout of an hour: a Stop that
// waited for itself would hang the test (and fail it at waitTimeout) instead
// of returning at once.
const never = time.Hour

// idle is a service that runs until cancelled.
var idle = lifecycle.ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })

func TestStopFromObserverRequestsTheStopAndSaysSo(t *testing.T) {
	g := lifecycle.NewGroup(lifecycle.WithGroupStopTimeout(never))
	var h *lifecycle.Handle
	ready := make(chan struct{})
	stopReturned := make(chan error, 1)
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Running {
			<-ready
			stopReturned <- h.Stop()
		}
		return nil
	}))
	require.NoError(t, g.Add("svc", idle))
	h = lifecycle.Start("group", g, lifecycle.WithStopTimeout(never))
	close(ready)
	err := recv(t, stopReturned)
	require.ErrorIs(t, err, lifecycle.ErrCalledFromCallback, "never nil for a stop that has not happened")
	var ce *lifecycle.CallbackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "stop", ce.Op)
	assert.Equal(t, "group", ce.Service)
	assert.NoError(t, h.Join(), "the requested stop happens once the observer returns")
	assert.Equal(t, lifecycle.Stopped, h.State())
}

func TestJoinFromObserverReturnsAtOnce(t *testing.T) {
	g := lifecycle.NewGroup()
	var h *lifecycle.Handle
	ready := make(chan struct{})
	results := make(chan error, 1)
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.Service == "svc" && e.To == lifecycle.Starting {
			<-ready
			results <- h.Join()
		}
		return nil
	}))
	require.NoError(t, g.Add("svc", idle))
	h = lifecycle.Start("group", g, lifecycle.WithStopTimeout(never))
	close(ready)
	assert.ErrorIs(t, recv(t, results), lifecycle.ErrCalledFromCallback, "Join")
	require.NoError(t, h.AwaitRunning(context.Background()), "Join from a callback does not stop anything")
	require.NoError(t, h.Stop())
}

func TestRequestStopFromObserver(t *testing.T) {
	g := lifecycle.NewGroup()
	var h *lifecycle.Handle
	ready := make(chan struct{})
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Running {
			<-ready
			h.RequestStop()
			h.RequestStop() // idempotent
		}
		return nil
	}))
	require.NoError(t, g.Add("svc", idle))
	h = lifecycle.Start("group", g, lifecycle.WithStopTimeout(never))
	close(ready)
	require.NoError(t, h.Join())
	assert.Equal(t, lifecycle.Stopped, h.State())
}

func TestRequestStopDoesNotWait(t *testing.T) {
	release := make(chan struct{})
	h := lifecycle.Start("slow", lifecycle.ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		<-release
		return nil
	}), lifecycle.WithStopTimeout(never))
	h.RequestStop()
	assert.Equal(t, lifecycle.Stopping, h.State(), "requested, not done")
	select {
	case <-h.Done():
		t.Fatal("the service cannot have ended: it waits for release")
	default:
	}
	close(release)
	require.NoError(t, h.Join())
	require.NoError(t, h.Stop(), "Stop after RequestStop reports the same outcome")
}

// A Stop from another goroutine while an observer is running is an ordinary
// Stop: it waits for the observer, and reports the real outcome.
func TestStopElsewhereWhileObserverRunsWaits(t *testing.T) {
	g := lifecycle.NewGroup()
	inObserver, release := make(chan struct{}), make(chan struct{})
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Stopping {
			close(inObserver)
			<-release
		}
		return nil
	}))
	require.NoError(t, g.Add("svc", idle))
	h := lifecycle.Start("group", g, lifecycle.WithStopTimeout(never))
	require.NoError(t, h.AwaitRunning(context.Background()))
	stopped := make(chan error, 1)
	go func() { stopped <- h.Stop() }()
	recv(t, inObserver)
	second := make(chan error, 1)
	go func() { second <- h.Stop() }() // a Stop while the observer runs, from elsewhere
	select {
	case err := <-second:
		t.Fatalf("Stop returned %v while the group still waited for its observer", err)
	case <-time.After(20 * time.Millisecond): // no event can end the wait: the observer is blocked
	}
	close(release)
	assert.NoError(t, recv(t, stopped))
	assert.NoError(t, recv(t, second))
}

// A callback of one handle may stop and join another handle normally.
func TestCallbackOfOneHandleStopsAnother(t *testing.T) {
	other := lifecycle.Start("other", idle)
	g := lifecycle.NewGroup()
	result := make(chan error, 1)
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Running {
			result <- other.Stop()
		}
		return nil
	}))
	require.NoError(t, g.Add("svc", idle))
	h := lifecycle.Start("group", g)
	assert.NoError(t, recv(t, result))
	assert.Equal(t, lifecycle.Stopped, other.State())
	require.NoError(t, h.Stop())
}

// AsCallback: foreign code (a Java hook) run by a service stops the handle
// of that service.
func TestStopInsideAsCallback(t *testing.T) {
	var h *lifecycle.Handle
	start := make(chan struct{})
	stopErr := make(chan error, 1)
	h = lifecycle.Start("svc", lifecycle.ServiceFunc(func(ctx context.Context) error {
		<-start
		if err := lifecycle.AsCallback(ctx, func() error { stopErr <- h.Stop(); return nil }); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}), lifecycle.WithStopTimeout(never))
	close(start)
	assert.ErrorIs(t, recv(t, stopErr), lifecycle.ErrCalledFromCallback)
	require.NoError(t, h.Join())
	assert.Equal(t, lifecycle.Stopped, h.State())
}

// A service of a Group hands its context on: code it runs through
// AsCallback is a callback of the Handle on the group.
func TestAsCallbackInsideGroupService(t *testing.T) {
	var h *lifecycle.Handle
	start := make(chan struct{})
	stopErr := make(chan error, 1)
	g := lifecycle.NewGroup(lifecycle.WithGroupStopTimeout(never))
	require.NoError(t, g.Add("svc", lifecycle.ServiceFunc(func(ctx context.Context) error {
		<-start
		_ = lifecycle.AsCallback(ctx, func() error { stopErr <- h.Stop(); return nil })
		<-ctx.Done()
		return nil
	}), lifecycle.WithStopTimeout(never)))
	h = lifecycle.Start("group", g, lifecycle.WithStopTimeout(never))
	close(start)
	assert.ErrorIs(t, recv(t, stopErr), lifecycle.ErrCalledFromCallback)
	require.NoError(t, h.Join())
}

func TestNewCallbacksOutsideAHandle(t *testing.T) {
	cb := lifecycle.NewCallbacks(context.Background())
	assert.Nil(t, cb, "no handle, nothing to track")
	assert.NoError(t, cb.Call(func() error { return nil }), "a nil tracker still runs the callback")
	var pe *lifecycle.PanicError
	assert.ErrorAs(t, cb.Call(func() error { panic("x") }), &pe)
	cb.Close()
}
