package worker_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/worker"
)

func TestCallEcho(t *testing.T) {
	w := start(t, quiet())
	out, err := w.Call(context.Background(), "echo", []byte("hello"))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(out))
	pid, err := w.Call(context.Background(), "pid", nil)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(w.Pid()), string(pid))
	assert.Contains(t, w.Tasks(), "echo")
	require.NoError(t, w.Shutdown(context.Background()))
	_, err = w.Call(context.Background(), "echo", nil)
	require.ErrorIs(t, err, worker.ErrClosed)
}

func TestTaskPanicKeepsWorker(t *testing.T) {
	w := start(t, quiet())
	_, err := w.Call(context.Background(), "panic", nil)
	var te *worker.TaskError
	require.ErrorAs(t, err, &te)
	assert.True(t, te.Panic)
	assert.ErrorIs(t, err, worker.ErrTaskPanic)
	assert.Contains(t, te.Message, "task panicked on purpose")
	assert.Contains(t, te.Stack, "main_test.go")
	out, err := w.Call(context.Background(), "echo", []byte("still alive"))
	require.NoError(t, err)
	assert.Equal(t, "still alive", string(out))
	_, err = w.Call(context.Background(), "fail", []byte("x"))
	require.ErrorIs(t, err, worker.ErrTaskFailed)
	assert.Contains(t, err.Error(), "failed: x")
	require.NoError(t, w.Shutdown(context.Background()))
}

func TestExitCode(t *testing.T) {
	w := start(t, quiet())
	_, err := w.Call(context.Background(), "exit", nil)
	var ce *worker.CrashError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 3, ce.ExitCode)
	assert.Equal(t, []string{"exit"}, ce.InFlight)
	assert.Contains(t, ce.Stderr, "exiting with code 3")
	assert.Nil(t, ce.Reason)
	<-w.Done()
	assert.Equal(t, ce, w.Err())
	_, err = w.Call(context.Background(), "echo", nil)
	assert.ErrorIs(t, err, worker.ErrClosed)
	assert.False(t, errors.As(err, &ce), "a call after the crash was never sent")
}

func crash(t *testing.T, task string) *worker.CrashError {
	t.Helper()
	w := start(t, quiet())
	_, err := w.Call(context.Background(), task, nil)
	var ce *worker.CrashError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, worker.ErrCrashed)
	assert.Equal(t, []string{task}, ce.InFlight)
	assert.False(t, alive(ce.Pid))
	return ce
}

func TestSegfault(t *testing.T) {
	ce := crash(t, "segv")
	assert.Equal(t, 2, ce.ExitCode, "the Go runtime exits 2 on a fatal fault")
	assert.Contains(t, ce.Panic, "unexpected fault address")
	assert.Contains(t, ce.Panic, "SIGSEGV")
	assert.Contains(t, ce.Stack, "main_test.go")
}

func TestFatalError(t *testing.T) {
	ce := crash(t, "fatal")
	assert.Equal(t, 2, ce.ExitCode)
	// A race-enabled worker may interleave a race report, even inside the
	// runtime's "fatal error: concurrent map writes" line.
	assert.True(t, strings.HasPrefix(ce.Panic, "fatal error:"), ce.Panic)
	assert.Contains(t, ce.Panic, "concurrent map writes")
	assert.Contains(t, ce.Stack, "goroutine")
}

func TestPanicInTaskGoroutine(t *testing.T) {
	ce := crash(t, "goroutine-panic")
	assert.Equal(t, 2, ce.ExitCode)
	assert.Equal(t, "panic: unrecovered panic in a task's goroutine", ce.Panic)
	assert.Contains(t, ce.Stack, "main_test.go")
}

func TestKilledFromOutside(t *testing.T) {
	w := start(t, quiet())
	var calls []<-chan callResult
	for range 3 {
		calls = append(calls, callStarted(context.Background(), t, w, "sleep", []byte("1h")))
	}
	require.Equal(t, 3, w.Pending())
	require.NoError(t, syscall.Kill(w.Pid(), syscall.SIGKILL))
	for _, c := range calls {
		err := (<-c).err
		var ce *worker.CrashError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, syscall.SIGKILL, ce.Signal)
		assert.Equal(t, -1, ce.ExitCode)
		assert.Equal(t, []string{"sleep", "sleep", "sleep"}, ce.InFlight)
		assert.Contains(t, ce.Error(), "killed by signal killed")
	}
	assert.ErrorIs(t, w.Shutdown(context.Background()), worker.ErrCrashed)
}

func TestCancelReachesTask(t *testing.T) {
	w := start(t, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	call := callStarted(ctx, t, w, "sleep", []byte("1h"))
	cancel()
	require.ErrorIs(t, (<-call).err, context.Canceled)
	// The task saw the cancellation and ended: nothing stays pending, and
	// the worker lives.
	require.Eventually(t, func() bool { return w.Pending() == 0 }, 10*time.Second, time.Millisecond)
	out, err := w.Call(context.Background(), "echo", []byte("ok"))
	require.NoError(t, err)
	assert.Equal(t, "ok", string(out))

	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = w.Call(ctx, "sleep", []byte("1h"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, w.Shutdown(context.Background()))
}

func TestCancelIgnoredKillsWorker(t *testing.T) {
	cfg := quiet()
	cfg.CancelGrace = 100 * time.Millisecond
	w := start(t, cfg)
	other := callStarted(context.Background(), t, w, "sleep", []byte("1h"))
	ctx, cancel := context.WithCancel(context.Background())
	deaf := callStarted(ctx, t, w, "ignore-cancel", nil)
	cancel()
	require.ErrorIs(t, (<-deaf).err, context.Canceled)
	err := (<-other).err
	var ce *worker.CrashError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, worker.ErrCancelIgnored)
	assert.Equal(t, syscall.SIGKILL, ce.Signal)
	assert.ElementsMatch(t, []string{"sleep", "ignore-cancel (cancelled)"}, ce.InFlight)
	<-w.Done()
}

func TestProgress(t *testing.T) {
	w := start(t, quiet())
	var got []int
	out, err := w.Call(context.Background(), "progress", []byte("5"), worker.OnProgress(func(p []byte) {
		n, err := strconv.Atoi(string(p))
		require.NoError(t, err)
		got = append(got, n)
	}))
	require.NoError(t, err)
	assert.Equal(t, "done", string(out))
	require.NotEmpty(t, got)
	assert.Equal(t, 5, got[len(got)-1], "the last update is never dropped")
	assert.IsIncreasing(t, got)
	// Without OnProgress the updates are ignored.
	out, err = w.Call(context.Background(), "progress", []byte("100"))
	require.NoError(t, err)
	assert.Equal(t, "done", string(out))
	require.ErrorIs(t, worker.Progress(context.Background(), nil), worker.ErrNotInTask)
}

func TestTypedTask(t *testing.T) {
	w := start(t, quiet())
	sum, err := add.Call(context.Background(), w, pair{A: 2, B: 40})
	require.NoError(t, err)
	assert.Equal(t, 42, sum)
	_, err = w.Call(context.Background(), "add", []byte("not json"))
	require.ErrorIs(t, err, worker.ErrTaskFailed)
	assert.Contains(t, err.Error(), "decode input")
}

func TestBadInput(t *testing.T) {
	cfg := quiet()
	cfg.MaxPayload = 1 << 20
	w := start(t, cfg)
	_, err := w.Call(context.Background(), "no-such-task", nil)
	require.ErrorIs(t, err, worker.ErrUnknownTask)
	_, err = w.Call(context.Background(), "echo", make([]byte, 1<<20+1))
	var pe *worker.PayloadError
	require.ErrorAs(t, err, &pe)
	assert.False(t, pe.Output)
	assert.Equal(t, 1<<20, pe.Limit)
	_, err = w.Call(context.Background(), "make", []byte(strconv.Itoa(1<<20+1)))
	require.ErrorAs(t, err, &pe)
	assert.True(t, pe.Output)
	assert.Equal(t, 1<<20+1, pe.Size)
	out, err := w.Call(context.Background(), "echo", make([]byte, 1<<20))
	require.NoError(t, err, "the worker lives after refusing an oversized output")
	assert.Len(t, out, 1<<20)
	require.NoError(t, w.Shutdown(context.Background()))

	_, err = worker.Start(context.Background(), worker.Config{Path: "/no/such/worker"})
	require.ErrorIs(t, err, worker.ErrWorkerPath)
	notExec := filepath.Join(t.TempDir(), "worker")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644))
	_, err = worker.Start(context.Background(), worker.Config{Path: notExec})
	var pathErr *worker.PathError
	require.ErrorAs(t, err, &pathErr)
	assert.Equal(t, notExec, pathErr.Path)
	_, err = worker.Start(context.Background(), worker.Config{Path: t.TempDir()})
	require.ErrorIs(t, err, worker.ErrWorkerPath)
}

func TestGarbageOnChannel(t *testing.T) {
	w := start(t, quiet())
	_, err := w.Call(context.Background(), "garbage", nil)
	var ce *worker.CrashError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, worker.ErrProtocol)
	assert.Equal(t, syscall.SIGKILL, ce.Signal)
}

func TestChattyStderrDoesNotBlock(t *testing.T) {
	var buf lockedBuffer
	cfg := quiet()
	cfg.Stderr = &buf
	cfg.StderrTail = 100
	w := start(t, cfg)
	for range 4 {
		out, err := w.Call(context.Background(), "chatty", []byte("ok"))
		require.NoError(t, err)
		assert.Equal(t, "ok", string(out))
	}
	require.NoError(t, w.Shutdown(context.Background()))
	assert.Equal(t, 4*(1<<20+1), buf.Len(), "all of standard error was copied")
}

func TestStartFailures(t *testing.T) {
	noChildrenAfter(t)
	// A program that exits at once is reported at once, not after the
	// start timeout.
	cfg := quiet()
	cfg.Path, cfg.StartTimeout = "/bin/false", time.Minute
	began := time.Now()
	_, err := worker.Start(context.Background(), cfg)
	var ce *worker.CrashError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 1, ce.ExitCode)
	assert.Less(t, time.Since(began), 30*time.Second)

	// A program that never answers is killed after the start timeout.
	cfg.Path, cfg.Args, cfg.StartTimeout = "/bin/sleep", []string{"60"}, 200*time.Millisecond
	_, err = worker.Start(context.Background(), cfg)
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, worker.ErrStartTimeout)
	assert.Equal(t, syscall.SIGKILL, ce.Signal)

	// A cancelled context is not a timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cfg.StartTimeout = time.Minute
	_, err = worker.Start(ctx, cfg)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, worker.ErrStartTimeout)
}

func TestShutdownAwaitsPending(t *testing.T) {
	w := start(t, quiet())
	call := callStarted(context.Background(), t, w, "sleep", []byte("200ms"))
	require.NoError(t, w.Shutdown(context.Background()))
	res := <-call
	require.NoError(t, res.err)
	assert.Equal(t, "slept", string(res.out))
	assert.False(t, alive(w.Pid()))
}

func TestShutdownDeadlineKills(t *testing.T) {
	w := start(t, quiet())
	call := callStarted(context.Background(), t, w, "ignore-cancel", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := w.Shutdown(ctx)
	require.ErrorIs(t, err, worker.ErrCrashed)
	require.ErrorIs(t, err, worker.ErrClosed)
	require.ErrorIs(t, (<-call).err, worker.ErrCrashed)
}

func TestInProcess(t *testing.T) {
	cfg := quiet()
	cfg.InProcess = true
	w := start(t, cfg)
	assert.Equal(t, os.Getpid(), w.Pid())
	out, err := w.Call(context.Background(), "pid", nil)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(os.Getpid()), string(out))
	_, err = w.Call(context.Background(), "panic", nil)
	require.ErrorIs(t, err, worker.ErrTaskPanic)
	sum, err := add.Call(context.Background(), w, pair{A: 1, B: 2})
	require.NoError(t, err)
	assert.Equal(t, 3, sum)
	require.NoError(t, w.Shutdown(context.Background()))
}

// lockedBuffer counts what is written to it, safely from the tap's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	n  int
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += len(p)
	return len(p), nil
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

func TestConfigArgsEnvDir(t *testing.T) {
	cfg := quiet()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	cfg.Args, cfg.Env, cfg.Dir = []string{"-a", "b"}, []string{"NODEKIT_TEST_VALUE=42"}, dir
	w := start(t, cfg)
	out, err := w.Call(context.Background(), "environ", nil)
	require.NoError(t, err)
	assert.Equal(t, "-a b|42|"+dir, string(out))
}

// TestWorkerDiesWithItsParent: a worker whose parent is SIGKILLed exits too
// (the parent-death signal; its channel also reaches end of file).
func TestWorkerDiesWithItsParent(t *testing.T) {
	w := start(t, quiet())
	out, err := w.Call(context.Background(), "spawn-worker", nil)
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(out))
	require.NoError(t, err)
	require.True(t, alive(pid))
	require.NoError(t, syscall.Kill(w.Pid(), syscall.SIGKILL))
	<-w.Done()
	awaitExit(t, pid, "worker %d outlived its parent", pid)
	assert.False(t, alive(pid))
}

// TestProcessGroupKilled: what a worker started is killed with it, after a
// crash and after a clean shutdown alike (the process group).
func TestProcessGroupKilled(t *testing.T) {
	for _, crash := range []bool{true, false} {
		w := start(t, quiet())
		out, err := w.Call(context.Background(), "spawn-sleep", nil)
		require.NoError(t, err)
		pid, err := strconv.Atoi(string(out))
		require.NoError(t, err)
		require.True(t, alive(pid))
		if crash {
			_, err = w.Call(context.Background(), "exit", nil)
			require.ErrorIs(t, err, worker.ErrCrashed)
		} else {
			require.NoError(t, w.Shutdown(context.Background()))
		}
		<-w.Done()
		awaitExit(t, pid, "the worker's child %d outlived it (crash: %v)", pid, crash)
		assert.False(t, alive(pid))
	}
}
