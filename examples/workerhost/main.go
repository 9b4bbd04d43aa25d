// Command workerhost is a dedicated nodekit worker executable: it serves the
// sample tasks below to a parent that starts it with worker.Start (or, from
// Java and Kotlin, Nodekit.startWorker). Some tasks crash on purpose, to
// show (and test) that a crash is an error in the caller.
//
// Run by hand it only says that it must be started as a worker.
//
// Tasks (input → output):
//
//	echo           the input
//	reverse        the input, bytes reversed
//	sleep          sleeps for the duration in the input ("250ms"), or until cancelled
//	progress       sends the progress updates 1..n (n in the input), returns "done"
//	block          sends the progress update "started", then waits until cancelled
//	make           n zero bytes (n in the input)
//	fail           returns an error with the input as its text
//	panic          panics (the worker lives)
//	exit           exits the process with the code in the input (default 3)
//	segv           writes to an unmapped address (a fatal fault)
//	fatal          concurrent map writes (a Go fatal error)
//	ignore-cancel  sleeps for an hour, ignoring cancellation
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"
	"unsafe"

	"nodekit.dev/nodekit/core/worker"
)

func main() { os.Exit(worker.Serve()) }

func init() {
	worker.Register("echo", func(_ context.Context, in []byte) ([]byte, error) { return in, nil })
	worker.Register("reverse", func(_ context.Context, in []byte) ([]byte, error) {
		out := make([]byte, len(in))
		for i, b := range in {
			out[len(in)-1-i] = b
		}
		return out, nil
	})
	worker.Register("sleep", func(ctx context.Context, in []byte) ([]byte, error) {
		d, err := time.ParseDuration(string(in))
		if err != nil {
			return nil, err
		}
		select {
		case <-time.After(d):
			return []byte("slept " + d.String()), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	worker.Register("progress", func(ctx context.Context, in []byte) ([]byte, error) {
		n, err := strconv.Atoi(string(in))
		if err != nil {
			return nil, err
		}
		for i := 1; i <= n; i++ {
			if err := worker.Progress(ctx, []byte(strconv.Itoa(i))); err != nil {
				return nil, err
			}
		}
		return []byte("done"), nil
	})
	worker.Register("block", func(ctx context.Context, _ []byte) ([]byte, error) {
		if err := worker.Progress(ctx, []byte("started")); err != nil {
			return nil, err
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	worker.Register("make", func(_ context.Context, in []byte) ([]byte, error) {
		n, err := strconv.Atoi(string(in))
		if err != nil {
			return nil, err
		}
		return make([]byte, n), nil
	})
	worker.Register("fail", func(_ context.Context, in []byte) ([]byte, error) { return nil, errors.New(string(in)) })
	worker.Register("panic", func(_ context.Context, in []byte) ([]byte, error) {
		panic(fmt.Sprintf("workerhost: panic on purpose (%s)", in))
	})
	worker.Register("exit", func(_ context.Context, in []byte) ([]byte, error) {
		code, err := strconv.Atoi(string(in))
		if err != nil {
			code = 3
		}
		fmt.Fprintf(os.Stderr, "workerhost: exiting with code %d on purpose\n", code)
		os.Exit(code)
		return nil, nil
	})
	worker.Register("segv", func(context.Context, []byte) ([]byte, error) {
		debug.SetPanicOnFault(false)
		addr := uintptr(0xdead_0000)
		*(*(**int)(unsafe.Pointer(&addr))) = 1
		return nil, nil
	})
	worker.Register("fatal", func(context.Context, []byte) ([]byte, error) {
		m := map[int]int{}
		for g := range 4 {
			go func() {
				for i := 0; ; i++ {
					m[i%64+g] = i
				}
			}()
		}
		select {}
	})
	worker.Register("ignore-cancel", func(context.Context, []byte) ([]byte, error) {
		time.Sleep(time.Hour)
		return nil, nil
	})
}
