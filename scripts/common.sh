# Shared helpers for the build scripts. Source it; don't run it.
# shellcheck shell=bash

set -euo pipefail

# Repository root (this file lives in <root>/scripts).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"

# Raw gobind output (Android flavour, untouched). The leading "_" keeps the Go
# tool's ./... patterns (go test, go vet) out of it: the generated package main
# only compiles with the JNI flags set by build-jvm.sh.
GOBIND_OUT="$BUILD/_gobind"

die() { echo "error: $*" >&2; exit 1; }
step() { echo "==> $*" >&2; }

# find_java_home sets and exports JAVA_HOME. An explicit JAVA_HOME wins (Maven
# uses it too); otherwise it is derived from the javac on PATH, so that the JNI
# headers we compile against belong to the same JDK that Maven and java run.
find_java_home() {
	if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; then
		:
	else
		local javac
		javac="$(command -v javac || true)"
		[[ -n "$javac" ]] || die "no javac on PATH and JAVA_HOME is not set: install a JDK (17 or newer)"
		JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$javac")")")"
	fi
	[[ -f "$JAVA_HOME/include/jni.h" ]] || die "JAVA_HOME=$JAVA_HOME has no include/jni.h (a JRE, not a JDK?)"
	export JAVA_HOME
	export PATH="$JAVA_HOME/bin:$PATH"
}

# mvn runs Maven in batch mode without colours or download progress. The sed
# drops the stray reset codes (ESC[0m) that Debian's Maven 3.8 prints anyway;
# pipefail keeps Maven's exit status.
mvn() {
	command -v mvn >/dev/null || die "Maven (mvn) is not on PATH: install Maven 3.6.3 or newer"
	command mvn -B -ntp -Dstyle.color=never "$@" 2>&1 | sed -u $'s/\e\\[0m//g'
}
