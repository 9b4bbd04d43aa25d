#!/usr/bin/env bash
# Generates the Java and Go bindings for ./bind into build/_gobind and fails if
# gobind silently dropped any member of the facade.
#
# Output (Android flavour, as gomobile would use it):
#   build/_gobind/java/...        dev/nodekit/*.java, go/Seq.java, go/Universe.java, ...
#   build/_gobind/src/gobind/...  package main + *_android.{c,h,go} JNI glue
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

step "gobind -lang=go,java -javapkg=dev ./bind"
# Start from an empty folder so that files of removed facade types don't linger.
rm -rf "$GOBIND_OUT"
mkdir -p "$GOBIND_OUT"
# gobind is pinned by the tool line in go.mod.
go tool gobind -lang=go,java -javapkg=dev -outdir "$GOBIND_OUT" ./bind

# gobind does not fail on unsupported types: it writes a "// skipped ..." comment
# instead of the member (bind/gen*.go). Nothing of the facade may vanish
# silently. The Java files name every dropped member; the Go and C glue repeat
# them, so only their count is shown.
java_pkg_dir="$GOBIND_OUT/java/dev/$(go list -f '{{.Name}}' ./bind)"
skipped_re='^[[:space:]]*//[[:space:]]*skipped[[:space:]]'
if grep -rqE "$skipped_re" "$GOBIND_OUT"; then
	echo "error: gobind dropped facade members (unsupported Go types; see docs/architecture.md, \"The binding\"):" >&2
	grep -rnE "$skipped_re" "$GOBIND_OUT/java" | sed "s|^$GOBIND_OUT/||; s|:[[:space:]]*//[[:space:]]*|: |" | sort -u >&2 || true
	echo "($(grep -rhE "$skipped_re" "$GOBIND_OUT" | wc -l) \"skipped\" comments in build/_gobind in all)" >&2
	exit 1
fi
# ...and it drops exported named types other than structs and interfaces
# without even a comment.
go run "$ROOT/scripts/bindcheck.go" "$ROOT/bind" "$java_pkg_dir" ||
	die "gobind dropped exported types of ./bind (see above)"
