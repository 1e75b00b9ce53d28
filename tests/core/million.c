/* million.c — a million goroutines alive at once, parked as real programs
 * park them: a third on a channel receive, a third in a WaitGroup wait, a
 * third in timer sleeps.  Checks the count, the memory per goroutine (one
 * touched stack page plus the G: ~4.3 KiB), and that every one of them wakes
 * and finishes.  Runs serially: it holds ~4.5 GB. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <goc.h>
#include "testutil.h"

#define MS 1000000LL

static goc_chan *gate;        /* unbuffered; closed to release its waiters */
static goc_wg    hold;        /* Done once to release the WaitGroup waiters */
static goc_wg    started, finished;
static _Atomic long woke_chan, woke_wg, woke_timer, timer_fires;

static void on_chan(void *arg)
{
    (void)arg;
    goc_wg_done(&started);
    long v;
    int r = goc_chan_recv(gate, &v);
    CHECKF(r == -EPIPE, "recv on closed gate: %d", r);
    atomic_fetch_add_explicit(&woke_chan, 1, memory_order_relaxed);
    goc_wg_done(&finished);
}

static void on_wg(void *arg)
{
    (void)arg;
    goc_wg_done(&started);
    goc_wg_wait(&hold);
    atomic_fetch_add_explicit(&woke_wg, 1, memory_order_relaxed);
    goc_wg_done(&finished);
}

static void on_timer(void *arg)
{
    long i = (long)arg;
    goc_wg_done(&started);
    /* Sleep 0.5-1.5 s (spread, so the heaps are not one burst): every one
     * wakes by its timer once, then parks again until released.  (They
     * used to sleep again and again: 333k wake-ups a second that a VM
     * with 12-16 us page faults could not keep up with; the run took
     * minutes instead of seconds.) */
    goc_sleep(500 * MS + (i % 1000) * MS);
    atomic_fetch_add_explicit(&timer_fires, 1, memory_order_relaxed);
    goc_wg_wait(&hold);
    atomic_fetch_add_explicit(&woke_timer, 1, memory_order_relaxed);
    goc_wg_done(&finished);
}

static long vmrss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    CHECK(f != NULL);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = atol(line + 6);
    fclose(f);
    return v;
}

static void main_g(void *arg)
{
    (void)arg;
    long n = test_scaled(1000000);
    long third = n / 3, nchan = third, nwg = third, ntimer = n - 2 * third;
    gate = goc_chan_make(sizeof(long), 0);
    goc_wg_add(&hold, 1);
    goc_wg_add(&started, (int)n);
    goc_wg_add(&finished, (int)n);
    long rss0 = vmrss_kib();
    int64_t t0 = goc_now();
    for (long i = 0; i < n; i++) {
        void (*fn)(void *) = i % 3 == 0 ? on_chan : i % 3 == 1 ? on_wg : on_timer;
        if (i % 3 == 0 && nchan-- <= 0) fn = on_timer;
        if (i % 3 == 1 && nwg-- <= 0) fn = on_timer;
        CHECK(goc_go(fn, (void *)i) == 0);
    }
    goc_wg_wait(&started);
    int64_t t1 = goc_now();
    goc_sleep(50 * MS);              /* the last ones reach their waits */
    CHECKF(goc_num_goroutines() == n + 1, "%d alive, want %ld",
           goc_num_goroutines(), n + 1);
    long rss1 = vmrss_kib();
    double per_g = (double)(rss1 - rss0) * 1024.0 / (double)n;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    /* One page of stack plus the G struct; a second page per G would be
     * 8 KiB.  Skipped under sanitizers (shadow memory). */
    if (n >= 100000)
        CHECKF(per_g < 6000, "%.0f bytes per parked goroutine", per_g);
#endif
    /* Wait until every timer goroutine has been woken by its timer once
     * (each sleeps at most 1.5 s), then release everybody. */
    while (atomic_load(&timer_fires) < ntimer)
        goc_sleep(100 * MS);
    CHECKF(goc_num_goroutines() == n + 1, "%d alive after timer wakeups",
           goc_num_goroutines());
    int64_t t2 = goc_now();
    goc_chan_close(gate);
    goc_wg_done(&hold);
    goc_wg_wait(&finished);
    int64_t t3 = goc_now();
    CHECK(atomic_load(&woke_chan) == third);
    CHECK(atomic_load(&woke_wg) == third);
    CHECK(atomic_load(&woke_timer) == n - 2 * third);
    while (goc_num_goroutines() > 1)     /* the last exits finish */
        goc_sleep(MS);
    printf("%ld goroutines parked at once (chan %ld, wg %ld, timers %ld): "
           "spawn %.0f ns/g, %.0f bytes/g, release+finish %.0f ms\n",
           n, third, third, n - 2 * third, (double)(t1 - t0) / (double)n, per_g,
           (double)(t3 - t2) / 1e6);
    goc_chan_free(gate);
}

int main(void) { return goc_main(main_g, NULL); }
