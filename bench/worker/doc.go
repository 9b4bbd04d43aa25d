// Package worker benchmarks nodekit's worker processes (core/worker) side by
// side with hashicorp/go-plugin over net/rpc, in the same run and on the same
// workloads: spawn plus handshake, a 64-byte and a 1 MiB round trip, 256 MiB
// through a worker and back, and the time from a worker's death to the
// pending call's error. The test binary is the worker of both libraries
// (TestMain). ./report.sh runs the benchmarks and prints each figure with the
// ratio go-plugin ÷ nodekit.
package worker
