package worker_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/worker"
)

func startPool(t *testing.T, cfg worker.PoolConfig) *worker.Pool {
	t.Helper()
	noChildrenAfter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := worker.StartPool(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

// TestPoolRandomCrashes runs 1,000 tasks on a pool where about one in ten
// crashes its worker: every task ends with its result or a *CrashError, none
// hangs, and the pool recovers.
func TestPoolRandomCrashes(t *testing.T) {
	p := startPool(t, worker.PoolConfig{
		Worker: quiet(), Size: 4, RestartBackoff: time.Millisecond, MaxRestartBackoff: 10 * time.Millisecond,
		CrashLoop: 10000,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const n = 1000
	var (
		wg                       sync.WaitGroup
		mu                       sync.Mutex
		ok, crashedOwn, collated int
		crashing                 int
	)
	sem := make(chan struct{}, 16) // 16 calls in flight at once
	for i := range n {
		in := fmt.Sprintf("task %d", i)
		crash := rand.IntN(10) == 0
		if crash {
			in = "crash " + in
			crashing++
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := p.Call(ctx, "flaky", []byte(in))
			mu.Lock()
			defer mu.Unlock()
			var ce *worker.CrashError
			switch {
			case err == nil:
				assert.False(t, crash, "a crashing task returned")
				assert.Equal(t, in, string(out))
				ok++
			case errors.As(err, &ce):
				assert.Contains(t, ce.InFlight, "flaky")
				if crash {
					crashedOwn++
				} else {
					collated++ // was on a worker another task crashed
				}
			default:
				t.Errorf("task %q: untyped outcome %v", in, err)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "a task hung")
	assert.Equal(t, crashing, crashedOwn, "every crashing task got a crash error")
	assert.Equal(t, n, ok+crashedOwn+collated)
	st := p.Stats()
	assert.GreaterOrEqual(t, st.Crashed, 1)
	assert.LessOrEqual(t, st.Crashed, crashing)
	t.Logf("%d ok, %d crashed, %d lost with another's crash; %+v", ok, crashedOwn, collated, st)
	out, err := p.Call(context.Background(), "echo", []byte("recovered"))
	require.NoError(t, err)
	assert.Equal(t, "recovered", string(out))
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestPoolRecycles(t *testing.T) {
	p := startPool(t, worker.PoolConfig{Worker: quiet(), Size: 1, MaxTasks: 3})
	pids := map[string]int{}
	for range 9 {
		out, err := p.Call(context.Background(), "pid", nil)
		require.NoError(t, err)
		pids[string(out)]++
	}
	assert.Len(t, pids, 3)
	for pid, n := range pids {
		assert.Equal(t, 3, n, "worker %s", pid)
	}
	require.NoError(t, p.Shutdown(context.Background()))
	assert.GreaterOrEqual(t, p.Stats().Recycled, 2)

	// A memory limit every worker exceeds recycles after every call.
	p = startPool(t, worker.PoolConfig{Worker: quiet(), Size: 1, MaxMemory: 1})
	seen := map[string]bool{}
	for range 3 {
		out, err := p.Call(context.Background(), "pid", nil)
		require.NoError(t, err)
		seen[string(out)] = true
	}
	assert.Len(t, seen, 3)
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestPoolCrashLoop(t *testing.T) {
	p := startPool(t, worker.PoolConfig{Worker: quiet(), Size: 1, CrashLoop: 2, RestartBackoff: time.Millisecond})
	var err error
	for range 10 {
		_, err = p.Call(context.Background(), "exit", nil)
		if errors.Is(err, worker.ErrCrashLoop) {
			break
		}
		require.ErrorIs(t, err, worker.ErrCrashed)
	}
	require.ErrorIs(t, err, worker.ErrCrashLoop)
	var ce *worker.CrashError
	require.ErrorAs(t, err, &ce, "the crash loop error carries the last crash")
	assert.Equal(t, 3, p.Stats().Crashed)
	assert.ErrorIs(t, p.Shutdown(context.Background()), worker.ErrCrashLoop)
}

func TestPoolBadConfig(t *testing.T) {
	_, err := worker.NewPool(worker.PoolConfig{Size: 0})
	require.ErrorIs(t, err, worker.ErrPoolSize)
	_, err = worker.NewPool(worker.PoolConfig{Size: 1, Worker: worker.Config{Path: "/no/such/worker"}})
	require.ErrorIs(t, err, worker.ErrWorkerPath)
	p, err := worker.NewPool(worker.PoolConfig{Size: 1})
	require.NoError(t, err)
	_, err = p.Call(context.Background(), "echo", nil)
	require.ErrorIs(t, err, worker.ErrClosed, "not started")
}

func TestPoolAsService(t *testing.T) {
	noChildrenAfter(t)
	p, err := worker.NewPool(worker.PoolConfig{Worker: quiet(), Size: 2})
	require.NoError(t, err)
	h := lifecycle.Start("workers", p)
	require.NoError(t, h.AwaitRunning(context.Background()))
	sum, err := add.Call(context.Background(), p, pair{A: 20, B: 22})
	require.NoError(t, err)
	assert.Equal(t, 42, sum)
	require.NoError(t, h.Stop())
	_, err = p.Call(context.Background(), "echo", nil)
	require.ErrorIs(t, err, worker.ErrClosed)
}

func TestPoolInProcess(t *testing.T) {
	cfg := quiet()
	cfg.InProcess = true
	p := startPool(t, worker.PoolConfig{Worker: cfg, Size: 2})
	out, err := p.Call(context.Background(), "echo", []byte("in process"))
	require.NoError(t, err)
	assert.Equal(t, "in process", string(out))
	require.NoError(t, p.Shutdown(context.Background()))
}

func init() {
	// exit-on-cancel reports that it runs, then exits its worker when its
	// call is cancelled: a crash that lands while the caller goes away.
	worker.Register("exit-on-cancel", func(ctx context.Context, _ []byte) ([]byte, error) {
		if err := worker.Progress(ctx, []byte("running")); err != nil {
			return nil, err
		}
		<-ctx.Done()
		os.Exit(3)
		return nil, nil
	})
}

// TestPoolShutdownAfterACrashIsClean: a worker that dies as the pool shuts
// down (its call cancelled, as a stopping service cancels what it waits for)
// is that call's business; Shutdown returns nil, as it does for every crash
// the pool replaced, whether or not the pool noticed this one first.
func TestPoolShutdownAfterACrashIsClean(t *testing.T) {
	p := startPool(t, worker.PoolConfig{Worker: quiet(), Size: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := make(chan struct{})
	var once sync.Once
	called := make(chan error, 1)
	go func() {
		_, err := p.Call(ctx, "exit-on-cancel", nil, worker.OnProgress(func([]byte) { once.Do(func() { close(running) }) }))
		called <- err
	}()
	<-running
	cancel()
	require.ErrorIs(t, <-called, context.Canceled)
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, worker.PoolStats{Started: 1}, p.Stats(), "no worker replaced after the shutdown began")
}

// TestPoolShutdownDeadlineIsAnError: a worker still busy when Shutdown's
// context ends is killed, and that is Shutdown's error (ErrClosed), as well
// as the pending call's.
func TestPoolShutdownDeadlineIsAnError(t *testing.T) {
	p := startPool(t, worker.PoolConfig{Worker: quiet(), Size: 1})
	running := make(chan struct{})
	var once sync.Once
	called := make(chan error, 1)
	go func() {
		_, err := p.Call(context.Background(), "exit-on-cancel", nil, worker.OnProgress(func([]byte) { once.Do(func() { close(running) }) }))
		called <- err
	}()
	<-running
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := p.Shutdown(ctx)
	require.ErrorIs(t, err, worker.ErrClosed)
	require.ErrorIs(t, err, worker.ErrCrashed)
	require.ErrorIs(t, <-called, worker.ErrClosed)
}
