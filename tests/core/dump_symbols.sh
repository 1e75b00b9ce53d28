#!/bin/sh
# dump_symbols.sh PROGRAM SOURCE: PROGRAM (tests/core/dump_symbols.c) must
# die of a deadlock and its dump must name recv_long (inlined), wait_for_job, worker and
# main_goroutine at the source lines marked LINE_*, and say that
# main_goroutine created the worker.  Go's format:
#   wait_for_job(...)
#   	/path/dump_symbols.c:13 +0x1d
prog=$1; src=$2
base=$(basename "$src")
line() { grep -n "$1" "$src" | head -1 | cut -d: -f1; }
err=$(mktemp)
trap 'rm -f "$err"' EXIT
GOC_MAXPROCS=2 "$prog" >/dev/null 2>"$err"
rc=$?
fail() { echo "dump_symbols: $1"; cat "$err"; exit 1; }
[ "$rc" -eq 2 ] || fail "expected exit status 2, got $rc"
grep -q '^fatal error: all goroutines are asleep - deadlock!$' "$err" || fail "no deadlock message"
# A function line followed by its file:line line.
expect() {   # FUNC-REGEX LINE [SUFFIX-REGEX]
  awk -v f="^$1\$" -v l="	.*/$base:$2 ${3:-\\\\+0x[0-9a-f]+}\$" '
    prev ~ f && $0 ~ l { ok = 1 } { prev = $0 } END { exit !ok }' "$err" ||
    fail "no frame /$1/ at $base:$2"
}
expect 'recv_long\(\.\.\.\)' "$(line LINE_RECV)" '\\(inlined\\)'
expect 'wait_for_job\(\.\.\.\)' "$(line LINE_INLINED_AT)"
expect 'worker\(\.\.\.\)' "$(line LINE_WORKER)"
expect 'main_goroutine\(\.\.\.\)' "$(line LINE_WAIT)"
expect 'created by main_goroutine in goroutine 1' "$(line LINE_GO)"
# The public call the program made shows, the runtime's insides do not.
grep -q '^goc_chan_recv(\.\.\.)$' "$err" || fail "no goc_chan_recv frame"
grep -q '^goc__' "$err" && fail "runtime-internal frames shown"
head -30 "$err"
exit 0
