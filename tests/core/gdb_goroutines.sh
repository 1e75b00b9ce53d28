#!/bin/sh
# gdb_goroutines.sh GDB-SCRIPT PROGRAM: run PROGRAM under gdb in batch mode
# until its SIGTRAP, then check that scripts/goc-gdb.py lists its three
# parked goroutines with their wait reasons and functions, and that
# "goroutine N bt" unwinds a parked one into its own function.
script=$1; prog=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GOC_MAXPROCS=2 gdb -nx -batch -ex "source $script" -ex run -ex "info goroutines" \
  -ex "goroutine 99 bt" -ex "goroutine all bt" -ex kill "$prog" >"$out" 2>&1
fail() { echo "gdb_goroutines: $1"; cat "$out"; exit 1; }
grep -q 'SIGTRAP' "$out" || fail "the program did not stop at its SIGTRAP"
grep -Eq '^\* goroutine 1 \[running\] on M[0-9]+$' "$out" || fail "no running goroutine 1"
# Ids come from per-P batches of 16: a goroutine spawned after main moved
# to another P gets that P's next id (18, not 3, in a loaded CI run).
grep -Eq '^  goroutine [0-9]+ \[waiting \(chan receive\)\] park_alpha$' "$out" || fail "no goroutine in park_alpha"
grep -Eq '^  goroutine [0-9]+ \[waiting \(chan receive\)\] park_beta$' "$out" || fail "no goroutine in park_beta"
grep -Eq '^  goroutine [0-9]+ \[waiting \(sync.Mutex.Lock\)\] park_gamma$' "$out" || fail "no goroutine in park_gamma"
# goroutine all bt: a backtrace through the runtime into park_beta, at its
# goc_chan_recv line.
awk '/^#[0-9]+ /' "$out" | grep -q 'park_beta .*gdb_goroutines.c:23' ||
  fail "goroutine all bt does not reach park_beta at gdb_goroutines.c:23"
grep -q 'goroutine 99: no such goroutine' "$out" || fail "no error for goroutine 99"
grep -q 'park_gamma .*gdb_goroutines.c' "$out" || fail "goroutine all bt lacks park_gamma"
grep -q 'goroutine 1 is running on a thread' "$out" || fail "goroutine all bt: goroutine 1 not said running"
cat "$out"
exit 0
