package lifecycle_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// syncBuffer is a bytes.Buffer safe for the logger's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestObserversSeeEveryTransitionInOrder(t *testing.T) {
	g := lifecycle.NewGroup()
	obs := newRecorder()
	g.Observe(0, obs)
	j := &journal{}
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("b", readyService(j, "b")))
	h := startGroup(t, g)
	require.NoError(t, h.Stop())
	events := obs.until(t, "a", lifecycle.Stopped)
	assert.Equal(t, []string{"a:Starting", "a:Running", "b:Starting", "b:Running",
		"b:Stopping", "b:Stopped", "a:Stopping", "a:Stopped"}, transitions(events))
	for _, e := range events {
		assert.False(t, e.At.IsZero())
		assert.NoError(t, e.Err)
	}
	assert.Equal(t, lifecycle.New, events[0].From)
	assert.Equal(t, lifecycle.Running, events[4].From)
}

func TestFailedEventCarriesTheCause(t *testing.T) {
	g := lifecycle.NewGroup()
	obs := newRecorder()
	g.Observe(0, obs)
	boom := errors.New("boom")
	require.NoError(t, g.Add("x", lifecycle.ServiceFunc(func(context.Context) error { return boom })))
	assert.ErrorIs(t, g.Run(context.Background()), boom)
	events := obs.until(t, "x", lifecycle.Failed)
	failed := events[len(events)-1]
	assert.Equal(t, lifecycle.Running, failed.From)
	assert.Equal(t, boom, failed.Err)
}

func TestObserverPriorityOrder(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	g := lifecycle.NewGroup()
	add := func(prio int, name string) {
		g.Observe(prio, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, e.To.String()+" "+name)
			return nil
		}))
	}
	add(20, "low")
	add(200, "high")
	add(100, "normal-1")
	add(100, "normal-2")
	done := newRecorder()
	g.Observe(-1000, done) // lowest: last for start events, first for stop events
	require.NoError(t, g.Add("svc", lifecycle.ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })))
	h := startGroup(t, g)
	require.NoError(t, h.Stop())
	done.until(t, "svc", lifecycle.Stopped)
	// Stop returned after the group's dispatcher had delivered every event.
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"Starting high", "Starting normal-1", "Starting normal-2", "Starting low",
		"Running high", "Running normal-1", "Running normal-2", "Running low",
		"Stopping low", "Stopping normal-2", "Stopping normal-1", "Stopping high",
		"Stopped low", "Stopped normal-2", "Stopped normal-1", "Stopped high",
	}, calls)
}

func TestPanickingObserverIsIsolatedAndLogged(t *testing.T) {
	logs := &syncBuffer{}
	g := lifecycle.NewGroup(lifecycle.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	g.Observe(10, lifecycle.ObserverFunc(func(lifecycle.Event) error { panic("observer bug") }))
	obs := newRecorder()
	g.Observe(0, obs)
	require.NoError(t, g.Add("svc", lifecycle.ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })))
	h := startGroup(t, g)
	require.NoError(t, h.Stop(), "a panicking observer does not fail the group")
	assert.Equal(t, []string{"svc:Starting", "svc:Running", "svc:Stopping", "svc:Stopped"},
		transitions(obs.until(t, "svc", lifecycle.Stopped)))
	assert.Contains(t, logs.String(), "observer bug")
	assert.Contains(t, logs.String(), "priority=10")
}

func TestSlowObserverDoesNotDelayServicesButTheGroupsRunning(t *testing.T) {
	release := make(chan struct{})
	g := lifecycle.NewGroup()
	g.Observe(0, lifecycle.ObserverFunc(func(lifecycle.Event) error { <-release; return nil }))
	j := &journal{}
	started := make(chan struct{})
	for _, name := range []string{"a", "b", "c"} {
		require.NoError(t, g.Add(name, readyService(j, name)))
	}
	require.NoError(t, g.Add("last", lifecycle.ServiceFunc(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return nil
	})))
	h := lifecycle.Start("group", g)
	recv(t, started) // all services start while the observer is stuck on the first event
	assert.Equal(t, []string{"start a", "start b", "start c"}, j.get())
	assert.Equal(t, lifecycle.Starting, h.State(), "running only once the observers have acknowledged the start")
	close(release)
	require.NoError(t, h.AwaitRunning(context.Background()))
	require.NoError(t, h.Stop())
}

func TestObserverAbortsStartAndRollsBack(t *testing.T) {
	g := lifecycle.NewGroup()
	veto := errors.New("licence expired")
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.Service == "b" && e.To == lifecycle.Running {
			return veto
		}
		return nil
	}))
	j := &journal{}
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("b", readyService(j, "b")))
	err := g.Run(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, lifecycle.ErrAborted)
	assert.ErrorIs(t, err, veto)
	var ae *lifecycle.AbortError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "b", ae.Event.Service)
	assert.Equal(t, []string{"start a", "start b", "stop b", "stop a"}, j.get())
}

func TestObserverErrorOnStopEventIsOnlyLogged(t *testing.T) {
	logs := &syncBuffer{}
	g := lifecycle.NewGroup(lifecycle.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Stopping {
			return errors.New("cannot flush metrics")
		}
		return nil
	}))
	require.NoError(t, g.Add("svc", lifecycle.ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })))
	h := startGroup(t, g)
	require.NoError(t, h.Stop())
	assert.Contains(t, logs.String(), "cannot flush metrics")
}

// batchLog is a BatchObserver that keeps a copy of every batch and logs each
// event into a log it may share with other observers.
type batchLog struct {
	mu      *sync.Mutex
	log     *[]string
	batches [][]lifecycle.Event
}

func (b *batchLog) Observe(lifecycle.Event) error { panic("a Group calls ObserveBatch") }

func (b *batchLog) ObserveBatch(events []lifecycle.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = append(b.batches, append([]lifecycle.Event(nil), events...))
	for _, e := range events {
		*b.log = append(*b.log, "batch "+e.Service+":"+e.To.String())
	}
	return nil
}

func TestBatchObserverGetsEveryEventInBatchesOfOnePhaseInPriorityOrder(t *testing.T) {
	var mu sync.Mutex
	var log []string
	g := lifecycle.NewGroup()
	lastEntered := make(chan struct{})
	g.Observe(10, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.Service == "a" && e.To == lifecycle.Starting {
			<-lastEntered // the other start events queue up meanwhile
		}
		mu.Lock()
		defer mu.Unlock()
		log = append(log, "high "+e.Service+":"+e.To.String())
		return nil
	}))
	batch := &batchLog{mu: &mu, log: &log}
	g.Observe(5, batch)
	low := newRecorder()
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		mu.Lock()
		log = append(log, "low "+e.Service+":"+e.To.String())
		mu.Unlock()
		return low.Observe(e)
	}))
	j := &journal{}
	for _, name := range []string{"a", "b", "c"} {
		require.NoError(t, g.Add(name, readyService(j, name)))
	}
	require.NoError(t, g.Add("last", lifecycle.ReadyFunc(func(ctx context.Context) error {
		close(lastEntered)
		lifecycle.Ready(ctx)
		<-ctx.Done()
		return nil
	})))
	h := startGroup(t, g)
	require.NoError(t, h.Stop())
	low.until(t, "a", lifecycle.Stopped)

	mu.Lock()
	defer mu.Unlock()
	var all []lifecycle.Event
	longest := 0
	for _, b := range batch.batches {
		require.NotEmpty(t, b)
		for _, e := range b {
			assert.Equal(t, b[0].IsStart(), e.IsStart(), "a batch never mixes start and stop events: %v", transitions(b))
		}
		all = append(all, b...)
		longest = max(longest, len(b))
	}
	assert.Equal(t, []string{"a:Starting", "a:Running", "b:Starting", "b:Running", "c:Starting", "c:Running",
		"last:Starting", "last:Running", "last:Stopping", "last:Stopped", "c:Stopping", "c:Stopped",
		"b:Stopping", "b:Stopped", "a:Stopping", "a:Stopped"}, transitions(all))
	assert.GreaterOrEqual(t, longest, 2, "the events queued while the first observer was held came in one batch")
	// Every event reached the observers in priority order: high, batch, low
	// for start events; low, batch, high for the others.
	at := make(map[string]int, len(log))
	for i, line := range log {
		at[line] = i
	}
	require.Len(t, at, 3*16)
	for _, e := range all {
		name := e.Service + ":" + e.To.String()
		order := []string{"high " + name, "batch " + name, "low " + name}
		if !e.IsStart() {
			slices.Reverse(order)
		}
		assert.Less(t, at[order[0]], at[order[1]], name)
		assert.Less(t, at[order[1]], at[order[2]], name)
	}
}

func TestBatchObserverErrorOnStartEventsAborts(t *testing.T) {
	g := lifecycle.NewGroup()
	veto := errors.New("b may not run")
	g.Observe(7, batchFunc(func(events []lifecycle.Event) error {
		for _, e := range events {
			if e.Service == "b" && e.To == lifecycle.Running {
				return veto
			}
		}
		return nil
	}))
	j := &journal{}
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("b", readyService(j, "b")))
	err := g.Run(context.Background())
	assert.ErrorIs(t, err, lifecycle.ErrAborted)
	assert.ErrorIs(t, err, veto)
	var ae *lifecycle.AbortError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 7, ae.Priority)
	assert.True(t, ae.Event.IsStart(), "names the first event of the refused batch: %v", ae.Event)
	assert.Equal(t, []string{"start a", "start b", "stop b", "stop a"}, j.get())
}

func TestPanickingBatchObserverIsLoggedAndTheOthersGoOn(t *testing.T) {
	logs := &syncBuffer{}
	g := lifecycle.NewGroup(lifecycle.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	g.Observe(10, batchFunc(func([]lifecycle.Event) error { panic("batch observer bug") }))
	g.Observe(11, batchFunc(func(events []lifecycle.Event) error {
		if events[0].IsStart() {
			return nil
		}
		return errors.New("cannot export")
	}))
	obs := newRecorder()
	g.Observe(0, obs)
	require.NoError(t, g.Add("svc", lifecycle.ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })))
	h := startGroup(t, g)
	require.NoError(t, h.Stop(), "neither a panic nor an error for stop events fails the group")
	assert.Equal(t, []string{"svc:Starting", "svc:Running", "svc:Stopping", "svc:Stopped"},
		transitions(obs.until(t, "svc", lifecycle.Stopped)))
	assert.Contains(t, logs.String(), "batch observer bug")
	assert.Contains(t, logs.String(), "priority=10")
	assert.Contains(t, logs.String(), "cannot export")
}

// batchFunc is a BatchObserver made of a function.
type batchFunc func([]lifecycle.Event) error

func (f batchFunc) Observe(lifecycle.Event) error               { panic("a Group calls ObserveBatch") }
func (f batchFunc) ObserveBatch(events []lifecycle.Event) error { return f(events) }

// An observer still busy with the stop events when the group's stop timeout
// runs out: Stop returns at that deadline (not the Handle's, a second later)
// with a stop *TimeoutError naming the observers, and every service stopped.
func TestObserverOverrunningTheStopIsReportedAtTheGroupsDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	g := lifecycle.NewGroup(lifecycle.WithGroupStopTimeout(50 * time.Millisecond))
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Stopped {
			<-release
		}
		return nil
	}))
	j := &journal{}
	require.NoError(t, g.Add("a", readyService(j, "a")))
	h := lifecycle.Start("group", g)
	require.NoError(t, h.AwaitRunning(context.Background()))
	err := h.Stop()
	var te *lifecycle.TimeoutError
	require.ErrorAs(t, err, &te, "%v", err)
	assert.True(t, te.Stop, "a stop timeout")
	assert.Equal(t, []string{"observers"}, te.Names)
	assert.Equal(t, 50*time.Millisecond, te.Timeout)
	assert.Equal(t, []string{"start a", "stop a"}, j.get(), "the services stopped; only the observer is late")
}

// A panic in one observer for one event costs that call only: the observers
// after it still receive that event, and the one that panicked receives the
// next, all in order.
func TestObserverPanicSkipsOnlyThatCall(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	record := func(name string, panicOn lifecycle.State) lifecycle.Observer {
		return lifecycle.ObserverFunc(func(e lifecycle.Event) error {
			mu.Lock()
			calls = append(calls, name+" "+e.To.String())
			mu.Unlock()
			if e.To == panicOn {
				panic(name + " bug")
			}
			return nil
		})
	}
	logs := &syncBuffer{}
	g := lifecycle.NewGroup(lifecycle.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	g.Observe(2, record("a", lifecycle.Running))
	g.Observe(1, record("b", lifecycle.Stopping))
	last := newRecorder()
	g.Observe(0, last)
	require.NoError(t, g.Add("svc", lifecycle.ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })))
	h := startGroup(t, g)
	require.NoError(t, h.Stop())
	assert.Equal(t, []string{"svc:Starting", "svc:Running", "svc:Stopping", "svc:Stopped"},
		transitions(last.until(t, "svc", lifecycle.Stopped)))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"a Starting", "b Starting", "a Running", "b Running", // a panics on Running
		"b Stopping", "a Stopping", "b Stopped", "a Stopped", // b on Stopping
	}, calls)
	assert.Contains(t, logs.String(), "a bug")
	assert.Contains(t, logs.String(), "b bug")
}
