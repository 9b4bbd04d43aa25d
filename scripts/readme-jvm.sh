#!/usr/bin/env bash
# Every ```java and ```kotlin block of README.md is a whole program that
# compiles and runs as written. java/readme (a module of the JVM reactor, so
# `make test` builds it) calls this script twice:
#
#   scripts/readme-jvm.sh extract OUT    before compiling: each ```java block to
#                                        OUT/java/<its public class>.java, each
#                                        ```kotlin block to OUT/kotlin/ReadmeLine<N>.kt
#                                        (N: the line of its opening fence), and
#                                        OUT/mains.txt: "<line> <main class>" per block
#   scripts/readme-jvm.sh run OUT CLASSPATH
#                                        after compiling: runs each main in a JVM of
#                                        its own, in README order; any non-zero exit
#                                        (or 3 minutes) fails, naming the README line
#
# Each program gets one argument, the worker executable the JVM build makes
# (build/jvm/workerhost), which the worker examples start.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

README="$ROOT/README.md"

extract() {
	local out="$1"
	rm -rf "$out"
	mkdir -p "$out/java" "$out/kotlin"
	# One file per block; awk names it and records the block's line and main.
	awk -v out="$out" '
		function fail(msg) { printf "README.md:%d: %s\n", start, msg > "/dev/stderr"; bad = 1; exit 1 }
		!lang && /^```(java|kotlin)[ \t]*$/ { lang = substr($0, 4); sub(/[ \t]+$/, "", lang); start = NR; code = ""; next }
		lang && /^```[ \t]*$/ {
			if (lang == "java") {
				if (!match(code, /public (final |abstract )?class [A-Za-z_][A-Za-z0-9_]*/))
					fail("a ```java block is a whole program: a public class with a main method")
				cls = substr(code, RSTART, RLENGTH); sub(/.* /, "", cls)
				if (code !~ /public static void main\(/) fail("class " cls " has no public static void main")
				if (seen[cls]++) fail("a second public class " cls " (each java block needs its own name)")
				file = out "/java/" cls ".java"; main = cls
			} else {
				if (code !~ /(^|\n)fun main\(/) fail("a ```kotlin block is a whole program: a top-level fun main")
				file = out "/kotlin/ReadmeLine" start ".kt"; main = "ReadmeLine" start "Kt"
			}
			printf "%s", code > file; close(file)
			print start, main >> (out "/mains.txt")
			lang = ""; next
		}
		lang { code = code $0 "\n" }
		END { if (!bad && lang) { printf "README.md:%d: unclosed ```%s block\n", start, lang > "/dev/stderr"; exit 1 } }
	' "$README"
	[[ -s "$out/mains.txt" ]] || die "README.md has no java or kotlin block"
	step "README.md: $(wc -l <"$out/mains.txt") java/kotlin blocks extracted to $out"
}

run() {
	local out="$1" cp="$2" line main log
	local workerhost="$BUILD/jvm/workerhost"
	[[ -x "$workerhost" ]] || die "$workerhost is missing: scripts/build-jvm.sh builds it"
	find_java_home
	while read -r line main; do
		step "README.md:$line: java $main"
		log="$out/$main.log"
		if ! timeout 180 java --enable-native-access=ALL-UNNAMED -cp "$cp" "$main" "$workerhost" >"$log" 2>&1; then
			cat "$log" >&2
			die "README.md:$line: $main failed (its output is above)"
		fi
		sed 's/^/    /' "$log" >&2
	done <"$out/mains.txt"
}

case "${1:-}" in
extract) [[ $# == 2 ]] || die "usage: $0 extract OUT"; extract "$2" ;;
run) [[ $# == 3 ]] || die "usage: $0 run OUT CLASSPATH"; run "$2" "$3" ;;
*) die "usage: $0 extract OUT | run OUT CLASSPATH" ;;
esac
