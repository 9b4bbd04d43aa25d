// Command worker shows a risky task run in worker processes: "square" parses
// a number and squares it, but some inputs crash it (a nil map write on a
// goroutine of its own, an os.Exit, a segfault). Each crash is reported as
// the call's error, with the exit code and the Go runtime's report; the
// program carries on, and the pool replaces the dead worker.
//
//	go run ./examples/worker
//	go run ./examples/worker 12 boom 7 exit 3
//
// The program is its own worker: main calls worker.Main first.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"unsafe"

	"nodekit.dev/nodekit/core/worker"
)

// square is the risky task, typed: a string in, a number out.
var square = worker.Task[string, int]{Name: "square"}

func init() {
	square.Register(func(_ context.Context, in string) (int, error) {
		switch in {
		case "boom": // a panic on another goroutine: nothing can recover it
			done := make(chan struct{})
			go func() {
				var m map[string]int
				m[in] = 1
				close(done)
			}()
			<-done
		case "exit":
			os.Exit(4)
		case "segv":
			debug.SetPanicOnFault(false)
			addr := uintptr(0xdead_0000)
			*(*(**int)(unsafe.Pointer(&addr))) = 1
		}
		n, err := strconv.Atoi(in)
		if err != nil {
			return 0, err
		}
		return n * n, nil
	})
}

func main() {
	worker.Main()
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"3", "boom", "12", "segv", "x", "exit", "7"}
	}
	if err := run(os.Stdout, inputs); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, inputs []string) error {
	ctx := context.Background()
	pool, err := worker.StartPool(ctx, worker.PoolConfig{
		Size: 2,
		// The crashes are reported below: keep the workers' standard error
		// and the pool's log out of the output.
		Worker: worker.Config{Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler)},
	})
	if err != nil {
		return err
	}
	for _, in := range inputs {
		n, err := square.Call(ctx, pool, in)
		var crash *worker.CrashError
		var failed *worker.TaskError
		switch {
		case err == nil:
			fmt.Fprintf(out, "square(%s) = %d\n", in, n)
		case errors.As(err, &crash):
			fmt.Fprintf(out, "square(%s) crashed its worker (pid %d, exit code %d): %s\n",
				in, crash.Pid, crash.ExitCode, firstLine(crash.Panic))
		case errors.As(err, &failed):
			fmt.Fprintf(out, "square(%s) failed: %s\n", in, failed.Message)
		default:
			return err
		}
	}
	fmt.Fprintf(out, "%d workers crashed and were replaced\n", pool.Stats().Crashed)
	return pool.Shutdown(ctx)
}

func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	if s == "" {
		return "(no runtime report)"
	}
	return s
}
