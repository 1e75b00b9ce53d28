/* time_sleepers: 100k goroutines sleep at once (1..20 ms each, several
 * rounds for some); none wakes early and all finish in bounded time. */
#include <stdatomic.h>

#include "goc.h"
#include "testutil.h"

static goc_wg wg;
static _Atomic long early;

static void sleeper(void *arg)
{
    long i = (long)arg;
    int64_t d = 1000000 + (i % 20) * 1000000;
    int rounds = (i % 7 == 0) ? 3 : 1;
    for (int r = 0; r < rounds; r++) {
        int64_t t0 = goc_now();
        goc_sleep(d);
        if (goc_now() - t0 < d)
            atomic_fetch_add(&early, 1);
    }
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    long n = test_scaled(100000);
    int64_t t0 = goc_now();
    goc_wg_add(&wg, (int)n);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(sleeper, (void *)i) == 0);
    goc_wg_wait(&wg);
    int64_t wall = goc_now() - t0;
    printf("%ld sleepers: %lld ms\n", n, (long long)wall / 1000000);
    CHECK(atomic_load(&early) == 0);
    CHECKF(wall < 20LL * 1000000000, "wall %lld ms", (long long)wall / 1000000);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
