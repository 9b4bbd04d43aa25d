#!/usr/bin/env bash
# Checks the Android flavour of the bindings without an Android SDK: the
# generated Java (unpatched go.Seq, real android.content.Context) must compile
# against android.jar (java/android-check/pom.xml). Also runs gobind's
# "skipped" check, via scripts/gobind.sh.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

"$ROOT/scripts/gobind.sh"
find_java_home
step "android-check: javac the generated Java against android.jar (com.google.android:android:4.1.1.4)"
mvn -q -f "$ROOT/java/android-check/pom.xml" compile
echo "android-check: OK ($(find "$GOBIND_OUT/java" -name '*.java' | wc -l) generated Java files compile against android.jar)"
