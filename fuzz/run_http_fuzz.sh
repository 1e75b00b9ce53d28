#!/bin/sh
# Build the HTTP parser fuzzer with clang (libFuzzer + ASan + UBSan) and run
# it for a bounded time.  Usage: fuzz/run_http_fuzz.sh [seconds]  (default 60)
# Exit status: 0 when no crash was found.  Run from anywhere.
set -eu
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${GOC_FUZZ_OUT:-$root/build/fuzz}
cc=${CC_FUZZ:-clang}
mkdir -p "$out/corpus-http"
"$cc" -std=gnu17 -g -O1 -Wall -Wextra -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$root/include" \
    "$root/fuzz/http_parse_fuzz.c" "$root/http/parse.c" -o "$out/http_parse_fuzz"
# the working corpus grows in build/; the seeds stay in the tree
exec "$out/http_parse_fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
    -max_len=4096 -print_final_stats=1 "$out/corpus-http" "$root/fuzz/corpus/http"
