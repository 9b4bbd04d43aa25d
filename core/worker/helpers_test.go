package worker_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/worker"
)

// quiet is a Config whose workers' standard error is not copied to the test
// output.
func quiet() worker.Config {
	return worker.Config{Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler)}
}

// start starts a worker of this test binary and registers its shutdown and
// the check that no child process is left.
func start(t *testing.T, cfg worker.Config) *worker.Worker {
	t.Helper()
	noChildrenAfter(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := worker.Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Shutdown(context.Background()) })
	return w
}

// noChildrenAfter checks, when the test ends, that this process has no
// child process left: none running and none unreaped (a zombie).
func noChildrenAfter(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		t.Helper()
		require.Empty(t, children(t), "child processes left behind")
	})
}

// children lists this process's child processes from /proc: "pid state
// command" each.
func children(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	self := strconv.Itoa(os.Getpid())
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...; comm may contain spaces and parens.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) >= 2 && fields[1] == self {
			found = append(found, e.Name()+" "+fields[0]+" "+s[:i+1])
		}
	}
	return found
}

// callResult is what a Call returned.
type callResult struct {
	out []byte
	err error
}

// callStarted calls task (one that sends a progress update as it begins:
// sleep, ignore-cancel) on w from a goroutine and returns once that update
// has arrived, so the task is running in the worker; the call's outcome
// arrives on the returned channel.
func callStarted(ctx context.Context, t *testing.T, w *worker.Worker, task string, in []byte) <-chan callResult {
	t.Helper()
	started := make(chan struct{})
	var once sync.Once
	res := make(chan callResult, 1)
	go func() {
		out, err := w.Call(ctx, task, in, worker.OnProgress(func([]byte) { once.Do(func() { close(started) }) }))
		res <- callResult{out, err}
	}()
	select {
	case <-started:
	case r := <-res:
		t.Fatalf("%s ended before it started: %v", task, r.err)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not start within 10 s", task)
	}
	return res
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}
