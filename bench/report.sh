#!/bin/sh
# report.sh runs the side-by-side lifecycle benchmarks and prints, first, the
# targets of docs/architecture.md as ratios to errgroup measured in the same
# run (BenchmarkLifecycle, 10 and 1,000 services; the median of the rounds'
# ratios, and their range) with met / not met, then,
# for each library, the median µs/service over the runs and its ratio to
# nodekit.
#
# Usage (from the repository root, as `make bench` does):
#   cd bench && ./report.sh
# Environment:
#   COUNT=5          rounds of BenchmarkLifecycle, and -count of the others
#   BENCH=.          benchmark regexp (-bench) for the other libraries
#   BENCHTIME=1s     -benchtime for the other libraries
#   LIFECYCLE_BENCHTIME=3000x
#                    -benchtime of BenchmarkLifecycle (the targets); a 10-service
#                    run takes tens of µs, so it needs many iterations to be stable
#   GOTEST_FLAGS=    extra flags for go test (e.g. -tags nodekit)
# The raw `go test` output is printed first; it is benchstat input as is.
set -eu
cd "$(dirname "$0")"

COUNT=${COUNT:-5}
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-1s}
LIFECYCLE_BENCHTIME=${LIFECYCLE_BENCHTIME:-3000x}

raw=$(mktemp "${TMPDIR:-/tmp}/nodekit-bench.XXXXXX")
trap 'rm -f "$raw"' EXIT INT TERM

fail() {
	cat "$raw"
	echo "report.sh: go test failed" >&2
	exit 1
}
# BenchmarkLifecycle once per round, COUNT rounds: errgroup and nodekit
# alternate, so that a change in the machine's load hits both alike (-count
# would run each sub-benchmark COUNT times in a row).
: >"$raw"
i=0
while [ "$i" -lt "$COUNT" ]; do
	# shellcheck disable=SC2086 # GOTEST_FLAGS is a list of flags.
	go test -run '^$' -bench '^BenchmarkLifecycle$' -benchmem -count=1 \
		-benchtime="$LIFECYCLE_BENCHTIME" ${GOTEST_FLAGS:-} . >>"$raw" 2>&1 || fail
	i=$((i + 1))
done
# shellcheck disable=SC2086 # GOTEST_FLAGS is a list of flags.
go test -run '^$' -bench "$BENCH" -skip '^BenchmarkLifecycle$' -benchmem -count="$COUNT" \
	-benchtime="$BENCHTIME" ${GOTEST_FLAGS:-} . >>"$raw" 2>&1 || fail
cat "$raw"
echo

awk -v count="$COUNT" '
function median(key,    n, i, j, a, t) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) {            # insertion sort, n is small
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n % 2) return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function minmax(key,    i, lo, hi) {
	lo = hi = val[key, 1]
	for (i = 2; i <= cnt[key]; i++) {
		if (val[key, i] < lo) lo = val[key, i]
		if (val[key, i] > hi) hi = val[key, i]
	}
	return sprintf("%.2f-%.2f", lo, hi)
}
function add(key, v) { cnt[key]++; val[key, cnt[key]] = v }
# roundratios fills r[1..] with key ÷ base of each round (the i-th value of
# each comes from the same go test run), sets rlo and rhi, and returns the
# median: a ratio of values measured seconds apart, so that drift in the speed
# of the machine between rounds cancels out.
function roundratios(key, base,    n, i, j, t, r) {
	n = (cnt[key] < cnt[base]) ? cnt[key] : cnt[base]
	for (i = 1; i <= n; i++) r[i] = (val[base, i] > 0) ? val[key, i] / val[base, i] : 0
	for (i = 2; i <= n; i++) {
		t = r[i]
		for (j = i - 1; j >= 1 && r[j] > t; j--) r[j + 1] = r[j]
		r[j + 1] = t
	}
	rlo = r[1]; rhi = r[n]
	if (n % 2) return r[(n + 1) / 2]
	return (r[n / 2] + r[n / 2 + 1]) / 2
}
function label(name) {
	if (name == "Nodekit/observer") return "nodekit Group, observer"
	if (name == "Nodekit/no-observer") return "nodekit Group, no observer"
	if (name == "Nodekit/observer-prebuilt") return "nodekit Start+Stop, observer"
	if (name == "Errgroup") return "errgroup"
	if (name == "OklogRun") return "oklog/run"
	if (name == "Suture") return "suture v4"
	if (name == "FxStartStop") return "fx Start+Stop"
	if (name == "FxNewStartStop") return "fx New+Start+Stop"
	return name
}
/^Benchmark/ {
	name = $1
	sub(/^Benchmark/, "", name)
	sub(/-[0-9]+$/, "", name)             # GOMAXPROCS suffix
	if (!(name in seen)) { seen[name] = 1; order[++nnames] = name }
	for (i = 3; i < NF; i += 2) {
		if ($(i + 1) == "µs/service") add(name SUBSEP "us", $i)
		if ($(i + 1) == "allocs/op") add(name SUBSEP "allocs", $i)
		if ($(i + 1) == "B/op") add(name SUBSEP "bytes", $i)
	}
}
END {
	printf "Lifecycle targets: nodekit ÷ errgroup in the same run (round), median and range over %s rounds;\n", count
	printf "µs are medians (ReadyFunc services; absolute µs differ from machine to machine).\n\n"
	printf "%-10s %-22s %12s %12s %10s %12s %8s %12s  %s\n", "services", "nodekit", "us/service", "errgroup us", "ratio", "range", "target", "allocs/svc", "verdict"
	printf "%-10s %-22s %12s %12s %10s %12s %8s %12s  %s\n", "--------", "-------", "----------", "-----------", "-----", "-----", "------", "----------", "-------"
	split("10 1000", ns, " ")
	checked = 0
	for (k = 1; k <= 2; k++) {
		n = ns[k]
		base = "Lifecycle/n=" n "/errgroup"
		if (!((base SUBSEP "us") in cnt)) continue
		eg = median(base SUBSEP "us")
		for (v = 1; v <= 2; v++) {
			variant = (v == 1) ? "nodekit" : "nodekit-observer"
			target = (v == 1) ? 2 : 3
			key = "Lifecycle/n=" n "/" variant
			if (!((key SUBSEP "us") in cnt)) continue
			us = median(key SUBSEP "us")
			ratio = roundratios(key SUBSEP "us", base SUBSEP "us")
			allocs = ((key SUBSEP "allocs") in cnt) ? sprintf("%.1f", median(key SUBSEP "allocs") / n) : "-"
			verdict = (ratio <= target) ? "met" : "NOT met"
			printf "%-10s %-22s %12.3f %12.3f %9.2fx %12s %7s %12s  %s\n", n, (v == 1 ? "no observer" : "one observer"), us, eg, ratio, sprintf("%.2f-%.2f", rlo, rhi), "<= " target "x", allocs, verdict
			checked++
		}
	}
	if (!checked) printf "(BenchmarkLifecycle not in this run: no targets checked)\n"
	printf "\n"
	# The floor (floor_test.go): the same ordering with nothing else, same run.
	for (k = 1; k <= 2; k++) {
		n = ns[k]
		base = "Lifecycle/n=" n "/errgroup"
		if (!((base SUBSEP "us") in cnt)) continue
		eg = median(base SUBSEP "us")
		for (v = 1; v <= 2; v++) {
			key = "Lifecycle/n=" n "/" ((v == 1) ? "floor" : "floor-observer")
			nk = "Lifecycle/n=" n "/" ((v == 1) ? "nodekit" : "nodekit-observer")
			if (!((key SUBSEP "us") in cnt)) continue
			us = median(key SUBSEP "us")
			if (!floorhdr) {
				printf "Floor: the same ordering contract and nothing else (bench/floor_test.go), same run.\n\n"
				printf "%-10s %-22s %12s %10s %16s\n", "services", "floor", "us/service", "x errgroup", "nodekit x floor"
				printf "%-10s %-22s %12s %10s %16s\n", "--------", "-----", "----------", "----------", "---------------"
				floorhdr = 1
			}
			nkr = ((nk SUBSEP "us") in cnt && us > 0) ? sprintf("%.2fx", median(nk SUBSEP "us") / us) : "-"
			printf "%-10s %-22s %12.3f %9.2fx %16s\n", n, (v == 1 ? "no observer" : "one observer"), us, (eg > 0 ? us / eg : 0), nkr
		}
	}
	if (floorhdr) printf "\n"

	ref = "Nodekit/observer"
	hasref = ((ref SUBSEP "us") in cnt)
	if (hasref) refus = median(ref SUBSEP "us")
	printf "Other libraries: start N=1000 no-op services, wait until all run, stop all, wait until all exited.\n"
	printf "Median of %s runs (us = µs). \"x nodekit\" = library ÷ nodekit with observer: < 1 is cheaper than nodekit, > 1 dearer.\n\n", count
	printf "%-28s %12s %14s %14s %12s %12s\n", "library", "us/service", "min-max", "allocs/svc", "B/svc", "x nodekit"
	printf "%-28s %12s %14s %14s %12s %12s\n", "-------", "----------", "-------", "----------", "-----", "---------"
	# nodekit first, then the others in run order.
	for (pass = 1; pass <= 2; pass++) {
		for (k = 1; k <= nnames; k++) {
			name = order[k]
			if (name ~ /^Lifecycle/) continue
			isnk = (name ~ /^Nodekit/)
			if ((pass == 1) != isnk) continue
			if (!((name SUBSEP "us") in cnt)) continue
			us = median(name SUBSEP "us")
			allocs = ((name SUBSEP "allocs") in cnt) ? sprintf("%.1f", median(name SUBSEP "allocs") / 1000) : "-"
			bytes = ((name SUBSEP "bytes") in cnt) ? sprintf("%.0f", median(name SUBSEP "bytes") / 1000) : "-"
			ratio = (hasref && refus > 0) ? sprintf("%.2f", us / refus) : "n/a"
			printf "%-28s %12.3f %14s %14s %12s %12s\n", label(name), us, minmax(name SUBSEP "us"), allocs, bytes, ratio
		}
	}
}' "$raw"
