# shellcheck shell=bash
# Functions for bench/run.sh: building, starting and stopping servers, scenario
# parameters, callgrind runs and the description of the setup. Sourced, not run.

build_bench() {
  log "building the load generator and the Rust peers"
  CARGO_TARGET_DIR="$BENCH_TARGET" cargo build --release --locked \
    --manifest-path "$BENCH/Cargo.toml"
}

# Whether the main workspace has a bench_server example yet.
has_tether_bench() {
  cargo metadata --no-deps --format-version 1 --manifest-path "$REPO/Cargo.toml" 2>/dev/null \
    | grep -q '"name":"bench_server"'
}

# Builds or installs one server; fails (and says why) when it cannot be measured.
prepare_server() {
  case "$1" in
    tether)
      if ! has_tether_bench; then
        log "tether: no bench_server example in the main workspace yet; skipping tether"
        return 1
      fi
      log "building tether's bench_server example"
      if ! (cd "$REPO" && CARGO_TARGET_DIR="$TETHER_TARGET" cargo build --release --example bench_server); then
        log "tether: bench_server failed to build; skipping tether"
        return 1
      fi
      ;;
    socketioxide|raw) ;;
    node)
      if ! command -v node >/dev/null; then
        log "node: Node.js is not installed; skipping node"
        return 1
      fi
      local dir="$BENCH/peers/node"
      if [[ ! -f "$dir/node_modules/.package-lock.json" \
            || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
        log "installing socket.io from bench/peers/node/package-lock.json"
        if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error); then
          log "node: npm ci failed; skipping node"
          return 1
        fi
      fi
      ;;
    *) log "unknown server: $1"; return 1 ;;
  esac
}

# Sets CMD to the command line of a server.
server_cmd() {
  case "$1" in
    tether) CMD=("$TETHER_TARGET/release/examples/bench_server") ;;
    socketioxide) CMD=("$BENCH_TARGET/release/peer-socketioxide") ;;
    raw) CMD=("$BENCH_TARGET/release/peer-raw") ;;
    node) CMD=(node "$BENCH/peers/node/server.js") ;;
  esac
}

# The raw server speaks WebSocket only, sends no heartbeat (so c200k, which
# times pings, has nothing to measure) and has no cluster; socketioxide has no
# Redis Streams adapter (so no recovery across nodes); callgrind measures the
# Rust servers (raw as the floor the Socket.IO servers are compared with).
supports() {
  case "$1:$2" in
    raw:mixed|raw:*-polling|raw:storm-upgrade|raw:cluster*|raw:recovery|raw:c200k|raw:*-msgpack) return 1 ;;
    socketioxide:cluster-streams|socketioxide:recovery) return 1 ;;
    tether:callgrind-*|socketioxide:callgrind-*|raw:callgrind-*) return 0 ;;
    *:callgrind-*) return 1 ;;
    *) return 0 ;;
  esac
}

# start_server NAME PORT [WRAPPER...]: starts a server pinned to the server core and
# waits until it accepts connections.
start_server() {
  local name="$1" port="$2" limit=100
  shift 2
  [[ $# -gt 0 ]] && limit=1200
  server_cmd "$name"
  PORT="$port" THREADS="$THREADS" PARSER="${SERVER_PARSER:-}" taskset -c "$SERVER_CORE" "$@" "${CMD[@]}" \
    >>"$RESULTS/server-$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq "$limit"); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "$name exited during start-up (see server-$name.log)"
      SERVER_PID=""
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  log "$name did not listen on port $port in time"
  stop_server 5
  return 1
}

# stop_server [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace period.
stop_server() {
  local grace="${1:-5}"
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq $((grace * 10))); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# Waits for other work on the machine to stop before a measurement.
quiet() {
  "$LOADGEN" quiet --cores "$SERVER_CORE,$GEN_CORE" --max-wait-secs $((QUICK ? 5 : 30)) \
    || log "cores still busy; this run may be disturbed (it is flagged if so)"
}

# Sets SUBARGS to the load generator arguments of a scenario; a `-msgpack`
# scenario is its JSON twin with every Socket.IO packet in MessagePack.
scenario_args() {
  if [[ "$1" == *-msgpack ]]; then
    scenario_args "${1%-msgpack}" || return 1
    SUBARGS+=(--parser msgpack)
    return 0
  fi
  local fan_rates="25,50,100,200,400,700,1000,1500,2000,3000,4000,6000"
  local room_rates="250,500,1000,2000,4000,7000,10000,15000,20000,30000,40000"
  local poll_rates="5,10,25,50,100,200,400,700,1000,1500,2000"
  local step=(--step-secs 3 --settle-ms 500)
  local clients=15000
  if (( QUICK )); then
    fan_rates="50,200,1000,2000,4000,6000"
    room_rates="500,2000,10000,20000,40000,60000"
    poll_rates="10,50,200,1000,2000"
    step=(--step-secs 1 --settle-ms 300)
    clients=2000
  fi
  case "$1" in
    fanout) SUBARGS=(fanout --clients 1000 --rates "$fan_rates" --ref-rate 50 "${step[@]}") ;;
    cluster|cluster-streams) SUBARGS=(fanout --clients 1000 --rates "$fan_rates" --ref-rate 50 "${step[@]}"
      --fetch-secs "$( ((QUICK)) && echo 1 || echo 3 )") ;;
    rooms) SUBARGS=(fanout --clients 1000 --rooms 10 --rates "$room_rates" --ref-rate 500 "${step[@]}") ;;
    mixed) SUBARGS=(fanout --clients 1000 --polling-percent 5 --rates "$fan_rates" --ref-rate 50 "${step[@]}") ;;
    fanout-polling)
      # Polling latencies run to 100 ms and more: 1 s steps would count the
      # deliveries landing after a step's end as missing throughput.
      local poll_step=("${step[@]}")
      (( QUICK )) && poll_step=(--step-secs 2 --settle-ms 500)
      SUBARGS=(fanout --clients 1000 --polling-percent 100 --rates "$poll_rates" --ref-rate 10 "${poll_step[@]}") ;;
    recovery)
      SUBARGS=(recovery --clients 1000 --rate 100 --limit-secs 30)
      if (( QUICK )); then SUBARGS+=(--before-secs 1 --after-secs 0.5)
      else SUBARGS+=(--before-secs 2 --after-secs 1); fi ;;
    echo)
      if (( QUICK )); then SUBARGS=(echo --warmup-secs 0.5 --secs 2)
      else SUBARGS=(echo --warmup-secs 1 --secs 5); fi
      SUBARGS+=(--clients 100 --inflight 8) ;;
    echo-polling)
      if (( QUICK )); then SUBARGS=(echo --warmup-secs 0.5 --secs 2)
      else SUBARGS=(echo --warmup-secs 1 --secs 5); fi
      SUBARGS+=(--polling --clients 100 --inflight 8) ;;
    c200k)
      SUBARGS=(hold --clients "$C200K_CLIENTS" --hold-secs "$C200K_HOLD_SECS"
        --src-addrs "$(src_addrs_for "$C200K_CLIENTS")" --concurrency 128 --timeout-ms 30000) ;;
    idle)
      if (( QUICK )); then SUBARGS=(idle --clients 2000 --settle-secs 3)
      else SUBARGS=(idle --clients 5000 --settle-secs 10); fi ;;
    storm-websocket) SUBARGS=(storm --clients "$clients" --transport websocket) ;;
    storm-upgrade) SUBARGS=(storm --clients "$clients" --transport upgrade) ;;
    *) return 1 ;;
  esac
}

run_scenario() {
  local scenario="$1" server="$2" round="$3" port="$4"
  scenario_args "$scenario" || { log "unknown scenario $scenario"; return 0; }
  quiet
  SERVER_PARSER=""
  if [[ "$scenario" == *-msgpack ]]; then SERVER_PARSER=msgpack; fi
  start_server "$server" "$port" || { SERVER_PARSER=""; return 0; }
  SERVER_PARSER=""
  log "round $round: $scenario on $server"
  record_round "$scenario" "$server" "$round" --port "$port" --server-pid "$SERVER_PID"
  stop_server
}

# c200k: many idle connections held for a while. The limits were raised once at
# the start (raise_limits); the generator may take up to 15 minutes beyond the
# hold, and a server that cannot keep up is recorded, not fatal.
run_c200k() {
  local server="$1" round="$2" port="$3"
  scenario_args c200k
  quiet
  start_server "$server" "$port" || return 0
  log "round $round: c200k on $server ($C200K_CLIENTS connections, held ${C200K_HOLD_SECS} s)"
  LOADGEN_LIMIT=$((900 + C200K_HOLD_SECS)) record_round c200k "$server" "$round" \
    --port "$port" --server-pid "$SERVER_PID"
  if [[ -n "$SERVER_PID" ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "c200k: $server exited during the run (see server-$server.log)"
  fi
  stop_server 10
}

# Source addresses (127.0.0.1..N) for N connections: each address gets at most
# 70 % of the ephemeral port range, and at least 32 addresses are used.
src_addrs_for() {
  local low high per
  read -r low high </proc/sys/net/ipv4/ip_local_port_range
  per=$(( (high - low + 1) * 7 / 10 ))
  local n=$(( ($1 + per - 1) / per ))
  (( n < 32 )) && n=32
  (( n > 250 )) && n=250
  echo "$n"
}

SYSCTL_RESTORE=()

# raise_sysctl KEY MIN: raises a numeric kernel setting to MIN when it is lower
# (as root), and remembers the old value for restore_limits.
raise_sysctl() {
  local key="$1" want="$2" file="/proc/sys/${1//.//}" current
  [[ -r "$file" ]] || return 0
  current="$(awk '{ print $1 }' "$file")"
  (( current >= want )) && return 0
  if [[ $EUID -eq 0 ]] && sysctl -qw "$key=$want"; then
    SYSCTL_RESTORE+=("$key=$current")
    log "set $key=$want (was $current; restored at exit)"
  else
    log "warning: $key is $current, below the $want this run needs (needs root)"
  fi
}

# raise_limits CONNECTIONS: the limits CONNECTIONS idle connections need, for the
# server and the generator alike (each holds one descriptor per connection):
# open files (ulimit -n, and fs.nr_open / fs.file-max above it), the accept
# backlog, conntrack entries where netfilter tracks loopback, and TCP memory
# (pressure threshold at one page per connection). The ephemeral port range is
# left as it is: the generator spreads over enough source addresses instead.
raise_limits() {
  local conns="$1" files=$(( $1 + 16384 ))
  (( files >= 65536 )) || files=65536
  raise_sysctl fs.nr_open "$files"
  raise_sysctl fs.file-max $(( 2 * files + 65536 ))
  if ! ulimit -n "$files" 2>/dev/null; then
    # Without CAP_SYS_RESOURCE the hard limit stays; measure what fits under it.
    local hard
    hard="$(ulimit -Hn)"
    ulimit -n "$hard" 2>/dev/null || true
    if [[ "$hard" != unlimited ]] && (( hard - 1000 < conns )); then
      C200K_CLIENTS=$(( (hard - 1000) / 1000 * 1000 ))
      C200K_CAPPED="$conns"
      log "warning: cannot raise the open-file limit to $files (hard limit $hard, no CAP_SYS_RESOURCE); c200k runs $C200K_CLIENTS connections instead of $conns"
      conns="$C200K_CLIENTS"
    fi
  fi
  raise_sysctl net.core.somaxconn 4096
  raise_sysctl net.ipv4.tcp_max_syn_backlog 4096
  raise_sysctl net.netfilter.nf_conntrack_max $(( 2 * conns + 65536 ))
  local low mid high
  read -r low mid high </proc/sys/net/ipv4/tcp_mem
  if (( low < conns )); then
    if [[ $EUID -eq 0 ]] && sysctl -qw net.ipv4.tcp_mem="$conns $(( conns * 3 / 2 )) $(( conns * 2 ))"; then
      SYSCTL_RESTORE+=("net.ipv4.tcp_mem=$low $mid $high")
      log "set net.ipv4.tcp_mem=$conns $(( conns * 3 / 2 )) $(( conns * 2 )) (was $low $mid $high; restored at exit)"
    else
      log "warning: net.ipv4.tcp_mem ($low $mid $high) may put TCP under memory pressure"
    fi
  fi
  log "limits for c200k: open files $(ulimit -n), $(src_addrs_for "$conns") source addresses, ports $(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range)"
}

# Puts back the kernel settings raise_limits changed.
restore_limits() {
  local setting
  for setting in "${SYSCTL_RESTORE[@]}"; do
    sysctl -qw "$setting" || log "could not restore $setting"
  done
  SYSCTL_RESTORE=()
}

# The first free TCP port on 127.0.0.1 from $1 on.
free_port() {
  local port="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

# start_redis PORT: a redis-server of the run's own, without persistence, pinned to
# the server core; sets REDIS_PID once it answers.
start_redis() {
  local port="$1"
  taskset -c "$SERVER_CORE" redis-server --port "$port" --bind 127.0.0.1 --save "" \
    --appendonly no --protected-mode no >>"$RESULTS/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 100); do
    kill -0 "$REDIS_PID" 2>/dev/null || break
    if [[ "$(redis-cli -p "$port" ping 2>/dev/null)" == PONG ]]; then return 0; fi
    sleep 0.1
  done
  log "redis-server did not answer on port $port (see redis.log)"
  stop_redis
  return 1
}

stop_redis() {
  [[ -n "$REDIS_PID" ]] || return 0
  kill -TERM "$REDIS_PID" 2>/dev/null || true
  wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=""
}

# start_cluster SCENARIO SERVER ROUND PORT: a Redis of the run's own and two nodes
# of the server on it, all three on the server core. `cluster` uses each server's
# Redis pub/sub adapter; `cluster-streams` and `recovery` the Redis Streams
# adapter (TETHER_ADAPTER for tether, ADAPTER for Node), `recovery` with connection
# state recovery on (RECOVERY=1). Sets FIRST_PID, SERVER_PID (the second node),
# REDIS_PID and SECOND_PORT; on failure stops what it started.
start_cluster() {
  local scenario="$1" server="$2" round="$3" port="$4"
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "redis-server is not installed; skipping $scenario on $server"
    return 1
  fi
  local redis_port
  redis_port="$(free_port $((port + 400)))"
  start_redis "$redis_port" || return 1
  local url="redis://127.0.0.1:$redis_port" prefix="bench-$server-r$round"
  local adapter="" recovery=""
  [[ "$scenario" == cluster ]] || adapter=redis-streams
  [[ "$scenario" != recovery ]] || recovery=1
  if ! REDIS_URL="$url" REDIS_PREFIX="$prefix" TETHER_ADAPTER="$adapter" ADAPTER="$adapter" \
      RECOVERY="$recovery" start_server "$server" "$port"; then
    stop_redis
    return 1
  fi
  FIRST_PID="$SERVER_PID"
  SECOND_PORT="$(free_port $((port + 200)))"
  if ! REDIS_URL="$url" REDIS_PREFIX="$prefix" TETHER_ADAPTER="$adapter" ADAPTER="$adapter" \
      RECOVERY="$recovery" start_server "$server" "$SECOND_PORT"; then
    SERVER_PID="$FIRST_PID"; FIRST_PID=""
    stop_server
    stop_redis
    return 1
  fi
  log "round $round: $scenario on $server (ports $port and $SECOND_PORT, redis $redis_port)"
}

# Stops both nodes of a cluster (the second may have stopped already) and Redis.
stop_cluster() {
  stop_server
  SERVER_PID="$FIRST_PID"; FIRST_PID=""
  stop_server
  stop_redis
}

# The clients alternate between the two nodes, the publisher and the fetching
# client on the first.
run_cluster() {
  local scenario="$1" server="$2" round="$3" port="$4"
  scenario_args "$scenario"
  quiet
  start_cluster "$scenario" "$server" "$round" "$port" || return 0
  record_round "$scenario" "$server" "$round" --port "$port" --second-port "$SECOND_PORT" \
    --server-pid "$FIRST_PID" --extra-pids "$SERVER_PID,$REDIS_PID"
  stop_cluster
}

# The clients alternate between the two nodes, the publisher on the first; the
# load generator stops the second node with SIGTERM and times its clients' return.
run_recovery() {
  local server="$1" round="$2" port="$3"
  scenario_args recovery
  quiet
  start_cluster recovery "$server" "$round" "$port" || return 0
  record_round recovery "$server" "$round" --port "$port" --second-port "$SECOND_PORT" \
    --stop-pid "$SERVER_PID" --signal TERM --server-pid "$FIRST_PID" --extra-pids "$REDIS_PID"
  stop_cluster
}

# Runs the load generator pinned to its core, at most LOADGEN_LIMIT seconds (15
# minutes unless set). It runs in the background so that the script's signal
# traps fire at once.
# One round of SCENARIO against SERVER: the load generator with the scenario's
# SUBARGS and the given arguments, its report in $RESULTS/SCENARIO-SERVER-rROUND.json;
# a failure is logged, not fatal.
record_round() {
  local scenario="$1" server="$2" round="$3"
  shift 3
  if ! run_loadgen "${SUBARGS[@]}" "$@" --label "$server" --scenario "$scenario" \
      --round "$round" --out "$RESULTS/$scenario-$server-r$round.json"; then
    log "$scenario on $server failed (see loadgen.log)"
  fi
}

run_loadgen() {
  timeout "${LOADGEN_LIMIT:-900}" taskset -c "$GEN_CORE" "$LOADGEN" "$@" 2>>"$RESULTS/loadgen.log" &
  LOADGEN_PID=$!
  local status=0
  wait "$LOADGEN_PID" || status=$?
  LOADGEN_PID=""
  return "$status"
}

# Instructions per unit of work: the server runs under callgrind twice, once idle and
# once loaded with the same clients for the same time; the difference is divided by
# the work done. Only the Rust servers: callgrind cannot follow Node's JIT usefully.
run_callgrind() {
  local scenario="$1" server="$2" round="$3" port="$4"
  if ! command -v valgrind >/dev/null; then
    log "valgrind is not installed; skipping $scenario"
    return 0
  fi
  local kind="${scenario#callgrind-}" secs=$(( QUICK ? 4 : 10 ))
  local mode rate
  for mode in idle load; do
    local out="$RESULTS/cg-$kind-$server-r$round-$mode"
    if [[ "$kind" == fanout ]]; then
      rate=$([[ $mode == load ]] && echo 50 || echo 0)
      SUBARGS=(fanout --clients 200 --rates "$rate" --ref-rate "$rate" --step-secs "$secs"
        --settle-ms 2000 --no-stop --drain-secs 20)
    elif [[ "$kind" == echo-saturated ]]; then
      # Closed loop: every client keeps 8 echoes in flight, so reads and writes
      # batch as they do at full load; idle clients send nothing.
      SUBARGS=(echo --clients 20 --inflight 8 --warmup-secs 0 --secs "$secs")
      [[ $mode == load ]] || SUBARGS+=(--rate 0)
    elif [[ "$kind" == echo-polling ]]; then
      # Polling clients run the closed loop only; idle ones keep a GET pending.
      SUBARGS=(echo --polling --clients 20 --inflight 4 --warmup-secs 0 --secs "$secs")
      [[ $mode == load ]] || SUBARGS+=(--rate 0)
    else
      rate=$([[ $mode == load ]] && echo 400 || echo 0)
      SUBARGS=(echo --clients 20 --rate "$rate" --warmup-secs 0 --secs "$secs")
    fi
    quiet
    start_server "$server" "$port" valgrind --tool=callgrind --callgrind-out-file="$out.out" \
      || return 0
    log "round $round: callgrind $kind ($mode) on $server"
    run_loadgen "${SUBARGS[@]}" --port "$port" --label "$server" --scenario "$scenario" \
      --out "$out.part" || log "callgrind $kind ($mode) on $server failed (see loadgen.log)"
    stop_server 120
  done
  local base="$RESULTS/cg-$kind-$server-r$round"
  "$LOADGEN" callgrind --load-json "$base-load.part" --idle-json "$base-idle.part" \
    --load-out "$base-load.out" --idle-out "$base-idle.out" --label "$server" \
    --scenario "$scenario" --round "$round" --out "$RESULTS/$scenario-$server-r$round.json" \
    2>>"$RESULTS/loadgen.log" || log "no callgrind result for $kind on $server (see loadgen.log)"
}

lock_version() {
  awk -v name="$2" '$0 == "name = \"" name "\"" { getline; gsub(/"/, "", $3); print $3; exit }' "$1"
}

write_meta() {
  local cpu mem
  cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  mem="$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
  {
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "command=bench/run.sh ${ARGS[*]}"
    echo "mode=$( ((QUICK)) && echo quick || echo full ), $ROUNDS round(s); servers $ACTIVE; scenarios $SCENARIOS"
    echo "machine=${cpu:-unknown CPU}, $(nproc) cores, ${mem} GiB RAM, Linux $(uname -r)"
    echo "pinning=server on core $SERVER_CORE and load generator on core $GEN_CORE (taskset); $THREADS worker thread(s) per server${TOKIO_SCHEDULER:+, tokio $TOKIO_SCHEDULER-thread scheduler}"
    echo "load average at start=$(cut -d' ' -f1-3 /proc/loadavg)"
    local group
    group="$(cat /proc/$$/autogroup 2>/dev/null || true)"
    if [[ -n "$group" && "$group" != *" nice 0" ]]; then
      echo "scheduling=the run's session in its own autogroup at ${group#* }, above other sessions (nice 0)"
    fi
    echo "rustc=$(rustc -V)"
    if has "$ACTIVE" node; then
      local nm="$BENCH/peers/node/node_modules"
      echo "node=$(node -v); socket.io $(node -p "require('$nm/socket.io/package.json').version"), ws $(node -p "require('$nm/ws/package.json').version"), bufferutil $(node -p "require('$nm/bufferutil/package.json').version")"
    fi
    echo "socketioxide=$(lock_version "$BENCH/Cargo.lock" socketioxide) (engineioxide $(lock_version "$BENCH/Cargo.lock" engineioxide))"
    echo "tokio-tungstenite (raw peer)=$(lock_version "$BENCH/Cargo.lock" tokio-tungstenite)"
    if has "$ACTIVE" tether; then
      local dirty=""
      git -C "$REPO" diff --quiet HEAD 2>/dev/null || dirty=" (with local changes)"
      echo "tether=$(git -C "$REPO" rev-parse --short HEAD)$dirty"
    fi
    if has "$SCENARIOS" cluster; then
      echo "redis=$(redis-server --version 2>/dev/null | awk '{ print $3 }'); socketioxide-redis $(lock_version "$BENCH/Cargo.lock" socketioxide-redis) (redis-rs $(lock_version "$BENCH/Cargo.lock" redis))"
      if has "$ACTIVE" node; then
        local nm="$BENCH/peers/node/node_modules"
        echo "node cluster=@socket.io/redis-adapter $(node -p "require('$nm/@socket.io/redis-adapter/package.json').version"), redis (node-redis) $(node -p "require('$nm/redis/package.json').version")"
      fi
    fi
    if has "$SCENARIOS" cluster-streams || has "$SCENARIOS" recovery; then
      echo "redis streams=redis $(redis-server --version 2>/dev/null | awk '{ print $3 }'); tether TETHER_ADAPTER=redis-streams; recovery: connection state recovery on both nodes (defaults), the second node stopped with SIGTERM, its clients reconnecting to the first at once"
      if has "$ACTIVE" node; then
        local nm="$BENCH/peers/node/node_modules"
        echo "node streams=@socket.io/redis-streams-adapter $(node -p "require('$nm/@socket.io/redis-streams-adapter/package.json').version"), redis (node-redis) $(node -p "require('$nm/redis/package.json').version")"
      fi
    fi
    if has "$SCENARIOS" c200k; then
      echo "c200k=$C200K_CLIENTS connections held ${C200K_HOLD_SECS} s${C200K_CAPPED:+ (capped from $C200K_CAPPED by the open-file hard limit $(ulimit -Hn))}; open files $(ulimit -n); $(src_addrs_for "$C200K_CLIENTS") source addresses${SYSCTL_RESTORE[*]:+; kernel settings raised for the run (old values: ${SYSCTL_RESTORE[*]})}"
    fi
    if [[ ",$SCENARIOS," == *",callgrind-"* ]]; then
      echo "valgrind=$(valgrind --version 2>/dev/null || echo missing)"
    fi
    echo "results=${RESULTS#"$REPO"/}"
  } >"$1"
}
