/* select_basic.c — goc_select semantics: NULL channels ignored, the
 * non-blocking form, closed channels, one channel in two cases, send and
 * receive cases mixed, bad arguments, blocking until a partner arrives. */
#include <errno.h>
#include <goc.h>
#include "testutil.h"

static void test_nonblocking(void)
{
    goc_chan *a = goc_chan_make(sizeof(int), 0), *b = goc_chan_make(sizeof(int), 1);
    int x = 0, y = 5;
    goc_case cs[3] = {
        { NULL, GOC_RECV, &x, 0 },
        { a, GOC_RECV, &x, 0 },
        { b, GOC_RECV, &x, 0 },
    };
    CHECK(goc_select(cs, 3, 0) == -EAGAIN);
    CHECK(goc_chan_send(b, &y) == 0);
    CHECK(goc_select(cs, 3, 0) == 2 && x == 5 && cs[2].result == 0);
    CHECK(goc_select(cs, 3, 0) == -EAGAIN);
    /* send case ready on the buffered channel */
    goc_case snd[2] = { { a, GOC_SEND, &y, 0 }, { b, GOC_SEND, &y, 0 } };
    CHECK(goc_select(snd, 2, 0) == 1);
    CHECK(goc_select(snd, 2, 0) == -EAGAIN);
    CHECK(goc_chan_recv(b, &x) == 0 && x == 5);
    /* no cases at all */
    CHECK(goc_select(NULL, 0, 0) == -EAGAIN);
    goc_case nil1 = { NULL, GOC_SEND, &y, 0 };
    CHECK(goc_select(&nil1, 1, 0) == -EAGAIN);
    goc_chan_free(a);
    goc_chan_free(b);
}

static void test_einval(void)
{
    goc_chan *a = goc_chan_make(sizeof(int), 1);
    goc_case bad[2] = { { a, GOC_RECV, NULL, 0 }, { a, 7, NULL, 0 } };
    CHECK(goc_select(bad, 2, 0) == -EINVAL);
    CHECK(goc_select(bad, 65537, 0) == -EINVAL);
    goc_chan_free(a);
}

static void test_closed(void)
{
    goc_chan *a = goc_chan_make(sizeof(int), 0), *b = goc_chan_make(sizeof(int), 0);
    goc_chan_close(b);
    int x = 77;
    goc_case cs[2] = { { a, GOC_RECV, &x, 0 }, { b, GOC_RECV, &x, 0 } };
    CHECK(goc_select(cs, 2, 1) == 1 && cs[1].result == -EPIPE && x == 0);
    goc_case ss[2] = { { a, GOC_SEND, &x, 0 }, { b, GOC_SEND, &x, 0 } };
    CHECK(goc_select(ss, 2, 0) == 1 && ss[1].result == -EPIPE);
    goc_chan_free(a);
    goc_chan_free(b);
}

struct dup { goc_chan *c; int n; };

static void dup_sender(void *arg)
{
    struct dup d = *(struct dup *)arg;   /* main's frame ends with the last send */
    for (int i = 0; i < d.n; i++)
        CHECK(goc_chan_send(d.c, &i) == 0);
}

/* the same channel twice, blocking, with a partner arriving later */
static void test_duplicate(void)
{
    struct dup d = { goc_chan_make(sizeof(int), 0), 2000 };
    CHECK(goc_go(dup_sender, &d) == 0);
    int x0 = -1, x1 = -1, hits[2] = { 0, 0 };
    for (int i = 0; i < d.n; i++) {
        goc_case cs[3] = { { d.c, GOC_RECV, &x0, 0 }, { NULL, GOC_RECV, NULL, 0 },
                           { d.c, GOC_RECV, &x1, 0 } };
        int k = goc_select(cs, 3, 1);
        CHECK(k == 0 || k == 2);
        CHECK(cs[k].result == 0);
        CHECK((k == 0 ? x0 : x1) == i);
        hits[k / 2]++;
    }
    CHECK(hits[0] > 0 && hits[1] > 0);
    goc_chan_free(d.c);
}

struct echo { goc_chan *in, *out; int n; };

static void mixed_peer(void *arg)
{
    struct echo e = *(struct echo *)arg;   /* main's frame ends with the last send */
    for (int i = 0; i < e.n; i++) {
        int v;
        CHECK(goc_chan_recv(e.in, &v) == 0);
        CHECK(goc_chan_send(e.out, &v) == 0);
    }
}

/* a select with a send case and a receive case on different channels:
 * the send proceeds first (the peer receives), then the receive */
static void test_mixed(void)
{
    struct echo e = { goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), 0), 1000 };
    CHECK(goc_go(mixed_peer, &e) == 0);
    for (int i = 0; i < e.n; i++) {
        int snd = i, got = -1;
        goc_case cs[2] = { { e.in, GOC_SEND, &snd, 0 }, { e.out, GOC_RECV, &got, 0 } };
        CHECK(goc_select(cs, 2, 1) == 0);
        cs[0].chan = NULL;
        CHECK(goc_select(cs, 2, 1) == 1 && got == i);
    }
    goc_chan_free(e.in);
    goc_chan_free(e.out);
}

static void closer(void *arg)
{
    for (int k = 0; k < 50; k++)
        goc_yield();
    goc_chan_close(arg);
}

/* close wakes a blocked select: recv gets -EPIPE and a zeroed elem */
static void test_close_wakes_select(void)
{
    goc_chan *a = goc_chan_make(sizeof(int), 0), *b = goc_chan_make(sizeof(int), 0);
    int x = 9, y = 9;
    CHECK(goc_go(closer, b) == 0);
    goc_case cs[2] = { { a, GOC_RECV, &x, 0 }, { b, GOC_RECV, &y, 0 } };
    CHECK(goc_select(cs, 2, 1) == 1 && cs[1].result == -EPIPE && y == 0 && x == 9);
    goc_chan *s = goc_chan_make(sizeof(int), 0);
    CHECK(goc_go(closer, s) == 0);
    goc_case ss[2] = { { a, GOC_RECV, &x, 0 }, { s, GOC_SEND, &y, 0 } };
    CHECK(goc_select(ss, 2, 1) == 1 && ss[1].result == -EPIPE);
    /* nothing is left queued on a: freeing it is not misuse */
    goc_chan_free(a);
    goc_chan_free(b);
    goc_chan_free(s);
}

/* a large select (order arrays on the heap) */
static void test_many_cases(void)
{
    enum { N = 300 };
    goc_chan *cs[N];
    goc_case k[N];
    int v = 3;
    for (int i = 0; i < N; i++) {
        cs[i] = goc_chan_make(sizeof(int), 1);
        k[i] = (goc_case){ cs[i], GOC_RECV, &v, 0 };
    }
    CHECK(goc_select(k, N, 0) == -EAGAIN);
    CHECK(goc_chan_send(cs[217], &v) == 0);
    CHECK(goc_select(k, N, 1) == 217);
    for (int i = 0; i < N; i++)
        goc_chan_free(cs[i]);
}

static void main_fn(void *arg)
{
    (void)arg;
    test_nonblocking();
    test_einval();
    test_closed();
    test_duplicate();
    test_mixed();
    test_close_wakes_select();
    test_many_cases();
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
