/* bench_time.c — timers and parked, as goanchors.go's benchTimers and
 * benchParked (same flags, same output keys). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <goc.h>

#include "bench.h"

/* ------------------------------------------------------------- timers
 * n goroutines each sleep d, all at once.  wall_ms runs from before the
 * first spawn to the last wake-up; oversleep is measured by each goroutine
 * from its own start (actual sleep - d). */
static struct {
    long     n;
    int64_t  d;
    int64_t *late;
    goc_wg   wg;
} tm;

static void timer_g(void *arg)
{
    long i = (long)arg;
    int64_t s = goc_now();
    goc_sleep(tm.d);
    tm.late[i] = goc_now() - s - tm.d;
    goc_wg_done(&tm.wg);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void timers_main(void *arg)
{
    (void)arg;
    long n = tm.n;
    tm.late = calloc((size_t)n, sizeof *tm.late);
    goc_wg_add(&tm.wg, (int)n);
    int64_t t = goc_now();
    for (long i = 0; i < n; i++)
        if (goc_go(timer_g, (void *)i) != 0) {
            fprintf(stderr, "timers: goc_go failed\n");
            exit(1);
        }
    goc_wg_wait(&tm.wg);
    int64_t wall = goc_now() - t;
    qsort(tm.late, (size_t)n, sizeof *tm.late, cmp_i64);
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += (double)tm.late[i];
    printf("timers gomaxprocs=%d n=%ld sleep_ms=%g wall_ms=%.1f oversleep_mean_us=%.0f "
           "oversleep_p50_us=%.0f oversleep_p99_us=%.0f oversleep_max_us=%.0f\n",
           goc_maxprocs(0), n, (double)tm.d / 1e6, (double)wall / 1e6,
           sum / (double)n / 1e3, (double)tm.late[n / 2] / 1e3,
           (double)tm.late[n * 99 / 100] / 1e3, (double)tm.late[n - 1] / 1e3);
    free(tm.late);
}

int bench_timers(int argc, char **argv)
{
    tm.n = bench_flag(argc, argv, "n", 100000);
    tm.d = bench_flag(argc, argv, "d", 10000000);
    if (tm.n <= 0)
        tm.n = 1;
    return goc_main(timers_main, NULL);
}

/* ------------------------------------------------------------- parked
 * n goroutines block on one channel receive; bytes_per_g is the VmRSS
 * growth divided by n.  Then the channel is closed, which wakes them all,
 * and the main goroutine waits for every one to exit.  goc has no GC heap
 * or growable stacks: go_stack_bytes_per_g and go_heap_bytes_per_g are 0. */
static struct {
    long      n;
    goc_chan *ch;
    goc_wg    started, done;
} pk;

static void parked_g(void *arg)
{
    (void)arg;
    goc_wg_done(&pk.started);
    goc_chan_recv(pk.ch, NULL);
    goc_wg_done(&pk.done);
}

static void parked_main(void *arg)
{
    (void)arg;
    long n = pk.n;
    long rss0 = bench_rss_kib();
    pk.ch = goc_chan_make(0, 0);
    goc_wg_add(&pk.started, (int)n);
    goc_wg_add(&pk.done, (int)n);
    int64_t t = goc_now();
    for (long i = 0; i < n; i++)
        if (goc_go(parked_g, NULL) != 0) {
            fprintf(stderr, "parked: goc_go failed at %ld\n", i);
            exit(1);
        }
    goc_wg_wait(&pk.started);
    int64_t tspawn = goc_now() - t;
    goc_sleep(50000000);   /* let the last few reach the channel wait */
    long rss1 = bench_rss_kib();

    t = goc_now();
    goc_chan_close(pk.ch);
    goc_wg_wait(&pk.done);
    int64_t twake = goc_now() - t;
    printf("parked gomaxprocs=%d n=%ld rss_before_kib=%ld rss_after_kib=%ld bytes_per_g=%.0f "
           "go_stack_bytes_per_g=0 go_heap_bytes_per_g=0 spawn_ns_per_op=%.1f "
           "wake_ns_per_op=%.1f\n",
           goc_maxprocs(0), n, rss0, rss1, (double)(rss1 - rss0) * 1024 / (double)n,
           bench_ns_per(tspawn, n), bench_ns_per(twake, n));
    goc_chan_free(pk.ch);
}

int bench_parked(int argc, char **argv)
{
    pk.n = bench_flag(argc, argv, "n", 1000000);
    if (pk.n <= 0)
        pk.n = 1;
    return goc_main(parked_main, NULL);
}
