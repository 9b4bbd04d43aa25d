package main

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"nodekit.dev/nodekit/core/worker"
)

// The test binary is also the demo's worker, as the program is. os/signal
// keeps one watcher goroutine for the life of the process.
func TestMain(m *testing.M) {
	worker.Main()
	// Race-enabled workers would otherwise linger 1 s at exit.
	_ = os.Setenv("GORACE", "atexit_sleep_ms=0")
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("os/signal.signal_recv"))
}

func TestDemoStartsAndStopsCleanly(t *testing.T) {
	require.NoError(t, run(t.TempDir(), 300*time.Millisecond))
}

// TestDemoWorkerCrashIsReported runs the demo with a fast heartbeat: jobs
// run on the pool, the crashing ones are reported and the node carries on.
func TestDemoWorkerCrashIsReported(t *testing.T) {
	old := beat
	beat = 40 * time.Millisecond
	defer func() { beat = old }()
	out := captureStdout(t, func() { require.NoError(t, run(t.TempDir(), 600*time.Millisecond)) })
	assert.Contains(t, out, `heartbeat    beat 1: checksum("beat 1") = 493`)
	assert.Regexp(t, `heartbeat    beat 2: job "beat 2!" crashed worker \d+ \(exit code 3\), pool replaces it`, out)
	assert.Contains(t, out, `heartbeat    beat 3: checksum("beat 3") = 495`)
	assert.Contains(t, out, "workers      Running  → Stopping")
}

// captureStdout returns what fn printed to os.Stdout.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	defer func() { os.Stdout = old }()
	fn()
	require.NoError(t, w.Close())
	out := <-done
	require.NoError(t, r.Close())
	return string(out)
}
