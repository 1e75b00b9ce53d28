#!/bin/sh
# demo.sh BUILD — the README's demo: hello with the scheduler trace, the
# prime sieve, a worker pool, a timeout through select, the echo server,
# the pipeline, rate-limit, chat and crawler programs (each with a Go twin
# in examples/go/), and the HTTP server under a short load.
set -eu
B=${1:-build}
step() { printf '\n== %s\n' "$*"; }

step "hello (GOC_DEBUG=schedtrace=1,scheddetail=1: the scheduler's lines)"
GOC_DEBUG=schedtrace=1,scheddetail=1 "$B/examples/hello"

step "prime sieve: a chain of goroutines joined by channels"
"$B/examples/sieve" 20

step "worker pool with a WaitGroup"
"$B/examples/workers" 20 4

step "request with a timeout through select (work 50 ms, timeout 20 ms, then 5 ms)"
"$B/examples/timeout" 50 20 || true
"$B/examples/timeout" 5 20

step "TCP echo server, self-test over loopback"
"$B/examples/echo" selftest

step "pipeline: fan-out/fan-in with an errgroup; then item 777 fails and cancels every stage"
"$B/examples/pipeline" 100000 8
"$B/examples/pipeline" 100000 8 777

step "rate-limited worker pool (500 jobs/s ticker), per-job timeout with goc_after"
"$B/examples/ratelimit" 200 500 16 20

step "gopl's chat server with 50 in-process clients over loopback"
"$B/examples/chat" 50 10

step "bounded-concurrency crawler (16 at once) over a goc_http fake web"
"$B/examples/crawler" 2000 16

step "HTTP/1.1 hello server, 3 s of load"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$B/examples/http_hello" "127.0.0.1:$port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0
until curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1; do
  i=$((i+1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }; sleep 0.05
done
curl -si "http://127.0.0.1:$port/"; echo
if command -v wrk >/dev/null; then
  wrk -t1 -c100 -d3s "http://127.0.0.1:$port/" | grep -E "Requests/sec|Latency|requests in"
else
  echo "(wrk not installed: apt-get install wrk for the load figures)"
fi
