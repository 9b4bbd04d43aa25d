#!/bin/sh
# report.sh runs the worker benchmarks (nodekit's core/worker and
# hashicorp/go-plugin over net/rpc, side by side in one run) and prints the
# median of each figure and the ratio go-plugin ÷ nodekit (> 1: nodekit is
# faster).
#
# Usage (from the repository root, as `make bench-worker` does):
#   cd bench/worker && ./report.sh
# Environment:
#   COUNT=3          runs per benchmark (-count)
#   BENCHTIME=200x   -benchtime of the small benchmarks
#   BIGTIME=10x      -benchtime of spawn, 256 MiB and death-to-error
# The raw `go test` output is printed first; it is benchstat input as is.
set -eu
cd "$(dirname "$0")"

COUNT=${COUNT:-3}
BENCHTIME=${BENCHTIME:-200x}
BIGTIME=${BIGTIME:-10x}

raw=$(mktemp "${TMPDIR:-/tmp}/nodekit-bench-worker.XXXXXX")
trap 'rm -f "$raw"' EXIT INT TERM

run() {
	if ! go test -run '^$' -bench "$1" -count="$COUNT" -benchtime="$2" . >>"$raw" 2>&1; then
		cat "$raw"
		echo "report.sh: go test failed" >&2
		exit 1
	fi
}
run 'RoundTrip' "$BENCHTIME"
run 'Spawn|Throughput|DeathToError' "$BIGTIME"
grep -E '^(Benchmark|goos|goarch|cpu|pkg)' "$raw"
echo

awk '
function median(key,    n, i, j, a, t) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n % 2) return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
/^Benchmark/ {
	name = $1
	sub(/^Benchmark/, "", name)
	sub(/-[0-9]+$/, "", name)
	split(name, parts, "/")
	bench = parts[1]; lib = parts[2]
	if (!(bench in seen)) { seen[bench] = 1; order[++n] = bench }
	for (i = 3; i < NF; i += 2) {
		u = $(i + 1)
		if (u ~ /-p50$/) { unit[bench] = u; key = bench SUBSEP lib SUBSEP "p50"; cnt[key]++; val[key, cnt[key]] = $i }
		if (u ~ /-p99$/) { key = bench SUBSEP lib SUBSEP "p99"; cnt[key]++; val[key, cnt[key]] = $i }
		if (u == "MB/s") { key = bench SUBSEP lib SUBSEP "mbs"; cnt[key]++; val[key, cnt[key]] = $i }
	}
}
END {
	printf "Worker processes: median over the runs of each per-operation median (p50) and p99.\n"
	printf "\"go-plugin ÷ nodekit\" > 1: nodekit is faster.\n\n"
	printf "%-20s %-14s %14s %14s %12s %20s\n", "benchmark", "library", "p50", "p99", "MB/s", "go-plugin ÷ nodekit"
	for (k = 1; k <= n; k++) {
		b = order[k]
		for (li = 1; li <= 3; li++) {
			lib = (li == 1) ? "nodekit" : (li == 2) ? "go-plugin" : (b == "Spawn") ? "exec-only" : "raw-socketpair"
			key = b SUBSEP lib SUBSEP "p50"
			if (!(key in cnt)) continue
			p50 = median(key)
			p99 = median(b SUBSEP lib SUBSEP "p99")
			mbs = ((b SUBSEP lib SUBSEP "mbs") in cnt) ? sprintf("%.0f", median(b SUBSEP lib SUBSEP "mbs")) : "-"
			u = unit[b]; sub(/-p50$/, "", u)
			ratio = ""
			if (lib == "go-plugin" && ((b SUBSEP "nodekit" SUBSEP "p50") in cnt)) ratio = sprintf("%.2f", p50 / median(b SUBSEP "nodekit" SUBSEP "p50"))
			if (lib == "exec-only" || lib == "raw-socketpair") ratio = "(floor)"
			printf "%-20s %-14s %11.3f %-2s %11.3f %-2s %12s %20s\n", b, lib, p50, u, p99, u, mbs, ratio
		}
	}
	printf "\nTargets: Spawn ≤ 5 ms, RoundTrip64B ≤ 20 µs (p50), DeathToError ≤ 5 ms.\n"
	nk = "nodekit"
	if (("Spawn" SUBSEP nk SUBSEP "p50") in cnt) { v = median("Spawn" SUBSEP nk SUBSEP "p50"); printf "  Spawn:        %.3f ms → %s\n", v, (v <= 5 ? "met" : "NOT met") }
	if (("RoundTrip64B" SUBSEP nk SUBSEP "p50") in cnt) { v = median("RoundTrip64B" SUBSEP nk SUBSEP "p50"); printf "  RoundTrip64B: %.1f µs → %s\n", v, (v <= 20 ? "met" : "NOT met") }
	if (("DeathToError" SUBSEP nk SUBSEP "p50") in cnt) { v = median("DeathToError" SUBSEP nk SUBSEP "p50"); printf "  DeathToError: %.3f ms → %s\n", v, (v <= 5 ? "met" : "NOT met") }
}' "$raw"
