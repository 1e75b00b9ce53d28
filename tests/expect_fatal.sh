#!/bin/sh
# expect_fatal.sh REGEX PROGRAM [ARGS...]: PROGRAM must exit with status 2 and
# print a line matching REGEX (grep -E) on stderr.
regex=$1; shift
err=$(mktemp)
"$@" >/dev/null 2>"$err"
rc=$?
if [ "$rc" -ne 2 ]; then
  echo "expected exit status 2, got $rc"; cat "$err"; rm -f "$err"; exit 1
fi
if ! grep -Eq -- "$regex" "$err"; then
  echo "stderr does not match /$regex/:"; cat "$err"; rm -f "$err"; exit 1
fi
head -20 "$err"
rm -f "$err"
exit 0
