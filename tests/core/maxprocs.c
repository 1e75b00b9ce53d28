/* maxprocs.c — changing the number of Ps while goroutines run: nothing is
 * lost, every goroutine finishes, and the previous value comes back. */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static _Atomic long done, work;

static void worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        atomic_fetch_add(&work, 1);
        if (i % 10 == 0)
            goc_yield();
    }
    atomic_fetch_add(&done, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    static const int seq[] = {1, 4, 2, 8, 1, 3, 16, 2};
    int prev = goc_maxprocs(0);
    long n = 0;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 500; i++, n++)
            goc_go(worker, NULL);
        int want = seq[round % 8];
        CHECK(goc_maxprocs(want) == prev);
        CHECK(goc_maxprocs(0) == want);
        prev = want;
    }
    while (atomic_load(&done) < n)
        goc_yield();
    CHECK(atomic_load(&work) == n * 100);
    while (goc_num_goroutines() > 1)
        goc_yield();
}

int main(void) { return goc_main(main_g, NULL); }
