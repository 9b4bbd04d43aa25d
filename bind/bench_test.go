package nodekit

import (
	"fmt"
	"testing"
)

// BenchmarkGroup is java/bench's GroupBench without Java: the same calls
// (new Group, add × 100, start, stop) from Go, so that the difference between
// the two is what crossing to and from the JVM costs.
func BenchmarkGroup(b *testing.B) {
	const services = 100
	names := make([]string, services)
	for i := range names {
		names[i] = fmt.Sprintf("service-%d", i)
	}
	for _, v := range []struct {
		name  string
		svc   Service
		obs   Observer
		batch BatchObserver
	}{
		{name: "nullServices"},
		{name: "nullServicesObserver", obs: countingObserver{new(int)}},
		{name: "nullServicesBatchObserver", batch: countingBatch{new(int)}},
		{name: "goServices", svc: emptyService{}},
		{name: "goServicesObserver", svc: emptyService{}, obs: countingObserver{new(int)}},
		{name: "goServicesBatchObserver", svc: emptyService{}, batch: countingBatch{new(int)}},
	} {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g := NewGroup()
				g.Observe(0, v.obs)
				g.ObserveBatch(0, v.batch)
				for _, name := range names {
					if err := g.Add(name, v.svc); err != nil {
						b.Fatal(err)
					}
				}
				if r := g.Start(); !r.IsOk() {
					b.Fatal(r.Message())
				}
				if r := g.Stop(); !r.IsOk() {
					b.Fatal(r.Message())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/services, "ns/service")
		})
	}
}

type emptyService struct{}

func (emptyService) Start() error { return nil }
func (emptyService) Stop() error  { return nil }

// countingObserver and countingBatch count events; the dispatcher calls each
// from one goroutine at a time.
type countingObserver struct{ n *int }

func (o countingObserver) OnEvent(string, int, int, int64, string, int, int64) error {
	*o.n++
	return nil
}

type countingBatch struct{ n *int }

func (o countingBatch) OnEvents(_ []byte, count int) error {
	*o.n += count
	return nil
}
