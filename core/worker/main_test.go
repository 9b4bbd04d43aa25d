package worker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/goleak"

	"nodekit.dev/nodekit/core/worker"
)

// TestMain makes the test binary its own worker: started by a test as a
// worker, it serves the tasks below instead of running the tests.
func TestMain(m *testing.M) {
	worker.Main()
	// Race-enabled workers would otherwise linger 1 s at exit.
	_ = os.Setenv("GORACE", "atexit_sleep_ms=0")
	goleak.VerifyTestMain(m)
}

// grandchild is the worker that spawn-worker started, kept reachable.
var grandchild *worker.Worker

// add is a typed task.
var add = worker.Task[pair, int]{Name: "add"}

type pair struct{ A, B int }

func init() {
	worker.Register("echo", func(_ context.Context, in []byte) ([]byte, error) { return in, nil })
	worker.Register("pid", func(context.Context, []byte) ([]byte, error) {
		return []byte(strconv.Itoa(os.Getpid())), nil
	})
	worker.Register("fail", func(_ context.Context, in []byte) ([]byte, error) {
		return nil, errors.New("failed: " + string(in))
	})
	worker.Register("panic", func(context.Context, []byte) ([]byte, error) { panic("task panicked on purpose") })
	worker.Register("exit", func(context.Context, []byte) ([]byte, error) {
		fmt.Fprintln(os.Stderr, "exiting with code 3")
		os.Exit(3)
		return nil, nil
	})
	// segv writes to an unmapped address: a real invalid memory access,
	// which the Go runtime turns into a fatal "unexpected fault address"
	// (recovering it as a panic is only possible with SetPanicOnFault(true)).
	worker.Register("segv", func(context.Context, []byte) ([]byte, error) {
		debug.SetPanicOnFault(false)
		addr := uintptr(0xdead_0000)
		p := *(**int)(unsafe.Pointer(&addr))
		*p = 1
		return nil, nil
	})
	// fatal provokes the runtime's "concurrent map writes" fatal error.
	worker.Register("fatal", func(context.Context, []byte) ([]byte, error) {
		m := map[int]int{}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					m[i%64+g] = i
				}
			}()
		}
		wg.Wait()
		return nil, nil
	})
	// goroutine-panic panics on a goroutine the task started: nobody
	// recovers it, the worker dies.
	worker.Register("goroutine-panic", func(context.Context, []byte) ([]byte, error) {
		go panic("unrecovered panic in a task's goroutine")
		select {}
	})
	// sleep and ignore-cancel send one progress update, "started", as they
	// begin: a test waits for it (callStarted) to know the task runs.
	worker.Register("sleep", func(ctx context.Context, in []byte) ([]byte, error) {
		d, _ := time.ParseDuration(string(in))
		if err := worker.Progress(ctx, []byte("started")); err != nil {
			return nil, err
		}
		select {
		case <-time.After(d):
			return []byte("slept"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	worker.Register("ignore-cancel", func(ctx context.Context, _ []byte) ([]byte, error) {
		if err := worker.Progress(ctx, []byte("started")); err != nil {
			return nil, err
		}
		time.Sleep(time.Hour) // the behaviour under test: a task deaf to its context
		return nil, nil
	})
	worker.Register("progress", func(ctx context.Context, in []byte) ([]byte, error) {
		n, _ := strconv.Atoi(string(in))
		for i := 1; i <= n; i++ {
			if err := worker.Progress(ctx, []byte(strconv.Itoa(i))); err != nil {
				return nil, err
			}
		}
		return []byte("done"), nil
	})
	// size returns the length of its input; make returns that many bytes.
	worker.Register("size", func(_ context.Context, in []byte) ([]byte, error) {
		return []byte(strconv.Itoa(len(in))), nil
	})
	worker.Register("make", func(_ context.Context, in []byte) ([]byte, error) {
		n, err := strconv.Atoi(string(in))
		if err != nil {
			return nil, err
		}
		out := make([]byte, n)
		for i := 0; i < n; i += 4096 {
			out[i] = byte(i / 4096)
		}
		return out, nil
	})
	// garbage writes bytes that are no frame onto the IPC channel (the one
	// socket among the worker's open files).
	worker.Register("garbage", func(context.Context, []byte) ([]byte, error) {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			return nil, err
		}
		for _, e := range fds {
			if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); strings.HasPrefix(target, "socket:") {
				fd, _ := strconv.Atoi(e.Name())
				_, _ = syscall.Write(fd, []byte("this is not a frame, it is garbage!!"))
			}
		}
		select {}
	})
	// chatty writes 1 MiB to standard error, in one line, before answering.
	worker.Register("chatty", func(_ context.Context, in []byte) ([]byte, error) {
		line := make([]byte, 1<<20)
		for i := range line {
			line[i] = 'x'
		}
		_, _ = os.Stderr.Write(line)
		_, _ = os.Stderr.Write([]byte("\n"))
		return in, nil
	})
	// flaky crashes the worker when its input starts with "crash".
	worker.Register("flaky", func(_ context.Context, in []byte) ([]byte, error) {
		if len(in) >= 5 && string(in[:5]) == "crash" {
			os.Exit(7)
		}
		return in, nil
	})
	// environ reports what Config.Args, Env and Dir set.
	worker.Register("environ", func(context.Context, []byte) ([]byte, error) {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		return []byte(strings.Join(os.Args[1:], " ") + "|" + os.Getenv("NODEKIT_TEST_VALUE") + "|" + wd), nil
	})
	// spawn-worker starts a worker of its own (a grandchild of the test) and
	// returns its pid, keeping it running.
	worker.Register("spawn-worker", func(ctx context.Context, _ []byte) ([]byte, error) {
		w, err := worker.Start(ctx, worker.Config{Stderr: io.Discard})
		if err != nil {
			return nil, err
		}
		grandchild = w
		return []byte(strconv.Itoa(w.Pid())), nil
	})
	// spawn-sleep starts a "sleep 60" in the worker's process group and
	// returns its pid without waiting for it.
	worker.Register("spawn-sleep", func(context.Context, []byte) ([]byte, error) {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return []byte(strconv.Itoa(cmd.Process.Pid)), nil
	})
	add.Register(func(_ context.Context, p pair) (int, error) { return p.A + p.B, nil })
}
