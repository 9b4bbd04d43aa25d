package nodekit

import (
	"runtime"
	"runtime/metrics"
)

// GoRuntimeStats is a snapshot of the Go runtime inside the JVM, for leak
// checks and measurements (the churn tests read it): what Go itself holds,
// which the JVM's own memory beans do not see.
type GoRuntimeStats struct {
	// HeapLiveBytes is the Go heap still live at the end of the last Go GC
	// (runtime/metrics /gc/heap/live:bytes): what Go could not free.
	HeapLiveBytes int64
	// HeapObjects is the number of objects on the Go heap, live or not yet swept.
	HeapObjects int64
	// GCCycles is the number of Go GC cycles completed so far.
	GCCycles int64
	// Goroutines is the number of goroutines.
	Goroutines int64
	// OSThreads is the number of threads the Go runtime created (it never
	// ends them: a rise is a leak, a plateau is not).
	OSThreads int64
}

var runtimeSamples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/gc/heap/objects:objects"},
	{Name: "/gc/cycles/total:gc-cycles"},
}

// ReadGoRuntimeStats returns the Go runtime's figures now. It does not run a
// GC: HeapLiveBytes is as of the last one.
func ReadGoRuntimeStats() *GoRuntimeStats {
	s := make([]metrics.Sample, len(runtimeSamples))
	copy(s, runtimeSamples)
	metrics.Read(s)
	threads, _ := runtime.ThreadCreateProfile(nil)
	return &GoRuntimeStats{
		HeapLiveBytes: int64(s[0].Value.Uint64()),
		HeapObjects:   int64(s[1].Value.Uint64()),
		GCCycles:      int64(s[2].Value.Uint64()),
		Goroutines:    int64(runtime.NumGoroutine()),
		OSThreads:     int64(threads),
	}
}
