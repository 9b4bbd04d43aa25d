package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// os/signal keeps one watcher goroutine for the life of the process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("os/signal.signal_recv"))
}

func TestDemoStartsAndStopsCleanly(t *testing.T) {
	require.NoError(t, run(t.TempDir(), 300*time.Millisecond))
}
