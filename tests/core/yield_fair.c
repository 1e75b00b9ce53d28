/* yield_fair.c — goroutines that yield in a loop share the CPU fairly:
 * after a while no one has made less than a third of the average progress. */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

enum { G = 16 };
static _Atomic long count[G];
static _Atomic int stop;
static _Atomic int exited;

static void yielder(void *arg)
{
    int me = (int)(intptr_t)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&count[me], 1, memory_order_relaxed);
        goc_yield();
    }
    atomic_fetch_add(&exited, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    for (int i = 0; i < G; i++)
        goc_go(yielder, (void *)(intptr_t)i);
    long target = 200000;   /* not scaled: yields stay cheap under sanitizers */
    /* With several Ps each M is an OS thread that the kernel deschedules
     * for whole time slices (milliseconds) on a loaded machine, with the G
     * it runs: measure over 300 ms at least, so that one slice is small
     * against the whole (200000 yields alone can take 20 ms). */
    int64_t min_ns = goc_maxprocs(0) == 1 ? 0 : 300 * 1000000LL;
    int64_t t0 = goc_now();
    for (;;) {
        long total = 0;
        for (int i = 0; i < G; i++)
            total += atomic_load(&count[i]);
        if (total >= target && goc_now() - t0 >= min_ns)
            break;
        goc_yield();
    }
    atomic_store(&stop, 1);
    long total = 0, min = -1;
    for (int i = 0; i < G; i++) {
        long c = atomic_load(&count[i]);
        total += c;
        if (min < 0 || c < min)
            min = c;
    }
    /* With more Ps than CPUs the OS deschedules whole Ms (and the Gs queued
     * on their Ps) for a time slice: allow more skew then, never none. */
    /* At P=1 the global queue is strict FIFO: shares are nearly equal.
     * With several Ps, each M is an OS thread the kernel may deschedule
     * (with the Gs in its local queue) on a loaded machine. */
    long slack = goc_maxprocs(0) == 1 ? 2 : 50;
    CHECKF(min * slack * G >= total, "min %ld of total %ld", min, total);
    while (atomic_load(&exited) < G)
        goc_yield();
}

int main(void) { return goc_main(main_g, NULL); }
