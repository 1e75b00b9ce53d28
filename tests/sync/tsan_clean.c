/* tsan_clean.c — plain (non-atomic) data handed between goroutines only
 * through channel send→receive, close→receive, unlock→lock, Done→Wait,
 * semaphore release→acquire and Once.  Under ThreadSanitizer this must
 * produce no report; elsewhere it checks the values. */
#include <goc.h>
#include "testutil.h"

struct msg { long payload[8]; };

static goc_chan *unbuf, *buf, *closed_c;
static long via_close, via_mutex, via_wg[4], via_sem, via_once;
static goc_mutex mu;
static goc_wg wg;
static uint32_t sem;
static goc_once once;

static void sender(void *arg)
{
    (void)arg;
    long n = test_scaled(20000);
    for (long i = 0; i < n; i++) {
        struct msg *m = malloc(sizeof *m);
        for (int k = 0; k < 8; k++)
            m->payload[k] = i + k;            /* written before the send */
        CHECK(goc_chan_send((i & 1) ? unbuf : buf, &m) == 0);
    }
    via_close = 77;
    goc_chan_close(closed_c);
}

static void wg_worker(void *arg)
{
    long id = (long)arg;
    via_wg[id] = id * 10;
    goc_mutex_lock(&mu);
    via_mutex += id;
    goc_mutex_unlock(&mu);
    goc_wg_done(&wg);
}

static void sem_poster(void *arg)
{
    (void)arg;
    via_sem = 5;
    goc_sem_release(&sem);
}

static void set_once(void *arg)
{
    (void)arg;
    via_once = 9;
}

static void once_user(void *arg)
{
    (void)arg;
    goc_once_do(&once, set_once, NULL);
    CHECK(via_once == 9);
    goc_wg_done(&wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    unbuf = goc_chan_make(sizeof(struct msg *), 0);
    buf = goc_chan_make(sizeof(struct msg *), 8);
    closed_c = goc_chan_make(0, 0);
    CHECK(goc_go(sender, NULL) == 0);
    long n = test_scaled(20000);
    for (long i = 0; i < n; i++) {
        struct msg *m;
        goc_case cs[2] = { { unbuf, GOC_RECV, &m, 0 }, { buf, GOC_RECV, &m, 0 } };
        int k = goc_select(cs, 2, 1);
        CHECK(k >= 0);
        CHECK(m->payload[7] - m->payload[0] == 7);
        m->payload[0] = -1;                   /* the receiver owns it now */
        free(m);
    }
    CHECK(goc_chan_recv(closed_c, NULL) != 0);
    CHECK(via_close == 77);

    goc_wg_add(&wg, 4);
    for (long i = 0; i < 4; i++)
        CHECK(goc_go(wg_worker, (void *)i) == 0);
    goc_wg_wait(&wg);
    for (long i = 0; i < 4; i++)
        CHECK(via_wg[i] == i * 10);
    goc_mutex_lock(&mu);
    CHECK(via_mutex == 6);
    goc_mutex_unlock(&mu);

    CHECK(goc_go(sem_poster, NULL) == 0);
    goc_sem_acquire(&sem);
    CHECK(via_sem == 5);

    goc_wg_add(&wg, 4);
    for (int i = 0; i < 4; i++)
        CHECK(goc_go(once_user, NULL) == 0);
    goc_wg_wait(&wg);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
