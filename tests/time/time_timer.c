/* time_timer: goc_timer_* as Go 1.23+ — firing time, stop/reset return
 * values, no stale value after stop or reset, stop and reset racing the
 * firing, tickers that drop the ticks a slow reader misses, free. */
#include <errno.h>
#include <stdatomic.h>

#include "goc.h"
#include "testutil.h"

#define MS 1000000LL

static void basic(void)
{
    int64_t t0 = goc_now();
    goc_timer *t = goc_timer_new(5 * MS, 0);
    CHECK(t != NULL);
    CHECK(goc_chan_cap(goc_timer_chan(t)) == 1);
    int64_t v = 0;
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECK(goc_now() - t0 >= 5 * MS);
    CHECK(v >= t0 + 5 * MS && v <= goc_now());
    CHECK(goc_timer_stop(t) == 0);          /* fired and received */
    /* t1 is read before the reset: read after it, the check would be off
     * by the gap between the two (a descheduled M made it fail once).  v is
     * the firing's due time, so a stale value from the first firing (due at
     * t0 + 5 ms) could not pass v >= t1 + 2 ms. */
    int64_t t1 = goc_now();
    CHECK(goc_timer_reset(t, 2 * MS) == 0); /* was not pending */
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECKF(v >= t1 + 2 * MS, "value due %lld ns after t1", (long long)(v - t1));
    CHECK(goc_now() - t1 >= 2 * MS);
    /* Many resets of a received timer: never early, never a stale value. */
    for (int i = 0; i < 200; i++) {
        int64_t before = goc_now();
        CHECK(goc_timer_reset(t, 100000 + (i % 7) * 50000) == 0);
        CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
        int64_t after = goc_now();
        int64_t d = 100000 + (i % 7) * 50000;
        CHECKF(v >= before + d && after >= before + d,
               "reset %d: due %lld, received %lld ns after the reset (d %lld)", i,
               (long long)(v - before), (long long)(after - before), (long long)d);
    }
    goc_timer_free(t);

    /* stopped before it fires: nothing ever arrives */
    t = goc_timer_new(3 * MS, 0);
    CHECK(goc_timer_stop(t) == 1);
    CHECK(goc_timer_stop(t) == 0);
    goc_sleep(6 * MS);
    CHECK(goc_chan_tryrecv(goc_timer_chan(t), &v) == -EAGAIN);
    goc_timer_free(t);

    /* fired but not received: stop drops the value (Go 1.23: returns 1) */
    t = goc_timer_new(1 * MS, 0);
    goc_sleep(5 * MS);
    CHECK(goc_timer_stop(t) == 1);
    CHECK(goc_chan_tryrecv(goc_timer_chan(t), &v) == -EAGAIN);
    /* reset after an unreceived firing: only the new value arrives */
    CHECK(goc_timer_reset(t, 1 * MS) == 0);
    goc_sleep(4 * MS);
    int64_t t2 = goc_now();
    CHECK(goc_timer_reset(t, 4 * MS) == 1);
    CHECK(goc_chan_tryrecv(goc_timer_chan(t), &v) == -EAGAIN);
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECK(v >= t2 + 4 * MS);
    goc_timer_free(t);

    /* free a pending timer and a stopped one */
    goc_timer_free(goc_timer_new(1000 * MS, 0));
    t = goc_timer_new(1000 * MS, 0);
    goc_timer_stop(t);
    goc_timer_free(t);
    CHECK(goc_timer_new(1, -1) == NULL);
}

static void ticker(void)
{
    goc_timer *t = goc_timer_new(2 * MS, 2 * MS);
    int64_t prev = 0, v;
    for (int i = 0; i < 5; i++) {
        CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
        CHECK(v > prev);
        prev = v;
    }
    /* a slow reader: 30 ms of ticks leave one value, not fifteen */
    goc_sleep(30 * MS);
    CHECK(goc_chan_len(goc_timer_chan(t)) <= 1);
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    int64_t t1 = goc_now();
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);   /* the next tick */
    CHECK(goc_now() - t1 <= 500 * MS);
    CHECK(goc_timer_stop(t) == 1);
    goc_sleep(6 * MS);
    CHECK(goc_chan_tryrecv(goc_timer_chan(t), &v) == -EAGAIN);
    /* reset restarts the ticks */
    goc_timer_reset(t, 1 * MS);
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    /* ticker reset changes the period: ticks due 20 ms apart (a value is
     * its tick's due time give or take the microseconds between two clock
     * reads, so the spacing holds whatever the load) */
    CHECK(goc_ticker_reset(t, 0) == -EINVAL);
    int64_t t2 = goc_now();
    CHECK(goc_ticker_reset(t, 20 * MS) == 1);
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECK(v >= t2 + 20 * MS - MS);
    prev = v;
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECKF(v - prev >= 19 * MS && (v - prev + MS) % (20 * MS) <= 2 * MS,
           "ticks %lld ns apart", (long long)(v - prev));
    goc_timer_free(t);
    /* a one-shot timer becomes a ticker */
    t = goc_timer_new(1000 * MS, 0);
    CHECK(goc_ticker_reset(t, 2 * MS) == 1);
    for (int i = 0; i < 3; i++)
        CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECK(goc_ticker_reset(NULL, MS) == -EINVAL);
    goc_timer_free(t);
}

/* Stop / reset racing the firing: each goroutine arms a short timer and
 * stops or resets it around its firing time.  Invariants (nobody receives
 * before): stop of a never-received one-shot timer returns 1 and nothing
 * arrives afterwards; after reset exactly one value arrives, not early. */
static goc_wg wg;
static _Atomic long stops, fails;

static void racer(void *arg)
{
    long id = (long)arg;
    int64_t v;
    for (int r = 0; r < 20; r++) {
        int64_t d = 1000 * ((id * 7 + r * 13) % 200);   /* 0..200 us */
        goc_timer *t = goc_timer_new(d, 0);
        if ((r + id) % 3)
            goc_yield();
        else
            goc_sleep(d);
        if (r % 2 == 0) {
            if (goc_timer_stop(t) != 1)
                atomic_fetch_add(&fails, 1);
            goc_sleep(300000);
            if (goc_chan_tryrecv(goc_timer_chan(t), &v) != -EAGAIN)
                atomic_fetch_add(&fails, 1);
            atomic_fetch_add(&stops, 1);
        } else {
            int64_t t0 = goc_now();
            goc_timer_reset(t, 100000);
            CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
            if (v < t0 + 100000 || goc_now() - t0 < 100000)
                atomic_fetch_add(&fails, 1);
            goc_sleep(300000);
            if (goc_chan_tryrecv(goc_timer_chan(t), &v) != -EAGAIN)
                atomic_fetch_add(&fails, 1);
        }
        goc_timer_free(t);
    }
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    basic();
    ticker();
    long n = test_scaled(500);
    goc_wg_add(&wg, (int)n);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(racer, (void *)i) == 0);
    goc_wg_wait(&wg);
    CHECKF(atomic_load(&fails) == 0, "%ld failures", atomic_load(&fails));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
