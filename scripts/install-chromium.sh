#!/usr/bin/env bash
# install-chromium.sh installs Debian's Chromium so that the HTML report's browser
# test (internal/report/browser_test.go) runs: it opens the report in headless
# Chromium and checks for console errors, network requests and overflow on a phone.
# Without Chromium that test skips, so CI runs this first.
#
# Usage:
#   scripts/install-chromium.sh            # install (or confirm) Chromium
#   scripts/install-chromium.sh --fonts    # also CJK fonts, for screenshots whose
#                                          # Korean/Japanese/Chinese text is legible
#
# It is idempotent: when Chromium is already there it only prints where. It needs
# root (or sudo) and apt-get; the last line of output is the binary's path, which
# PARLEY_CHROMIUM may be set to.
set -euo pipefail

fonts=0
case "${1:-}" in
	"") ;;
	--fonts) fonts=1 ;;
	*) echo "usage: $0 [--fonts]" >&2; exit 2 ;;
esac

find_chromium() {
	for name in chromium chromium-browser google-chrome google-chrome-stable; do
		if command -v "$name" >/dev/null 2>&1; then
			command -v "$name"
			return 0
		fi
	done
	return 1
}

packages=()
if ! find_chromium >/dev/null; then
	packages+=(chromium)
fi
if [[ $fonts == 1 ]] && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
	packages+=(fonts-noto-cjk)
fi

if [[ ${#packages[@]} -gt 0 ]]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "install-chromium.sh: no apt-get here; install Chromium with this system's package manager" >&2
		exit 1
	fi
	sudo=()
	if [[ $(id -u) != 0 ]]; then
		sudo=(sudo)
	fi
	echo "Installing ${packages[*]} (apt-get)" >&2
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq >&2
	"${sudo[@]}" apt-get install -y -qq "${packages[@]}" >&2
fi

bin=$(find_chromium) || { echo "install-chromium.sh: Chromium is still not on PATH" >&2; exit 1; }
"$bin" --version 2>/dev/null | grep -v '^\[' >&2 || true
echo "$bin"
