package bench

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"nodekit.dev/nodekit/core/lifecycle"
)

// BenchmarkNodekit: a lifecycle.Group with N services (ServiceFunc, running as
// soon as entered); NewGroup, Add, Start, <-Ready, wait until all bodies
// entered, Stop (reverse order, waits). "observer" counts every event in an
// atomic counter; "no-observer" has none. "observer-prebuilt" builds the group
// (NewGroup, Add, Observe) with the timer stopped, like BenchmarkFxStartStop
// leaves fx.New out: it measures Start+Stop alone.
func BenchmarkNodekit(b *testing.B) {
	b.Run("observer", func(b *testing.B) { benchNodekit(b, true, false) })
	b.Run("no-observer", func(b *testing.B) { benchNodekit(b, false, false) })
	b.Run("observer-prebuilt", func(b *testing.B) { benchNodekit(b, true, true) })
}

func benchNodekit(b *testing.B, observe, prebuilt bool) {
	b.ReportAllocs()
	var p probe
	svc := lifecycle.ServiceFunc(func(ctx context.Context) error {
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
		for _, name := range names {
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
		<-h.Ready()
		p.waitRunning()
		if err := h.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	p.finish(b, before)
	if observe {
		// Starting, Running, Stopping, Stopped for every service.
		if got, want := events.Load(), int64(b.N)*numServices*4; got != want {
			b.Fatalf("observer events: got %d, want %d (%d iterations × %d services × 4)", got, want, b.N, numServices)
		}
	}
}
