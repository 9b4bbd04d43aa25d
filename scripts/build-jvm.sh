#!/usr/bin/env bash
# Builds the desktop-JVM flavour of the bindings: libgojni.so for this machine
# plus the patched Java sources, then the Maven project in java/.
#
#   scripts/build-jvm.sh               native lib + jar (tests skipped) -> build/nodekit.jar
#   scripts/build-jvm.sh --test        native lib + the whole reactor in java/ (mvn verify): jars,
#                                      Java/Kotlin tests, examples compiled, consumer run
#   scripts/build-jvm.sh --install     native lib + mvn install: dev.nodekit:nodekit and
#                                      dev.nodekit:nodekit-ktx (+ sources, Javadoc) in ~/.m2
#   scripts/build-jvm.sh --native-only native lib + Java sources, no Maven
#
# gobind writes its glue for Android only; the steps below (each commented, and
# summed up in docs/architecture.md, "The binding") make it build for a desktop
# JVM. Outputs:
#   build/_jni/                 Go package main (renamed *_android.* files) -> libgojni.so
#   build/jvm/java/             generated Java, Seq.java patched to use NativeLoader
#   build/jvm/resources/        libgojni.so at dev/nodekit/jvm/native/linux-x86_64/ and linux-aarch64/
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

mode=jar
case "${1:-}" in
"") ;;
--test) mode=test ;;
--install) mode=install ;;
--native-only) mode=native ;;
*) die "usage: $0 [--test|--install|--native-only]" ;;
esac

"$ROOT/scripts/gobind.sh"
find_java_home

# --- Go/C side ---------------------------------------------------------------
# The package must live inside this module so that its imports
# (nodekit.dev/nodekit/bind, golang.org/x/mobile/bind/seq) resolve against our
# go.mod and go.sum; "_jni" starts with "_" so ./... patterns skip it.
JNI="$BUILD/_jni"
rm -rf "$JNI"
mkdir -p "$JNI"

# Files named *_android.* only build for GOOS=android: copy them as *_jvm.*.
for f in "$GOBIND_OUT"/src/gobind/*; do
	name="$(basename "$f")"
	cp "$f" "$JNI/${name/_android./_jvm.}"
done
(
	cd "$JNI"
	# ...and point the #includes at the renamed headers.
	sed -i 's/_android\.h"/_jvm.h"/' ./*.c ./*.h ./*.go
	# No liblog on the desktop: scripts/jvm-shim/android/log.h logs to stderr.
	sed -i '/#cgo LDFLAGS: -llog/d' ./*.go
	# Go threads that call into Java must attach as daemon threads, or the JVM
	# never exits after main returns (the attach lasts as long as the OS thread).
	sed -i 's/->AttachCurrentThread(/->AttachCurrentThreadAsDaemon(/g' seq_jvm.c
	# ...and must leave it before it ends, or it waits 300 ms for them
	# (NativeLoader's shutdown hook; see release_threads.go.in).
	# ...counting the threads it attached.
	sed -i 's/^static pthread_key_t jnienvs;$/&\nstatic int nodekit_attached; \/\/ Go threads attached by go_seq_get_thread_env/' seq_jvm.c
	sed -i 's/^\t\tpthread_setspecific(jnienvs, env);$/&\n\t\t__atomic_add_fetch(\&nodekit_attached, 1, __ATOMIC_SEQ_CST);/' seq_jvm.c
	sed -i 's/^static void env_destructor(void \*env) {$/&\n\t__atomic_sub_fetch(\&nodekit_attached, 1, __ATOMIC_SEQ_CST);/' seq_jvm.c
	cat "$ROOT/scripts/jvm-shim/seq_detach.c.in" >>seq_jvm.c
	# A Java exception becomes a Go error whose message gobind reads with
	# getMessage(): "disk full", or "" for a null message. toString() keeps
	# the class: "java.io.IOException: disk full", "java.lang.IllegalStateException".
	sed -i 's/"getMessage", "()Ljava\/lang\/String;"/"toString", "()Ljava\/lang\/String;"/' universe_jvm.c
	cp "$ROOT/scripts/jvm-shim/release_threads.go.in" release_threads_jvm.go
)
# Fail loudly if a gobind update changed what the edits above rely on.
grep -q 'AttachCurrentThreadAsDaemon(' "$JNI/seq_jvm.c" || die "seq_jvm.c: AttachCurrentThread call not found (gobind changed?)"
! grep -q 'AttachCurrentThread(' "$JNI/seq_jvm.c" || die "seq_jvm.c: a non-daemon AttachCurrentThread call is left"
grep -q '"toString", "()Ljava/lang/String;"' "$JNI/universe_jvm.c" || die "universe_jvm.c: Throwable.getMessage lookup not found (gobind changed?)"
grep -q '^static pthread_key_t jnienvs;' "$JNI/seq_jvm.c" || die "seq_jvm.c: no static jnienvs key for nodekit_detach_current_thread (gobind changed?)"
[[ "$(grep -c '_fetch(&nodekit_attached, 1' "$JNI/seq_jvm.c")" == 3 ]] || die "seq_jvm.c: attach/detach counting not inserted (gobind changed?)"
! grep -qE '_android\.h"|-llog' "$JNI"/* || die "build/_jni: Android-only include or -llog left (gobind changed?)"

# Java's name for this platform, as NativeLoader computes it.
goos="$(go env GOOS)"
case "$(go env GOARCH)" in
amd64) arch=x86_64 ;;
arm64) arch=aarch64 ;;
*) arch="$(go env GOARCH)" ;;
esac
[[ "$goos" == linux ]] || die "the JVM build supports linux only (GOOS=$goos)"
rm -rf "$BUILD/jvm"
mkdir -p "$BUILD/jvm/native"

cc="$(go env CC)"
command -v "${cc%% *}" >/dev/null || die "no C compiler ($cc) on PATH: install gcc"

# -D__GOBIND_ANDROID__ selects the JNI half of seq.h (seq.go sets it only for
# GOOS=android). Android's jni.h types AttachCurrentThread's env as JNIEnv**,
# OpenJDK's as void**: cgo's -Werror would turn that warning into an error.
# jni.h and jni_md.h are the same for every Linux architecture.
CFLAGS="-O2 -g -D__GOBIND_ANDROID__ -I$JAVA_HOME/include -I$JAVA_HOME/include/linux -I$ROOT/scripts/jvm-shim -Wno-incompatible-pointer-types"
# build_native GOARCH JAVA_ARCH CC: libgojni.so into the jar's resources.
build_native() {
	local out="$BUILD/jvm/native/$2"
	mkdir -p "$out" "$BUILD/jvm/resources/dev/nodekit/jvm/native/$goos-$2"
	CGO_ENABLED=1 GOARCH="$1" CC="$3" CGO_CFLAGS="$CFLAGS" \
		go build -buildmode=c-shared -trimpath -ldflags='-s -w' -o "$out/libgojni.so" ./build/_jni
	# Only the .so goes into the jar (c-shared also writes a libgojni.h).
	cp "$out/libgojni.so" "$BUILD/jvm/resources/dev/nodekit/jvm/native/$goos-$2/"
}

step "go build -buildmode=c-shared -> libgojni.so ($goos-$arch, JNI headers of $JAVA_HOME)"
build_native "$(go env GOARCH)" "$arch" "$cc"
cp "$BUILD/jvm/native/$arch/libgojni.so" "$BUILD/jvm/native/libgojni.so"

# The worker executable the Java and Kotlin tests start (examples/workerhost),
# built like libgojni.so so that both report the same worker.BuildID.
step "go build -> build/jvm/workerhost (examples/workerhost, $goos-$arch)"
go build -trimpath -ldflags='-s -w' -o "$BUILD/jvm/workerhost" ./examples/workerhost

# The jar carries the other 64-bit Linux architecture too, cross-compiled with
# Debian's cross gcc (scripts/cross-cc.sh installs it with apt-get if missing).
# No cross compiler is an error, unless NODEKIT_HOST_ONLY=1: then the jar has
# this machine's library only and says so loudly.
case "$arch" in
x86_64) other=(arm64 aarch64) ;;
aarch64) other=(amd64 x86_64) ;;
*) other=() ;;
esac
if [[ ${#other[@]} -gt 0 && "${NODEKIT_HOST_ONLY:-}" == 1 ]]; then
	echo "WARNING: NODEKIT_HOST_ONLY=1: the jar has no linux-${other[1]} library and fails to load there" >&2
elif [[ ${#other[@]} -gt 0 ]]; then
	xcc="$("$ROOT/scripts/cross-cc.sh" "${other[0]}")" ||
		die "no C cross compiler for linux-${other[1]} (see above); set NODEKIT_HOST_ONLY=1 to build a jar for $goos-$arch only"
	step "go build -buildmode=c-shared -> libgojni.so ($goos-${other[1]}, cross-compiled with $xcc)"
	build_native "${other[0]}" "${other[1]}" "$xcc"
	# ELF e_machine (offset 18, little-endian): 183 AArch64, 62 x86-64.
	machine="$(od -An -t u2 -j 18 -N 2 "$BUILD/jvm/native/${other[1]}/libgojni.so" | tr -d ' ')"
	want=183
	[[ "${other[1]}" == x86_64 ]] && want=62
	[[ "$machine" == "$want" ]] || die "linux-${other[1]} libgojni.so has ELF machine $machine, want $want"
fi

# --- Java side ---------------------------------------------------------------
# The JVM copy of go.Seq must load libgojni.so from the jar (NativeLoader)
# instead of System.loadLibrary("gojni") from java.library.path.
mkdir -p "$BUILD/jvm/java"
cp -R "$GOBIND_OUT/java/." "$BUILD/jvm/java/"
SEQ="$BUILD/jvm/java/go/Seq.java"
n="$(grep -c 'System.loadLibrary("gojni");' "$SEQ" || true)"
[[ "$n" == 1 ]] || die "go/Seq.java: expected one System.loadLibrary(\"gojni\") call, found $n (gobind changed?)"
sed -i 's/System\.loadLibrary("gojni");/dev.nodekit.jvm.NativeLoader.load();/' "$SEQ"

# Two one-line edits give the generated API Java's idioms (java/README.md):
# errors from Go arrive as go.Universe$proxyerror, a package-private class;
# it becomes a dev.nodekit.NodekitException (public, unchecked, with the kind).
# And the facade's Closer (Processor, Group) becomes AutoCloseable, for
# try-with-resources.
patch_once() { # file, sed expression, what it must change
	local before
	before="$(cksum <"$1")"
	sed -i "$2" "$1"
	[[ "$(cksum <"$1")" != "$before" ]] || die "$1: $3 not found (gobind changed?)"
}
patch_once "$BUILD/jvm/java/go/Universe.java" \
	's/class proxyerror extends Exception implements/class proxyerror extends dev.nodekit.NodekitException implements/' \
	"'class proxyerror extends Exception'"
patch_once "$BUILD/jvm/java/dev/nodekit/Closer.java" \
	's/^public interface Closer {/public interface Closer extends AutoCloseable {/' \
	"'public interface Closer {'"

[[ "$mode" == native ]] && exit 0

# --- Maven ------------------------------------------------------------------
case "$mode" in
test)
	step "mvn verify (java/: jars, Java and Kotlin tests, examples, consumer)"
	# Not -q: Surefire's test summary should show in the log.
	mvn -f "$ROOT/java/pom.xml" verify
	;;
install)
	step "mvn install (java/: dev.nodekit:nodekit and dev.nodekit:nodekit-ktx, tests skipped)"
	mvn -q -f "$ROOT/java/pom.xml" install -Dmaven.test.skip=true
	;;
*)
	step "mvn package (java/nodekit, tests not built)"
	mvn -q -f "$ROOT/java/pom.xml" -pl nodekit package -Dmaven.test.skip=true -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
	;;
esac
cp "$ROOT/java/nodekit/target/nodekit.jar" "$BUILD/nodekit.jar"
step "built build/nodekit.jar"
