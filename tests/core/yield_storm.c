/* yield_storm.c — many goroutines runnable at once, every one yielding in a
 * loop: the run queues overflow to the global queue and back, stealing moves
 * them between Ps, and every goroutine keeps making progress.  (The full
 * million-goroutine storm is a benchmark: goc-bench million.) */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

enum { ROUNDS = 20 };
static long n;
static _Atomic long started, finished;
static _Atomic int release_all;
static _Atomic unsigned char *progress;

static void storm(void *arg)
{
    long i = (long)arg;
    volatile char buf[512];          /* touch this G's own stack */
    buf[0] = 1;
    atomic_fetch_add(&started, 1);
    /* Each one yields ROUNDS times at least, then until released. */
    for (int r = 0; r < ROUNDS; r++) {
        atomic_fetch_add_explicit(&progress[i], 1, memory_order_relaxed);
        goc_yield();
    }
    while (!atomic_load_explicit(&release_all, memory_order_relaxed))
        goc_yield();
    (void)buf[0];
    atomic_fetch_add(&finished, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    n = test_scaled(20000);
    progress = calloc((size_t)n, sizeof *progress);
    CHECK(progress != NULL);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(storm, (void *)i) == 0);
    /* Every goroutine must get its ROUNDS turns while all of them (and this
     * one) keep yielding: nobody starves in the global queue. */
    for (;;) {
        long behind = 0;
        for (long i = 0; i < n; i++)
            behind += atomic_load_explicit(&progress[i], memory_order_relaxed) < ROUNDS;
        if (behind == 0)
            break;
        goc_yield();
    }
    CHECKF(atomic_load(&started) == n, "%ld started", atomic_load(&started));
    CHECKF(goc_num_goroutines() == n + 1, "%d alive", goc_num_goroutines());
    atomic_store(&release_all, 1);
    while (atomic_load(&finished) < n)
        goc_yield();
    free((void *)progress);
    printf("%ld goroutines, %d yields each at least\n", n, ROUNDS);
}

int main(void) { return goc_main(main_g, NULL); }
