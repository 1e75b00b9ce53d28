/* chan_basic.c — which channel operations block and which proceed, close
 * semantics, FIFO order, len/cap, nil channels, bad arguments. */
#include <errno.h>
#include <string.h>
#include <goc.h>
#include "testutil.h"

static void test_unbuffered_try(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    int v = 7;
    CHECK(c != NULL);
    CHECK(goc_chan_cap(c) == 0 && goc_chan_len(c) == 0);
    CHECK(goc_chan_trysend(c, &v) == -EAGAIN);   /* nobody receives */
    CHECK(goc_chan_tryrecv(c, &v) == -EAGAIN);   /* nobody sends */
    goc_chan_free(c);
}

static void test_buffered_try(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 3);
    for (int i = 0; i < 3; i++) {
        CHECK(goc_chan_trysend(c, &i) == 0);
        CHECK(goc_chan_len(c) == (size_t)i + 1);
    }
    int v = 99;
    CHECK(goc_chan_trysend(c, &v) == -EAGAIN);   /* full */
    CHECK(goc_chan_cap(c) == 3);
    for (int i = 0; i < 3; i++) {
        CHECK(goc_chan_tryrecv(c, &v) == 0);
        CHECK(v == i);                           /* FIFO */
    }
    CHECK(goc_chan_tryrecv(c, &v) == -EAGAIN);   /* empty */
    /* blocking ops that can proceed do so without a partner */
    v = 5;
    CHECK(goc_chan_send(c, &v) == 0);
    v = 0;
    CHECK(goc_chan_recv(c, &v) == 0 && v == 5);
    goc_chan_free(c);
}

static void test_close(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 4);
    for (int i = 1; i <= 3; i++)
        CHECK(goc_chan_send(c, &i) == 0);
    CHECK(goc_chan_close(c) == 0);
    CHECK(goc_chan_close(c) == -EPIPE);          /* close of closed */
    int v = 42;
    CHECK(goc_chan_send(c, &v) == -EPIPE);
    CHECK(goc_chan_trysend(c, &v) == -EPIPE);
    for (int i = 1; i <= 3; i++) {              /* buffered still delivered */
        CHECK(goc_chan_recv(c, &v) == 0);
        CHECK(v == i);
    }
    v = 42;
    CHECK(goc_chan_recv(c, &v) == -EPIPE && v == 0);   /* zeroed */
    v = 42;
    CHECK(goc_chan_tryrecv(c, &v) == -EPIPE && v == 0);
    CHECK(goc_chan_recv(c, NULL) == -EPIPE);
    goc_chan_free(c);

    goc_chan *u = goc_chan_make(sizeof(int), 0);
    CHECK(goc_chan_close(u) == 0);
    v = 1;
    CHECK(goc_chan_recv(u, &v) == -EPIPE && v == 0);
    CHECK(goc_chan_trysend(u, &v) == -EPIPE);
    goc_chan_free(u);
}

struct waiter { goc_chan *c, *done; int op; int rc; int val; };

static void waiter_fn(void *arg)
{
    struct waiter *w = arg;
    w->val = 1234;
    if (w->op == GOC_RECV)
        w->rc = goc_chan_recv(w->c, &w->val);
    else
        w->rc = goc_chan_send(w->c, &w->val);
    goc_chan_send(w->done, NULL);
}

static void test_close_wakes(void)
{
    enum { N = 8 };
    for (int op = GOC_SEND; op <= GOC_RECV; op++) {
        goc_chan *c = goc_chan_make(sizeof(int), 0);
        goc_chan *done = goc_chan_make(0, N);
        struct waiter w[N];
        for (int i = 0; i < N; i++) {
            w[i] = (struct waiter){ c, done, op, 1, 0 };
            CHECK(goc_go(waiter_fn, &w[i]) == 0);
        }
        /* let them block */
        for (int k = 0; k < 100; k++)
            goc_yield();
        CHECK(goc_chan_close(c) == 0);
        for (int i = 0; i < N; i++)
            CHECK(goc_chan_recv(done, NULL) == 0);
        for (int i = 0; i < N; i++) {
            CHECK(w[i].rc == -EPIPE);
            if (op == GOC_RECV)
                CHECK(w[i].val == 0);
        }
        goc_chan_free(c);
        goc_chan_free(done);
    }
}

struct pc { goc_chan *c; int n; };

static void producer(void *arg)
{
    struct pc *p = arg;
    for (int i = 0; i < p->n; i++)
        CHECK(goc_chan_send(p->c, &i) == 0);
    goc_chan_close(p->c);
}

static void test_fifo(size_t cap)
{
    struct pc p = { goc_chan_make(sizeof(int), cap), (int)test_scaled(100000) };
    CHECK(goc_go(producer, &p) == 0);
    int v, want = 0;
    while (goc_chan_recv(p.c, &v) == 0) {
        CHECKF(v == want, "cap %zu: got %d want %d", cap, v, want);
        want++;
    }
    CHECK(want == p.n);
    goc_chan_free(p.c);
}

static void test_args(void)
{
    CHECK(goc_chan_make(65537, 1) == NULL);
    goc_chan *big = goc_chan_make(65536, 0);
    CHECK(big != NULL);
    goc_chan_free(big);
    CHECK(goc_chan_make(1 << 16, SIZE_MAX / 2) == NULL);
    CHECK(goc_chan_trysend(NULL, &(int){1}) == -EAGAIN);
    CHECK(goc_chan_tryrecv(NULL, NULL) == -EAGAIN);
    CHECK(goc_chan_len(NULL) == 0 && goc_chan_cap(NULL) == 0);
    goc_chan_free(NULL);
}

/* elem sizes 0, 1 and 64 KiB, buffered and unbuffered */
struct big { goc_chan *c; size_t sz; int n; };

static void big_sender(void *arg)
{
    struct big *b = arg;
    unsigned char *buf = malloc(b->sz ? b->sz : 1);
    for (int i = 0; i < b->n; i++) {
        memset(buf, i & 0xff, b->sz);
        CHECK(goc_chan_send(b->c, buf) == 0);
    }
    free(buf);
    goc_chan_close(b->c);
}

static void test_elem_sizes(void)
{
    size_t sizes[] = { 0, 1, 65536 };
    size_t caps[] = { 0, 1, 5 };
    for (int s = 0; s < 3; s++) {
        for (int k = 0; k < 3; k++) {
            struct big b = { goc_chan_make(sizes[s], caps[k]), sizes[s], 200 };
            CHECK(b.c != NULL);
            CHECK(goc_go(big_sender, &b) == 0);
            unsigned char *buf = malloc(b.sz ? b.sz : 1);
            int i = 0;
            while (goc_chan_recv(b.c, buf) == 0) {
                for (size_t j = 0; j < b.sz; j += 4093)
                    CHECKF(buf[j] == (i & 0xff), "size %zu cap %zu item %d", b.sz, caps[k], i);
                if (b.sz)
                    CHECK(buf[b.sz - 1] == (i & 0xff));
                i++;
            }
            CHECK(i == b.n);
            for (size_t j = 0; j < b.sz; j++)
                CHECK(buf[j] == 0);   /* zeroed by the closed receive */
            free(buf);
            goc_chan_free(b.c);
        }
    }
}

static void main_fn(void *arg)
{
    (void)arg;
    test_unbuffered_try();
    test_buffered_try();
    test_close();
    test_close_wakes();
    test_fifo(0);
    test_fifo(1);
    test_fifo(64);
    test_args();
    test_elem_sizes();
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
