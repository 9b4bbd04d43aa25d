package bench

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// numServices is the number of services started and stopped per iteration
// by the benchmarks of other libraries; BenchmarkLifecycle runs sizes.
const numServices = 1000

// sizes are the group sizes of BenchmarkLifecycle: fixed cost per run shows
// at 10, cost per service at 1,000.
var sizes = []int{10, 1000}

// names are the distinct service names, built once, outside every timed loop.
var names = func() []string {
	s := make([]string, numServices)
	for i := range s {
		s[i] = fmt.Sprintf("svc-%04d", i)
	}
	return s
}()

// probe is shared by the no-op services of one benchmark: entered tells the
// benchmark that all services of the current iteration are running, exited
// counts the services that returned, over all iterations.
type probe struct {
	n       int // services per iteration; 0 means numServices
	entered sync.WaitGroup
	exited  atomic.Int64
}

func (p *probe) size() int {
	if p.n == 0 {
		return numServices
	}
	return p.n
}

// arm prepares the probe for one iteration.
func (p *probe) arm() { p.entered.Add(p.size()) }

// enter is called first thing by a service body.
func (p *probe) enter() { p.entered.Done() }

// exit is called last thing by a service body, just before it returns.
func (p *probe) exit() { p.exited.Add(1) }

// waitRunning blocks until every service of the iteration has entered.
func (p *probe) waitRunning() { p.entered.Wait() }

// finish reports µs/service and checks, outside the timing, that every service
// of every iteration returned and that no goroutine was left behind.
func (p *probe) finish(b *testing.B, goroutinesBefore int) {
	b.Helper()
	n := p.size()
	perService := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n) / 1e3
	b.ReportMetric(perService, "µs/service")
	b.ReportMetric(float64(n), "services")
	if got, want := p.exited.Load(), int64(b.N)*int64(n); got != want {
		b.Fatalf("services exited: got %d, want %d (%d iterations × %d)", got, want, b.N, n)
	}
	noLeak(b, goroutinesBefore)
}

// noLeak waits up to a second for the goroutine count to fall back to before.
// Some libraries let their internal goroutines finish just after Stop/Wait
// returns (suture reports a service's end after the service returned).
func noLeak(b *testing.B, before int) {
	b.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("goroutines leaked: %d before, %d a second after the last stop", before, n)
		}
		time.Sleep(time.Millisecond)
	}
}
