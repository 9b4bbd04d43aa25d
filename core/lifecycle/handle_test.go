package lifecycle_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
)

func TestHandleStopIsIdempotentAndConcurrent(t *testing.T) {
	boom := errors.New("unclean shutdown")
	h := lifecycle.Start("svc", lifecycle.ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return boom
	}))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, h.AwaitRunning(ctx))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = h.Stop() }()
	}
	wg.Wait()
	for _, err := range errs {
		assert.Same(t, boom, err)
	}
	assert.Same(t, boom, h.Join())
	assert.Same(t, boom, h.Join())
	assert.Same(t, boom, h.Err())
	assert.Equal(t, lifecycle.Failed, h.State())
	assert.Positive(t, h.StopDuration())
}

func TestHandleContextCanceledIsACleanStop(t *testing.T) {
	h := lifecycle.Start("svc", lifecycle.ServiceFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}))
	require.NoError(t, h.Stop())
	assert.Equal(t, lifecycle.Stopped, h.State())
}

func TestHandleStatesAndReadiness(t *testing.T) {
	proceed := make(chan struct{})
	h := lifecycle.Start("svc", lifecycle.ReadyFunc(func(ctx context.Context) error {
		<-proceed
		lifecycle.Ready(ctx)
		lifecycle.Ready(ctx) // idempotent
		<-ctx.Done()
		return nil
	}))
	assert.Equal(t, lifecycle.Starting, h.State())
	assert.Nil(t, h.Err())
	select {
	case <-h.Ready():
		t.Fatal("ready before Ready was called")
	default:
	}
	close(proceed)
	recv(t, h.Ready())
	assert.Equal(t, lifecycle.Running, h.State())
	assert.Positive(t, h.StartDuration())
	assert.Equal(t, "svc", h.Name())
	require.NoError(t, h.Stop())
	recv(t, h.Done())
	assert.Equal(t, lifecycle.Stopped, h.State())
}

func TestHandleServiceEndingByItself(t *testing.T) {
	h := lifecycle.Start("oneshot", lifecycle.ServiceFunc(func(context.Context) error { return nil }))
	require.NoError(t, h.Join())
	assert.Equal(t, lifecycle.Stopped, h.State())
	assert.Zero(t, h.StopDuration(), "not stopped by Stop")
	require.NoError(t, h.Stop())
}

func TestHandleStopTimeout(t *testing.T) {
	release := make(chan struct{})
	exited := make(chan struct{})
	h := lifecycle.Start("hung", lifecycle.ServiceFunc(func(context.Context) error {
		defer close(exited)
		<-release
		return nil
	}), lifecycle.WithStopTimeout(20*time.Millisecond))
	err := h.Stop()
	assert.ErrorIs(t, err, lifecycle.ErrStopTimeout)
	assert.Contains(t, err.Error(), "hung")
	assert.Same(t, err, h.Join(), "the outcome is decided once")
	assert.Equal(t, lifecycle.Failed, h.State())
	close(release)
	recv(t, exited)
	assert.Same(t, err, h.Join(), "a late return does not change the outcome")
}

func TestHandlePanicIsRecovered(t *testing.T) {
	h := lifecycle.Start("bad", lifecycle.ServiceFunc(func(context.Context) error { panic(errors.New("bug")) }))
	err := h.Join()
	var pe *lifecycle.PanicError
	require.ErrorAs(t, err, &pe)
	assert.EqualError(t, errors.Unwrap(pe), "bug")
	assert.Equal(t, lifecycle.Failed, h.State())

	early := lifecycle.Start("bad-before-ready", lifecycle.ReadyFunc(func(context.Context) error { panic("no config") }))
	assert.ErrorAs(t, early.AwaitRunning(context.Background()), &pe, "it never was running")
}

func TestAwaitRunningHonoursContext(t *testing.T) {
	h := lifecycle.Start("never", lifecycle.ReadyFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, h.AwaitRunning(ctx), context.Canceled)
	require.NoError(t, h.Stop())
}

func TestAsCallbackRecoversPanics(t *testing.T) {
	err := lifecycle.AsCallback(context.Background(), func() error { panic("in a hook") })
	var pe *lifecycle.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "in a hook", pe.Value)
}

func TestStateStrings(t *testing.T) {
	names := []string{}
	for s := lifecycle.New; s <= lifecycle.Failed; s++ {
		names = append(names, s.String())
	}
	assert.Equal(t, []string{"New", "Starting", "Running", "Stopping", "Stopped", "Failed"}, names)
	assert.Equal(t, "State(9)", lifecycle.State(9).String())
	assert.True(t, lifecycle.Failed.Terminal())
	assert.False(t, lifecycle.Stopping.Terminal())
}

type busyService struct{ release chan struct{} }

func (b busyService) Run(context.Context) error { <-b.release; return nil }
func (busyService) Activity() string            { return "persister" }

func TestStopContextDeadlineNamesActivity(t *testing.T) {
	release := make(chan struct{})
	h := lifecycle.Start("processor", busyService{release})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := h.StopContext(ctx)
	assert.ErrorIs(t, err, lifecycle.ErrStopTimeout)
	assert.NotErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "processor (in persister)")
	close(release)
	<-h.Done()
}

func TestStopContextCancelledIsNotATimeout(t *testing.T) {
	release := make(chan struct{})
	h := lifecycle.Start("svc", busyService{release})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := h.StopContext(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, lifecycle.ErrStopTimeout)
	close(release)
	assert.NoError(t, h.Join(), "the outcome was left to the service")
}

// stopBoundService bounds its stop by bound and returns 20 ms after it is
// cancelled: a Stop that does not wait for it reports a stop timeout.
type stopBoundService struct{ bound time.Duration }

func (s stopBoundService) Run(ctx context.Context) error {
	<-ctx.Done()
	time.Sleep(20 * time.Millisecond)
	return nil
}
func (s stopBoundService) StopBound() time.Duration { return s.bound }

// A StopBounder whose bound is "never" (math.MaxInt64) gets a Handle whose
// Stop waits for it, rather than a bound plus one second of grace that wraps
// around into the past and reports a stop timeout at once.
func TestStopOfANeverBoundedServiceWaitsForIt(t *testing.T) {
	h := lifecycle.Start("svc", stopBoundService{bound: time.Duration(math.MaxInt64)})
	require.NoError(t, h.AwaitRunning(context.Background()))
	require.NoError(t, h.Stop())
	assert.Equal(t, lifecycle.Stopped, h.State())
}
