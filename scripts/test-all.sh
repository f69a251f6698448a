#!/usr/bin/env bash
# Runs every test of tether: the Rust workspace (unit, integration and doc tests),
# then the Node tests in tests/js, which drive the built example servers with the
# official JavaScript clients and the chat page in a headless Chromium. Needs Rust
# (cargo) and Node.js (node, npm); installs the npm packages itself from
# tests/js/package-lock.json, and Debian's chromium package (apt-get, through sudo
# when not root) when /usr/bin/chromium is missing. No npm package downloads a
# browser of its own.
#
# Honours CARGO_TARGET_DIR and CHROMIUM (the browser to test with, default
# /usr/bin/chromium). Exits non-zero if any step fails.

set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

step() {
    printf '\n==> %s\n' "$*"
}

for tool in cargo node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "test-all: '$tool' is required but not installed" >&2
        exit 1
    fi
done

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -x "$CHROMIUM" ]; then
    step "apt-get install chromium (for the browser test)"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "test-all: $CHROMIUM is missing, and installing it needs root or sudo" >&2
        exit 1
    fi
    "${as_root[@]}" apt-get update || exit 1
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends chromium || exit 1
    if [ ! -x "$CHROMIUM" ]; then
        echo "test-all: the chromium package did not install $CHROMIUM" >&2
        exit 1
    fi
fi

step "npm ci (tests/js, from package-lock.json)"
(cd tests/js && npm ci --no-audit --no-fund) || exit 1

step "cargo build --workspace --examples"
cargo build --workspace --examples || exit 1

failed=()

step "cargo test --workspace"
cargo test --workspace || failed+=("cargo test")

step "node --test (tests/js)"
shopt -s nullglob
js_tests=(tests/js/test/*.test.mjs)
shopt -u nullglob
if [ "${#js_tests[@]}" -eq 0 ]; then
    echo "test-all: no tests found in tests/js/test" >&2
    failed+=("node --test")
else
    node --test "${js_tests[@]}" || failed+=("node --test")
fi

if [ "${#failed[@]}" -gt 0 ]; then
    printf '\ntest-all: FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf '\ntest-all: every test passed\n'
