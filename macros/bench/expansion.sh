#!/usr/bin/env bash
# Measures what #[tether::events] costs at build time: a crate with one contract of
# N events (default 100) is built with and without the attribute, and the build of
# that crate alone (dependencies already built) is timed, best of RUNS (default 3).
#
#   macros/bench/expansion.sh [N] [RUNS]
#
# The crate goes to $CARGO_TARGET_DIR/expansion-bench (default target/expansion-bench).
set -euo pipefail

events=${1:-100}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
work="$target/expansion-bench"
mkdir -p "$work/src"

cat > "$work/Cargo.toml" <<TOML
[package]
name = "expansion-bench"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
tether = { path = "$repo/runtime" }
serde = { version = "1", features = ["derive"] }
schemars = "1"

[workspace]
TOML

signature() {
  local i=$1
  case $((i % 4)) in
    0) args="" ;;
    1) args="room: String" ;;
    2) args="room: String, payload: Payload" ;;
    3) args="room: String, count: u32, flags: Option<Vec<bool>>" ;;
  esac
  if ((i % 6 == 5)); then
    ack=" -> Result<Payload, String>"
    value="Err(String::new())"
  elif ((i % 3 == 2)); then
    ack=" -> Vec<Payload>"
    value="Vec::new()"
  else
    ack=""
    value=""
  fi
}

# One contract: events with 0 to 3 arguments of a few shapes, a third with an
# acknowledgement and a sixth with a fallible one.
contract() {
  local attribute=$1
  cat <<'RUST'
#![allow(dead_code, missing_docs)]
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
pub struct Payload {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub score: Option<f64>,
}
RUST
  echo "/// A contract of $events events."
  echo "$attribute"
  echo "pub trait Big {"
  for ((i = 0; i < events; i++)); do
    signature "$i"
    echo "    /// Event number $i."
    echo "    fn event_$i($args)$ack;"
  done
  echo "}"
}

# A handler of every event, bound to a namespace (so the dispatcher and the
# handler futures are compiled too).
handler() {
  echo "use tether::contract::TypedSocket;"
  echo "pub struct Handler;"
  echo "impl BigHandler for Handler {"
  echo "    type Emits = Big;"
  for ((i = 0; i < events; i++)); do
    signature "$i"
    local params=""
    [[ -n "$args" ]] && params=", ${args//room:/_room:}"
    params=${params//payload:/_payload:}
    params=${params//count:/_count:}
    params=${params//flags:/_flags:}
    echo "    async fn event_$i(&self, _socket: TypedSocket<Big>$params)$ack { $value }"
  done
  echo "}"
  echo "pub fn bind(io: &tether::server::Server) {"
  echo "    io.main().bind::<Big, Big>(Handler);"
  echo "}"
}

build_time() {
  local best=""
  (cd "$work" && cargo build --quiet)
  for ((r = 0; r < runs; r++)); do
    touch "$work/src/lib.rs"
    local start end
    start=$(date +%s.%N)
    (cd "$work" && cargo build --quiet)
    end=$(date +%s.%N)
    local took
    took=$(echo "$end - $start" | bc)
    if [[ -z "$best" ]] || (($(echo "$took < $best" | bc))); then
      best=$took
    fi
  done
  printf '%.2f' "$best"
}

export CARGO_TARGET_DIR="$work/target"

contract "" > "$work/src/lib.rs"
plain=$(build_time)
contract "#[tether::events]" > "$work/src/lib.rs"
expanded=$(build_time)
{ contract "#[tether::events]"; handler; } > "$work/src/lib.rs"
bound=$(build_time)

echo "events: $events (best of $runs debug builds of the contract crate alone)"
printf 'plain trait (no macro):             %6.2f s\n' "$plain"
printf '#[tether::events]:                  %6.2f s\n' "$expanded"
printf '#[tether::events] + handler + bind: %6.2f s\n' "$bound"
