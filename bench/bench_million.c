/* bench_million.c — the yield storm: n goroutines (1M by default) alive and
 * runnable at once, each yielding in a loop until all have started, then
 * released.  Stresses the global run queue with a million entries, stealing,
 * and cold stacks; Go's twin is anchors/million.go (compare with
 * scripts/compare_million.py).  Prints:
 *   million gomaxprocs=P n=N start_ms=.. total_ms=.. bytes_per_g=..
 * start_ms: until every goroutine has run once; total_ms: until all exited;
 * bytes_per_g: RSS growth per goroutine once all had started. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <goc.h>

#include "bench.h"

static struct {
    long           n;
    goc_wg         started, finished;
    _Atomic int    release;
} mb;

static void stormer(void *arg)
{
    (void)arg;
    volatile char buf[512];          /* a stack frame of a real function */
    buf[0] = 1;
    goc_wg_done(&mb.started);
    while (!atomic_load_explicit(&mb.release, memory_order_relaxed))
        goc_yield();
    (void)buf[0];
    goc_wg_done(&mb.finished);
}

static void million_main(void *arg)
{
    (void)arg;
    long n = mb.n;
    goc_wg_add(&mb.started, (int)n);
    goc_wg_add(&mb.finished, (int)n);
    long rss0 = bench_rss_kib();
    int64_t t0 = goc_now();
    for (long i = 0; i < n; i++)
        if (goc_go(stormer, NULL) != 0) {
            fprintf(stderr, "million: goc_go failed at %ld\n", i);
            exit(1);
        }
    goc_wg_wait(&mb.started);
    int64_t t1 = goc_now();
    long rss1 = bench_rss_kib();
    atomic_store(&mb.release, 1);
    goc_wg_wait(&mb.finished);
    int64_t t2 = goc_now();
    printf("million gomaxprocs=%d n=%ld start_ms=%.1f total_ms=%.1f bytes_per_g=%.0f\n",
           goc_maxprocs(0), n, (double)(t1 - t0) / 1e6, (double)(t2 - t0) / 1e6,
           (double)(rss1 - rss0) * 1024.0 / (double)n);
}

int bench_million(int argc, char **argv)
{
    mb.n = bench_flag(argc, argv, "n", 1000000);
    if (mb.n <= 0)
        mb.n = 1;
    return goc_main(million_main, NULL);
}
