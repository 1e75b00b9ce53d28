/* preempt_stack_edge.c — a goroutine runs, CPU-bound, with its stack
 * pointer about 1.5 KiB above the bottom of its stack, long enough for
 * sysmon to try many preemptions; at P=1 another goroutine waits for the P.
 *
 * The preemption signal runs on the goroutine's own stack (preempt.c), and
 * its frame (the saved register file: AT_MINSIGSTKSZ, 3.4 KiB on an AVX-512
 * machine) does not fit there.  The kernel turns such a failed delivery
 * into a SIGSEGV with no fault address.  The program is within its stack,
 * so it must run on: the runtime drops that preemption (the goroutine is
 * preempted later, higher up), it neither dies of SIGSEGV nor reports a
 * stack overflow.  Back at the top, it spins until the other goroutine
 * has run, which at P=1 takes a preemption: dropping them must not have
 * turned them off.
 *
 * Plain build only: async preemption is off under the sanitizers. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <goc.h>
#include "runtime.h"
#include "testutil.h"

enum { STACK = 1 << 20, EDGE = 1536, FRAME = 256 };

static char *top;
static _Atomic int done;
static _Atomic long other_runs;
static volatile uint64_t spins;

/* Spin for ms, calling only the vDSO clock: a few hundred bytes of stack. */
static __attribute__((noinline)) void spin(int64_t ms)
{
    int64_t end = test_now_ms() + ms;
    while (test_now_ms() < end)
        for (int i = 0; i < 100000; i++)
            spins++;
}

/* One FRAME-sized frame per level, down to EDGE bytes above the bottom. */
static __attribute__((noinline)) int descend(int64_t ms)
{
    volatile char pad[FRAME];
    memset((char *)pad, 1, sizeof pad);
    char *here = (char *)pad;
    if ((size_t)(top - here) < STACK - EDGE - FRAME)
        return descend(ms) * pad[0];
    spin(ms);
    return pad[0];
}

static void edge(void *arg)
{
    char mark;
    top = &mark;
    /* Bind clock_gettime now: a first call through the PLT runs the lazy
     * resolver, whose saved vector state would not fit at the edge. */
    (void)test_now_ms();
    int64_t ms = *(int64_t *)arg;
    CHECK(descend(ms) == 1);   /* every level's pad[0] is 1 */
    /* Back at the top, preemption works again: at P=1 the other
     * goroutine runs only if this spin is preempted. */
    long before = atomic_load(&other_runs);
    int64_t end = test_now_ms() + 5000;
    while (atomic_load(&other_runs) == before && test_now_ms() < end)
        spin(1);
    CHECKF(atomic_load(&other_runs) != before, "not preempted in 5 s after the edge");
    atomic_store(&done, 1);
}

static void other(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        atomic_fetch_add(&other_runs, 1);
        goc_yield();
    }
}

static void main_g(void *arg)
{
    (void)arg;
    static int64_t ms = 600;
    uint64_t sig0 = atomic_load(&goc__preempt_signals);
    goc_go(other, NULL);
    CHECK(goc_go_stack(edge, &ms, STACK) == 0);
    while (!atomic_load(&done))
        goc_sleep(10 * GOC_MILLISECOND);
    uint64_t sent = atomic_load(&goc__preempt_signals) - sig0;
    uint64_t dropped = atomic_load(&goc__preempt_dropped);
    printf("preemption signals sent: %llu, dropped: %llu, other goroutine ran %ld times\n",
           (unsigned long long)sent, (unsigned long long)dropped, atomic_load(&other_runs));
    /* At P=1 the spinning goroutine holds the only P for 600 ms while
     * another waits: sysmon signals it every 10 ms.  A dropped signal
     * that left the M's one-in-flight flag set would stop that at 1. */
    if (goc_maxprocs(0) == 1)
        CHECK(sent >= 5);
}

int main(void) { return goc_main(main_g, NULL); }
