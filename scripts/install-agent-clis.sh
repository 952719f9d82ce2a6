#!/usr/bin/env bash
# install-agent-clis.sh installs pinned versions of the three agent CLIs parley can
# debate through (Claude Code, Codex, Gemini CLI) from the npm registry into a cache
# folder, so that the agent-CLI provider's tests run the real programs against the
# project's fake server. Nothing is installed globally and nobody's HOME or CLI
# config is touched: the CLIs only land in $PARLEY_CLI_DIR/node_modules.
#
# Usage:
#   scripts/install-agent-clis.sh            # install (or confirm) the pinned versions
#   eval "$(scripts/install-agent-clis.sh --env)"   # also export PARLEY_AGENT_CLI_DIR
#
# Environment:
#   PARLEY_CLI_DIR      where to install (default ${XDG_CACHE_HOME:-$HOME/.cache}/parley-agent-clis)
#   CLAUDE_CODE_VERSION, CODEX_VERSION, GEMINI_CLI_VERSION   override a pin
#
# It is idempotent: when every pinned version is already installed and runs, it
# only prints where the binaries are. The last line of output (or the only line,
# with --env) is the .bin folder to put in PARLEY_AGENT_CLI_DIR or on PATH.
set -euo pipefail

# The versions whose behaviour shared/reference/agent-clis.md records. Claude Code
# 2.1.197 declares node >= 18 (2.1.332 asks for node 22; both ship a native binary).
CLAUDE_CODE_VERSION="${CLAUDE_CODE_VERSION:-2.1.197}"
CODEX_VERSION="${CODEX_VERSION:-0.171.0}"
GEMINI_CLI_VERSION="${GEMINI_CLI_VERSION:-0.61.0}"

DIR="${PARLEY_CLI_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/parley-agent-clis}"
BIN="$DIR/node_modules/.bin"

env_mode=0
if [[ "${1:-}" == "--env" ]]; then
	env_mode=1
elif [[ $# -gt 0 ]]; then
	echo "usage: $0 [--env]" >&2
	exit 2
fi

log() { if [[ $env_mode == 0 ]]; then echo "$@"; else echo "$@" >&2; fi; }

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-agent-clis: $tool is needed (Node.js 20 or later)" >&2
		exit 1
	fi
done

# The version checks run the CLIs with a throwaway HOME: they must not need (or
# touch) the real one.
probe_home="$(mktemp -d)"
trap 'rm -rf "$probe_home"' EXIT

# installed_version PKG prints the version of PKG under DIR, or nothing.
installed_version() {
	local pj="$DIR/node_modules/$1/package.json"
	[[ -f "$pj" ]] || return 0
	node -e 'process.stdout.write(require(process.argv[1]).version || "")' "$pj" 2>/dev/null || true
}

# up_to_date says whether every pin is installed and each binary starts.
up_to_date() {
	[[ "$(installed_version @anthropic-ai/claude-code)" == "$CLAUDE_CODE_VERSION" ]] || return 1
	[[ "$(installed_version @openai/codex)" == "$CODEX_VERSION" ]] || return 1
	[[ "$(installed_version @google/gemini-cli)" == "$GEMINI_CLI_VERSION" ]] || return 1
	local b
	for b in claude codex gemini; do
		# --version must not need a login, a network or a writable HOME.
		HOME="$probe_home" "$BIN/$b" --version >/dev/null 2>&1 || return 1
	done
}

if up_to_date; then
	log "install-agent-clis: pinned versions already in $DIR"
else
	log "install-agent-clis: installing into $DIR"
	mkdir -p "$DIR"
	# A package.json of its own keeps npm from walking up into an unrelated project.
	[[ -f "$DIR/package.json" ]] || echo '{"name":"parley-agent-clis","private":true}' >"$DIR/package.json"
	# Optional dependencies must stay on: Codex and Claude Code ship their native
	# binaries as per-platform optional packages. Audit and fund checks only add
	# network calls and noise.
	npm install --prefix "$DIR" --no-audit --no-fund --save-exact --loglevel=error \
		"@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" \
		"@openai/codex@$CODEX_VERSION" \
		"@google/gemini-cli@$GEMINI_CLI_VERSION" >&2
	if ! up_to_date; then
		echo "install-agent-clis: installed, but a CLI does not start; try: $BIN/claude --version, $BIN/codex --version, $BIN/gemini --version" >&2
		exit 1
	fi
fi

for b in claude codex gemini; do
	log "  $b $(HOME="$probe_home" "$BIN/$b" --version 2>/dev/null | head -n1)"
done
if [[ $env_mode == 1 ]]; then
	echo "export PARLEY_AGENT_CLI_DIR='$BIN'"
else
	echo "$BIN"
fi
