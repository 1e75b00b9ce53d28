/* preempt_after_idle.c — sysmon keeps watching after every P went idle.
 * With all Ps idle sysmon sleeps deeply; a P taken off the idle list by
 * any path (here: the M that waited in netpoll for main's timer) must end
 * that sleep.  It once lasted 60 s: a goroutine woken by a timer that then
 * spun without runtime calls was not preempted for a minute, and at
 * GOMAXPROCS=1 nothing else ran.  Each round: every goroutine parks for
 * 30 ms, then a spinner waits, calling nothing, for a goroutine it started;
 * only preemption lets that one run. */
#include <stdatomic.h>
#include <time.h>
#include <goc.h>
#include "testutil.h"

#define MS (1000 * 1000LL)

static _Atomic int flag;

static void set_flag(void *arg)
{
    (void)arg;
    atomic_store(&flag, 1);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void main_g(void *arg)
{
    (void)arg;
    for (int round = 0; round < 5; round++) {
        goc_sleep(30 * MS);                 /* every P idle: sysmon sleeps */
        atomic_store(&flag, 0);
        CHECK(goc_go(set_flag, NULL) == 0);
        int64_t t0 = mono_ms();
        volatile unsigned long x = 0;
        while (!atomic_load_explicit(&flag, memory_order_relaxed)) {
            x++;
            if ((x & 0xfffff) == 0)
                CHECKF(mono_ms() - t0 < 5000, "round %d: spun 5 s unpreempted", round);
        }
        printf("round %d: preempted after %lld ms\n", round, (long long)(mono_ms() - t0));
    }
}

int main(void) { return goc_main(main_g, NULL); }
