#!/usr/bin/env bash
# Builds the load generator and every server, runs the scenarios against each
# server in interleaved rounds (server pinned to one core, generator to another,
# one worker thread each), and writes BENCHMARKS.md plus the raw results.
# See bench/README.md for the method.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$BENCH")"
BENCH_TARGET="${CARGO_TARGET_DIR:-$BENCH/target}"
TETHER_TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
LOADGEN="$BENCH_TARGET/release/loadgen"
SERVER_CORE="${SERVER_CORE:-0}"
GEN_CORE="${GEN_CORE:-1}"
PORT_BASE="${PORT_BASE:-3700}"
TIMED_SCENARIOS="fanout,rooms,mixed,fanout-polling,cluster,cluster-streams,recovery,echo,echo-polling,fanout-msgpack,echo-msgpack,idle,storm-websocket,storm-upgrade"
CALLGRIND_SCENARIOS="callgrind-fanout,callgrind-echo,callgrind-echo-saturated,callgrind-echo-polling"

usage() {
  cat <<'EOF'
Usage: bench/run.sh [options]

  --quick              short smoke run: one round, short steps, fewer clients
  --rounds N           interleaved rounds per scenario and server (default 5, quick 1)
  --servers LIST       comma-separated subset of tether,socketioxide,node,raw
  --scenarios LIST     comma-separated subset of
                       fanout,rooms,mixed,fanout-polling,cluster,cluster-streams,
                       recovery,echo,echo-polling,fanout-msgpack,echo-msgpack,idle,
                       storm-websocket,storm-upgrade,callgrind-fanout,callgrind-echo,
                       callgrind-echo-saturated,callgrind-echo-polling, or the opt-in c200k
                       (not in the default list)
  --c200k-clients N    connections of c200k (default 200000, quick 20000)
  --c200k-hold-secs S  how long c200k holds them (default 300, quick 60)
  --callgrind          also count instructions under callgrind (the Rust servers)
  --callgrind-only     only the callgrind scenarios
  --threads N          worker threads per server (default 1)
  --current-thread     Rust servers on tokio's current-thread scheduler (TOKIO_SCHEDULER=current)
  --out FILE           markdown report (default: BENCHMARKS.md at the repository root)
  --report-only DIR    rebuild the report from an earlier results directory
  --merge              keep the results of bench/results.json for the scenarios not run
                       now (and its setup beside this run's) in the report and the JSON
  -h, --help           this help

Environment: CARGO_TARGET_DIR (shared by both workspaces when set), SERVER_CORE (0),
GEN_CORE (1), PORT_BASE (3700).
EOF
}

QUICK=0
ROUNDS=""
SERVERS="tether,socketioxide,node,raw"
SCENARIOS="$TIMED_SCENARIOS"
THREADS=1
OUT_MD="$REPO/BENCHMARKS.md"
REPORT_ONLY=""
MERGE=()
C200K_CLIENTS=""
C200K_HOLD_SECS=""
C200K_CAPPED=""
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --servers) SERVERS="$2"; shift ;;
    --scenarios) SCENARIOS="$2"; shift ;;
    --callgrind) SCENARIOS="$SCENARIOS,$CALLGRIND_SCENARIOS" ;;
    --callgrind-only) SCENARIOS="$CALLGRIND_SCENARIOS" ;;
    --c200k-clients) C200K_CLIENTS="$2"; shift ;;
    --c200k-hold-secs) C200K_HOLD_SECS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --current-thread) export TOKIO_SCHEDULER=current ;;
    --out) OUT_MD="$2"; shift ;;
    --report-only) REPORT_ONLY="$2"; shift ;;
    --merge) MERGE=(--merge "$BENCH/results.json") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
[[ -n "$ROUNDS" ]] || ROUNDS=$(( QUICK ? 1 : 5 ))
[[ -n "$C200K_CLIENTS" ]] || C200K_CLIENTS=$(( QUICK ? 20000 : 200000 ))
[[ -n "$C200K_HOLD_SECS" ]] || C200K_HOLD_SECS=$(( QUICK ? 60 : 300 ))

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
has() { [[ ",$1," == *",$2,"* ]]; }

SERVER_PID=""
FIRST_PID=""
REDIS_PID=""
LOADGEN_PID=""
cleanup() {
  if [[ -n "$LOADGEN_PID" ]]; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null || true
  fi
  local pid
  for pid in "$SERVER_PID" "$FIRST_PID" "$REDIS_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      sleep 1
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if declare -F restore_limits >/dev/null; then restore_limits; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH/lib.sh"

report() {
  local dir="$1"
  "$LOADGEN" report --results "$dir" --meta "$dir/meta.txt" --out "$OUT_MD" \
    --json-out "$BENCH/results.json" "${MERGE[@]}"
  log "wrote $OUT_MD and bench/results.json"
}

if [[ -n "$REPORT_ONLY" ]]; then
  [[ -x "$LOADGEN" ]] || build_bench
  report "$REPORT_ONLY"
  exit 0
fi

if has "$SCENARIOS" c200k; then
  raise_limits "$C200K_CLIENTS"
else
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
RESULTS="$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"
log "results in ${RESULTS#"$REPO"/}"

build_bench
ACTIVE=""
for server in ${SERVERS//,/ }; do
  if prepare_server "$server"; then ACTIVE="$ACTIVE,$server"; fi
done
ACTIVE="${ACTIVE#,}"
[[ -n "$ACTIVE" ]] || { log "no server to measure"; exit 1; }
write_meta "$RESULTS/meta.txt"

run=0
for round in $(seq 1 "$ROUNDS"); do
  for scenario in ${SCENARIOS//,/ }; do
    # Rotate the server order each round so no server always goes first.
    read -r -a order <<<"${ACTIVE//,/ }"
    shift_by=$(( (round - 1) % ${#order[@]} ))
    order=("${order[@]:shift_by}" "${order[@]:0:shift_by}")
    for server in "${order[@]}"; do
      if ! supports "$server" "$scenario"; then continue; fi
      run=$((run + 1))
      # The first free port from the run's slot on: another benchmark run or a
      # service of the machine may hold the slot's own.
      port="$(free_port $((PORT_BASE + run % 200)))"
      if [[ "$scenario" == cluster || "$scenario" == cluster-streams ]]; then
        run_cluster "$scenario" "$server" "$round" "$port"
      elif [[ "$scenario" == recovery ]]; then
        run_recovery "$server" "$round" "$port"
      elif [[ "$scenario" == c200k ]]; then
        run_c200k "$server" "$round" "$port"
      elif [[ "$scenario" == callgrind-* ]]; then
        run_callgrind "$scenario" "$server" "$round" "$port"
      else
        run_scenario "$scenario" "$server" "$round" "$port"
      fi
    done
  done
done

report "$RESULTS"
