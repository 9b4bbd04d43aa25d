#!/usr/bin/env bash
# Runs the JMH benchmarks of the JVM bindings (java/bench, the "bench" profile
# of the reactor in java/: built together with the jars it measures; the
# native library is built first if missing, `make jar` rebuilds it).
#
#   scripts/bench-java.sh                    every benchmark, settings for a 2-core box
#   scripts/bench-java.sh EventsBench        only the benchmarks matching a regexp
#   scripts/bench-java.sh -i 5 -r 5s CallBench   any JMH option; it replaces the default of the same name
#   scripts/bench-java.sh -h                 JMH's help
#
# Default JMH settings: one fork, 2 warm-up iterations of 1 s, 3 measured
# iterations of 2 s (about 2 minutes for everything). Set JMH_OPTS to replace
# them. JMH's table comes first, then a summary with the baselines, ratios and
# the targets of docs/architecture.md; raw results go to build/bench-java.json.
#
# Benchmarks measure the machine as it is: run them on an otherwise idle box.
# At the end the script says how much CPU other processes took meanwhile (a
# warning from 5% on).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
find_java_home

[[ -f "$BUILD/jvm/java/go/Seq.java" ]] || "$ROOT/scripts/build-jvm.sh" --native-only

step "mvn package (java/bench and the jars it measures -> java/bench/target/benchmarks.jar)"
mvn -q -f "$ROOT/java/pom.xml" -Pbench -pl bench -am package \
	-Dmaven.test.skip=true -Dmaven.javadoc.skip=true -Dmaven.source.skip=true

# CPU time of the whole machine (/proc/stat, all CPUs: user nice system idle
# iowait irq softirq steal) and of this script's children (fields 16-17 of
# /proc/self/stat: java and, through it, the JMH forks), in clock ticks.
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
own_busy() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
busy0="$(machine_busy)" own0="$(own_busy)" t0="$(date +%s)"

# The defaults, less every option also given on the command line (JMH refuses
# an option given twice). JMH_OPTS replaces them as they are.
defaults=(-f 1 -wi 2 -i 3 -w 1s -r 2s)
opts=()
if [[ -n "${JMH_OPTS:-}" ]]; then
	# shellcheck disable=SC2206 # JMH_OPTS is a list of words on purpose
	opts=(${JMH_OPTS})
else
	for ((k = 0; k < ${#defaults[@]}; k += 2)); do
		given=false
		for arg in "$@"; do
			[[ "$arg" == "${defaults[k]}" ]] && given=true
		done
		"$given" || opts+=("${defaults[k]}" "${defaults[k + 1]}")
	done
fi
step "java dev.nodekit.bench.Main ${opts[*]} $*"
status=0
java -cp "$ROOT/java/bench/target/benchmarks.jar" dev.nodekit.bench.Main \
	"${opts[@]}" \
	-jvmArgsAppend --enable-native-access=ALL-UNNAMED \
	-rf json -rff "$BUILD/bench-java.json" \
	"$@" || status=$?

# Say so when other processes competed for the CPU during the run.
other="$(( $(machine_busy) - busy0 - ($(own_busy) - own0) ))"
elapsed="$(( $(date +%s) - t0 ))"
if (( elapsed > 0 )); then
	pct="$(( 100 * other / ($(getconf CLK_TCK) * elapsed * $(nproc)) ))"
	(( pct >= 0 )) || pct=0 # the children's ticks are counted when they exit, a few ticks late or early
	if (( pct >= 5 )); then
		echo "warning: other processes (or the hypervisor) took ${pct}% of the machine's CPU during the run: the figures are low" >&2
	else
		echo "(other processes took ${pct}% of the machine's CPU during the run)"
	fi
fi
exit "$status"
