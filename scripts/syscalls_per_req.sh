#!/usr/bin/env bash
# syscalls_per_req.sh — system calls per HTTP request of the hello-world
# server under wrk: goc on epoll, goc on io_uring, and nginx (one worker),
# each pinned to CPU 0 with wrk (one thread) on CPU 1, as compare.py http.
# The kernel counts them (perf stat on the raw_syscalls:sys_enter
# tracepoint, every thread of the server's processes), so the count does
# not slow the server as strace would.
#
#   scripts/syscalls_per_req.sh [CONNS...]      (default: 100 1000)
#   DUR=5 REPS=3 BIN=build/examples/http_hello scripts/syscalls_per_req.sh
#
# Prints one line per run: server, connections, requests/s, system calls
# per request, io_uring_enter calls per request, context switches per
# request.  Needs perf, wrk, nginx
# (nginx-light) and root (or perf_event_paranoid <= 1).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-5}
REPS=${REPS:-3}
BIN=${BIN:-build/examples/http_hello}
CONNS=("$@")
[ ${#CONNS[@]} -gt 0 ] || CONNS=(100 1000)
ulimit -n 65536 2>/dev/null || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {   # kind port -> sets SPID (process group leader)
  local kind=$1 port=$2
  case $kind in
    nginx)
      mkdir -p "$work/ng-$port"
      sed -e "s|@RUN@|$work/ng-$port|g" -e "s|@PORT@|$port|g" \
        ../shared/anchors/nginx.conf.in > "$work/ng-$port/nginx.conf"
      setsid taskset -c 0 nginx -c "$work/ng-$port/nginx.conf" -p "$work/ng-$port" \
        >/dev/null 2>&1 &
      ;;
    goc-*)
      setsid taskset -c 0 env GOC_MAXPROCS=1 GOC_DEBUG=netpoll=${kind#goc-} \
        "$BIN" "127.0.0.1:$port" >/dev/null 2>&1 &
      ;;
  esac
  SPID=$!
  for _ in $(seq 100); do
    curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "syscalls_per_req: $kind did not answer" >&2
  exit 1
}

for c in "${CONNS[@]}"; do
  for r in $(seq "$REPS"); do
    for kind in goc-epoll goc-uring nginx; do
      port=$(free_port)
      start "$kind" "$port"
      pids=$(pgrep -s "$SPID" | paste -sd, -)
      perf stat -x, -e raw_syscalls:sys_enter,syscalls:sys_enter_io_uring_enter,context-switches \
        -p "$pids" -o "$work/perf" -- sleep "$((DUR + 1))" &
      perfpid=$!
      sleep 0.5
      out=$(taskset -c 1 wrk -t1 -c"$c" -d"${DUR}s" "http://127.0.0.1:$port/")
      wait $perfpid || true
      kill -TERM -- "-$SPID" 2>/dev/null || true
      wait "$SPID" 2>/dev/null || true
      reqs=$(awk '/requests in/{print $1}' <<<"$out")
      rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
      sys=$(awk -F, '/raw_syscalls:sys_enter/{print $1}' "$work/perf")
      ur=$(awk -F, '/sys_enter_io_uring_enter/{print $1}' "$work/perf")
      cs=$(awk -F, '/context-switches/{print $1}' "$work/perf")
      [[ $cs =~ ^[0-9]+$ ]] || cs=0
      [[ $sys =~ ^[0-9]+$ ]] || sys=0
      [[ $ur =~ ^[0-9]+$ ]] || ur=0
      python3 -c "import sys; k,c,rps,n,s,u,cs=sys.argv[1:]; n=int(n); \
print(f'{k:10s} c{c:<5s} rps {float(rps):9.0f}  syscalls/req {int(s)/n:6.3f}  io_uring_enter/req {int(u)/n:6.3f}  ctxsw/req {int(cs)/n:6.3f}')" \
        "$kind" "$c" "$rps" "$reqs" "$sys" "$ur" "$cs"
    done
  done
done
