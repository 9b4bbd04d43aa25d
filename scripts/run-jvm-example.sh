#!/usr/bin/env bash
# Builds and runs the JVM examples in examples/java or examples/kotlin. They
# are modules of the reactor in java/ and depend on dev.nodekit:nodekit(-ktx)
# by coordinates: this builds the native library if missing, then the example
# together with the jars it depends on (`make demo-java` / `make demo-kotlin`
# always rebuild the native library).
#
#   scripts/run-jvm-example.sh java|kotlin                   ProcessorExample, GroupExample, WorkerExample
#   scripts/run-jvm-example.sh java|kotlin CLASS [ARGS...]   one example, e.g.
#   scripts/run-jvm-example.sh kotlin ProcessorExample /tmp/state 5000   (0: until Ctrl-C)
#   scripts/run-jvm-example.sh java ChatExample --peer tcp://127.0.0.1:7001 --nick bob
#   scripts/run-jvm-example.sh kotlin chat.ChatExample --nick carol      (chat with examples/dchat)
#   scripts/run-jvm-example.sh java WorkerExample                        (crashing workers; also kotlin workers.WorkerExample)
#
# The example's exit status is this script's.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

lang="${1:-}"
case "$lang" in
java | kotlin) shift ;;
*) die "usage: $0 java|kotlin [MainClass [args...]]" ;;
esac
find_java_home

[[ -f "$BUILD/jvm/java/go/Seq.java" ]] || "$ROOT/scripts/build-jvm.sh" --native-only

dir="$ROOT/examples/$lang"
step "mvn package (examples/$lang and the jars it depends on)"
mvn -q -f "$ROOT/java/pom.xml" -pl ":nodekit-examples-$lang" -am package \
	-Dmaven.test.skip=true -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
cp="$dir/target/classes:$(cat "$dir/target/classpath.txt")"

# --enable-native-access: JDK 24+ warns about System.load without it.
run() {
	step "java $*"
	java --enable-native-access=ALL-UNNAMED -cp "$cp" "$@"
}

if [[ $# -gt 0 ]]; then
	cls="$1"
	shift
	exec java --enable-native-access=ALL-UNNAMED -cp "$cp" "$cls" "$@"
fi
run ProcessorExample
echo "(run it again: the counter continues where it stopped)"
run GroupExample
if [[ "$lang" == java ]]; then
	run WorkerExample "$BUILD/jvm/workerhost"
else
	run workers.WorkerExample "$BUILD/jvm/workerhost"
fi
