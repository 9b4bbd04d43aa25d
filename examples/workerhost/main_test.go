package main

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"nodekit.dev/nodekit/core/worker"
)

// TestMain makes the test binary a workerhost: started as a worker it serves
// the tasks main.go registers, as the executable does.
func TestMain(m *testing.M) {
	worker.Main()
	// Race-enabled workers would otherwise linger 1 s at exit.
	_ = os.Setenv("GORACE", "atexit_sleep_ms=0")
	goleak.VerifyTestMain(m)
}

func start(t *testing.T) *worker.Worker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := worker.Start(ctx, worker.Config{Stderr: io.Discard})
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Shutdown(context.Background()) })
	return w
}

// TestTasksAreTheDocumentedOnes: the package doc lists every task the Java
// and Kotlin tests and examples may call.
func TestTasksAreTheDocumentedOnes(t *testing.T) {
	w := start(t)
	assert.Equal(t, []string{"block", "echo", "exit", "fail", "fatal", "ignore-cancel", "make", "panic", "progress", "reverse", "segv", "sleep"}, w.Tasks())
}

func TestTasksDoWhatTheDocSays(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	out, err := w.Call(ctx, "reverse", []byte("abc"))
	require.NoError(t, err)
	assert.Equal(t, "cba", string(out))

	var updates []string
	out, err = w.Call(ctx, "progress", []byte("3"), worker.OnProgress(func(u []byte) { updates = append(updates, string(u)) }))
	require.NoError(t, err)
	assert.Equal(t, "done", string(out))
	assert.NotEmpty(t, updates)
	assert.Equal(t, "3", updates[len(updates)-1], "the latest update is never dropped")

	_, err = w.Call(ctx, "fail", []byte("no"))
	var te *worker.TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "no", te.Message)
	_, err = w.Call(ctx, "panic", []byte("x"))
	require.ErrorAs(t, err, &te)
	assert.True(t, te.Panic)
	out, err = w.Call(ctx, "echo", []byte("still alive"))
	require.NoError(t, err)
	assert.Equal(t, "still alive", string(out))
}

func TestExitCrashesWithTheGivenCode(t *testing.T) {
	w := start(t)
	_, err := w.Call(context.Background(), "exit", []byte("7"))
	var crash *worker.CrashError
	require.ErrorAs(t, err, &crash)
	assert.Equal(t, 7, crash.ExitCode)
	assert.Equal(t, []string{"exit"}, crash.InFlight)
}
