/* syscall_handoff.c — a goroutine blocked in a call the runtime cannot see
 * (bracketed by goc_syscall_enter/exit) lets the others run, even at
 * GOC_MAXPROCS=1: sysmon hands its P to another thread. */
#include <stdatomic.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static _Atomic long ticks;
static _Atomic int blocked_done;

static void blocker(void *arg)
{
    (void)arg;
    goc_syscall_enter();
    usleep(300 * 1000);
    goc_syscall_exit();
    atomic_store(&blocked_done, 1);
}

static void ticker(void *arg)
{
    (void)arg;
    while (!atomic_load(&blocked_done)) {
        atomic_fetch_add(&ticks, 1);
        goc_yield();
    }
}

static void main_g(void *arg)
{
    (void)arg;
    for (int round = 0; round < 3; round++) {
        atomic_store(&blocked_done, 0);
        long before = atomic_load(&ticks);
        goc_go(blocker, NULL);
        goc_go(ticker, NULL);
        while (!atomic_load(&blocked_done))
            goc_yield();
        CHECKF(atomic_load(&ticks) - before > 1000, "only %ld ticks while blocked",
               atomic_load(&ticks) - before);
    }
}

int main(void) { return goc_main(main_g, NULL); }
