#!/usr/bin/env bash
# The long churn measurement of the JVM bindings: each run is a JVM of its
# own with default settings and no System.gc() (dev.nodekit.jvm.ChurnProbe in
# java/nodekit/src/test), printing RSS, Go's live heap, go.Seq's tracked references,
# threads and fds as it goes. `make test` runs a bounded version (ChurnTest).
#
#   scripts/churn-java.sh            100,000 cycles of Group, of Group with an observer
#                                    and of Processor (sample every 10,000), then
#                                    1,000,000 events through a Java handler (every 100,000)
#   scripts/churn-java.sh MODE N [EVERY]   one run (modes: group observed processor events refs,
#                                          exit N: how fast child JVMs end after main returns,
#                                          held N: what N stopped handles hold while reachable)
#
# The output also goes to build/churn-java.txt.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
find_java_home

[[ -f "$BUILD/jvm/java/go/Seq.java" ]] || "$ROOT/scripts/build-jvm.sh" --native-only
step "mvn test-compile (java/nodekit)"
mvn -q -f "$ROOT/java/pom.xml" -pl nodekit test-compile
cp="$ROOT/java/nodekit/target/classes:$ROOT/java/nodekit/target/test-classes"

probe() {
	step "ChurnProbe $*"
	java --enable-native-access=ALL-UNNAMED -cp "$cp" dev.nodekit.jvm.ChurnProbe "$@"
}

mkdir -p "$BUILD"
if [[ $# -gt 0 ]]; then
	probe "$@" | tee "$BUILD/churn-java.txt"
	exit "${PIPESTATUS[0]}"
fi
{
	probe refs
	probe group 100000 10000
	probe observed 100000 10000
	probe processor 100000 10000
	probe events 1000000 100000
	probe held 20000
	probe exit 3000
} | tee "$BUILD/churn-java.txt"
