package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/clock"
	"nodekit.dev/nodekit/core/lifecycle"
)

// flaky is a service that fails every time it is told to over its fail channel.
type flaky struct {
	runs    atomic.Int32
	started chan int   // receives the run number each time Run is entered
	fail    chan error // each value ends the current run with that error
}

func newFlaky() *flaky { return &flaky{started: make(chan int, 64), fail: make(chan error)} }

func (f *flaky) Run(ctx context.Context) error {
	f.started <- int(f.runs.Add(1))
	select {
	case err := <-f.fail:
		return err
	case <-ctx.Done():
		return nil
	}
}

func TestRestartBackoffGrowsWithFakeClock(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	g := lifecycle.NewGroup(lifecycle.WithClock(fake), lifecycle.WithLogger(discardLogger()))
	f := newFlaky()
	require.NoError(t, g.Add("flaky", f, lifecycle.WithRestart(lifecycle.RestartPolicy{
		Backoff: time.Second, Multiplier: 3, MaxBackoff: 5 * time.Second, MaxFailures: 10, Window: time.Hour,
	})))
	h := startGroup(t, g)
	require.Equal(t, 1, recv(t, f.started))

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for i, want := range []time.Duration{time.Second, 3 * time.Second, 5 * time.Second, 5 * time.Second} {
		f.fail <- fmt.Errorf("failure %d", i+1)
		require.NoError(t, fake.WaitTimers(ctx, 1)) // the restart is scheduled
		fake.Advance(want - time.Nanosecond)
		select {
		case n := <-f.started:
			t.Fatalf("run %d restarted before its backoff of %s", n, want)
		default:
		}
		assert.Equal(t, 1, fake.Timers(), "restart still pending after %s", want-time.Nanosecond)
		fake.Advance(time.Nanosecond)
		assert.Equal(t, i+2, recv(t, f.started), "restarted after exactly %s", want)
	}
	require.NoError(t, h.Stop())
	st := g.Status()[0]
	assert.Equal(t, lifecycle.Stopped, st.State)
	assert.EqualError(t, st.Err, "failure 4")
}

func TestTooManyRestartsFailsTheGroup(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	g := lifecycle.NewGroup(lifecycle.WithClock(fake), lifecycle.WithLogger(discardLogger()))
	f := newFlaky()
	require.NoError(t, g.Add("flaky", f, lifecycle.WithRestart(lifecycle.RestartPolicy{
		Backoff: time.Second, MaxFailures: 2, Window: time.Minute,
	})))
	h := startGroup(t, g)
	recv(t, f.started)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for range 2 {
		f.fail <- errors.New("again")
		require.NoError(t, fake.WaitTimers(ctx, 1))
		fake.Advance(10 * time.Second)
		recv(t, f.started)
	}
	last := errors.New("third strike")
	f.fail <- last
	err := h.Join()
	assert.ErrorIs(t, err, lifecycle.ErrTooManyRestarts)
	assert.ErrorIs(t, err, last)
	assert.Contains(t, err.Error(), "3 failures within 1m0s")
}

func TestFailuresOutsideTheWindowAreForgotten(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	g := lifecycle.NewGroup(lifecycle.WithClock(fake), lifecycle.WithLogger(discardLogger()))
	f := newFlaky()
	require.NoError(t, g.Add("flaky", f, lifecycle.WithRestart(lifecycle.RestartPolicy{
		Backoff: time.Second, MaxFailures: 1, Window: time.Minute,
	})))
	h := startGroup(t, g)
	recv(t, f.started)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for range 3 { // one failure per window is tolerated forever
		f.fail <- errors.New("once a minute")
		require.NoError(t, fake.WaitTimers(ctx, 1))
		fake.Advance(2 * time.Minute)
		recv(t, f.started)
	}
	require.NoError(t, h.Stop())
}

func TestDoNotRestartFailsAtOnce(t *testing.T) {
	g := lifecycle.NewGroup(lifecycle.WithLogger(discardLogger()))
	f := newFlaky()
	require.NoError(t, g.Add("flaky", f, lifecycle.WithRestart(lifecycle.RestartPolicy{})))
	h := startGroup(t, g)
	recv(t, f.started)
	f.fail <- fmt.Errorf("config invalid: %w", lifecycle.ErrDoNotRestart)
	err := h.Join()
	assert.ErrorIs(t, err, lifecycle.ErrDoNotRestart)
	assert.Equal(t, int32(1), f.runs.Load())
}

func TestJitterStaysWithinBounds(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	g := lifecycle.NewGroup(lifecycle.WithClock(fake), lifecycle.WithLogger(discardLogger()))
	f := newFlaky()
	require.NoError(t, g.Add("flaky", f, lifecycle.WithRestart(lifecycle.RestartPolicy{
		Backoff: 10 * time.Second, Jitter: 0.5, MaxFailures: 100, Window: time.Nanosecond,
	})))
	h := startGroup(t, g)
	recv(t, f.started)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for range 20 {
		f.fail <- errors.New("x")
		require.NoError(t, fake.WaitTimers(ctx, 1))
		fake.Advance(10*time.Second - time.Nanosecond) // never before the base delay
		require.Equal(t, 1, fake.Timers())
		fake.Advance(5 * time.Second) // always by base·(1+jitter)
		recv(t, f.started)
	}
	require.NoError(t, h.Stop())
}

func TestStartWithRestartOption(t *testing.T) {
	f := newFlaky()
	h := lifecycle.Start("flaky", f, lifecycle.WithRestart(lifecycle.RestartPolicy{Backoff: time.Millisecond}))
	recv(t, f.started)
	f.fail <- errors.New("transient")
	assert.Equal(t, 2, recv(t, f.started))
	assert.Equal(t, lifecycle.Running, h.State())
	require.NoError(t, h.Stop())
}
