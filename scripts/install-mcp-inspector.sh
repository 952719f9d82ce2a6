#!/usr/bin/env bash
# install-mcp-inspector.sh installs a pinned @modelcontextprotocol/inspector from the
# npm registry into a cache folder, so that parley's MCP server is tested by a real MCP
# client that nobody on the team wrote: TestMCPInspectorCLI (internal/cli/
# mcp_process_test.go) drives it in its --cli mode. Nothing is installed globally and
# nobody's HOME config is touched.
#
# Usage:
#   scripts/install-mcp-inspector.sh               # install (or confirm) the pinned version
#   scripts/install-mcp-inspector.sh --print-bin   # the same, then print only the binary's path
#   export PARLEY_MCP_INSPECTOR="$(scripts/install-mcp-inspector.sh --print-bin)"
#
# Environment:
#   PARLEY_NPM_CACHE_DIR   the cache root (default $HOME/.cache/parley-npm); the
#                          inspector lands in its inspector/ folder, where the test
#                          also looks for it
#   MCP_INSPECTOR_VERSION  override the pin
#
# It is idempotent: when the pinned version is installed and starts, it installs
# nothing. A failed or interrupted install leaves the previous state as it was: the
# new tree is built beside it and moved into place only once it works.
set -euo pipefail

# 0.15.0 is the last release whose package declares no Node.js engine (later ones ask
# for node >= 22.7.5, and the project's machines have node 20). Its own dependency
# ranges are carets, so the MCP SDK it runs on is pinned too (overrides below): the
# test must not change under us when a new SDK is published.
MCP_INSPECTOR_VERSION="${MCP_INSPECTOR_VERSION:-0.15.0}"
MCP_SDK_VERSION="1.13.3"

ROOT="${PARLEY_NPM_CACHE_DIR:-$HOME/.cache/parley-npm}"
DIR="$ROOT/inspector"
BIN="$DIR/node_modules/.bin/mcp-inspector"

print_bin=0
case "${1:-}" in
"") ;;
--print-bin) print_bin=1 ;;
*)
	echo "usage: $0 [--print-bin]" >&2
	exit 2
	;;
esac

# Progress goes to stderr so that --print-bin's stdout is the path alone.
log() { echo "install-mcp-inspector: $*" >&2; }

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		log "$tool is needed (Node.js 20 or later)"
		exit 1
	fi
done

installed_version() {
	local pj="$1/node_modules/@modelcontextprotocol/inspector/package.json"
	[[ -f "$pj" ]] || return 0
	node -e 'process.stdout.write(require(process.argv[1]).version || "")' "$pj" 2>/dev/null || true
}

# works says whether the inspector in $1 is the pinned one and its CLI starts.
works() {
	[[ "$(installed_version "$1")" == "$MCP_INSPECTOR_VERSION" ]] || return 1
	[[ -x "$1/node_modules/.bin/mcp-inspector" ]] || return 1
	node "$1/node_modules/@modelcontextprotocol/inspector-cli/build/cli.js" --help >/dev/null 2>&1
}

if works "$DIR"; then
	log "@modelcontextprotocol/inspector $MCP_INSPECTOR_VERSION is installed in $DIR"
else
	log "installing @modelcontextprotocol/inspector $MCP_INSPECTOR_VERSION into $DIR"
	mkdir -p "$ROOT"
	tmp="$(mktemp -d "$ROOT/.inspector.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	cat >"$tmp/package.json" <<EOF
{
  "name": "parley-mcp-inspector",
  "private": true,
  "description": "written by parley's scripts/install-mcp-inspector.sh",
  "dependencies": {
    "@modelcontextprotocol/inspector": "$MCP_INSPECTOR_VERSION"
  },
  "overrides": {
    "@modelcontextprotocol/sdk": "$MCP_SDK_VERSION"
  }
}
EOF
	# --ignore-scripts: nothing from the registry runs at install time (the
	# inspector's CLI needs no build step; its web UI, not used here, is prebuilt).
	# --cache: npm's download cache stays in ROOT too, not in ~/.npm.
	(cd "$tmp" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error --cache "$ROOT/.npm-cache" >&2)
	if ! works "$tmp"; then
		log "the installed inspector does not start: node $(node --version)"
		exit 1
	fi
	rm -rf "$DIR.old"
	if [[ -e "$DIR" ]]; then mv "$DIR" "$DIR.old"; fi
	mv "$tmp" "$DIR"
	rm -rf "$DIR.old"
	trap - EXIT
	log "installed; the binary is $BIN"
fi

if [[ $print_bin == 1 ]]; then
	echo "$BIN"
fi
