/* time_heap: the runtime timer under concurrent modify / stop from every P
 * (Go's timer.modify and stop racing the heap's lazy fixes: T_MODIFIED
 * entries earlier and later, zombies, adjust).  Checks: no firing before
 * the timer's when (delay >= 0), and every timer whose last operation armed
 * it fires with that operation's seq. */
#include <stdatomic.h>

#include "goc.h"
#include "testutil.h"
#include "timer.h"

#define NT 512
#define MS 1000000LL

static goc_timer_rt timers[NT];
static goc_lock tlock[NT];              /* serialises our ops per timer */
static _Atomic uintptr_t last_seq[NT];  /* 0: last op was a stop */
static _Atomic uintptr_t fired_seq[NT];
static _Atomic uintptr_t seqgen;
static _Atomic long early, fires;
static goc_wg wg;

static void fire(void *arg, uintptr_t seq, int64_t delay)
{
    long i = (long)(intptr_t)arg;
    if (delay < 0)
        atomic_fetch_add(&early, 1);
    atomic_store(&fired_seq[i], seq);
    atomic_fetch_add(&fires, 1);
}

static void worker(void *arg)
{
    uint64_t x = (uint64_t)(intptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
    long ops = test_scaled(40000);
    for (long k = 0; k < ops; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        long i = (long)(x % NT);
        goc__lock(&tlock[i]);
        if ((x >> 20) % 4 == 0) {
            goc__timer_stop(&timers[i]);
            atomic_store(&last_seq[i], 0);
        } else {
            uintptr_t seq = atomic_fetch_add(&seqgen, 1) + 1;
            int64_t when = goc_now() + (int64_t)((x >> 24) % (3 * MS));
            atomic_store(&last_seq[i], seq);
            goc__timer_modify(&timers[i], when, 0, fire, (void *)(intptr_t)i, seq);
        }
        goc__unlock(&tlock[i]);
        if (k % 64 == 0)
            goc_yield();
    }
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    for (long i = 0; i < NT; i++)
        goc__timer_init(&timers[i], fire, (void *)(intptr_t)i);
    int nw = 8;
    goc_wg_add(&wg, nw);
    for (long w = 0; w < nw; w++)
        CHECK(goc_go(worker, (void *)(intptr_t)(w + 1)) == 0);
    goc_wg_wait(&wg);
    goc_sleep(20 * MS);   /* every armed timer is due by now */
    long missing = 0;
    for (long i = 0; i < NT; i++) {
        uintptr_t s = atomic_load(&last_seq[i]);
        if (s != 0 && atomic_load(&fired_seq[i]) != s)
            missing++;
    }
    printf("%ld fires\n", atomic_load(&fires));
    CHECKF(atomic_load(&early) == 0, "%ld early fires", atomic_load(&early));
    CHECKF(missing == 0, "%ld armed timers never fired", missing);
    for (long i = 0; i < NT; i++)
        goc__timer_remove(&timers[i]);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
