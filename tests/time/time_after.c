/* time_after: goc_after (Go's time.After for one wait).  It fires, never
 * early; the select or receive that includes it spends it whichever case
 * wins (and a -EAGAIN try does not); a million selects where the other case
 * wins leave nothing behind (goc_after_chans stays at the per-goroutine
 * cache, RSS flat); channels never waited on are freed when their goroutine
 * exits, and when a foreign thread exits; a 1-element duplicate in a
 * select is spent once; goc_chan_recv_timeout (built on goc_after) still
 * times out and delivers. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <goc.h>
#include "runtime.h"
#include "testutil.h"

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = atol(line + 6);
    if (f)
        fclose(f);
    return v;
}

/* Poll the live count down to want (goroutine exits run after wg_done). */
static void wait_chans(int64_t want)
{
    int64_t end = goc_now() + 5 * GOC_SECOND;
    while (goc__after_chans() > want && goc_now() < end)
        goc_sleep(GOC_MILLISECOND);
    CHECKF(goc__after_chans() <= want, "after_chans %lld, want <= %lld",
           (long long)goc__after_chans(), (long long)want);
}

static void fires_not_early(void)
{
    for (int i = 0; i < 50; i++) {
        int64_t d = (i % 10) * 2 * GOC_MILLISECOND, when = 0;
        int64_t t0 = goc_now();
        CHECK(goc_chan_recv(goc_after(d), &when) == 0);
        int64_t t1 = goc_now();
        CHECKF(t1 - t0 >= d, "woke after %lld ns, wanted %lld", (long long)(t1 - t0), (long long)d);
        CHECK(when >= t0 + d && when <= t1);
    }
    /* ns <= 0: at once */
    int64_t when;
    CHECK(goc_chan_recv(goc_after(-5), &when) == 0);
    /* in a select with a channel that never becomes ready */
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    int64_t t0 = goc_now();
    goc_case cs[] = {
        { .chan = never, .op = GOC_RECV },
        { .chan = goc_after(30 * GOC_MILLISECOND), .op = GOC_RECV, .elem = &when },
    };
    CHECK(goc_select(cs, 2, 1) == 1);
    CHECK(goc_now() - t0 >= 30 * GOC_MILLISECOND);
    CHECK(when >= t0 + 30 * GOC_MILLISECOND);
    goc_chan_free(never);
}

static void polling(void)
{
    /* tries and non-blocking selects that find nothing leave it armed */
    for (int round = 0; round < 2; round++) {
        int64_t t0 = goc_now();    /* before: the channel is due at its start + 20 ms */
        goc_chan *a = goc_after(20 * GOC_MILLISECOND);
        long spins = 0;
        for (;;) {
            int r;
            if (round == 0) {
                r = goc_chan_tryrecv(a, NULL);
            } else {
                goc_chan *never = NULL;
                goc_case cs[] = { { .chan = a, .op = GOC_RECV }, { .chan = never, .op = GOC_RECV } };
                r = goc_select(cs, 2, 0);
            }
            if (r == 0)
                break;
            CHECK(r == -EAGAIN);
            goc_sleep(GOC_MILLISECOND);
            spins++;
        }
        CHECK(goc_now() - t0 >= 20 * GOC_MILLISECOND);
        CHECK(spins > 0);
    }
}

static void other_case_wins(void)
{
    goc_chan *ready = goc_chan_make(0, 0);
    goc_chan_close(ready);
    int64_t base = goc__after_chans();
    long n = test_scaled(1000000);
    long rss0 = 0;
    for (long i = 0; i < n; i++) {
        goc_case cs[] = {
            { .chan = ready, .op = GOC_RECV },
            { .chan = goc_after(GOC_SECOND), .op = GOC_RECV },
        };
        CHECK(goc_select(cs, 2, 1) == 0);
        CHECK(cs[0].result == -EPIPE);
        if (i == n / 10)
            rss0 = rss_kib();
        if ((i & 0xffff) == 0)
            CHECKF(goc__after_chans() <= base + 1, "after_chans %lld at %ld",
                   (long long)goc__after_chans(), i);
    }
    long rss1 = rss_kib();
    CHECK(goc__after_chans() <= base + 1);
    CHECKF(rss1 - rss0 < 2048, "RSS grew %ld KiB over %ld selects", rss1 - rss0, n);
    /* a buffered channel with a value wins too; the blocking receive form */
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    for (int i = 0; i < 1000; i++) {
        int v = i, got = -1;
        CHECK(goc_chan_send(c, &v) == 0);
        CHECK(goc_chan_recv_timeout(c, &got, GOC_SECOND) == 0 && got == i);
    }
    CHECK(goc_chan_recv_timeout(c, NULL, 5 * GOC_MILLISECOND) == -ETIMEDOUT);
    CHECK(goc_chan_recv_timeout(NULL, NULL, GOC_MILLISECOND) == -ETIMEDOUT);
    CHECK(goc__after_chans() <= base + 4);
    goc_chan_free(c);
    goc_chan_free(ready);
}

static void dup_cases(void)
{
    goc_chan *a = goc_after(GOC_MILLISECOND);
    int64_t w1 = 0, w2 = 0;
    goc_case cs[] = {
        { .chan = a, .op = GOC_RECV, .elem = &w1 },
        { .chan = a, .op = GOC_RECV, .elem = &w2 },
    };
    int i = goc_select(cs, 2, 1);
    CHECK(i == 0 || i == 1);
    CHECK(w1 > 0 || w2 > 0);
}

/* Goroutines that make channels and never wait on them. */
static goc_wg wg;
static void abandoner(void *arg)
{
    long k = (long)arg;
    for (long i = 0; i < k; i++)
        (void)goc_after(i % 2 ? GOC_MILLISECOND : 3600 * GOC_SECOND);
    goc_wg_done(&wg);
}

static void never_waited(void)
{
    int64_t base = goc__after_chans();
    long g = test_scaled(2000);
    goc_wg_add(&wg, (int)g);
    for (long i = 0; i < g; i++)
        CHECK(goc_go(abandoner, (void *)(i % 7 + 1)) == 0);
    goc_wg_wait(&wg);
    wait_chans(base);
    /* the stats gauge shows it */
    char buf[8192];
    CHECK(goc_debug_stats(buf, sizeof buf) > 0);
    CHECK(strstr(buf, "goc_after_chans ") != NULL);
}

static void *foreign(void *arg)
{
    (void)arg;
    int64_t when;
    CHECK(goc_chan_recv(goc_after(2 * GOC_MILLISECOND), &when) == 0);
    (void)goc_after(3600 * GOC_SECOND);   /* left for the thread's exit */
    CHECK(goc_chan_recv_timeout(NULL, NULL, GOC_MILLISECOND) == -ETIMEDOUT);
    return NULL;
}

static void foreign_thread(void)
{
    int64_t base = goc__after_chans();
    pthread_t th;
    CHECK(pthread_create(&th, NULL, foreign, NULL) == 0);
    goc_syscall_enter();
    pthread_join(th, NULL);
    goc_syscall_exit();
    CHECK(goc__after_chans() == base);
}

static void main_g(void *arg)
{
    (void)arg;
    fires_not_early();
    polling();
    dup_cases();
    other_case_wins();
    never_waited();
    foreign_thread();
    printf("ok\n");
}

int main(void)
{
    return goc_main(main_g, NULL);
}
