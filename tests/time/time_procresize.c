/* time_procresize: timers survive goc_maxprocs shrinking (their P's heap
 * moves to another P) and growing; sleepers and channel timers armed on
 * every P all fire, none early. */
#include <stdatomic.h>

#include "goc.h"
#include "testutil.h"

#define MS 1000000LL

static goc_wg wg;
static _Atomic long early, fired;

static void sleeper(void *arg)
{
    long i = (long)arg;
    int64_t d = (5 + i % 40) * MS;
    int64_t t0 = goc_now();
    if (i % 2) {
        goc_sleep(d);
    } else {
        goc_timer *t = goc_timer_new(d, 0);
        int64_t v;
        CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
        goc_timer_free(t);
    }
    if (goc_now() - t0 < d)
        atomic_fetch_add(&early, 1);
    atomic_fetch_add(&fired, 1);
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    long n = test_scaled(20000);
    for (int round = 0; round < 3; round++) {
        goc_maxprocs(8);
        goc_wg_add(&wg, (int)n);
        for (long i = 0; i < n; i++)
            CHECK(goc_go(sleeper, (void *)i) == 0);
        goc_sleep(2 * MS);
        goc_maxprocs(1);
        goc_sleep(3 * MS);
        goc_maxprocs(round + 2);
        goc_wg_wait(&wg);
    }
    CHECK(atomic_load(&early) == 0);
    CHECK(atomic_load(&fired) == 3 * n);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
