#!/usr/bin/env bash
# deploy/run-local.sh — HAProxy (deploy/haproxy.cfg) in front of three
# http_hello instances on loopback ports, and a rolling restart of them.
#
#   deploy/run-local.sh start   [BUILD]   start the instances and HAProxy
#   deploy/run-local.sh restart [BUILD]   restart each instance in turn
#   deploy/run-local.sh stop              stop everything started
#   deploy/run-local.sh test    [BUILD]   start, run wrk through HAProxy
#                                         for WRK_SECONDS (20) while the
#                                         instances restart in turn, check
#                                         0 socket errors and 0 non-2xx,
#                                         stop (make test-deploy)
# BUILD is the build directory (build).  Environment: LB_PORT (18080; the
# instances take the next three ports, HAProxy's stats page the fourth), DRAIN_MS (1500), RUN_DIR
# (/tmp/goc-deploy-$LB_PORT), WRK_SECONDS, WRK_CONNS (32), HAPROXY_CFG
# (deploy/haproxy.cfg).
#
# A restart: SIGTERM -> the instance's /readyz answers 503 while it still
# serves for DRAIN_MS -> HAProxy's checks take it out of rotation -> its
# listener closes, in-flight requests finish, it exits -> a new one starts
# on the same port -> once HAProxy reports it UP, the next instance.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-}
build=${2:-build}
export LB_PORT=${LB_PORT:-18080}
export S1_PORT=$((LB_PORT + 1)) S2_PORT=$((LB_PORT + 2)) S3_PORT=$((LB_PORT + 3))
export STATS_PORT=$((LB_PORT + 4))
export RUN_DIR=${RUN_DIR:-/tmp/goc-deploy-$LB_PORT}
DRAIN_MS=${DRAIN_MS:-1500}
WRK_SECONDS=${WRK_SECONDS:-20}
WRK_CONNS=${WRK_CONNS:-32}
hello="$build/examples/http_hello"

die() { echo "run-local: $*" >&2; exit 1; }

# HAProxy's view of server sN: UP, DOWN, MAINT... (its CSV stats page).
server_status() {
  curl -s --max-time 5 "http://127.0.0.1:$STATS_PORT/stats;csv" \
    | awk -F, -v s="s$1" '$1 == "hello" && $2 == s { split($18, w, " "); print w[1] }'
}

wait_status() {   # wait_status N WANT SECONDS
  local i=0 n=$(( $3 * 20 ))
  until [ "$(server_status "$1" 2>/dev/null || true)" = "$2" ]; do
    i=$((i + 1)); [ $i -lt $n ] || die "s$1 not $2 after $3 s (now: $(server_status "$1" || true))"
    sleep 0.05
  done
}

start_instance() {   # start_instance N
  local port_var="S$1_PORT"
  "$hello" "127.0.0.1:${!port_var}" 0 "$DRAIN_MS" 2>>"$RUN_DIR/s$1.log" &
  echo $! > "$RUN_DIR/s$1.pid"
}

stop_pid() {   # stop_pid PIDFILE SECONDS: SIGTERM, wait for the exit
  local pid i=0
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt $(( $2 * 20 )) ] || { kill -KILL "$pid" 2>/dev/null; die "pid $pid ignored SIGTERM for $2 s"; }
    sleep 0.05
  done
  rm -f "$1"
}

start() {
  [ -x "$hello" ] || die "$hello missing: make build first"
  command -v haproxy >/dev/null || die "haproxy missing: apt-get install haproxy"
  mkdir -p "$RUN_DIR"
  for n in 1 2 3; do start_instance $n; done
  haproxy -f "${HAPROXY_CFG:-deploy/haproxy.cfg}" -D -p "$RUN_DIR/haproxy.pid" 2>>"$RUN_DIR/haproxy.log" \
    || die "haproxy did not start: $(cat "$RUN_DIR/haproxy.log")"
  for n in 1 2 3; do wait_status $n UP 30; done
  echo "run-local: HAProxy on 127.0.0.1:$LB_PORT, instances on $S1_PORT $S2_PORT $S3_PORT (logs in $RUN_DIR)"
}

restart() {
  for n in 1 2 3; do
    local t0=$(date +%s%N)
    stop_pid "$RUN_DIR/s$n.pid" 60
    start_instance $n
    wait_status $n UP 30
    echo "run-local: s$n restarted in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  done
}

stop() {
  for n in 1 2 3; do stop_pid "$RUN_DIR/s$n.pid" 60 || true; done
  if [ -f "$RUN_DIR/haproxy.pid" ]; then
    kill "$(cat "$RUN_DIR/haproxy.pid")" 2>/dev/null || true
    rm -f "$RUN_DIR/haproxy.pid"
  fi
}

test_deploy() {
  command -v wrk >/dev/null || die "wrk missing: apt-get install wrk"
  stop
  trap stop EXIT
  start
  # --timeout 10s: a request slower than that on a loaded machine is a
  # failure of the machine, not of the restart; wrk's default 2 s is not
  wrk -t2 -c"$WRK_CONNS" -d"${WRK_SECONDS}s" --timeout 10s "http://127.0.0.1:$LB_PORT/" \
    > "$RUN_DIR/wrk.out" 2>&1 &
  local wrk_pid=$!
  sleep 2
  restart
  wait $wrk_pid || die "wrk failed: $(cat "$RUN_DIR/wrk.out")"
  cat "$RUN_DIR/wrk.out"
  local total
  total=$(awk '/requests in/ {print $1}' "$RUN_DIR/wrk.out")
  [ -n "$total" ] && [ "$total" -gt 0 ] || die "wrk made no requests"
  if grep -E "Socket errors|Non-2xx" "$RUN_DIR/wrk.out"; then
    die "FAILED: requests failed across the rolling restart"
  fi
  echo "run-local: test-deploy passed: $total requests, 0 socket errors, 0 non-2xx, 3 instances restarted"
}

case "$cmd" in
  start) start ;;
  restart) restart ;;
  stop) stop ;;
  test) test_deploy ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
