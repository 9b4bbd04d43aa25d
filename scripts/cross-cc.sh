#!/usr/bin/env bash
# Prints the C cross compiler for linux/GOARCH (arm64 or amd64), installing
# Debian's cross gcc with apt-get if it is missing:
#   arm64 -> aarch64-linux-gnu-gcc (packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
#   amd64 -> x86_64-linux-gnu-gcc  (packages gcc-x86-64-linux-gnu libc6-dev-amd64-cross)
# Exits non-zero with a message on stderr if there is none and none can be
# installed (not Debian/Ubuntu, no root and no sudo, no network).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case "${1:-}" in
arm64) cc=aarch64-linux-gnu-gcc pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
amd64) cc=x86_64-linux-gnu-gcc pkgs=(gcc-x86-64-linux-gnu libc6-dev-amd64-cross) ;;
*) die "usage: $0 arm64|amd64" ;;
esac

# links reports whether cc builds a program against the target's C library.
links() { command -v "$cc" >/dev/null && echo 'int main(void) { return 0; }' | "$cc" -x c - -o /dev/null 2>/dev/null; }

if ! links; then
	pkg="${pkgs[*]}"
	command -v apt-get >/dev/null || die "no $cc and no apt-get to install $pkg"
	sudo=()
	if [[ "$(id -u)" != 0 ]]; then
		command -v sudo >/dev/null || die "no $cc; installing $pkg needs root or sudo"
		sudo=(sudo -n)
	fi
	step "apt-get install $pkg (C cross compiler for linux/$1)" >&2
	# Another apt-get may hold the lock for a while: wait for it, don't fail.
	apt_opts=(-y -q -o DPkg::Lock::Timeout=600)
	{ "${sudo[@]}" apt-get install "${apt_opts[@]}" --no-install-recommends "${pkgs[@]}" ||
		{ "${sudo[@]}" apt-get update -q -o DPkg::Lock::Timeout=600 &&
			"${sudo[@]}" apt-get install "${apt_opts[@]}" --no-install-recommends "${pkgs[@]}"; }; } >&2 ||
		die "could not install $pkg with apt-get"
	links || die "$pkg installed but $cc cannot build a program"
fi
echo "$cc"
