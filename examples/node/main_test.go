package main

import (
	"bufio"
	"context"
	"os"
	"strings"
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
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.NoError(t, run(ctx, t.TempDir()))
}

// TestDemoWorkerCrashIsReported runs the demo with a fast heartbeat until
// its third beat: jobs run on the pool, the second one crashes its worker,
// the crash is reported and the third job runs on a live worker. The stop
// may land while a later crashing job is in flight: the node still stops
// cleanly (the crash is the cancelled job's, not the pool's).
func TestDemoWorkerCrashIsReported(t *testing.T) {
	old := beat
	beat = 40 * time.Millisecond
	defer func() { beat = old }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := captureStdout(t, func(line string) {
		if strings.HasPrefix(line, "heartbeat    beat 3:") {
			cancel()
		}
	}, func() { require.NoError(t, run(ctx, t.TempDir())) })
	require.ErrorIs(t, ctx.Err(), context.Canceled, "the third beat came within a minute:\n%s", out)
	assert.Contains(t, out, `heartbeat    beat 1: checksum("beat 1") = 493`)
	assert.Regexp(t, `heartbeat    beat 2: job "beat 2!" crashed worker \d+ \(exit code 3\), pool replaces it`, out)
	assert.Contains(t, out, `heartbeat    beat 3: checksum("beat 3") = 495`)
	assert.Contains(t, out, "workers      Running  → Stopping")
}

// captureStdout returns what fn printed to os.Stdout, handing each line to
// onLine as it is printed.
func captureStdout(t *testing.T, onLine func(string), fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			onLine(sc.Text())
			b.WriteString(sc.Text() + "\n")
		}
		done <- b.String()
	}()
	defer func() { os.Stdout = old }()
	fn()
	require.NoError(t, w.Close())
	out := <-done
	require.NoError(t, r.Close())
	return out
}
