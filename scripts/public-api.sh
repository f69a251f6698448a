#!/usr/bin/env bash
# Compares the public API of the tether crate (every feature on) with the
# committed listing public-api/tether.txt; with --bless, rewrites the listing
# instead. rustdoc's JSON output is unstable: the check runs it on the stable
# toolchain with RUSTC_BOOTSTRAP set for rustdoc alone (public-api/README.md).
#
# Honours CARGO_TARGET_DIR (default: target/).

set -euo pipefail

cd "$(dirname "$0")/.."

case "${1:-}" in
    --bless) export UPDATE_EXPECT=1 ;;
    "") ;;
    *)
        echo "usage: scripts/public-api.sh [--bless]" >&2
        exit 2
        ;;
esac

target="${CARGO_TARGET_DIR:-target}"
exec cargo test --locked --manifest-path public-api/Cargo.toml \
    --target-dir "$target/public-api" -- --nocapture
