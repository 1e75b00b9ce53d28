/* chan_helpers.c — the two-case conveniences (recv_ok, send/recv with a
 * timeout or a context) and typed channels (GOC_CHAN_TYPE). */
#include <errno.h>
#include <goc.h>
#include "testutil.h"

#define MS 1000000LL

GOC_CHAN_TYPE(longch, long);
struct pt { int x, y; };
GOC_CHAN_TYPE(ptch, struct pt);

static goc_chan *late;

static void send_later(void *arg)
{
    goc_sleep((int64_t)(intptr_t)arg);
    long v = 42;
    goc_chan_send(late, &v);
}

static void main_g(void *arg)
{
    (void)arg;
    /* recv_ok: values, then 0 once closed and drained. */
    goc_chan *c = goc_chan_make(sizeof(long), 2);
    long v = 7;
    goc_chan_send(c, &v);
    goc_chan_close(c);
    v = 0;
    CHECK(goc_chan_recv_ok(c, &v) == 1 && v == 7);
    CHECK(goc_chan_recv_ok(c, &v) == 0 && v == 0);
    goc_chan_free(c);

    /* Timeouts: nothing arrives -> -ETIMEDOUT after the time. */
    c = goc_chan_make(sizeof(long), 0);
    int64_t t0 = goc_now();
    CHECK(goc_chan_recv_timeout(c, &v, 5 * MS) == -ETIMEDOUT);
    CHECK(goc_now() - t0 >= 5 * MS);
    CHECK(goc_chan_send_timeout(c, &v, 2 * MS) == -ETIMEDOUT);
    CHECK(goc_chan_recv_timeout(c, &v, 0) == -ETIMEDOUT);
    CHECK(goc_chan_recv_timeout(NULL, &v, MS) == -ETIMEDOUT);
    /* ... and a value that comes in time wins. */
    late = c;
    goc_go(send_later, (void *)(intptr_t)(2 * MS));
    CHECK(goc_chan_recv_timeout(c, &v, 5000 * MS) == 0 && v == 42);
    goc_chan_close(c);
    CHECK(goc_chan_recv_timeout(c, &v, 5000 * MS) == -EPIPE);
    CHECK(goc_chan_send_timeout(c, &v, 5000 * MS) == -EPIPE);
    goc_chan_free(c);

    /* Context forms. */
    c = goc_chan_make(sizeof(long), 0);
    t0 = goc_now();
    goc_ctx *ctx = goc_ctx_with_timeout(NULL, 5 * MS);
    CHECK(goc_chan_recv_ctx(c, &v, ctx) == -ETIMEDOUT);
    CHECK(goc_now() - t0 >= 5 * MS);
    CHECK(goc_chan_send_ctx(c, &v, ctx) == -ETIMEDOUT);   /* already done */
    goc_ctx_free(ctx);
    ctx = goc_ctx_with_cancel(NULL);
    late = c;
    goc_go(send_later, (void *)(intptr_t)MS);
    CHECK(goc_chan_recv_ctx(c, &v, ctx) == 0 && v == 42);
    goc_ctx_cancel(ctx, -EIO);
    CHECK(goc_chan_recv_ctx(c, &v, ctx) == -ECANCELED);
    goc_ctx_free(ctx);
    ctx = goc_ctx_with_timeout(NULL, 0);
    CHECK(goc_chan_recv_ctx(NULL, &v, ctx) == -ETIMEDOUT);
    goc_ctx_free(ctx);
    goc_chan_free(c);

    /* Typed channels. */
    longch lc = longch_make(4);
    CHECK(longch_chan(lc) != NULL && goc_chan_cap(longch_chan(lc)) == 4);
    CHECK(longch_send(lc, 1) == 0 && longch_trysend(lc, 2) == 0);
    long got = 0;
    CHECK(longch_recv(lc, &got) == 0 && got == 1);
    CHECK(longch_tryrecv(lc, &got) == 0 && got == 2);
    CHECK(longch_tryrecv(lc, &got) == -EAGAIN);
    CHECK(longch_close(lc) == 0);
    CHECK(longch_recv_ok(lc, &got) == 0);
    longch_free(lc);
    ptch pc = ptch_make(1);
    struct pt p = { 3, 4 }, q = { 0, 0 };
    CHECK(ptch_send(pc, p) == 0 && ptch_recv(pc, &q) == 0 && q.x == 3 && q.y == 4);
    ptch_free(pc);
    printf("chan helpers ok\n");
}

int main(void) { return goc_main(main_g, NULL); }
