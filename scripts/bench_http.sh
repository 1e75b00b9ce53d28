#!/bin/sh
# bench-http: goc's http_hello against Go's net/http and nginx under wrk on
# loopback, pinned (server on CPU 0 with one P, wrk on CPU 1), 100 and 1000
# connections, median of 3 — compare.py's defaults.  Prints compare.py's
# table; extra arguments go to compare.py (e.g. --dur 5s --conns 100).
# Run from the repository root after building into build/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
anchors=${GOC_ANCHORS:-$root/../shared/anchors}
[ -f "$anchors/compare.py" ] || anchors=/work/shared/anchors
if [ ! -x build/examples/http_hello ]; then
    echo "bench_http: build/examples/http_hello missing; build first (cmake -B build && cmake --build build)" >&2
    exit 2
fi
exec python3 "$anchors/compare.py" http \
    --server 'build/examples/http_hello 127.0.0.1:{port}' "$@"
