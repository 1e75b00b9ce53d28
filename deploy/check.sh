#!/usr/bin/env bash
# deploy/check.sh — check the container and Kubernetes files without a
# Docker daemon or a cluster (make check-deploy; CI runs it).
#
#  1. deploy/k8s/*.yaml against the Kubernetes schemas, and the Dockerfile
#     through a linter, plus cross-checks (deploy/check-manifests.mjs).
#     npm packages (not vendored): kubernetes-models 5, yaml 2,
#     dockerfile-utils 0.16, installed into CHECK_DIR
#     (/tmp/goc-deploy-check) on first use.
#  2. The Dockerfile's build stage, as its RUN lines say (CMake, libraries
#     only, GOC_LIBDW=OFF, install, cc -static with pkg-config --static),
#     on this Debian, in a tree holding only what its COPY lines copy: the binary must be static, run as uid 65532 (the
#     image's USER), answer /healthz and /readyz, turn /readyz to 503 on
#     SIGTERM and exit 0.
# What this does not check: that the image builds and runs under Docker
# (no daemon here), and anything only a cluster knows (admission, unknown
# field names: the schemas accept extra fields).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
CHECK_DIR=${CHECK_DIR:-/tmp/goc-deploy-check}

command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "check: node and npm needed (apt-get install nodejs, and npm where nodejs does not bring it)" >&2; exit 1; }
mkdir -p "$CHECK_DIR"
if [ ! -d "$CHECK_DIR/node_modules/kubernetes-models" ] \
   || [ ! -d "$CHECK_DIR/node_modules/dockerfile-utils" ] || [ ! -d "$CHECK_DIR/node_modules/yaml" ]; then
  (cd "$CHECK_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } \
     && npm install --no-audit --no-fund --loglevel=error \
          kubernetes-models@5 yaml@2 dockerfile-utils@0.16 >/dev/null)
fi
node deploy/check-manifests.mjs "$CHECK_DIR" "$root"

echo "check: the Dockerfile's build stage, natively"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
chmod 755 "$work"
# the build context as the Dockerfile's COPY lines make it (those
# without --from), so a file the image build needs but does not copy fails
# here too
mkdir -p "$work/src"
awk '/^COPY / && !/--from/ { for (i = 2; i < NF; i++) print $i, $NF }' Dockerfile |
while read -r from to; do
  case "$to" in
    ./) cp -r "$from" "$work/src/" ;;
    *) mkdir -p "$work/src/$(dirname "$to")"; cp -r "$from" "$work/src/$to" ;;
  esac
done
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGOC_TESTS=OFF -DGOC_LIBDW=OFF >/dev/null
cmake --build "$work/build" -j"${JOBS:-2}" --target lib >/dev/null
cmake --install "$work/build" --prefix "$work/goc" >/dev/null
cc -O2 -static -o "$work/http_hello" "$work/src/examples/http_hello.c" \
   $(PKG_CONFIG_PATH="$work/goc/lib/pkgconfig" pkg-config --static --cflags --libs goc_http) 2>/dev/null
if ldd "$work/http_hello" >/dev/null 2>&1; then
  echo "check: FAIL: http_hello is not static" >&2; exit 1
fi
chmod 755 "$work/http_hello"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setpriv --reuid=65532 --regid=65532 --clear-groups "$work/http_hello" "127.0.0.1:$port" 0 1000 \
  2>"$work/err" &
pid=$!
i=0
until [ "$(curl -s "http://127.0.0.1:$port/healthz")" = "ok" ]; do
  i=$((i+1)); [ $i -lt 200 ] || { echo "check: FAIL: no /healthz: $(cat "$work/err")" >&2; exit 1; }
  sleep 0.05
done
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$uid" = 65532 ] || { echo "check: FAIL: running as uid $uid" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] \
  || { echo "check: FAIL: /readyz not 200" >&2; exit 1; }
kill -TERM "$pid"
sleep 0.2
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 503 ] \
  || { echo "check: FAIL: /readyz not 503 while draining" >&2; exit 1; }
rc=0
wait "$pid" || rc=$?
pid=""
[ $rc = 0 ] || { echo "check: FAIL: exit status $rc after SIGTERM" >&2; exit 1; }
echo "check: static http_hello ($(stat -c %s "$work/http_hello") bytes) served as uid 65532, drained on SIGTERM, exited 0"
