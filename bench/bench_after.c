/* bench_after.c — goc_after in a hot select loop against the explicit
 * timer it replaces; twin: bench/anchors/after.go (time.After against
 * time.NewTimer + Stop), run side by side by scripts/compare_twin.py after.
 *
 *   select { case <-ready: case <-time.After(d): }      n times (after_*)
 *   t := NewTimer(d); select { ... <-t.C }; t.Stop()    n times (timer_*)
 *
 * ready is closed, so it always wins and the timeout never fires: the
 * cost measured is making, arming and retiring the timeout.  The timer
 * loop runs first: Go's time.After leaves n timers pending for d (before
 * Go 1.23), which would weigh on whatever ran after it.  *_rss_kib is the
 * VmRSS growth over each loop. */
#include <stdio.h>
#include <stdlib.h>
#include <goc.h>

#include "bench.h"

static struct {
    long    n;
    int64_t d;
} ab;

static void after_main(void *arg)
{
    (void)arg;
    goc_chan *ready = goc_chan_make(0, 0);
    goc_chan_close(ready);

    long rss0 = bench_rss_kib();
    int64_t t0 = goc_now();
    for (long i = 0; i < ab.n; i++) {
        goc_timer *t = goc_timer_new(ab.d, 0);
        goc_case cs[2] = {
            { .chan = ready, .op = GOC_RECV },
            { .chan = goc_timer_chan(t), .op = GOC_RECV },
        };
        if (goc_select(cs, 2, 1) != 0)
            abort();
        goc_timer_free(t);
    }
    int64_t timer_ns = goc_now() - t0;
    long rss1 = bench_rss_kib();

    t0 = goc_now();
    for (long i = 0; i < ab.n; i++) {
        goc_case cs[2] = {
            { .chan = ready, .op = GOC_RECV },
            { .chan = goc_after(ab.d), .op = GOC_RECV },
        };
        if (goc_select(cs, 2, 1) != 0)
            abort();
    }
    int64_t after_ns = goc_now() - t0;
    long rss2 = bench_rss_kib();

    printf("after gomaxprocs=%d n=%ld after_ns_per_op=%.1f timer_ns_per_op=%.1f "
           "after_rss_kib=%ld timer_rss_kib=%ld\n",
           goc_maxprocs(0), ab.n, bench_ns_per(after_ns, ab.n),
           bench_ns_per(timer_ns, ab.n), rss2 - rss1, rss1 - rss0);
    goc_chan_free(ready);
}

int bench_after(int argc, char **argv)
{
    ab.n = bench_flag(argc, argv, "n", 1000000);
    ab.d = bench_flag(argc, argv, "d", 1000000000);
    if (ab.n <= 0)
        ab.n = 1;
    return goc_main(after_main, NULL);
}
