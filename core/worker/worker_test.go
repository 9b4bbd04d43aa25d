package worker_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

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
