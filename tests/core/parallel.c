/* parallel.c — with 2+ Ps, two goroutines that never call the runtime run at
 * the same time: each waits, spinning, to see the other running. */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int here[2];
static _Atomic int done;

static void spinner(void *arg)
{
    int me = (int)(intptr_t)arg;
    atomic_store(&here[me], 1);
    int64_t end = goc_now() + 20LL * 1000000000;
    while (!atomic_load(&here[!me]))
        CHECKF(goc_now() < end, "goroutine %d never saw the other run", me);
    atomic_fetch_add(&done, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_go(spinner, (void *)0);
    goc_go(spinner, (void *)1);
    /* Sleep, not yield: main must leave its P so the spinners get one
     * each (without async preemption, a yielding main keeps a P busy). */
    while (atomic_load(&done) < 2)
        goc_sleep(1000000);
}

int main(void) { return goc_main(main_g, NULL); }
