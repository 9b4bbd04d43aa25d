package processor_test

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"nodekit.dev/nodekit/core/processor"
)

// Benchmarks for the processor targets of docs/architecture.md, each next to
// its baseline:
//
//	go test -run '^$' -bench . -benchtime=1x ./core/processor   # the 1 s idle runs once
//
// Figures are reported as metrics (events/s, wakeups/s, cpu-µs/s); ns/op of
// the latency benchmarks is the latency.

type tick struct{ n int }

var sample = &tick{} // a pointer: boxing it into an Event does not allocate

// BenchmarkEvents hands b.N events to a Go handler that counts them. The
// "channel-loop" baseline is a goroutine draining a buffered channel into the
// same handler.
func BenchmarkEvents(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run("processor/push"+itoa(batch), func(b *testing.B) {
			var handled atomic.Int64
			done := make(chan struct{})
			target := int64(b.N)
			q := processor.NewQueue()
			h := processor.Start(processor.Config{Sources: []processor.Source{q}, Logger: quiet(),
				Handler: processor.HandlerFunc(func(processor.Event) error {
					if handled.Add(1) == target {
						close(done)
					}
					return nil
				})})
			events := make([]processor.Event, batch)
			for i := range events {
				events[i] = sample
			}
			b.ResetTimer()
			for sent := 0; sent < b.N; sent += batch {
				q.Push(events[:min(batch, b.N-sent)]...)
			}
			<-done
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.StopTimer()
			if err := h.Stop(); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.Run("channel-loop", func(b *testing.B) {
		ch := make(chan processor.Event, 1024)
		var handled int64
		handler := processor.HandlerFunc(func(processor.Event) error { handled++; return nil })
		done := make(chan struct{})
		go func() {
			for e := range ch {
				_ = handler.Handle(e)
			}
			close(done)
		}()
		b.ResetTimer()
		for range b.N {
			ch <- sample
		}
		close(ch)
		<-done
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		if handled != int64(b.N) {
			b.Fatalf("handled %d of %d", handled, b.N)
		}
	})
}

// BenchmarkIdle keeps a processor with a 60 s timer idle for one second and
// reports its wake-ups and CPU time, next to a loop that polls every 100 ms
// as LDK's sync background processor does.
func BenchmarkIdle(b *testing.B) {
	b.Run("processor", func(b *testing.B) {
		for range b.N {
			h := processor.Start(processor.Config{Logger: quiet(),
				Timers: []processor.Timer{{Name: "freshness", Interval: time.Minute, Fire: func(time.Time) error { return nil }}}})
			for h.Counters().Passes == 0 { // the first pass runs at start
				time.Sleep(time.Millisecond)
			}
			cpu := idleCPU(func() { time.Sleep(time.Second) })
			b.ReportMetric(float64(h.Counters().Passes-1), "wakeups/s")
			b.ReportMetric(cpu, "cpu-µs/s")
			if err := h.Stop(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ticker-poll-100ms", func(b *testing.B) {
		for range b.N {
			var wakeups atomic.Int64
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				t := time.NewTicker(100 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						wakeups.Add(1) // would check every source and the state here
					}
				}
			}()
			cpu := idleCPU(func() { time.Sleep(time.Second) })
			b.ReportMetric(float64(wakeups.Load()), "wakeups/s")
			b.ReportMetric(cpu, "cpu-µs/s")
			cancel()
			<-stopped
		}
	})
}

// idleCPU returns the process CPU time (user+system, µs) spent while fn runs.
func idleCPU(fn func()) float64 {
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	fn()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	us := func(r syscall.Rusage) int64 {
		return r.Utime.Sec*1e6 + r.Utime.Usec + r.Stime.Sec*1e6 + r.Stime.Usec
	}
	return float64(us(after) - us(before))
}

// BenchmarkLatency measures the time from pushing one event to the handler
// seeing it (ns/op), for the event-driven loop and for a 100 ms polling loop.
func BenchmarkLatency(b *testing.B) {
	b.Run("processor", func(b *testing.B) {
		seen := make(chan struct{})
		q := processor.NewQueue()
		h := processor.Start(processor.Config{Sources: []processor.Source{q}, Logger: quiet(),
			Handler: processor.HandlerFunc(func(processor.Event) error { seen <- struct{}{}; return nil })})
		b.ResetTimer()
		for range b.N {
			q.Push(sample)
			<-seen
		}
		b.StopTimer()
		if err := h.Stop(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("ticker-poll-100ms", func(b *testing.B) {
		seen := make(chan struct{})
		q := processor.NewQueue()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			var buf []processor.Event
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					buf = q.Drain(buf[:0])
					for range buf {
						seen <- struct{}{}
					}
				}
			}
		}()
		b.ResetTimer()
		for range b.N {
			q.Push(sample)
			<-seen
		}
	})
}

// BenchmarkStop measures Stop on an idle processor with nothing to persist,
// reported as µs/stop (Start and the wait for the first pass are not timed).
func BenchmarkStop(b *testing.B) {
	var total time.Duration
	for range b.N {
		h := processor.Start(processor.Config{Logger: quiet(), State: processor.NewBlob(nil)})
		for h.Counters().Passes == 0 {
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		if err := h.Stop(); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/stop")
}

func itoa(n int) string {
	if n == 1 {
		return "1"
	}
	return "64"
}
