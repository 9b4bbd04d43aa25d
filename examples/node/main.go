// Command node is nodekit's demo: a Group of services (a store, the background
// processor persisting to disk, a pool of two worker processes, a heartbeat
// that hands the pool a job on every beat, three p2p nodes on loopback and a
// gossip job broadcasting between them) started in order with an observer
// printing every lifecycle event, stopped in reverse on Ctrl-C or after a few
// seconds. Jobs 2, 5, 8, ... crash their worker on purpose: the crash is
// reported and the pool replaces the worker. The program is its own worker
// (main calls worker.Main first).
//
//	go run ./examples/node            # runs for 3 s
//	go run ./examples/node -for 0     # runs until Ctrl-C
//	go run ./examples/node -dir ./st  # state there (default: <user cache dir>/nodekit/demo)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/processor"
	"nodekit.dev/nodekit/core/store"
	"nodekit.dev/nodekit/core/worker"
)

// checksum is the workers' job: it sums the bytes of its input, and exits
// the worker process on inputs that end in "!" (a crash on purpose).
var checksum = worker.Task[string, int]{Name: "checksum"}

func init() {
	checksum.Register(func(_ context.Context, in string) (int, error) {
		if strings.HasSuffix(in, "!") {
			os.Exit(3)
		}
		sum := 0
		for i := range len(in) {
			sum += int(in[i])
		}
		return sum, nil
	})
}

// beat is the heartbeat's period.
var beat = time.Second

func main() {
	worker.Main()
	runFor := flag.Duration("for", 3*time.Second, "stop after this long (0: wait for Ctrl-C)")
	dir := flag.String("dir", defaultDir(), "state directory")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if *runFor > 0 {
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}
	if err := run(ctx, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		os.Exit(1)
	}
}

// run starts the node, keeping its state under dir, and stops it when ctx
// ends.
func run(ctx context.Context, dir string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	g := lifecycle.NewGroup(lifecycle.WithLogger(log), lifecycle.WithGroupStopTimeout(5*time.Second))
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		fmt.Printf("%-12s %-8s → %-8s (%s in %s)\n", e.Service, e.From, e.To, e.Duration.Round(time.Microsecond), e.From)
		return nil
	}))
	// store: opens its state before anything else runs; ready when open.
	if err := g.Add("store", lifecycle.ReadyFunc(func(ctx context.Context) error {
		lifecycle.Ready(ctx)
		<-ctx.Done()
		return nil
	})); err != nil {
		return err
	}
	// processor: the node's background loop, persisting its state to disk;
	// a timer ticks every second, as a p2p node's ping would.
	persister, err := store.NewFilesystemPersister(dir)
	if err != nil {
		return err
	}
	state := processor.NewBlob(nil)
	events := processor.NewQueue()
	proc := processor.New(processor.Config{
		Sources: []processor.Source{events}, State: state, Persister: persister, Logger: log,
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			state.Set([]byte(fmt.Sprint("last event: ", e)))
			return nil
		}),
		Timers: []processor.Timer{{Name: "ping", Interval: time.Second, Fire: func(now time.Time) error {
			events.Push(now.Format(time.TimeOnly))
			return nil
		}}},
	})
	if err := g.Add("processor", proc); err != nil {
		return err
	}
	// workers: two worker processes (this executable again) for risky jobs.
	pool, err := worker.NewPool(worker.PoolConfig{Size: 2, Worker: worker.Config{Logger: log}})
	if err != nil {
		return err
	}
	if err := g.Add("workers", pool); err != nil {
		return err
	}
	// heartbeat: a periodic job, restarted with backoff if it ever fails;
	// each beat hands the pool a checksum, every third one (2, 5, 8, ...)
	// crashing its worker.
	if err := g.Add("heartbeat", lifecycle.ServiceFunc(func(ctx context.Context) error {
		t := time.NewTicker(beat)
		defer t.Stop()
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				job := fmt.Sprintf("beat %d", n)
				if n%3 == 2 {
					job += "!"
				}
				sum, err := checksum.Call(ctx, pool, job)
				var crash *worker.CrashError
				switch {
				case errors.As(err, &crash):
					fmt.Printf("heartbeat    beat %d: job %q crashed worker %d (exit code %d), pool replaces it\n", n, job, crash.Pid, crash.ExitCode)
				case err != nil && ctx.Err() == nil:
					fmt.Printf("heartbeat    beat %d: job %q: %v\n", n, job, err)
				case err == nil:
					fmt.Printf("heartbeat    beat %d: checksum(%q) = %d\n", n, job, sum)
				}
			}
		}
	}), lifecycle.WithRestart(lifecycle.RestartPolicy{})); err != nil {
		return err
	}

	// p2p-a, p2p-b, p2p-c, gossip: a small p2p network on loopback (p2p.go).
	if err := addP2P(g, dir, log); err != nil {
		return err
	}

	h := lifecycle.Start("node", g)
	if err := h.AwaitRunning(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	fmt.Printf("node running (started in %s); stop with Ctrl-C\n", h.StartDuration().Round(time.Microsecond))
	<-ctx.Done()
	err = h.Stop()
	c := proc.Counters()
	fmt.Printf("node stopped in %s: %v (processor: %d events, %d persists, %d passes; state %q in %s)\n",
		h.StopDuration().Round(time.Microsecond), err, c.Handled, c.Persists, c.Passes, state.Get(), persister.Dir())
	return err
}

// defaultDir is the state directory when -dir is not given: under the user's
// cache directory (os.UserCacheDir), or the temporary directory if there is
// none.
func defaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "nodekit", "demo")
}
