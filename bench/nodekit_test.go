package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
)

// BenchmarkLifecycle is the comparison the targets are stated in: for each
// size, errgroup and nodekit side by side in the same run (with -count, the
// runs interleave). nodekit is a Group of ReadyFunc services (each calls
// Ready, then blocks until cancelled) under lifecycle.Start: NewGroup, Add,
// Start, AwaitRunning, wait until all bodies entered, Stop (reverse order,
// waits). "observer" adds one observer counting every event. "floor" and
// "floor-observer" are the least the same ordering costs (floor_test.go).
// ./report.sh prints nodekit ÷ errgroup against the targets.
func BenchmarkLifecycle(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d/errgroup", n), func(b *testing.B) { benchErrgroup(b, &probe{n: n}) })
		b.Run(fmt.Sprintf("n=%d/nodekit", n), func(b *testing.B) { benchNodekit(b, &probe{n: n}, false, false) })
		b.Run(fmt.Sprintf("n=%d/nodekit-observer", n), func(b *testing.B) { benchNodekit(b, &probe{n: n}, true, false) })
		b.Run(fmt.Sprintf("n=%d/floor", n), func(b *testing.B) { benchFloor(b, &probe{n: n}, false) })
		b.Run(fmt.Sprintf("n=%d/floor-observer", n), func(b *testing.B) { benchFloor(b, &probe{n: n}, true) })
	}
}

// BenchmarkNodekit: the 1,000-service workload of the other libraries'
// benchmarks. "observer-prebuilt" builds the group (NewGroup, Add, Observe)
// with the timer stopped, like BenchmarkFxStartStop leaves fx.New out: it
// measures Start+Stop alone.
func BenchmarkNodekit(b *testing.B) {
	b.Run("observer", func(b *testing.B) { benchNodekit(b, &probe{}, true, false) })
	b.Run("no-observer", func(b *testing.B) { benchNodekit(b, &probe{}, false, false) })
	b.Run("observer-prebuilt", func(b *testing.B) { benchNodekit(b, &probe{}, true, true) })
}

func benchNodekit(b *testing.B, p *probe, observe, prebuilt bool) {
	b.ReportAllocs()
	n := p.size()
	svc := lifecycle.ReadyFunc(func(ctx context.Context) error {
		lifecycle.Ready(ctx)
		p.enter()
		<-ctx.Done()
		p.exit()
		return nil
	})
	var events atomic.Int64
	obs := lifecycle.ObserverFunc(func(lifecycle.Event) error {
		events.Add(1)
		return nil
	})
	before := runtime.NumGoroutine()
	for b.Loop() {
		if prebuilt {
			b.StopTimer()
		}
		p.arm()
		g := lifecycle.NewGroup()
		for _, name := range names[:n] {
			if err := g.Add(name, svc); err != nil {
				b.Fatal(err)
			}
		}
		if observe {
			g.Observe(0, obs)
		}
		if prebuilt {
			b.StartTimer()
		}
		h := lifecycle.Start("bench", g)
		if err := h.AwaitRunning(context.Background()); err != nil {
			b.Fatal(err)
		}
		p.waitRunning()
		if err := h.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	p.finish(b, before)
	if observe {
		// Starting, Running, Stopping, Stopped for every service.
		if got, want := events.Load(), int64(b.N)*int64(n)*4; got != want {
			b.Fatalf("observer events: got %d, want %d (%d iterations × %d services × 4)", got, want, b.N, n)
		}
	}
}

// BenchmarkClockRead: one read of the monotonic clock as a Group's run makes
// it (time.Since of the run's start), twice per service; a reference for how
// much of BenchmarkLifecycle the clock is on a given machine.
func BenchmarkClockRead(b *testing.B) {
	t0 := time.Now()
	var sum time.Duration
	for b.Loop() {
		sum += time.Since(t0)
	}
	if sum < 0 {
		b.Fatal("the monotonic clock went back")
	}
}
