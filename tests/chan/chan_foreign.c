/* chan_foreign.c — threads goc did not create send, receive, select, lock
 * a Mutex and wait on a WaitGroup; they block their own thread. */
#include <pthread.h>
#include <goc.h>
#include "testutil.h"

enum { NT = 3 };

static goc_chan *to_g, *sel_a, *sel_b, *hello;
static goc_mutex mu;
static long counter;
static goc_wg wg, start;
static long n;

static void *foreign(void *arg)
{
    long id = (long)arg;
    CHECK(goc_chan_recv(hello, NULL) == 0);   /* block once: see main_fn */
    for (long i = 0; i < n; i++) {
        long v = id * n + i;
        CHECK(goc_chan_send(to_g, &v) == 0);           /* blocks the thread */
        goc_mutex_lock(&mu);
        counter++;
        goc_mutex_unlock(&mu);
    }
    for (long i = 0; i < n; i++) {
        long v;
        goc_case cs[2] = { { sel_a, GOC_RECV, &v, 0 }, { sel_b, GOC_RECV, &v, 0 } };
        int k = goc_select(cs, 2, 1);
        CHECK(k == 0 || k == 1);
        CHECK(cs[k].result == 0);
    }
    goc_wg_wait(&start);   /* a goroutine releases it */
    goc_wg_done(&wg);
    return NULL;
}

static void locker(void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++) {
        goc_mutex_lock(&mu);
        counter++;
        goc_mutex_unlock(&mu);
    }
    goc_wg_done(&wg);
}

static void feeder(void *arg)
{
    (void)arg;
    for (long i = 0; i < NT * n; i++) {
        long v = i;
        goc_case cs[2] = { { sel_a, GOC_SEND, &v, 0 }, { sel_b, GOC_SEND, &v, 0 } };
        CHECK(goc_select(cs, 2, 1) >= 0);
    }
    goc_wg_done(&wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    n = test_scaled(20000);
    to_g = goc_chan_make(sizeof(long), 0);
    sel_a = goc_chan_make(sizeof(long), 0);
    sel_b = goc_chan_make(sizeof(long), 4);
    goc_wg_add(&start, 1);
    goc_wg_add(&wg, NT + 2);
    pthread_t th[NT];
    hello = goc_chan_make(0, 0);
    for (long t = 0; t < NT; t++)
        CHECK(pthread_create(&th[t], NULL, foreign, (void *)t) == 0);
    /* The deadlock check cannot know about a thread that has not used goc
     * yet; main stays runnable until every thread has blocked once. */
    for (int t = 0; t < NT; t++)
        while (goc_chan_trysend(hello, NULL) != 0)
            goc_yield();
    CHECK(goc_go(locker, NULL) == 0);
    CHECK(goc_go(feeder, NULL) == 0);
    long *seen = calloc((size_t)(NT * n), sizeof *seen);
    for (long i = 0; i < NT * n; i++) {
        long v;
        CHECK(goc_chan_recv(to_g, &v) == 0);
        CHECK(v >= 0 && v < NT * n && seen[v] == 0);
        seen[v] = 1;
    }
    goc_wg_done(&start);
    goc_wg_wait(&wg);
    goc_mutex_lock(&mu);
    CHECK(counter == (NT + 1) * n);
    goc_mutex_unlock(&mu);
    for (int t = 0; t < NT; t++)
        pthread_join(th[t], NULL);   /* they are done: Wait returned */
    free(seen);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
