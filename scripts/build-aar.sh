#!/usr/bin/env bash
# Builds build/nodekit.aar with gomobile when an Android SDK and NDK are present.
# Without them it fails with one line saying what is missing: an AAR is never
# faked. `make android-check` covers what can be checked without them.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

# SDK: gomobile reads ANDROID_HOME (default ~/Android/Sdk); accept ANDROID_SDK_ROOT too.
sdk="${ANDROID_HOME:-${ANDROID_SDK_ROOT:-$HOME/Android/Sdk}}"
if [[ ! -d "$sdk" ]]; then
	sdk=""
fi
# NDK: ANDROID_NDK_HOME, or side by side in the SDK (ndk/<version>, ndk-bundle).
ndk="${ANDROID_NDK_HOME:-}"
if [[ -z "$ndk" && -n "$sdk" ]]; then
	for d in "$sdk"/ndk/* "$sdk/ndk-bundle"; do
		if [[ -d "$d" ]]; then
			ndk="$d" # only to know there is one: gomobile picks the newest that fits
		fi
	done
fi
if [[ -n "$ndk" && ! -d "$ndk" ]]; then
	ndk=""
fi
platform_jar=""
if [[ -n "$sdk" ]]; then
	platform_jar="$(ls "$sdk"/platforms/android-*/android.jar 2>/dev/null | head -1 || true)"
fi

hint='`make android-check` verifies the generated Java against android.jar'
if [[ -z "$sdk" && -z "$ndk" ]]; then
	die "make aar: no Android SDK (set ANDROID_HOME) and no NDK (set ANDROID_NDK_HOME): cannot build the AAR here; $hint"
elif [[ -z "$sdk" ]]; then
	die "make aar: no Android SDK (set ANDROID_HOME): cannot build the AAR here; $hint"
elif [[ -z "$ndk" ]]; then
	die "make aar: no Android NDK (set ANDROID_NDK_HOME, or install one under \$ANDROID_HOME/ndk): cannot build the AAR here; $hint"
elif [[ -z "$platform_jar" ]]; then
	die "make aar: Android SDK at $sdk has no platforms/android-*/android.jar (install a platform with sdkmanager): cannot build the AAR here; $hint"
fi
export ANDROID_HOME="$sdk"
# GOMOBILE_FLAGS: extra gomobile flags, e.g. -n (print only) or -target=android/arm64.

# The same "skipped" check as the JVM build, before spending minutes on 4 ABIs.
"$ROOT/scripts/gobind.sh"
find_java_home

# gomobile bind runs the gobind binary from PATH: build the version go.mod pins.
mkdir -p "$BUILD/bin"
go build -o "$BUILD/bin/gobind" golang.org/x/mobile/cmd/gobind
export PATH="$BUILD/bin:$PATH"

step "gomobile bind -target=android -androidapi 21 -javapkg=dev -o build/nodekit.aar ./bind"
# -s -w: smaller .so files. max-page-size: 16 KB pages (Android 15+), needed
# before NDK r28 made it the default.
go tool gomobile bind -target=android -androidapi 21 -javapkg=dev \
	-ldflags='-s -w -extldflags=-Wl,-z,max-page-size=16384' \
	-o "$BUILD/nodekit.aar" ${GOMOBILE_FLAGS:-} ./bind
if [[ -f "$BUILD/nodekit.aar" ]]; then step "built build/nodekit.aar"; fi
