/* bench.h — goc-bench subcommands.  Each takes the flags of the same
 * subcommand in ../shared/anchors/goanchors.go and prints one line
 * "name key=value ..." in the same format, so compare.py can pair them. */
#ifndef GOC_BENCH_H
#define GOC_BENCH_H

#include <stdint.h>

int bench_spawn(int argc, char **argv);
int bench_yield(int argc, char **argv);
int bench_parallel(int argc, char **argv);
int bench_pingpong(int argc, char **argv);
int bench_buffered(int argc, char **argv);
int bench_select(int argc, char **argv);
int bench_mutex(int argc, char **argv);
int bench_timers(int argc, char **argv);
int bench_parked(int argc, char **argv);
int bench_million(int argc, char **argv);   /* twin: anchors/million.go */
int bench_after(int argc, char **argv);     /* twin: anchors/after.go */
int bench_floor(int argc, char **argv);     /* no twin: machine figures */

/* Go-style flags: -name value or -name=value.  Returns def when absent;
 * exits with a message on a malformed value. */
long bench_flag(int argc, char **argv, const char *name, long def);
double bench_ns_per(int64_t ns, long n);
/* This process's resident set (VmRSS) in KiB, -1 if unknown. */
long bench_rss_kib(void);

#endif
