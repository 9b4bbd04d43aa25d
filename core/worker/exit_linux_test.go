package worker_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sysPidfdOpen is pidfd_open(2): the same number on every Linux architecture.
const sysPidfdOpen = 434

// awaitExit waits until process pid (any process, not only a child) has
// exited, at most 10 s: a pidfd becomes readable when its process ends.
func awaitExit(t *testing.T, pid int, msgAndArgs ...any) {
	t.Helper()
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno == syscall.ESRCH {
		return // gone already
	}
	require.Zero(t, errno, "pidfd_open(%d): %v", pid, errno)
	defer syscall.Close(int(fd))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var set syscall.FdSet
		set.Bits[fd/64] |= 1 << (fd % 64)
		tv := syscall.NsecToTimeval(max(int64(time.Until(deadline)), 0))
		n, err := syscall.Select(int(fd)+1, &set, nil, nil, &tv)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		require.NoError(t, err)
		require.Equal(t, 1, n, msgAndArgs...)
		return
	}
}
