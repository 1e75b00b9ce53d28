/* maxprocs_race.c — goc_maxprocs shrink then grow never leaves a P below
 * gomaxprocs dead (F4).  An M deciding to retire its P (id >= gomaxprocs,
 * read without a lock) could finish after the grow had skipped that P as
 * still running, then mark it dead: gomaxprocs said 4, three Ps ran.
 * Yielders keep every M passing through findrunnable. */
#include <stdatomic.h>
#include <goc.h>
#include "runtime.h"
#include "testutil.h"

static _Atomic int stop;
static _Atomic int exited;

static void churn(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        goc_yield();
    atomic_fetch_add(&exited, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    enum { N = 4, CHURN = 8 };
    goc_maxprocs(N);
    for (int i = 0; i < CHURN; i++)
        goc_go(churn, NULL);
    long rounds = test_scaled(8000);
    for (long r = 0; r < rounds; r++) {
        goc_maxprocs(1 + (int)(r % 3));
        goc_maxprocs(N);
        if (r % 200 != 199)
            continue;
        /* The late retirement lands after goc_maxprocs returned: let the
         * retiring Ms finish first. */
        goc_sleep(2 * 1000 * 1000);
        for (int i = 0; i < N; i++)
            CHECKF(atomic_load(&goc__allp[i]->status) != P_DEAD,
                   "round %ld: P%d dead below gomaxprocs=%d", r, i, N);
    }
    atomic_store(&stop, 1);
    while (atomic_load(&exited) < CHURN)
        goc_yield();
}

int main(void) { return goc_main(main_g, NULL); }
