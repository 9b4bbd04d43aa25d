#!/usr/bin/env bash
# Checks the keep rules that nodekit.jar ships (META-INF/proguard/nodekit.pro):
# ProGuard shrinks and obfuscates the consumer app (java/consumer) together
# with nodekit, nodekit-ktx, kotlin-stdlib and kotlinx-coroutines into one
# jar, then both of the app's mains (Java and Kotlin) run from that jar alone.
# Needs the jars of `scripts/build-jvm.sh --test` (make test-java) first.
#
# Output: build/proguard/consumer.jar and build/proguard/mapping.txt.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
find_java_home

consumer="$ROOT/java/consumer/target"
[[ -f "$consumer/consumer.jar" && -f "$consumer/classpath.txt" ]] ||
	die "no java/consumer/target/consumer.jar: run make test-java (scripts/build-jvm.sh --test) first"
out="$BUILD/proguard"
rm -rf "$out"
mkdir -p "$out"

step "resolve ProGuard (java/proguard/pom.xml)"
mvn -q -f "$ROOT/java/proguard/pom.xml" dependency:build-classpath -Dmdep.outputFile="$out/proguard.classpath"

# The app and everything it depends on are program jars.
# Shrinking and obfuscation on (java/proguard/consumer.pro says why not optimization).
injars=("$consumer/consumer.jar")
IFS=: read -ra deps <"$consumer/classpath.txt" || true # no newline at its end
injars+=("${deps[@]}")
args=()
for j in "${injars[@]}"; do
	# The manifests and module descriptors of the dependencies would collide in one jar.
	args+=(-injars "$j(!META-INF/MANIFEST.MF,!META-INF/versions/**,!module-info.class)")
done
# Every jar's own rules, as R8 applies them (META-INF/proguard/*.pro): nodekit's
# are what is checked here; kotlinx-coroutines needs its own too.
mkdir -p "$out/rules"
for j in "${injars[@]}"; do
	for r in $(unzip -Z1 "$j" 'META-INF/proguard/*.pro' 2>/dev/null); do
		unzip -p "$j" "$r" >"$out/rules/$(basename "$j" .jar)-$(basename "$r")"
		args+=(-include "$out/rules/$(basename "$j" .jar)-$(basename "$r")")
	done
done
[[ -f "$out/rules/nodekit-nodekit.pro" ]] || die "nodekit.jar has no META-INF/proguard/nodekit.pro"

# The JDK's java.* modules (java.base, java.logging, java.management, ...) are the library.
jdk=()
for m in "$JAVA_HOME"/jmods/java.*.jmod; do
	jdk+=(-libraryjars "$m(!**.jar;!module-info.class)")
done
[[ ${#jdk[@]} -gt 0 ]] || die "$JAVA_HOME/jmods has no java.*.jmod (a JDK with jmods is needed)"

step "proguard: consumer + nodekit + nodekit-ktx + Kotlin -> build/proguard/consumer.jar"
java -cp "$(cat "$out/proguard.classpath")" proguard.ProGuard \
	"${args[@]}" \
	-outjars "$out/consumer.jar" \
	"${jdk[@]}" \
	-include "$ROOT/java/proguard/consumer.pro" \
	-printmapping "$out/mapping.txt" >"$out/proguard.log" 2>&1 ||
	{ cat "$out/proguard.log" >&2; die "proguard failed"; }

# Obfuscation really happened (else the check proves little), and the shrunk
# jar still carries the native libraries.
grep -q ' -> [a-z]\{1,2\}$' "$out/mapping.txt" || die "proguard renamed nothing (see build/proguard/mapping.txt)"
unzip -Z1 "$out/consumer.jar" 'dev/nodekit/jvm/native/linux-x86_64/libgojni.so' >/dev/null ||
	die "the shrunk jar lost libgojni.so"

for main in consumer.JavaConsumer consumer.KotlinConsumerKt; do
	step "java -cp build/proguard/consumer.jar $main"
	# A hang is a failure too (a wrongly renamed field can leave a coroutine waiting forever).
	timeout 60 java --enable-native-access=ALL-UNNAMED -cp "$out/consumer.jar" "$main" ||
		die "$main failed from the ProGuard output (exit $?)"
done
echo "proguard-check: OK ($(wc -l <"$out/mapping.txt") mapping lines; $(du -k "$out/consumer.jar" | cut -f1) KiB jar)"
