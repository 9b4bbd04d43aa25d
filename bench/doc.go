// Package bench holds the side-by-side benchmarks that measure nodekit against
// the Go libraries it is compared with (DESIGN.md, "Targets").
//
// It is a separate module so that the libraries compared against
// (errgroup, oklog/run, suture, fx) never enter nodekit's own go.mod.
//
// The lifecycle benchmarks all run the same workload: start N=1000 no-op
// services, wait until every one of them has entered its body, then stop them
// all and wait until every one has returned. Each no-op service does the same
// three things: mark itself entered, block until it is told to stop (its
// context or a channel), count its exit, return nil. The cost is reported as
// µs/service; ./report.sh runs the benchmarks and prints medians and the ratio
// of each library to nodekit.
package bench
