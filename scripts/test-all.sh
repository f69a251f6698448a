#!/usr/bin/env bash
# Runs every test of tether: the Rust workspace (unit, integration and doc tests),
# rustdoc without warnings, the public API of `tether` against its committed
# listing (scripts/public-api.sh), then the Node tests in tests/js, which drive
# the built example servers with the official JavaScript clients and the chat
# page in a headless Chromium. Needs Rust (cargo) and Node.js (node, npm);
# installs the npm packages itself from tests/js/package-lock.json, and Debian's
# chromium package (apt-get, through sudo when not root) when /usr/bin/chromium
# is missing. No npm package downloads a browser of its own.
#
# The Redis adapter's tests need a Redis: the one at REDIS_URL (default
# redis://127.0.0.1:6379) when it answers a PING; otherwise the script starts a
# redis-server of its own on a free port, points REDIS_URL at it for the tests,
# and stops it on exit. Some tests (outage, TLS, passwords and ACL users, Cluster,
# Sentinel) start redis-server processes of their own and use redis-cli, so the
# script installs Debian's redis-server package (built with TLS; it brings
# redis-tools) whenever the binary is missing, even when a Redis already answers
# at REDIS_URL. The load-balanced deployment test runs Debian's haproxy, installed
# the same way when missing.
#
# Honours CARGO_TARGET_DIR, CHROMIUM (the browser to test with, default
# /usr/bin/chromium) and REDIS_URL. Exits non-zero if any step fails. A snapshot
# (expect-test, trybuild) that differs from the checked-in file always fails here:
# the variables that would accept the new output are cleared.

set -uo pipefail

unset UPDATE_EXPECT TRYBUILD

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

# Installs Debian packages: apt-get, through sudo when not root.
apt_install() {
    local as_root
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "test-all: installing $* needs root or sudo" >&2
        return 1
    fi
    "${as_root[@]}" apt-get update || return 1
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "$@"
}

if [ ! -x "$CHROMIUM" ]; then
    step "apt-get install chromium (for the browser test)"
    apt_install chromium || exit 1
    if [ ! -x "$CHROMIUM" ]; then
        echo "test-all: the chromium package did not install $CHROMIUM" >&2
        exit 1
    fi
fi

# Whether the Redis at URL $1 answers a PING (with redis-cli when there is one,
# else over bash's /dev/tcp; an authentication demand counts as an answer).
redis_answers() {
    local url="$1" authority host port reply
    if command -v redis-cli >/dev/null 2>&1; then
        [ "$(timeout 3 redis-cli -u "$url" ping 2>/dev/null)" = "PONG" ]
        return
    fi
    authority="${url#redis://}"
    authority="${authority##*@}"
    authority="${authority%%/*}"
    host="${authority%:*}"
    port="${authority##*:}"
    [ "$host" = "$authority" ] && port=6379
    reply="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && head -c 7 <&3' \
        "$host" "$port" 2>/dev/null)"
    case "$reply" in
        +PONG* | -NOAUTH*) return 0 ;;
        *) return 1 ;;
    esac
}

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
redis_pid=""
stop_redis() {
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null
        wait "$redis_pid" 2>/dev/null
        redis_pid=""
    fi
}
trap stop_redis EXIT

step "Redis for the adapter tests"
if ! command -v redis-server >/dev/null 2>&1; then
    step "apt-get install redis-server (the Redis adapter tests start their own)"
    apt_install redis-server || exit 1
fi
if redis_answers "$REDIS_URL"; then
    echo "test-all: using the Redis at $REDIS_URL"
else
    echo "test-all: no Redis answers at $REDIS_URL; starting one"
    redis_port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no >/dev/null 2>&1 &
    redis_pid=$!
    export REDIS_URL="redis://127.0.0.1:$redis_port"
    for _ in $(seq 100); do
        redis_answers "$REDIS_URL" && break
        if ! kill -0 "$redis_pid" 2>/dev/null; then
            echo "test-all: redis-server exited at once" >&2
            exit 1
        fi
        sleep 0.1
    done
    if ! redis_answers "$REDIS_URL"; then
        echo "test-all: the redis-server started on port $redis_port does not answer" >&2
        exit 1
    fi
    echo "test-all: started redis-server (pid $redis_pid) at $REDIS_URL"
fi

# The Postgres adapter's tests use the PostgreSQL at DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/test) when it answers, and otherwise start
# their own from Debian's postgresql package, installed here when missing.
if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
    step "apt-get install postgresql (the Postgres adapter tests start their own)"
    apt_install postgresql || exit 1
fi

if ! command -v haproxy >/dev/null 2>&1; then
    step "apt-get install haproxy (the load-balanced deployment test)"
    apt_install haproxy || exit 1
fi

step "npm ci (tests/js, from package-lock.json)"
(cd tests/js && npm ci --no-audit --no-fund) || exit 1

step "cargo build --workspace --bins --examples"
cargo build --workspace --bins --examples || exit 1

failed=()

step "cargo test --workspace"
cargo test --workspace || failed+=("cargo test")

step "cargo doc --no-deps --workspace --all-features (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --all-features || failed+=("cargo doc")

step "public API of tether against public-api/tether.txt"
scripts/public-api.sh || failed+=("public API (refresh with scripts/public-api.sh --bless if meant)")

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
