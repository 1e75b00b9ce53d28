/*
 * http/context.c — the request's cancellation channel (Go's
 * Request.Context().Done()).
 *
 * goc_http_request_done creates, on first use, a channel that is closed
 * when the client goes away, when the server shuts down, or when the
 * handler returns.  Requests that never ask pay nothing.
 *
 * Noticing that the client left while the handler runs needs a read on
 * the socket.  As Go's backgroundRead, a watcher goroutine reads one byte
 * once the request body has been consumed (before that the handler owns
 * the reads): EOF or an error means the client is gone; a byte means it
 * pipelined the next request, so the watcher keeps it (c->peek) and stops.
 * The watcher is the only reader while it runs; the connection goroutine
 * may write (the poller keeps one reader and one writer per fd).  When the
 * handler returns, the connection sets a read deadline in the past to stop
 * the watcher, waits for it (watch_wg), and puts the peeked byte after what
 * the read buffer holds.
 *
 * Lock: the channel pointer and done_closed are under s->mu, so shutdown
 * can close the channels of running requests.  goc_chan_close only readies
 * the waiters (it never blocks), which is why it may run under s->mu.
 * A closed channel is freed when the connection's next request asks for
 * one, or when the connection ends, not when the handler returns: a
 * goroutine the handler woke may still be leaving its select.
 */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef goc_http__conn conn;

/* Under s->mu. */
static void close_done(conn *c, int why)
{
    if (c->done && !c->done_closed) {
        c->done_closed = 1;
        atomic_store_explicit(&c->cancel_err, why, memory_order_relaxed);
        goc_chan_close(c->done);
    }
}

static void watch_main(void *arg)
{
    conn *c = arg;
    char byte;
    ssize_t n = goc_read(c->fd, &byte, 1);

    if (n == 1) {
        c->peek = byte;                    /* read after watch_wg */
        c->peeked = 1;
    } else if (n != -ETIMEDOUT) {          /* -ETIMEDOUT: told to stop */
        atomic_store_explicit(&c->gone, 1, memory_order_relaxed);
        goc_mutex_lock(&c->s->mu);
        close_done(c, -ECONNRESET);
        goc_mutex_unlock(&c->s->mu);
    }
    goc_wg_done(&c->watch_wg);
}

void goc_http__watch(conn *c)
{
    c->watch_on_eof = 0;
    if (c->watching)
        return;
    /* no read deadline while watching: a long handler is not a slow client */
    c->rd = INT64_MAX;
    goc_set_deadline(c->fd, 0, c->wd == INT64_MAX ? 0 : c->wd);
    goc_wg_add(&c->watch_wg, 1);
    c->watching = 1;
    if (goc_go(watch_main, c) < 0) {
        c->watching = 0;
        goc_wg_done(&c->watch_wg);
    }
}

goc_chan *goc_http_request_done(goc_http_request *r)
{
    conn *c = r->conn;

    if (c->done)
        return c->done;
    goc_chan *ch = goc_chan_make(0, 0);
    if (!ch)
        return NULL;
    goc_mutex_lock(&c->s->mu);
    goc_chan *old = c->done_old;
    c->done_old = NULL;
    c->done = ch;
    c->done_closed = 0;
    atomic_store_explicit(&c->cancel_err, 0, memory_order_relaxed);
    if (atomic_load(&c->s->shutting))
        close_done(c, -ESHUTDOWN);
    goc_mutex_unlock(&c->s->mu);
    if (old)
        goc_chan_free(old);
    if (c->b.done)
        goc_http__watch(c);
    else
        c->watch_on_eof = 1;               /* body.c starts it at the end */
    return ch;
}

int goc_http_request_canceled(const goc_http_request *r)
{
    return atomic_load_explicit(&r->conn->cancel_err, memory_order_relaxed);
}

int goc_http__watch_stop(conn *c)
{
    if (!c->watching)
        return 0;
    goc_set_deadline(c->fd, 1, c->wd == INT64_MAX ? 0 : c->wd);
    goc_wg_wait(&c->watch_wg);
    c->watching = 0;
    c->rd = INT64_MAX;
    goc_set_deadline(c->fd, 0, c->wd == INT64_MAX ? 0 : c->wd);
    if (c->peeked) {
        c->peeked = 0;
        if (goc_http__room(c, c->rlen - c->rpos + 1) < 0)
            return -1;
        c->rb[c->rlen++] = c->peek;
    }
    return 0;
}

int goc_http__ctx_end(conn *c)
{
    int rc = 0;

    c->watch_on_eof = 0;
    if (!c->done)
        return 0;
    if (goc_http__watch_stop(c) < 0)
        rc = -1;
    goc_mutex_lock(&c->s->mu);
    close_done(c, -ECANCELED);
    c->done_old = c->done;
    c->done = NULL;
    goc_mutex_unlock(&c->s->mu);
    if (atomic_load_explicit(&c->gone, memory_order_relaxed))
        rc = -1;
    return rc;
}

void goc_http__ctx_shutdown(goc_http_server *s)
{
    /* under s->mu (poke) */
    for (conn *c = s->conns; c; c = c->next)
        close_done(c, -ESHUTDOWN);
}

void goc_http__ctx_free(conn *c)
{
    if (c->done_old)
        goc_chan_free(c->done_old);
    c->done_old = NULL;
}
