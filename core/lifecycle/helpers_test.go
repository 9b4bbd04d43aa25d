package lifecycle_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/clock"
	"nodekit.dev/nodekit/core/lifecycle"
)

// waitTimeout bounds every wait in these tests; reaching it is a failure, not
// a timing assumption.
const waitTimeout = 10 * time.Second

// journal records what services did, in order, from any goroutine.
type journal struct {
	mu    sync.Mutex
	lines []string
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, fmt.Sprintf(format, args...))
}

func (j *journal) get() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.lines...)
}

// blocker is a service that records its start and stop and blocks until cancelled.
func blocker(j *journal, name string) lifecycle.Service {
	return lifecycle.ServiceFunc(func(ctx context.Context) error {
		j.add("start %s", name)
		<-ctx.Done()
		j.add("stop %s", name)
		return ctx.Err()
	})
}

// recorder is an observer that forwards every event to a channel.
type recorder struct{ ch chan lifecycle.Event }

func newRecorder() *recorder { return &recorder{ch: make(chan lifecycle.Event, 1024)} }

func (r *recorder) Observe(e lifecycle.Event) error { r.ch <- e; return nil }

// next returns the next event or fails the test.
func (r *recorder) next(t *testing.T) lifecycle.Event {
	t.Helper()
	select {
	case e := <-r.ch:
		return e
	case <-time.After(waitTimeout):
		t.Fatal("no event arrived")
		return lifecycle.Event{}
	}
}

// until returns the events up to and including the first that matches.
func (r *recorder) until(t *testing.T, service string, to lifecycle.State) []lifecycle.Event {
	t.Helper()
	var out []lifecycle.Event
	for {
		e := r.next(t)
		out = append(out, e)
		if e.Service == service && e.To == to {
			return out
		}
	}
}

func transitions(events []lifecycle.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = fmt.Sprintf("%s:%s", e.Service, e.To)
	}
	return out
}

// runObserved observes g with a new recorder and runs it in the background
// until it returns, which the channel reports.
func runObserved(g *lifecycle.Group) (*recorder, <-chan error) {
	obs := newRecorder()
	g.Observe(0, obs)
	done := make(chan error, 1)
	go func() { done <- g.Run(context.Background()) }()
	return obs, done
}

// awaitTimers waits until n timers are armed on fake, or fails the test.
func awaitTimers(t *testing.T, fake *clock.Fake, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, fake.WaitTimers(ctx, n))
}

func startGroup(t *testing.T, g *lifecycle.Group) *lifecycle.Handle {
	t.Helper()
	h := lifecycle.Start("group", g)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, h.AwaitRunning(ctx))
	return h
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatal("nothing received")
		var zero T
		return zero
	}
}
