/* yield_preempted.c — a goroutine stopped by SIGURG (queued for a P on
 * lockedq) must run again while another goroutine loops on goc_yield.  The
 * yield shortcut (global queue straight to the next G) once skipped the
 * scheduler's lockedq check for good: at P=1 the preempted spinner never
 * resumed and the yielder looped forever. */
#include <stdatomic.h>
#include <time.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int finished;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 200 ms of plain computation: no runtime call, preemptible only by the
 * signal (several slices of 10 ms). */
static void spinner(void *arg)
{
    (void)arg;
    volatile unsigned long x = 1;
    double end = wall() + 0.2;
    while (wall() < end)
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    atomic_store(&finished, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    for (int round = 0; round < 3; round++) {
        atomic_store(&finished, 0);
        CHECK(goc_go(spinner, NULL) == 0);
        double give_up = wall() + 20;   /* 200 ms of work; loaded machine */
        long yields = 0;
        while (!atomic_load(&finished) && wall() < give_up) {
            goc_yield();
            yields++;
        }
        CHECKF(atomic_load(&finished), "round %d: the spinner never finished "
               "(%ld yields in 20 s)", round, yields);
    }
    printf("yield_preempted ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void) { return goc_main(main_g, NULL); }
