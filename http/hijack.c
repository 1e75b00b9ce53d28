/*
 * http/hijack.c — Go's Hijacker and 1xx responses: what a WebSocket or
 * other Upgrade library builds on.
 *
 * Hijack hands the connection's fd to the handler: pending responses to
 * earlier pipelined requests are written first, the socket watcher (if
 * any) is stopped, deadlines are cleared, and the bytes the server had
 * read but the handler had not consumed are copied out.  From then on the
 * server neither reads, writes nor closes the fd: the connection goroutine
 * only unlinks it from the server (it no longer counts as open) when the
 * handler returns.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef goc_http__conn conn;

int goc_http_hijack(goc_http_response *w, void *buf, size_t n, size_t *buffered)
{
    conn *c = w->c;
    goc_http__body *b = &c->b;
    int rc;

    if (c->hijacked || w->head_sent || w->written)
        return -EALREADY;
    if (goc_http__watch_stop(c) < 0)
        return -ENOMEM;
    size_t have = c->rlen - c->rpos;
    size_t dec = b->dend - b->dpos, raw = have - b->src;
    if (dec + raw > n)
        return -ENOSPC;
    if ((rc = goc_http__flush(c)) < 0)
        return rc;
    memcpy(buf, c->rb + c->rpos + b->dpos, dec);
    memcpy((char *)buf + dec, c->rb + c->rpos + b->src, raw);
    if (buffered)
        *buffered = dec + raw;
    b->dpos = b->dend;
    b->src = have;
    b->done = 1;                           /* nothing more for the server */
    b->cont = 0;
    c->rd = c->wd = INT64_MAX;
    goc_set_deadline(c->fd, 0, 0);
    c->hijacked = 1;
    w->close = 1;
    return c->fd;
}

int goc_http_write_1xx(goc_http_response *w, int code)
{
    conn *c = w->c;
    char line[64];
    int rc;

    if (code < 100 || code > 199 || code == 101)
        return -EINVAL;
    if (c->hijacked || w->head_sent || w->written)
        return -EALREADY;
    if (c->req.version_minor == 0)
        return 0;                          /* RFC 9110 §15.2: never to 1.0 */
    int k = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", code, goc_http_status_text(code));
    if (goc_http__buf_put(&c->ob, line, (size_t)k) < 0
        || goc_http__buf_put(&c->ob, w->hb.p, w->hb.len) < 0
        || goc_http__buf_put(&c->ob, "\r\n", 2) < 0)
        return -ENOMEM;
    if (code == 100)
        c->b.cont = 0;                     /* the handler sent it itself */
    if ((rc = goc_http__flush(c)) < 0)
        return w->err = rc;
    return 0;
}
