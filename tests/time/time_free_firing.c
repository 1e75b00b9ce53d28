/* time_free_firing: goc_timer_free racing with the timer's own firing.  A
 * channel timer fires with its lock t->mu held (time.c run_one) and the
 * firing M unlocks it afterwards; goc_timer_free waits for that lock, so
 * the memory is freed only after the unlocking swap, and the unlocker
 * touches it no more (at most a futex wake on the address, which reads no
 * memory).  Timers due in 0..20 us are freed after 0..20 us of spinning,
 * on several Ps at once, with immediate reuse of the memory; run under
 * ASan and TSan, any late access is reported (issue 10). */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <goc.h>
#include "testutil.h"

static goc_wg wg;
static _Atomic long fired;

static void spin_ns(int64_t ns)
{
    int64_t end = goc_now() + ns;
    while (goc_now() < end) {
    }
}

static void churner(void *arg)
{
    uint64_t seed = (uint64_t)(long)arg;
    long n = test_scaled(20000);
    for (long i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int64_t after = (int64_t)((seed >> 8) % 20000), wait = (int64_t)((seed >> 24) % 20000);
        goc_timer *t = goc_timer_new(after, (seed & 0x10000) ? 5000 : 0);
        CHECK(t != NULL);
        spin_ns(wait);
        if (goc_chan_len(goc_timer_chan(t)) > 0)
            atomic_fetch_add(&fired, 1);
        goc_timer_free(t);
        /* reuse the memory at once, with a different pattern */
        void *p = malloc(sizeof(void *) * 16);
        memset(p, 0xa5, sizeof(void *) * 16);
        free(p);
        if ((i & 63) == 0)
            goc_yield();
    }
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    enum { N = 4 };
    goc_wg_add(&wg, N);
    for (long i = 0; i < N; i++)
        goc_go(churner, (void *)(i + 1));
    goc_wg_wait(&wg);
    /* With idle Ps, their Ms run the due timers while churners spin: the
     * race happened.  (At P=1 a timer fires only at the churner's yield.) */
    if (test_procs() >= 8)
        CHECK(atomic_load(&fired) > 0);
    printf("fired before free: %ld\n", atomic_load(&fired));
}

int main(void) { return goc_main(main_g, NULL); }
