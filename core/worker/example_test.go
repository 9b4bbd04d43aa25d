package worker_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"nodekit.dev/nodekit/core/worker"
)

// The tasks of this test binary are registered in main_test.go and TestMain
// calls worker.Main, so the binary is its own worker.
func Example() {
	ctx := context.Background()
	w, err := worker.Start(ctx, worker.Config{Stderr: io.Discard})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Shutdown(ctx)

	out, err := w.Call(ctx, "echo", []byte("hello"))
	fmt.Println(string(out), err)

	_, err = w.Call(ctx, "exit", nil) // the task calls os.Exit(3)
	var crash *worker.CrashError
	if errors.As(err, &crash) {
		fmt.Println("exit code", crash.ExitCode, "while running", crash.InFlight)
	}
	// Output:
	// hello <nil>
	// exit code 3 while running [exit]
}

func ExampleTask() {
	ctx := context.Background()
	p, err := worker.StartPool(ctx, worker.PoolConfig{Size: 2, Worker: worker.Config{Stderr: io.Discard}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Shutdown(ctx)
	// add is a worker.Task[pair, int], registered in main_test.go.
	sum, err := add.Call(ctx, p, pair{A: 1, B: 2})
	fmt.Println(sum, err)
	// Output: 3 <nil>
}
