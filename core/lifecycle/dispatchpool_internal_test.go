package lifecycle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/internal/goid"
)

func idleDispatcherCount() int {
	idleDispatchers.mu.Lock()
	defer idleDispatchers.mu.Unlock()
	return len(idleDispatchers.list)
}

// runObserved runs one group of one service with an observer under a Handle
// and returns the id of the goroutine the observer ran on and what Join
// returned from inside the observer (for the group's own Handle, and for
// other, an ended Handle of an earlier run, if not nil).
func runObserved(t *testing.T, other *Handle) (id uint64, own, earlier error, h *Handle) {
	t.Helper()
	g := NewGroup()
	require.NoError(t, g.Add("svc", ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })))
	got, started := make(chan struct{}), make(chan struct{})
	g.Observe(0, ObserverFunc(func(e Event) error {
		if e.To == Running {
			<-started // h is set
			id, own = goid.Current(), h.Join()
			if other != nil {
				earlier = other.Join()
			}
			close(got)
		}
		return nil
	}))
	h = Start("group", g)
	close(started)
	require.NoError(t, h.AwaitRunning(context.Background()))
	<-got
	require.NoError(t, h.Stop())
	return id, own, earlier, h
}

// A dispatcher goroutine that has finished a run serves the next one: it
// does not read its goroutine id again, yet the callback check still knows
// it, for the new run's Handle and no longer for the old one's.
func TestDispatcherGoroutineIsReusedByTheNextRun(t *testing.T) {
	require.Eventually(t, func() bool { return idleDispatcherCount() == 0 }, 5*time.Second, time.Millisecond,
		"dispatchers of earlier tests have exited")
	first, own, _, h1 := runObserved(t, nil)
	assert.ErrorIs(t, own, ErrCalledFromCallback)
	require.Eventually(t, func() bool { return idleDispatcherCount() == 1 }, 5*time.Second, time.Millisecond,
		"the first run's dispatcher goroutine waits for another run")
	idleDispatchers.mu.Lock()
	w := idleDispatchers.list[0]
	idleDispatchers.mu.Unlock()
	for _, buf := range [][]Event{w.batch, w.queue} {
		require.Empty(t, buf, "kept buffers are empty")
		require.NotZero(t, cap(buf), "the run's buffers are kept for the next")
		for _, e := range buf[:cap(buf)] {
			require.Zero(t, e, "a kept buffer holds no event of the ended run")
		}
	}
	second, own, earlier, _ := runObserved(t, h1)
	assert.Equal(t, first, second, "the second run's observer ran on the first run's dispatcher goroutine")
	assert.ErrorIs(t, own, ErrCalledFromCallback, "Join of the new run's Handle from its observer")
	assert.NoError(t, earlier, "Join of the ended first run's Handle: that goroutine is no callback of it any more")
}

// An idle dispatcher goroutine exits once dispatcherIdle has passed without
// a run for it (the package's goleak check would also catch one that stays).
func TestIdleDispatcherGoroutineExits(t *testing.T) {
	runObserved(t, nil)
	require.Eventually(t, func() bool { return idleDispatcherCount() == 1 }, 5*time.Second, time.Millisecond)
	assert.Eventually(t, func() bool { return idleDispatcherCount() == 0 }, 10*dispatcherIdle, time.Millisecond)
}
