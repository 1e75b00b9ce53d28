/* mutex.c — Mutex excludes, trylock, another goroutine may unlock, and
 * starvation mode engages when a waiter has waited over 1 ms while the
 * holder keeps re-locking (the waiter then gets the lock by hand-off). */
#include <stdbool.h>
#include <goc.h>
#include "testutil.h"

enum { MUTEX_STARVING = 4 };   /* sync.c's state bit */

static goc_mutex mu;
static long counter;
static goc_wg wg;

static void incr(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        goc_mutex_lock(&mu);
        long c = counter;
        if ((i & 63) == 0)
            goc_yield();   /* hold it across a switch now and then */
        counter = c + 1;
        goc_mutex_unlock(&mu);
    }
    goc_wg_done(&wg);
}

static void test_exclusion(void)
{
    long n = test_scaled(100000);
    goc_wg_add(&wg, 8);
    for (int i = 0; i < 8; i++)
        CHECK(goc_go(incr, (void *)n) == 0);
    goc_wg_wait(&wg);
    CHECK(counter == 8 * n);
}

static void unlocker(void *arg)
{
    goc_mutex_unlock(arg);
}

static void test_trylock_and_handover(void)
{
    goc_mutex m = { 0 };
    CHECK(goc_mutex_trylock(&m) == 1);
    CHECK(goc_mutex_trylock(&m) == 0);
    CHECK(goc_go(unlocker, &m) == 0);   /* not tied to a goroutine */
    goc_mutex_lock(&m);                 /* waits for the unlocker */
    goc_mutex_unlock(&m);
}

static goc_mutex sm;
static _Atomic int waiter_got, saw_starving;

static void waiter(void *arg)
{
    (void)arg;
    goc_mutex_lock(&sm);
    waiter_got = 1;
    goc_mutex_unlock(&sm);
}

static void spin_ns(int64_t ns)
{
    int64_t end = goc_now() + ns;
    while (goc_now() < end)
        ;
}

/* One round: true if the mutex was seen in starvation mode.  With more
 * than one P the waiter may also win an ordinary race in the instant
 * between unlock and re-lock (normal mode), so rounds are repeated. */
static bool starvation_round(void)
{
    waiter_got = 0;
    saw_starving = 0;
    goc_mutex_lock(&sm);
    CHECK(goc_go(waiter, NULL) == 0);
    int64_t deadline = goc_now() + 5000000000LL;
    while (!waiter_got) {
        CHECKF(goc_now() < deadline, "waiter starved for 5 s");
        spin_ns(2000000);   /* hold 2 ms: past the 1 ms threshold */
        goc_yield();        /* let the waiter run (P=1) while we hold it */
        if (__atomic_load_n(&sm.state, __ATOMIC_RELAXED) & MUTEX_STARVING)
            saw_starving = 1;
        goc_mutex_unlock(&sm);
        goc_mutex_lock(&sm);   /* re-lock at once: normal mode would win */
    }
    goc_mutex_unlock(&sm);
    while (goc_num_goroutines() > 1)
        goc_yield();
    return saw_starving;
}

static void test_starvation(void)
{
    int seen = 0;
    for (int round = 0; round < 20 && !seen; round++)
        seen = starvation_round();
    CHECKF(seen, "starvation mode never engaged in 20 rounds");
}

static void main_fn(void *arg)
{
    (void)arg;
    test_exclusion();
    test_trylock_and_handover();
    test_starvation();
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
