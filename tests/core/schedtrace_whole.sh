#!/bin/sh
# schedtrace_whole.sh PROGRAM: with GOC_DEBUG=schedtrace=1,scheddetail=1 the
# program's trace blocks are never cut short by its exit: every SCHED line
# is followed by one line per P (gomaxprocs=N), in each of 20 runs.
prog=$1
i=0
while [ $i -lt 20 ]; do
  out=$(GOC_MAXPROCS=2 GOC_DEBUG=schedtrace=1,scheddetail=1 "$prog" 2>&1) || { echo "run $i failed"; exit 1; }
  echo "$out" | awk '
    /^SCHED/ { if (want > 0) { print "block cut short: " got "/" want " P lines"; bad = 1 }
               match($0, /gomaxprocs=[0-9]+/); want = substr($0, RSTART + 11, RLENGTH - 11) + 0; got = 0; next }
    /^  P[0-9]+:/ { got++; if (got == want) want = 0 }
    END { if (want > 0) { print "last block cut short: " got "/" want " P lines"; bad = 1 }
          exit bad }' || exit 1
  i=$((i + 1))
done
echo "20 runs, every trace block whole"
