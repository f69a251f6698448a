#!/usr/bin/env bash
# Runs the official engine.io-protocol and socket.io-protocol test suites (from the
# socketio/socket.io repository) against the `conformance` example, several times in
# a row, and prints `N passed, M failed` per suite.
#
#   scripts/official-suites.sh [SUITES_DIR] [RUNS]
#
# SUITES_DIR (argument or env, required) is a checkout of socketio/socket.io, or any
# folder holding its `docs/` tree; both layouts of the suites are found:
# docs/engine.io-protocol/{v4-test-suite,test-suite} and
# docs/socket.io-protocol/{v5-test-suite,test-suite}. This script downloads no
# suite; it only installs the suites' npm dependencies (mocha, chai, node-fetch,
# ws) from the npm registry, in a temporary copy.
#
# The suites hard-code `http://localhost:3000`. The temporary copy is patched to
# the address of the conformance server, which listens on a free port (so port
# 3000 need not be free).
#
# RUNS (argument or env) is how many times each suite runs, default 20. Honours
# CARGO_TARGET_DIR, PROFILE (cargo profile of the conformance build, default dev;
# `release` for a release build) and KEEP_TMP=1 (keep the temporary folder).
# Exits non-zero if any run failed.

set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

suites_dir="${1:-${SUITES_DIR:-}}"
runs="${2:-${RUNS:-20}}"
profile="${PROFILE:-dev}"

if [ -z "$suites_dir" ] || [ ! -d "$suites_dir" ]; then
    echo "usage: $0 SUITES_DIR [RUNS]   (SUITES_DIR: a checkout of socketio/socket.io)" >&2
    exit 2
fi
for tool in cargo node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "official-suites: '$tool' is required but not installed" >&2
        exit 1
    fi
done

# The first folder of $1 (relative to SUITES_DIR) that holds a test-suite.js.
find_suite() {
    local candidate
    for candidate in "$@"; do
        if [ -f "$suites_dir/$candidate/test-suite.js" ]; then
            echo "$suites_dir/$candidate"
            return 0
        fi
    done
    return 1
}

engine_suite="$(find_suite docs/engine.io-protocol/v4-test-suite docs/engine.io-protocol/test-suite)" || {
    echo "official-suites: no engine.io-protocol test-suite.js under $suites_dir/docs" >&2
    exit 1
}
socket_suite="$(find_suite docs/socket.io-protocol/v5-test-suite docs/socket.io-protocol/test-suite)" || {
    echo "official-suites: no socket.io-protocol test-suite.js under $suites_dir/docs" >&2
    exit 1
}

work="$(mktemp -d "${TMPDIR:-/tmp}/official-suites.XXXXXX")"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    if [ "${KEEP_TMP:-0}" != 1 ]; then
        rm -rf "$work"
    fi
}
trap cleanup EXIT

echo "==> cargo build -p tether-examples --example conformance (profile $profile)"
cargo build --profile "$profile" -p tether-examples --example conformance || exit 1
profile_dir="$profile"
[ "$profile" = dev ] && profile_dir=debug
server_bin="${CARGO_TARGET_DIR:-target}/$profile_dir/examples/conformance"

echo "==> starting the conformance server"
PORT=0 RUST_LOG="${RUST_LOG:-error}" "$server_bin" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
addr=""
for _ in $(seq 200); do
    addr="$(sed -n 's#^listening on http://##p' "$work/server.out" | head -n 1)"
    [ -n "$addr" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "official-suites: the conformance server exited:" >&2
        cat "$work/server.err" >&2
        exit 1
    fi
    sleep 0.05
done
if [ -z "$addr" ]; then
    echo "official-suites: the conformance server did not announce its address" >&2
    exit 1
fi
echo "official-suites: conformance server at http://$addr (pid $server_pid)"

# Copies suite $2 to $work/$1, points it at the server and installs its packages.
prepare() {
    local name="$1" source="$2" copy="$work/$1"
    mkdir -p "$copy"
    cp "$source"/*.js "$source"/package*.json "$copy"/ || return 1
    if ! grep -q 'http://localhost:3000' "$copy/test-suite.js"; then
        echo "official-suites: $name no longer names http://localhost:3000; check its URL" >&2
        return 1
    fi
    sed -i "s#http://localhost:3000#http://$addr#" "$copy/test-suite.js"
    echo "==> npm install ($name)"
    if [ -f "$copy/package-lock.json" ]; then
        (cd "$copy" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    else
        (cd "$copy" && npm install --no-audit --no-fund --loglevel=error) || return 1
    fi
}

prepare engine.io-protocol "$engine_suite" || exit 1
prepare socket.io-protocol "$socket_suite" || exit 1

summary=()
status=0
for name in engine.io-protocol socket.io-protocol; do
    passed=0
    failed=0
    echo "==> $name, $runs runs"
    for run in $(seq "$runs"); do
        log="$work/$name.$run.log"
        if (cd "$work/$name" && node_modules/.bin/mocha test-suite.js) >"$log" 2>&1; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            status=1
            echo "--- $name run $run failed:"
            sed -n '/failing/,$p' "$log" | head -n 40
        fi
    done
    summary+=("$name: $passed passed, $failed failed")
done

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "official-suites: the conformance server died during the runs" >&2
    status=1
fi

echo
printf '%s\n' "${summary[@]}"
exit "$status"
