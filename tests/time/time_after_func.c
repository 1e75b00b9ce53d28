/* time_after_func: goc_after_func (Go's time.AfterFunc) and its stop.
 *   - fn runs once, in a new goroutine, not before ns;
 *   - stop before the firing returns 1 and fn never runs; after it, 0;
 *     a second stop 0; bad ids -EINVAL; NULL fn -EINVAL;
 *   - stop racing the firing on several Ps: each timer either ran or was
 *     stopped, never both, never neither (counted exactly);
 *   - a stale id (its slot recycled) stops nothing;
 *   - ids dropped by the caller leave nothing pending (goc_after_funcs 0). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <goc.h>
#include "runtime.h"
#include "testutil.h"

static _Atomic long ran;
static _Atomic uint64_t ran_goid;
static _Atomic int64_t ran_at;

static void fn(void *arg)
{
    (void)arg;
    atomic_store(&ran_goid, goc_id());
    atomic_store(&ran_at, goc_now());
    atomic_fetch_add(&ran, 1);
}

static void wait_ran(long want)
{
    int64_t end = goc_now() + 10 * GOC_SECOND;
    while (atomic_load(&ran) < want && goc_now() < end)
        goc_sleep(200000);
    CHECKF(atomic_load(&ran) == want, "ran %ld, want %ld", atomic_load(&ran), want);
}

static void basics(void)
{
    CHECK(goc_after_func(0, NULL, NULL) == -EINVAL);
    CHECK(goc_after_func_stop(0) == -EINVAL);
    CHECK(goc_after_func_stop(-5) == -EINVAL);
    CHECK(goc_after_func_stop((int64_t)1 << 32 | 0x7fffffff) == -EINVAL);

    int64_t t0 = goc_now();
    int64_t id = goc_after_func(20 * GOC_MILLISECOND, fn, NULL);
    CHECK(id > 0);
    wait_ran(1);
    CHECK(atomic_load(&ran_at) - t0 >= 20 * GOC_MILLISECOND);
    CHECK(atomic_load(&ran_goid) != goc_id() && atomic_load(&ran_goid) != 0);
    CHECK(goc_after_func_stop(id) == 0);   /* already fired */

    id = goc_after_func(GOC_SECOND, fn, NULL);
    CHECK(id > 0);
    CHECK(goc__after_funcs() >= 1);
    CHECK(goc_after_func_stop(id) == 1);
    CHECK(goc_after_func_stop(id) == 0);   /* already stopped */
    /* its slot is reused by the next one; the old id stops nothing */
    int64_t id2 = goc_after_func(10 * GOC_MILLISECOND, fn, NULL);
    CHECK(id2 > 0 && id2 != id);
    CHECK(goc_after_func_stop(id) == 0);
    wait_ran(2);
    goc_sleep(50 * GOC_MILLISECOND);
    CHECK(atomic_load(&ran) == 2);          /* the stopped one never ran */
}

/* Stop racing the firing: timers due in 0..20 us, stopped after 0..20 us. */
static _Atomic long fired, stopped;
static goc_wg wg;

static void count(void *arg)
{
    (void)arg;
    atomic_fetch_add(&fired, 1);
}

static void racer(void *arg)
{
    uint64_t seed = (uint64_t)(long)arg;
    long n = test_scaled(20000);
    for (long i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int64_t after = (int64_t)((seed >> 8) % 20000), wait = (int64_t)((seed >> 24) % 20000);
        int64_t id = goc_after_func(after, count, NULL);
        CHECK(id > 0);
        int64_t end = goc_now() + wait;
        while (goc_now() < end) {
        }
        int r = goc_after_func_stop(id);
        CHECK(r == 0 || r == 1);
        if (r == 1)
            atomic_fetch_add(&stopped, 1);
        if ((i & 63) == 0)
            goc_yield();
    }
    goc_wg_done(&wg);
}

static void race(void)
{
    enum { N = 4 };
    long total = N * test_scaled(20000);
    goc_wg_add(&wg, N);
    for (long i = 0; i < N; i++)
        CHECK(goc_go(racer, (void *)(i + 1)) == 0);
    goc_wg_wait(&wg);
    int64_t end = goc_now() + 10 * GOC_SECOND;
    while (atomic_load(&fired) + atomic_load(&stopped) < total && goc_now() < end)
        goc_sleep(GOC_MILLISECOND);
    goc_sleep(20 * GOC_MILLISECOND);   /* a double run would show now */
    CHECKF(atomic_load(&fired) + atomic_load(&stopped) == total,
           "fired %ld + stopped %ld != %ld", atomic_load(&fired), atomic_load(&stopped), total);
    CHECK(goc__after_funcs() == 0);
}

/* Dropped ids: waves of WAVE timers (0..1 ms), none stopped; all run,
 * nothing stays pending, and the slot table is reused wave after wave
 * (waves keep the goroutines alive at once bounded: under TSan each new G
 * costs a fiber). */
static void dropped(void)
{
    enum { WAVE = 100 };
    long n = test_scaled(100000);
    atomic_store(&fired, 0);
    for (long done = 0; done < n; done += WAVE) {
        for (long i = done; i < done + WAVE && i < n; i++)
            CHECK(goc_after_func((int64_t)(i % 1000) * 1000, count, NULL) > 0);
        long want = done + WAVE < n ? done + WAVE : n;
        int64_t end = goc_now() + 10 * GOC_SECOND;
        while (atomic_load(&fired) < want && goc_now() < end)
            goc_sleep(200000);
        CHECKF(atomic_load(&fired) == want, "fired %ld of %ld", atomic_load(&fired), want);
    }
    CHECK(goc__after_funcs() == 0);
}

static void main_g(void *arg)
{
    (void)arg;
    basics();
    race();
    dropped();
    printf("ok\n");
}

int main(void)
{
    return goc_main(main_g, NULL);
}
