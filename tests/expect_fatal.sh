#!/bin/sh
# expect_fatal.sh [-o OUTREGEX] REGEX PROGRAM [ARGS...]: PROGRAM must exit
# with status 2 and print a line matching REGEX (grep -E) on stderr.  With
# -o, its stdout is a pipe (stdio buffers fully, as under `| tee log`) and
# must hold a line matching OUTREGEX: the fatal path flushed stdio.
outre=
if [ "$1" = "-o" ]; then
  outre=$2; shift 2
fi
regex=$1; shift
err=$(mktemp)
out=$(mktemp)
rcf=$(mktemp)
if [ -n "$outre" ]; then
  { "$@" 2>"$err"; echo $? >"$rcf"; } | cat >"$out"
  rc=$(cat "$rcf")
else
  "$@" >/dev/null 2>"$err"
  rc=$?
fi
fail() {
  echo "$1"; cat "$err"; rm -f "$err" "$out" "$rcf"; exit 1
}
[ "$rc" -eq 2 ] || fail "expected exit status 2, got $rc"
grep -Eq -- "$regex" "$err" || fail "stderr does not match /$regex/:"
if [ -n "$outre" ] && ! grep -Eq -- "$outre" "$out"; then
  echo "stdout (a pipe) lacks /$outre/; it held:"; cat "$out"
  fail "stderr:"
fi
head -20 "$err"
rm -f "$err" "$out" "$rcf"
exit 0
