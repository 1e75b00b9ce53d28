/* preempt_loop.c — a goroutine in a tight loop with no calls does not starve
 * the others, even at GOC_MAXPROCS=1 (Go's TestPreemption). */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int stop;
static _Atomic long progress;

static void hog(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        x++;
}

static void main_g(void *arg)
{
    (void)arg;
    int hogs = goc_maxprocs(0) + 1;
    for (int i = 0; i < hogs; i++)
        goc_go(hog, NULL);
    /* Each yield has to get past the hogs; it only can if they are
     * preempted. */
    for (int i = 0; i < 20; i++) {
        goc_yield();
        atomic_fetch_add(&progress, 1);
    }
    atomic_store(&stop, 1);
}

int main(void) { return goc_main(main_g, NULL); }
