package nodekit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/worker"
)

// buildWorkerhost builds examples/workerhost (go build caches it) into a
// temporary directory of t.
func buildWorkerhost(t *testing.T, flags ...string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "workerhost")
	args := append(append([]string{"build", "-buildvcs=false"}, flags...), "-o", exe, "nodekit.dev/nodekit/examples/workerhost")
	out, err := exec.Command("go", args...).CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return exe
}

func workerConfig(t *testing.T) *WorkerConfig {
	t.Helper()
	if testing.Short() {
		t.Skip("builds examples/workerhost")
	}
	c := NewWorkerConfig(buildWorkerhost(t))
	c.DiscardStderr = true
	return c
}

func TestWorkerRunAndCrash(t *testing.T) {
	w, err := StartWorker(workerConfig(t), nil)
	require.NoError(t, err)
	out, err := w.Run("reverse", []byte("abc"))
	require.NoError(t, err)
	assert.Equal(t, "cba", string(out))

	_, err = w.Run("panic", []byte("x"))
	assert.Equal(t, KindTaskPanic, ErrorKind(err))
	_, err = w.Run("nope", nil)
	assert.Equal(t, KindUnknownTask, ErrorKind(err))

	pid := w.Pid()
	_, err = w.Run("segv", nil)
	require.Error(t, err)
	assert.Equal(t, KindWorkerCrashed, ErrorKind(err))
	crash := CrashInfoOf(err)
	require.NotNil(t, crash)
	assert.Equal(t, pid, crash.Pid())
	assert.Equal(t, 2, crash.ExitCode())
	assert.Contains(t, crash.Panic(), "unexpected fault address")
	assert.Equal(t, "segv", crash.InFlight())
	_, err = w.Run("echo", nil)
	assert.Equal(t, KindIllegalState, ErrorKind(err))
	r := w.Shutdown()
	assert.Equal(t, KindWorkerCrashed, r.Kind())
	assert.Same(t, r, w.Shutdown(), "the same Result every time")
}

type taskRecorder struct {
	progress []string
	result   chan *TaskResult
	mu       sync.Mutex
}

func (r *taskRecorder) OnProgress(p []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, string(p))
	return nil
}

func (r *taskRecorder) OnResult(res *TaskResult) error {
	r.result <- res
	return nil
}

func TestWorkerRunAsync(t *testing.T) {
	w, err := StartWorker(workerConfig(t), nil)
	require.NoError(t, err)
	rec := &taskRecorder{result: make(chan *TaskResult, 1)}
	h := w.RunAsync("progress", []byte("3"), rec)
	require.True(t, h.Await(waitTimeout.Milliseconds()))
	res := <-rec.result
	require.True(t, res.IsOk(), res.Message())
	assert.Equal(t, "done", string(res.Output()))
	assert.Equal(t, "3", rec.progress[len(rec.progress)-1])

	rec = &taskRecorder{result: make(chan *TaskResult, 1)}
	h = w.RunAsync("sleep", []byte("1h"), rec)
	h.Cancel()
	require.True(t, h.Await(waitTimeout.Milliseconds()))
	assert.Equal(t, KindCanceled, (<-rec.result).Kind())

	rec = &taskRecorder{result: make(chan *TaskResult, 1)}
	w.RunAsync("exit", []byte("5"), rec).Await(0)
	res = <-rec.result
	assert.Equal(t, KindWorkerCrashed, res.Kind())
	require.NotNil(t, res.Crash())
	assert.Equal(t, 5, res.Crash().ExitCode())
	assert.Contains(t, res.Crash().Stderr(), "exiting with code 5 on purpose")
	w.Shutdown()
}

func TestWorkerPoolRestarts(t *testing.T) {
	c := workerConfig(t)
	c.PoolSize = 2
	p, err := StartWorkerPool(c, nil)
	require.NoError(t, err)
	for range 3 {
		_, err = p.Run("exit", nil)
		assert.Equal(t, KindWorkerCrashed, ErrorKind(err))
		out, err := p.Run("echo", []byte("alive"))
		require.NoError(t, err)
		assert.Equal(t, "alive", string(out))
	}
	assert.True(t, p.Shutdown().IsOk())
	assert.Nil(t, p.Close(), "close after shutdown has shutdown's outcome")
}

func TestWorkerBadConfig(t *testing.T) {
	_, err := StartWorker(NewWorkerConfig("/no/such/worker"), nil)
	assert.Equal(t, KindWorkerPath, ErrorKind(err))
	_, err = StartWorker(nil, nil)
	assert.Equal(t, KindWorkerPath, ErrorKind(err))
	c := workerConfig(t)
	c.PoolSize = 0
	_, err = StartWorkerPool(c, nil)
	assert.Equal(t, KindInvalidArgument, ErrorKind(err))
	c.PoolSize, c.MaxPayloadBytes = 1, 1024
	w, err := StartWorker(c, nil)
	require.NoError(t, err)
	_, err = w.Run("echo", make([]byte, 1025))
	assert.Equal(t, KindPayloadTooLarge, ErrorKind(err))
	assert.True(t, w.Shutdown().IsOk())
	var zero Worker
	_, err = zero.Run("echo", nil)
	assert.Equal(t, KindIllegalState, ErrorKind(err))
	assert.Equal(t, KindIllegalState, zero.Shutdown().Kind())
}

func TestWorkerVersionMismatch(t *testing.T) {
	c := workerConfig(t)
	c.Path = buildWorkerhost(t, "-ldflags=-X nodekit.dev/nodekit/core/worker.buildStamp=other")
	_, err := StartWorker(c, nil)
	assert.Equal(t, KindVersionMismatch, ErrorKind(err))
}

func TestDroppedWorkerShutsDown(t *testing.T) {
	w, err := StartWorker(workerConfig(t), nil)
	require.NoError(t, err)
	pid := w.Pid()
	inner := w.c.(*worker.Worker) // holding the process does not keep the facade object alive
	w = nil
	require.True(t, gcUntil(inner.Done()), "the dropped worker %d still runs", pid)
	assert.False(t, processExists(pid), "the dropped worker %d is dead and reaped", pid)
}

// processExists reports whether pid is a process that has not been reaped.
func processExists(pid int) bool {
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}
