package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"nodekit.dev/nodekit/core/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFakeFiresOnlyWhenDue(t *testing.T) {
	start := time.Unix(100, 0)
	f := clock.NewFake(start)
	a := f.NewTimer(2 * time.Second)
	b := f.NewTimer(time.Second)
	require.Equal(t, 2, f.Timers())
	f.Advance(time.Second - 1)
	assertNotFired(t, a)
	assertNotFired(t, b)
	f.Advance(1)
	assert.Equal(t, start.Add(time.Second), <-b.C())
	assertNotFired(t, a)
	f.Advance(time.Hour)
	assert.Equal(t, start.Add(2*time.Second), <-a.C(), "fires with its deadline, not the new now")
	assert.Equal(t, start.Add(time.Hour+time.Second), f.Now())
	assert.Zero(t, f.Timers())
}

func TestFakeStopAndReset(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	assert.True(t, tm.Stop())
	assert.False(t, tm.Stop())
	f.Advance(time.Minute)
	assertNotFired(t, tm)
	assert.False(t, tm.Reset(time.Second))
	assert.True(t, tm.Reset(2*time.Second), "re-arming an armed timer reports it was armed")
	f.Advance(time.Second)
	assertNotFired(t, tm)
	f.Advance(time.Second)
	<-tm.C()

	fired := f.NewTimer(time.Second)
	f.Advance(time.Second)
	fired.Reset(time.Second) // the unreceived value is dropped, as with time.Timer
	assertNotFired(t, fired)
}

func TestFakeWaitTimers(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- f.WaitTimers(context.Background(), 2) }()
	f.NewTimer(time.Second)
	f.NewTimer(time.Second)
	require.NoError(t, <-done)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, f.WaitTimers(ctx, 3), context.Canceled)
}

func TestRealClock(t *testing.T) {
	c := clock.Real()
	before := time.Now()
	assert.False(t, c.Now().Before(before))
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	assert.False(t, tm.Stop())
	tm.Reset(time.Hour)
	assert.True(t, tm.Stop())
}

func assertNotFired(t *testing.T, tm clock.Timer) {
	t.Helper()
	select {
	case <-tm.C():
		t.Fatal("timer fired early")
	default:
	}
}

func TestFakeAfterFunc(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	called := make(chan struct{}, 2)
	tm := f.AfterFunc(time.Second, func() { called <- struct{}{} })
	assert.Nil(t, tm.C(), "an AfterFunc timer has no channel")
	f.Advance(time.Second - 1)
	select {
	case <-called:
		t.Fatal("called early")
	default:
	}
	f.Advance(1)
	<-called
	assert.Zero(t, f.Timers())

	assert.False(t, tm.Reset(time.Second), "it fired: not armed")
	assert.True(t, tm.Stop())
	f.Advance(time.Hour)
	assert.False(t, tm.Reset(0), "stopped: not armed")
	<-called // d <= 0 calls it at once
}
