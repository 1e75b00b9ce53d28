/* yield_timers.c — goroutines that loop on goc_yield do not starve timers
 * (F7, Go's runtime TestYieldProgress).  At P=1 a lone G looping
 * { tryrecv; yield } keeps the P busy (each yield took itself straight back
 * from the global queue, never passing the timer check); a goroutine
 * sleeping must still wake, and with more yielders a timer channel must
 * still fire, within a generous bound. */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

enum { YIELDERS = 3, ROUNDS = 20 };
static goc_chan *done;
static _Atomic int stop;

static void sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++)
        goc_sleep(2 * 1000 * 1000);
    int one = 1;
    goc_chan_send(done, &one);
}

static void yielder(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        goc_yield();
}

static void main_g(void *arg)
{
    (void)arg;
    done = goc_chan_make(sizeof(int), 1);
    int64_t t0 = goc_now();
    goc_go(sleeper, NULL);
    /* The loop of the report: poll with tryrecv, yield between polls. */
    int v;
    while (goc_chan_tryrecv(done, &v) != 0) {
        CHECKF(goc_now() - t0 < 5000LL * 1000 * 1000,
               "sleeper starved by a yielding G (%d x 2 ms sleeps)", ROUNDS);
        goc_yield();
    }
    /* A timer channel, beside more yielders. */
    for (int i = 0; i < YIELDERS; i++)
        goc_go(yielder, NULL);
    goc_timer *t = goc_timer_new(10 * 1000 * 1000, 0);
    goc_chan *tc = goc_timer_chan(t);
    int64_t t1 = goc_now();
    int64_t fired;
    while (goc_chan_tryrecv(tc, &fired) != 0) {
        CHECKF(goc_now() - t1 < 5000LL * 1000 * 1000, "10 ms timer starved by yielders");
        goc_yield();
    }
    goc_timer_free(t);
    atomic_store(&stop, 1);
    goc_chan_free(done);
    printf("ok: sleeper and timer ran beside yielders in %.1f ms\n",
           (double)(goc_now() - t0) / 1e6);
}

int main(void)
{
    return goc_main(main_g, NULL) == 0 ? 0 : 1;
}
