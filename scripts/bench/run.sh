#!/usr/bin/env bash
# `make bench`: measures the gateway against a direct call and against Portkey's gateway, the analytics pipeline
# against the broker alone, thousands of concurrent streams, and the history API on a large table; prints one table
# and writes it into docs/benchmarks.md. Everything runs on this machine against one local mock upstream, in fresh
# databases and vhosts that are dropped on exit, also when a step fails or the run is interrupted.
# Settings (environment): see docs/benchmarks.md; BENCH_QUICK=1 runs a short version for trying it out.
set -euo pipefail
cd "$(dirname "$0")/../.."

# ---------------------------------------------------------------------------------------------------------- settings
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  mode=quick
  default_duration=5s default_warmup=5s default_warmup_max=15s default_settle=2s default_events=5000
  default_streams=500 default_chunks=10 default_interval=200ms default_rows=200000
else
  mode=default
  default_duration=30s default_warmup=30s default_warmup_max=180s default_settle=10s default_events=50000
  default_streams=5000 default_chunks=20 default_interval=500ms default_rows=10000000
fi
DURATION=${BENCH_DURATION:-$default_duration}
WARMUP=${BENCH_WARMUP:-$default_warmup}
WARMUP_MAX=${BENCH_WARMUP_MAX:-$default_warmup_max}
SETTLE=${BENCH_SETTLE:-$default_settle}
CONCURRENCY=${BENCH_CONCURRENCY:-1 16 64}
EVENTS=${BENCH_EVENTS:-$default_events}
STREAMS=${BENCH_STREAMS:-$default_streams}
STREAM_CHUNKS=${BENCH_STREAM_CHUNKS:-$default_chunks}
STREAM_INTERVAL=${BENCH_STREAM_INTERVAL:-$default_interval}
# How long the upstream holds the streams part's streams, at most, until all are open (the gateway's readTimeout for
# its upstream must be longer).
STREAM_HOLD=60s
HISTORY_ROWS=${BENCH_HISTORY_ROWS:-$default_rows}
HISTORY_USERS=${BENCH_HISTORY_USERS:-1000}
GATEWAY_HEAP=${BENCH_GATEWAY_HEAP:-512m}
PARTS=${BENCH_PARTS:-chat streams history pipeline}
# The concurrency of the added-p99 goal, at which the chat part also samples where a gateway request's time goes
# and measures the gateway's floor.
CORE_WAITS_CONCURRENCY=16
PROFILE=${BENCH_PROFILE:-0}
PORT_BASE=${BENCH_PORT_BASE:-19100}
# When a JVM counts as warm (the chat targets and the analytics service): a round's CPU time per request or event
# within this many percent of the round before's, with the JIT compiler under this many percent of the round's CPU.
SETTLED_CHANGE_PERCENT=10
SETTLED_JIT_PERCENT=5
OUTPUT=${BENCH_OUTPUT:-docs/benchmarks.md}

PG_HOST=${PGHOST:-127.0.0.1}
PG_PORT=${PGPORT:-5432}
PG_USER=${PGUSER:-postgres}
AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}

GATEWAY_JAR=gateway-service/target/gateway-service.jar
ANALYTICS_JAR=analytics-service/target/analytics-service.jar
BENCH_JAR=benchmarks/target/benchmarks.jar
PORTKEY_START=benchmarks/.portkey/node_modules/@portkey-ai/gateway/build/start-server.js
WRK_SCRIPT=scripts/bench/request.lua

UPSTREAM_PORT=$PORT_BASE
GATEWAY_PORT=$((PORT_BASE + 1))
GATEWAY_ADMIN_PORT=$((PORT_BASE + 2))
ANALYTICS_PORT=$((PORT_BASE + 3))
ANALYTICS_ADMIN_PORT=$((PORT_BASE + 4))
PORTKEY_PORT=$((PORT_BASE + 5))
MODEL=gpt-4o-mini
UPSTREAM_KEY=sk-bench-upstream

run_id=$(date -u +%Y%m%dT%H%M%SZ)
WORK=benchmarks/.work/$run_id
RESULTS=$WORK/results.properties
suffix="$(date +%s)_$$"
GATEWAY_DB=aigw_bench_gateway_$suffix
ANALYTICS_DB=aigw_bench_analytics_$suffix
GATEWAY_VHOST=aigw_bench_gateway_$suffix
ANALYTICS_VHOST=aigw_bench_analytics_$suffix
BROKER_VHOST=aigw_bench_broker_$suffix
PROBE_DB=aigw_bench_probe_$suffix

has_part() { [[ " $PARTS " == *" $1 "* ]]; }
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
record() { printf '%s=%s\n' "$1" "$2" >>"$RESULTS"; }
millis() { # 500ms, 10s, 2m -> milliseconds
  case $1 in
    *ms) echo "${1%ms}" ;;
    *s) echo $(("${1%s}" * 1000)) ;;
    *m) echo $(("${1%m}" * 60000)) ;;
    *) fail "not a duration: $1" ;;
  esac
}
pg() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -v ON_ERROR_STOP=1 -qtA "$@"; }
rabbitmqctl_() { rabbitmqctl -q "$@" >/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
amqp_uri() { echo "amqp://guest:guest@$AMQP_HOST:$AMQP_PORT/$1"; }
jdbc_url() { echo "jdbc:postgresql://$PG_HOST:$PG_PORT/$1"; }
# The value of a top-level-indented key in a service's YAML, so the baseline uses the consumer's own settings.
yaml_value() { sed -n "s/^[[:space:]]*$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$2" | head -n 1; }

# ----------------------------------------------------------------------------------------- processes and clean-up
pids=()
autovacuum_restore=
databases=()
vhosts=()

stop_process() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    log "stopping ${#pids[@]} process(es)"
    for pid in "${pids[@]}"; do stop_process "$pid"; done
  fi
  for db in "${databases[@]}"; do
    pg -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $db"
  done
  if [ -n "$autovacuum_restore" ]; then
    pg -d postgres -c "$autovacuum_restore" -c "SELECT pg_reload_conf()" >/dev/null 2>&1 \
      || log "could not restore PostgreSQL's autovacuum setting: $autovacuum_restore"
  fi
  for vhost in "${vhosts[@]}"; do
    rabbitmqctl_ delete_vhost "$vhost" 2>/dev/null || log "could not delete vhost $vhost"
  done
  [ ${#databases[@]} -eq 0 ] || log "dropped databases ${databases[*]} and vhosts ${vhosts[*]}"
  [ "$status" -eq 0 ] || log "logs of this run: $WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a background process whose output goes to a log file; its pid is in $started.
start() {
  local name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}

# The process is gone (ended or waited for): clean-up must not signal its pid, which may be reused.
forget() {
  local pid=$1 kept=() p
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  pids=("${kept[@]}")
}

stop() {
  stop_process "$1"
  forget "$1"
}

wait_for_port() {
  local port=$1 name=$2 pid=$3
  for _ in $(seq 1 120); do
    listening "$port" && return 0
    kill -0 "$pid" 2>/dev/null || fail "$name exited; see $WORK/$name.log"
    sleep 0.5
  done
  fail "$name did not listen on port $port within 60 s; see $WORK/$name.log"
}

wait_for_http() {
  local url=$1 name=$2 pid=$3
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "$url" && return 0
    kill -0 "$pid" 2>/dev/null || fail "$name exited; see $WORK/$name.log"
    sleep 0.5
  done
  fail "$name did not answer $url within 60 s; see $WORK/$name.log"
}

create_database() {
  pg -d postgres -c "CREATE DATABASE $1" >/dev/null
  databases+=("$1")
}

create_vhost() {
  rabbitmqctl_ add_vhost "$1"
  vhosts+=("$1")
  rabbitmqctl_ set_permissions -p "$1" guest '.*' '.*' '.*'
}

# ------------------------------------------------------------------------------------------------------- preflight
mkdir -p "$WORK"
: >"$RESULTS"
[ -f "$GATEWAY_JAR" ] && [ -f "$ANALYTICS_JAR" ] && [ -f "$BENCH_JAR" ] || fail "build first (make build)"
scripts/bench/install.sh
scripts/ensure-services.sh

# Every stream is a socket on the client, two on the gateway and one on the upstream, each process its own limit.
needed_files=$((STREAMS + 4096))
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$needed_files" ] \
  || fail "open files limit $(ulimit -n) is below the $needed_files that $STREAMS streams need (ulimit -Hn)"

for port in "$UPSTREAM_PORT" "$GATEWAY_PORT" "$GATEWAY_ADMIN_PORT" "$ANALYTICS_PORT" "$ANALYTICS_ADMIN_PORT" \
    "$PORTKEY_PORT"; do
  listening "$port" && fail "port $port is in use; set BENCH_PORT_BASE to a free range of six ports"
done

log "mode $mode: $DURATION per load after $WARMUP to $WARMUP_MAX warm-up, concurrency $CONCURRENCY; parts: $PARTS; logs in $WORK"

# Any production PostgreSQL vacuums and analyzes in the background; a machine set up for tests may not (this one's
# CI configuration turns autovacuum off). Without it the outbox, a queue table, is never cleaned up and its
# statistics never made, and the relay slows down as it grows. Switched on for the run and put back afterwards.
if [ "$(pg -d postgres -c 'SHOW autovacuum')" = on ]; then
  record machine.autovacuum "on"
else
  # Put back exactly what postgresql.auto.conf said, or nothing if it said nothing.
  autovacuum_saved=$(pg -d postgres -c "SELECT setting FROM pg_file_settings WHERE name = 'autovacuum' \
    AND sourcefile LIKE '%postgresql.auto.conf' ORDER BY seqno DESC LIMIT 1" 2>/dev/null || true)
  autovacuum_restore="ALTER SYSTEM RESET autovacuum"
  [ -z "$autovacuum_saved" ] || autovacuum_restore="ALTER SYSTEM SET autovacuum = '$autovacuum_saved'"
  if pg -d postgres -c "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null 2>&1; then
    record machine.autovacuum "on for the run (off in this machine's configuration, put back afterwards)"
  else
    autovacuum_restore=
    record machine.autovacuum "off (could not be switched on: ALTER SYSTEM needs a superuser)"
  fi
fi
record config.mode "$mode"
record config.duration "$DURATION"
record config.warmup "$WARMUP"
record config.warmup_max "$WARMUP_MAX"
record config.settle "$SETTLE"
record config.concurrency "$CONCURRENCY"
record config.gateway_heap "$GATEWAY_HEAP"
record config.stream_chunks "$STREAM_CHUNKS"
record config.stream_interval "$STREAM_INTERVAL"
record machine.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record machine.cpu "$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)"
record machine.cores "$(nproc)"
record machine.memory_gib "$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
record machine.os "$(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r)"
record machine.jdk "$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^[[:space:]]*java.runtime.version = //p')"
record machine.postgresql "$(pg -d postgres -c 'SHOW server_version' | awk '{ print $1 }')"
record machine.rabbitmq "$(rabbitmqctl -q version 2>/dev/null || echo '?')"
record machine.wrk "$(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')"
record machine.node "$(node --version)"
record machine.portkey "$(node -p "require('./benchmarks/.portkey/node_modules/@portkey-ai/gateway/package.json').version")"
# Whatever else runs on the machine competes for the same cores; the report shows how busy it was.
record machine.load_start "$(cut -d ' ' -f 1-3 /proc/loadavg)"

# ------------------------------------------------------------------------------------------------ upstream, gateway
gateway_env=(
  "GATEWAY_DB_URL=$(jdbc_url "$GATEWAY_DB")" "GATEWAY_DB_USER=$PG_USER" "GATEWAY_PORT=$GATEWAY_PORT"
  "GATEWAY_ADMIN_PORT=$GATEWAY_ADMIN_PORT" "RABBITMQ_URI=$(amqp_uri "$GATEWAY_VHOST")"
  "OPENAI_BASE_URL=http://127.0.0.1:$UPSTREAM_PORT/v1" "OPENAI_API_KEY=$UPSTREAM_KEY"
)
gateway() { env "${gateway_env[@]}" java "$@"; }
create_key() { gateway -jar "$GATEWAY_JAR" keys create --user "$1" --name "make bench" config/gateway.yml 2>>"$WORK/keys.log"; }

# wrk_load NAME CONCURRENCY DURATION URL [wrk options...]: one load; its figures are in $WORK/wrk-NAME.txt
wrk_load() {
  local name=$1 connections=$2 duration=$3 url=$4
  shift 4
  local threads=$((connections < 2 ? 1 : 2))
  WRK_RESULT_PREFIX=$name wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s --latency -s "$WRK_SCRIPT" "$@" \
    "$url" >"$WORK/wrk-$name.txt" 2>&1 || fail "wrk $name failed; see $WORK/wrk-$name.txt"
}

# wrk_run NAME CONCURRENCY DURATION URL [wrk options...]: one load; its figures go to the results as NAME.*
wrk_run() {
  local name=$1
  wrk_load "$@"
  grep "^$name\." "$WORK/wrk-$name.txt" >>"$RESULTS" || fail "wrk $name printed no figures; see $WORK/wrk-$name.txt"
  log "  $name: $(sed -n "s/^$name\.rps=//p" "$WORK/wrk-$name.txt") req/s, p50 $(sed -n "s/^$name\.p50_ms=//p" \
    "$WORK/wrk-$name.txt") ms, p99 $(sed -n "s/^$name\.p99_ms=//p" "$WORK/wrk-$name.txt") ms"
}

# core_waits TARGET PID CONCURRENCY URL [wrk options...]: one more load of a target, after a settle run, with every
# thread of the machine's busy processes sampled: how long each ran and how long each waited for a core (CoreWaits),
# results as cores.TARGET.cCONCURRENCY.*. Sampling reads a few hundred files five times a second, so the measured
# loads are not sampled. The sampler stops when wrk ends, leaving out the interval it ended in.
core_waits() {
  local target=$1 pid=$2 c=$3 url=$4 name processes rabbit postmaster load_job wrk_pid=
  shift 4
  name=cores.$target.c$c
  wrk_load "settle.$name" "$c" "$SETTLE" "$url" "$@"
  wrk_load "$name" "$c" "$DURATION" "$url" "$@" &
  load_job=$!
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    wrk_pid=$(pgrep -P "$load_job" -x wrk) && break
    sleep 0.2
  done
  [ -n "$wrk_pid" ] || { kill "$load_job" 2>/dev/null || true; fail "wrk for $name did not start"; }
  processes="$target=$pid"
  # PostgreSQL and RabbitMQ are sampled when they run on this machine.
  postmaster=$(pgrep -o -x postgres) && processes+=" postgres=+$postmaster"
  rabbit=$(pgrep -o -x beam.smp) && processes+=" rabbitmq=$rabbit"
  processes+=" upstream=$upstream_pid drain=$drain_pid wrk=$wrk_pid"
  if ! java -jar "$BENCH_JAR" core-waits --prefix "$name" --processes "$processes" --while-running "$wrk_pid" \
      >"$WORK/$name.txt" 2>>"$WORK/$name.log"; then
    kill "$wrk_pid" 2>/dev/null || true
    fail "sampling $name failed; see $WORK/$name.log"
  fi
  wait "$load_job" || fail "wrk $name failed; see $WORK/wrk-$name.txt"
  grep -h "^$name\." "$WORK/wrk-$name.txt" "$WORK/$name.txt" >>"$RESULTS" || fail "$name printed no figures"
  record config.core_waits_concurrency "$c"
  log "  $name: $(sed -n "s/^$name\.rps=//p" "$WORK/wrk-$name.txt") req/s; cores idle" \
    "$(sed -n "s/^$name\.idle_percent=//p" "$WORK/$name.txt")% while sampled"
}

# JFR's "profile" settings without JDBI's own statement events: while recording, JDBI would describe every statement
# and its bound values (request JSON included) as an event, a cost the service does not have otherwise.
jfr_settings() {
  if [ ! -f "$WORK/profile.jfc" ]; then
    jfr configure --input profile '+jdbi.statement#enabled=false' --output "$(pwd)/$WORK/profile.jfc" \
      >>"$WORK/jfr.log" 2>&1 || { echo profile; return; }
  fi
  echo "$(pwd)/$WORK/profile.jfc"
}

# cpu_ticks PID: the process's CPU time so far (user + system, all threads), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# cpu_ms_per_request TICKS REQUESTS: milliseconds of CPU per request, 0 without requests.
cpu_ms_per_request() {
  awk -v ticks="$1" -v hz="$(getconf CLK_TCK)" -v requests="${2:-0}" \
    'BEGIN { printf "%.3f", (requests > 0 ? ticks * 1000 / hz / requests : 0) }'
}

# outbox_backlog FILE: the gateway's events not yet published, from its metrics saved in FILE (a 5 s cached gauge).
outbox_backlog() { sed -n 's/.*"outbox.backlog":{"value":\([0-9]*\)}.*/\1/p' "$1"; }

# record_cpu NAME PID TICKS: NAME.cpu_ms, the CPU time per request the process spent since it had TICKS, over the
# requests of wrk's run NAME.
record_cpu() {
  record "$1.cpu_ms" "$(cpu_ms_per_request $(($(cpu_ticks "$2") - $3)) \
    "$(sed -n "s/^$1\.requests=//p" "$WORK/wrk-$1.txt")")"
}

# jit_ticks PID: CPU time so far of a JVM's JIT compiler threads, in clock ticks (0 for other processes). The thread
# name in stat has a space in it, so fields are counted after its closing parenthesis.
jit_ticks() {
  local total=0 task line
  for task in /proc/"$1"/task/*; do
    line=$(cat "$task/stat" 2>/dev/null) || continue
    case $line in
      *"(C1 CompilerThre"* | *"(C2 CompilerThre"*) total=$((total + $(sed 's/.*) //' <<<"$line" | awk '{ print $12 + $13 }'))) ;;
    esac
  done
  echo "$total"
}

# warm_up NAME PID URL [wrk options...]: discarded loads at concurrency 16 in rounds, for at least $WARMUP and until
# the CPU time the process spends per request settles (within $SETTLED_CHANGE_PERCENT% of the round before, with a
# JVM's JIT compiler under $SETTLED_JIT_PERCENT% of the round's CPU), at most $WARMUP_MAX. A JVM is not warm after a
# fixed time: on two shared cores its JIT compiler may need minutes, with plateaus on the way, and what it has not
# compiled yet would be measured as the service's own cost.
warm_up() {
  local name=$1 pid=$2 url=$3
  shift 3
  local min_ms max_ms round_ms elapsed=0 round=0 before jit_before ticks cpu jit_share previous= settled
  min_ms=$(millis "$WARMUP")
  max_ms=$(millis "$WARMUP_MAX")
  round_ms=$((min_ms < 10000 ? min_ms : 10000))
  [ "$max_ms" -ge "$min_ms" ] || max_ms=$min_ms
  while :; do
    round=$((round + 1))
    before=$(cpu_ticks "$pid")
    jit_before=$(jit_ticks "$pid")
    wrk_load "warmup.$name.$round" 16 "$((round_ms / 1000))s" "$url" "$@"
    elapsed=$((elapsed + round_ms))
    ticks=$(($(cpu_ticks "$pid") - before))
    jit_share=$(awk -v jit=$(($(jit_ticks "$pid") - jit_before)) -v ticks="$ticks" \
      'BEGIN { printf "%.1f", (ticks > 0 ? jit * 100 / ticks : 0) }')
    cpu=$(cpu_ms_per_request "$ticks" "$(sed -n "s/^warmup\.$name\.$round\.requests=//p" \
      "$WORK/wrk-warmup.$name.$round.txt")")
    log "  warm-up $name round $round: $(sed -n "s/^warmup\.$name\.$round\.rps=//p" \
      "$WORK/wrk-warmup.$name.$round.txt") req/s, CPU $cpu ms/req, JIT compiler $jit_share% of it"
    settled=false
    if [ "$elapsed" -ge "$min_ms" ] && [ -n "$previous" ] \
        && awk -v a="$cpu" -v b="$previous" -v jit="$jit_share" -v change="$SETTLED_CHANGE_PERCENT" \
          -v max_jit="$SETTLED_JIT_PERCENT" \
          'BEGIN { d = a - b; if (d < 0) d = -d; exit !(jit < max_jit && d <= change / 100 * b) }'; then
      settled=true
    fi
    if [ "$settled" = true ] || [ "$elapsed" -ge "$max_ms" ]; then
      [ "$settled" = true ] \
        || log "  warm-up $name: CPU per request had not settled after $((elapsed / 1000)) s; measuring anyway"
      record "warmup.$name.seconds" $((elapsed / 1000))
      record "warmup.$name.settled" "$settled"
      return
    fi
    previous=$cpu
  done
}

# load_series TARGET PID URL [wrk options...]: warm-up (discarded), then each concurrency level. Besides wrk's
# figures it records the CPU time the target's own process spent per request (PostgreSQL and RabbitMQ not included).
load_series() {
  local target=$1 pid=$2 url=$3 before
  shift 3
  log "chat via $target: warm-up"
  warm_up "$target" "$pid" "$url" "$@"
  for c in $CONCURRENCY; do
    # The warm-up runs at concurrency 16; each level first gets a discarded run of its own, since a process adapts
    # to the load it sees: right after concurrency 16 the gateway spent 0.61 ms of CPU per request at 64, and
    # 0.43 ms after 10 s at 64.
    wrk_load "settle.$target.c$c" "$c" "$SETTLE" "$url" "$@"
    before=$(cpu_ticks "$pid")
    if [ "$target" = gateway ] && [ "$PROFILE" = 1 ] && [ "$c" = "${CONCURRENCY##* }" ]; then
      jcmd "$gateway_pid" JFR.start name=bench settings="$(jfr_settings)" filename="$(pwd)/$WORK/gateway-chat-c$c.jfr" \
        >>"$WORK/jfr.log" 2>&1
      wrk_run "chat.$target.c$c" "$c" "$DURATION" "$url" "$@"
      jcmd "$gateway_pid" JFR.stop name=bench >>"$WORK/jfr.log" 2>&1
      java -jar "$BENCH_JAR" jfr-summary --file "$WORK/gateway-chat-c$c.jfr" >"$WORK/gateway-chat-c$c-profile.txt"
      log "  profile: $WORK/gateway-chat-c$c-profile.txt"
    else
      wrk_run "chat.$target.c$c" "$c" "$DURATION" "$url" "$@"
    fi
    record_cpu "chat.$target.c$c" "$pid" "$before"
  done
}

# ----------------------------------------------------------------------------------------------- 2. event pipeline
# Runs first, on a quiet machine. After the gateway's parts (the history table's bulk load above all) a full run
# measured 0.59x, and 0.46x with the gateway's database dropped and flushed first, against 0.69x to 0.70x alone.
if has_part pipeline; then
  create_database "$ANALYTICS_DB"
  create_vhost "$ANALYTICS_VHOST"
  create_vhost "$BROKER_VHOST"
  analytics_env=(
    "ANALYTICS_DB_URL=$(jdbc_url "$ANALYTICS_DB")" "ANALYTICS_DB_USER=$PG_USER" "ANALYTICS_PORT=$ANALYTICS_PORT"
    "ANALYTICS_ADMIN_PORT=$ANALYTICS_ADMIN_PORT" "RABBITMQ_URI=$(amqp_uri "$ANALYTICS_VHOST")"
  )
  env "${analytics_env[@]}" java -jar "$ANALYTICS_JAR" db migrate config/analytics.yml >"$WORK/analytics-migrate.log" 2>&1 \
    || fail "analytics migration failed; see $WORK/analytics-migrate.log"
  start analytics env "${analytics_env[@]}" java -jar "$ANALYTICS_JAR" server config/analytics.yml
  analytics_pid=$started
  wait_for_http "http://127.0.0.1:$ANALYTICS_ADMIN_PORT/healthcheck" analytics "$analytics_pid"

  log "pipeline: $EVENTS events per run, broker alone then through analytics"
  profile_options=()
  [ "$PROFILE" = 1 ] \
    && profile_options=(--jfr-file "$(pwd)/$WORK/analytics-pipeline.jfr" --jfr-settings "$(jfr_settings)")
  java -jar "$BENCH_JAR" pipeline --events "$EVENTS" \
    --raw-amqp-uri "$(amqp_uri "$BROKER_VHOST")" --analytics-amqp-uri "$(amqp_uri "$ANALYTICS_VHOST")" \
    --analytics-db-url "$(jdbc_url "$ANALYTICS_DB")" --db-user "$PG_USER" \
    --prefetch "$(yaml_value prefetch config/analytics.yml)" --ack-every "$(yaml_value batchSize config/analytics.yml)" \
    --confirm-window "$(yaml_value confirmWindow config/gateway.yml)" \
    --analytics-pid "$analytics_pid" --clock-ticks "$(getconf CLK_TCK)" \
    --warmup-min "$WARMUP" --warmup-max "$WARMUP_MAX" \
    --settled-change-percent "$SETTLED_CHANGE_PERCENT" --settled-jit-percent "$SETTLED_JIT_PERCENT" \
    "${profile_options[@]}" >"$WORK/pipeline.txt" 2>"$WORK/pipeline.log" \
    || fail "the pipeline benchmark failed; see $WORK/pipeline.log"
  grep -E '^(pipeline|machine)\.' "$WORK/pipeline.txt" >>"$RESULTS"
  if [ "$PROFILE" = 1 ]; then
    java -jar "$BENCH_JAR" jfr-summary --file "$WORK/analytics-pipeline.jfr" >"$WORK/analytics-pipeline-profile.txt"
    log "  profile: $WORK/analytics-pipeline-profile.txt"
  fi
  curl -fs "http://127.0.0.1:$ANALYTICS_ADMIN_PORT/metrics" >"$WORK/analytics-metrics-after-pipeline.json" || true
  log "  medians of $(sed -n 's/^pipeline\.runs=//p' "$WORK/pipeline.txt") runs: broker alone" \
    "$(sed -n 's/^pipeline\.raw_per_s=//p' "$WORK/pipeline.txt") msg/s, analytics" \
    "$(sed -n 's/^pipeline\.analytics_per_s=//p' "$WORK/pipeline.txt") events/s after" \
    "$(sed -n 's/^pipeline\.warmup_rounds=//p' "$WORK/pipeline.txt") warm-up rounds"
  stop "$analytics_pid"
fi

if has_part chat || has_part streams || has_part history; then
  # The streams part's streams pause after their first chunk until all of them are open, so that all are open at once
  # however long the gateway takes to open them; nothing else streams.
  streams_at_once=0
  has_part streams && streams_at_once=$STREAMS
  start upstream java -Xmx512m -jar "$BENCH_JAR" upstream --port "$UPSTREAM_PORT" \
    --stream-chunks "$STREAM_CHUNKS" --stream-interval "$STREAM_INTERVAL" \
    --streams-at-once "$streams_at_once" --streams-at-once-timeout "$STREAM_HOLD"
  upstream_pid=$started

  create_database "$GATEWAY_DB"
  create_vhost "$GATEWAY_VHOST"
  # The drain below stands in for analytics; should it fall behind, this cap keeps the shared broker from filling up.
  rabbitmqctl_ set_policy -p "$GATEWAY_VHOST" --apply-to queues bench-cap '.*' '{"max-length":20000}'
  gateway -jar "$GATEWAY_JAR" db migrate config/gateway.yml >"$WORK/gateway-migrate.log" 2>&1 \
    || fail "gateway migration failed; see $WORK/gateway-migrate.log"
  CHAT_KEY=$(create_key bench-chat) || fail "keys create failed; see $WORK/keys.log"

  start gateway env "${gateway_env[@]}" java "-Xmx$GATEWAY_HEAP" -jar "$GATEWAY_JAR" server config/gateway.yml
  gateway_pid=$started
  wait_for_port "$UPSTREAM_PORT" upstream "$upstream_pid"
  wait_for_http "http://127.0.0.1:$GATEWAY_ADMIN_PORT/healthcheck" gateway "$gateway_pid"
  # Takes the gateway's events off its queues as analytics would, so the relay publishes at production pace.
  start drain java -Xmx256m -jar "$BENCH_JAR" drain --amqp-uri "$(amqp_uri "$GATEWAY_VHOST")"
  drain_pid=$started
  log "gateway up (database $GATEWAY_DB, vhost $GATEWAY_VHOST, heap -Xmx$GATEWAY_HEAP)"
fi

# -------------------------------------------------------------------------------------------------- 1. chat latency
if has_part chat; then
  # Whatever ran on this PostgreSQL before (a bulk load, another run) is flushed before anything is measured.
  pg -d "$GATEWAY_DB" -c "CHECKPOINT" >/dev/null
  echo '{"model":"'"$MODEL"'","messages":[{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":32}' \
    >"$WORK/chat-body.json"
  export WRK_BODY_FILE=$WORK/chat-body.json

  start portkey node "$PORTKEY_START" --port="$PORTKEY_PORT" --headless
  portkey_pid=$started
  wait_for_port "$PORTKEY_PORT" portkey "$portkey_pid"

  load_series direct "$upstream_pid" "http://127.0.0.1:$UPSTREAM_PORT/v1/chat/completions" -H "Authorization: Bearer $UPSTREAM_KEY"
  load_series gateway "$gateway_pid" "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" -H "Authorization: Bearer $CHAT_KEY"
  # Every request's events must get out too: what the relay had not yet published when the load stopped.
  curl -fs "http://127.0.0.1:$GATEWAY_ADMIN_PORT/metrics" >"$WORK/gateway-metrics-after-gateway-runs.json" || true
  record chat.gateway.outbox_backlog "$(outbox_backlog "$WORK/gateway-metrics-after-gateway-runs.json")"
  load_series portkey "$portkey_pid" "http://127.0.0.1:$PORTKEY_PORT/v1/chat/completions" -H "Authorization: Bearer $UPSTREAM_KEY" \
    -H "x-portkey-provider: openai" -H "x-portkey-custom-host: http://127.0.0.1:$UPSTREAM_PORT/v1"
  stop "$portkey_pid"
  curl -fs "http://127.0.0.1:$GATEWAY_ADMIN_PORT/metrics" >"$WORK/gateway-metrics-after-chat.json" || true
  # Which of the chat part's rows were written whole (their requests ended within history.pendingRowDelay) and which
  # were opened as pending first; warm-up included.
  for kind in records closings; do
    record "chat.gateway.history_${kind}_rows" "$(sed -n "s/.*\"history\.$kind\.rows\":{\"count\":\([0-9]*\).*/\1/p" \
      "$WORK/gateway-metrics-after-chat.json")"
  done

  # The floor under the gateway's latency: a lone request waits for one commit that is flushed to the WAL (its closing).
  if command -v pgbench >/dev/null 2>&1; then
    create_database "$PROBE_DB"
    pg -d "$PROBE_DB" -c "CREATE TABLE commit_probe (x integer)"
    echo 'INSERT INTO commit_probe VALUES (1);' >"$WORK/commit-probe.sql"
    pgbench -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -n -f "$WORK/commit-probe.sql" -c 1 -T 5 "$PROBE_DB" \
      >"$WORK/commit-probe.txt" 2>&1 || fail "pgbench failed; see $WORK/commit-probe.txt"
    record postgres.commit_ms "$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$WORK/commit-probe.txt")"
    log "  PostgreSQL one-row commit: $(sed -n 's/^latency average = //p' "$WORK/commit-probe.txt") on average"
  fi

  # Where a request's time goes at the added-p99 goal's concurrency, apart from the measured loads and after every
  # figure taken from them.
  core_waits gateway "$gateway_pid" "$CORE_WAITS_CONCURRENCY" "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" \
    -H "Authorization: Bearer $CHAT_KEY"
  unset WRK_BODY_FILE

  # The gateway's floor at the same concurrency: what a request costs that only passes its HTTP server, key check
  # (from its cache), Jersey, JSON writer and request log (the model list), with no upstream call, no history and no
  # events. The relay first publishes what the runs before left in the outbox, whose work is not the floor's.
  floor=floor.gateway.c$CORE_WAITS_CONCURRENCY
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$GATEWAY_ADMIN_PORT/metrics" >"$WORK/gateway-metrics-before-floor.json" || true
    [ "$(outbox_backlog "$WORK/gateway-metrics-before-floor.json")" = 0 ] && break
    sleep 1
  done
  record "$floor.outbox_backlog" "$(outbox_backlog "$WORK/gateway-metrics-before-floor.json")"
  wrk_load "settle.$floor" "$CORE_WAITS_CONCURRENCY" "$SETTLE" "http://127.0.0.1:$GATEWAY_PORT/v1/models" \
    -H "Authorization: Bearer $CHAT_KEY"
  before=$(cpu_ticks "$gateway_pid")
  wrk_run "$floor" "$CORE_WAITS_CONCURRENCY" "$DURATION" "http://127.0.0.1:$GATEWAY_PORT/v1/models" \
    -H "Authorization: Bearer $CHAT_KEY"
  record_cpu "$floor" "$gateway_pid" "$before"
fi

# ------------------------------------------------------------------------------------------------ 3. streams at once
if has_part streams; then
  stream_ms=$(($(millis "$STREAM_INTERVAL") * STREAM_CHUNKS))
  log "streams: $STREAMS at once through the gateway, $STREAM_CHUNKS chunks $STREAM_INTERVAL apart"
  java -Xmx1g -jar "$BENCH_JAR" streams --url "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" \
    --key "$CHAT_KEY" --model "$MODEL" --streams "$STREAMS" --ramp 2s --stream-duration "${stream_ms}ms" \
    --hold-timeout "$STREAM_HOLD" \
    --metrics-url "http://127.0.0.1:$GATEWAY_ADMIN_PORT/metrics" >"$WORK/streams.txt" 2>"$WORK/streams.log" \
    || fail "the stream benchmark failed; see $WORK/streams.log"
  grep '^streams\.' "$WORK/streams.txt" >>"$RESULTS"
  log "  $(sed -n 's/^streams\.completed=//p' "$WORK/streams.txt") of $STREAMS complete," \
    "at most $(sed -n 's/^streams\.max_open=//p' "$WORK/streams.txt") open at once," \
    "heap max $(sed -n 's/^streams\.heap_max_mb=//p' "$WORK/streams.txt") MB," \
    "threads max $(sed -n 's/^streams\.threads_max=//p' "$WORK/streams.txt")"
fi

# --------------------------------------------------------------------------------------------------- 4. history API
if has_part history; then
  log "history: loading $HISTORY_ROWS rows for $HISTORY_USERS users into request_history"
  loaded_at=$(date +%s)
  db=(-d "$GATEWAY_DB")
  # Bulk load without the table's indexes, then rebuild exactly the ones the migrations made.
  pg "${db[@]}" -c "SELECT 'ALTER TABLE request_history ADD CONSTRAINT ' || quote_ident(conname) || ' '
                           || pg_get_constraintdef(oid) || ';'
                    FROM pg_constraint WHERE conrelid = 'request_history'::regclass AND contype IN ('p', 'u')
                    UNION ALL
                    SELECT indexdef || ';' FROM pg_indexes i
                    WHERE schemaname = 'public' AND tablename = 'request_history'
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I', i.indexname)::regclass)" \
    >"$WORK/history-indexes.sql"
  indexes_before=$(pg "${db[@]}" -c "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes
                                     WHERE tablename = 'request_history'")
  pg "${db[@]}" -c "SELECT 'ALTER TABLE request_history DROP CONSTRAINT ' || quote_ident(conname) || ';'
                    FROM pg_constraint WHERE conrelid = 'request_history'::regclass AND contype IN ('p', 'u')
                    UNION ALL
                    SELECT 'DROP INDEX ' || quote_ident(indexname) || ';' FROM pg_indexes i
                    WHERE schemaname = 'public' AND tablename = 'request_history'
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I', i.indexname)::regclass)" \
    | pg "${db[@]}" >/dev/null

  chunk=500000
  load_worker() { # rows first..last of every second chunk, starting at chunk $1
    local first=$((1 + $1 * chunk))
    while [ "$first" -le "$HISTORY_ROWS" ]; do
      local last=$((first + chunk - 1))
      [ "$last" -le "$HISTORY_ROWS" ] || last=$HISTORY_ROWS
      pg "${db[@]}" -v first="$first" -v last="$last" -v rows="$HISTORY_ROWS" -v users="$HISTORY_USERS" \
        -f scripts/bench/history-rows.sql >/dev/null
      first=$((first + 2 * chunk))
    done
  }
  load_worker 0 & loader0=$!
  load_worker 1 & loader1=$!
  pids+=("$loader0" "$loader1")
  for loader in "$loader0" "$loader1"; do
    wait "$loader" || fail "loading history rows failed"
    forget "$loader"
  done
  log "  rows loaded in $(($(date +%s) - loaded_at)) s; rebuilding indexes"
  # Then what any bulk load is followed by: VACUUM sets the rows' hint bits and visibility (else the first reads of
  # each page write it back), and a checkpoint writes the load's dirty pages now rather than during the measurement.
  { echo "SET maintenance_work_mem = '512MB';"; cat "$WORK/history-indexes.sql"; } | pg "${db[@]}" >/dev/null
  pg "${db[@]}" -c "VACUUM (ANALYZE) request_history" >/dev/null
  pg "${db[@]}" -c "CHECKPOINT" >/dev/null
  indexes_after=$(pg "${db[@]}" -c "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes
                                    WHERE tablename = 'request_history'")
  [ "$indexes_before" = "$indexes_after" ] || fail "indexes differ after the load: $indexes_before vs $indexes_after"
  record history.load_seconds "$(($(date +%s) - loaded_at))"
  record history.rows "$(pg "${db[@]}" -c "SELECT count(*) FROM request_history")"
  history_user=history-user-42
  record history.user_rows "$(pg "${db[@]}" -c "SELECT count(*) FROM request_history WHERE user_id = '$history_user'")"
  log "  loaded and indexed in $(($(date +%s) - loaded_at)) s"

  HISTORY_KEY=$(create_key "$history_user") || fail "keys create failed; see $WORK/keys.log"
  history_url="http://127.0.0.1:$GATEWAY_PORT/v1/history?limit=20"
  curl -fs -H "Authorization: Bearer $HISTORY_KEY" "$history_url" | grep -q "\"user_id\":\"$history_user\"" \
    || fail "GET /v1/history did not return $history_user's records"
  log "history: warm-up $WARMUP"
  wrk_run warmup.history 16 "$WARMUP" "$history_url" -H "Authorization: Bearer $HISTORY_KEY"
  for c in 1 16; do
    wrk_run "history.c$c" "$c" "$DURATION" "$history_url" -H "Authorization: Bearer $HISTORY_KEY"
  done
fi

if [ -n "${gateway_pid:-}" ]; then
  stop "$gateway_pid"
  stop "$upstream_pid"
fi

# ---------------------------------------------------------------------------------------------------------- report
record machine.load_end "$(cut -d ' ' -f 1-3 /proc/loadavg)"
echo >&2
java -jar "$BENCH_JAR" report --results "$RESULTS" --output "$OUTPUT"
