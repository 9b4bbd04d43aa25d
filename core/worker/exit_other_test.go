//go:build !linux

package worker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// awaitExit waits until process pid has exited, at most 10 s. Without
// pidfds there is no wake-up for a process that is not our child: it checks
// every 5 ms.
func awaitExit(t *testing.T, pid int, msgAndArgs ...any) {
	t.Helper()
	require.Eventually(t, func() bool { return !alive(pid) }, 10*time.Second, 5*time.Millisecond, msgAndArgs...)
}
