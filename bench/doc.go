// Package bench holds the side-by-side benchmarks that measure nodekit against
// the Go libraries it is compared with; the targets are stated in
// docs/architecture.md ("Targets").
//
// It is a separate module so that the libraries compared against
// (errgroup, oklog/run, suture, fx) never enter nodekit's own go.mod.
//
// BenchmarkLifecycle is the comparison the targets are stated in: errgroup and
// a nodekit Group (ReadyFunc services, with no observer and with one) side by
// side at 10 and 1,000 services; ./report.sh prints nodekit ÷ errgroup
// against the targets and says met or not met. The other benchmarks run the
// same workload at 1,000 services against oklog/run, suture and fx: start N
// no-op services, wait until every one of them has entered its body, then
// stop them all and wait until every one has returned. Each no-op service
// marks itself entered, blocks until it is told to stop (its context or a
// channel), counts its exit and returns nil. The cost is reported as
// µs/service.
package bench
