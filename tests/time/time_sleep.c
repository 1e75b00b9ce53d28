/* time_sleep: goc_sleep never returns early, for durations from 1 ns to
 * 50 ms, from many goroutines at once and from a foreign thread (which also
 * uses a channel timer); the mean oversleep stays bounded. */
#include <pthread.h>
#include <stdatomic.h>

#include "goc.h"
#include "testutil.h"

static const int64_t durs[] = { 1, 1000, 50000, 1000000, 5000000, 20000000, 50000000 };
#define NDUR (sizeof durs / sizeof durs[0])

static goc_wg wg;
static _Atomic int64_t over_sum;
static _Atomic long over_n;

static void sleeper(void *arg)
{
    long k = (long)arg;
    for (int r = 0; r < 3; r++) {
        int64_t d = durs[(k + r) % NDUR];
        int64_t t0 = goc_now();
        goc_sleep(d);
        int64_t el = goc_now() - t0;
        CHECKF(el >= d, "slept %lld ns of %lld", (long long)el, (long long)d);
        atomic_fetch_add(&over_sum, el - d);
        atomic_fetch_add(&over_n, 1);
    }
    goc_wg_done(&wg);
}

static void *foreign(void *arg)
{
    (void)arg;
    for (size_t i = 0; i < NDUR; i++) {
        int64_t t0 = goc_now();
        goc_sleep(durs[i]);
        CHECK(goc_now() - t0 >= durs[i]);
    }
    /* a channel timer from a thread goc did not make */
    int64_t t0 = goc_now(), v;
    goc_timer *t = goc_timer_new(2000000, 0);
    CHECK(t != NULL);
    CHECK(goc_chan_recv(goc_timer_chan(t), &v) == 0);
    CHECK(goc_now() - t0 >= 2000000 && v >= t0 + 2000000);
    CHECK(goc_timer_reset(t, 1000000000) == 0);
    CHECK(goc_timer_stop(t) == 1);
    goc_timer_free(t);
    return NULL;
}

static void main_g(void *arg)
{
    (void)arg;
    /* zero and negative durations return at once */
    int64_t t0 = goc_now();
    goc_sleep(0);
    goc_sleep(-5);
    CHECK(goc_now() - t0 < 10000000);

    pthread_t th;
    CHECK(pthread_create(&th, NULL, foreign, NULL) == 0);
    long n = 200;
    goc_wg_add(&wg, (int)n);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(sleeper, (void *)i) == 0);
    goc_wg_wait(&wg);
    goc_syscall_enter();    /* blocks the thread: let the P go */
    pthread_join(th, NULL);
    goc_syscall_exit();
    int64_t mean = atomic_load(&over_sum) / atomic_load(&over_n);
    printf("mean oversleep %lld us\n", (long long)mean / 1000);
    CHECKF(mean < 20000000, "mean oversleep %lld ns", (long long)mean);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
