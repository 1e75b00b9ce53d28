/*
 * http/body.c — request bodies, read by the handler as they arrive (Go's
 * Request.Body), with a per-request limit (MaxBytesReader), 100 Continue on
 * the first read that waits, and the discard of what is left unread.
 *
 * The body's bytes live in the connection's read buffer after the head
 * (goc_http__body in internal.h has the invariant on its offsets).  Chunked
 * bodies are decoded in place (parse.c) as they are taken.
 *
 * Two ways of reading:
 *   stream (goc_http_body_read)  bytes are handed out and forgotten: once
 *       the buffered part is consumed, the space after the head is reused,
 *       so a 50 MB upload passes through a few KiB.  A Content-Length body
 *       read into a buffer of 4 KiB or more goes from the socket straight
 *       into the caller's buffer.
 *   keep (goc_http_body_all)  the rest of the body is gathered contiguously
 *       in the read buffer, which grows to hold it (up to the limit).
 *
 * Errors are sticky (b.err) and mark the connection for closing: after a
 * failed read the position in the byte stream is unknown.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

typedef goc_http__conn conn;

static const char continue_100[] = "HTTP/1.1 100 Continue\r\n\r\n";

/* 4096: a read's worth when the body is consumed piecewise (Go's bufio
 * reader size); smaller reader buffers go through the read buffer. */
#define READ_CHUNK 4096

void goc_http__body_start(conn *c)
{
    goc_http__body *b = &c->b;

    memset(b, 0, sizeof *b);
    b->chunked = c->req.chunked;
    b->left = c->req.content_length > 0 ? (uint64_t)c->req.content_length : 0;
    b->done = !b->chunked && b->left == 0;
    b->limit = c->s->cfg.max_body_bytes;
    b->cont = c->hd.expect_continue && c->req.version_minor == 1 && !b->done;
    b->dpos = b->dend = b->src = c->hd.len;
    c->req.conn = c;
    c->npv = 0;                            /* no path values yet (mux.c) */
}

static int fail(conn *c, int err)
{
    if (c->b.err == 0)
        c->b.err = err;
    c->w.close = 1;
    return c->b.err;
}

/* -EMSGSIZE when the body is, or is announced to be, over the limit. */
static int over_limit(const goc_http__body *b)
{
    if (b->decoded > b->limit)
        return 1;
    return !b->chunked && b->left > b->limit - b->decoded;
}

/* About to wait for the client: send the owed 100 Continue (unless the
 * final head is already out) and whatever responses are pending. */
static int before_wait(conn *c)
{
    if (c->b.cont) {
        c->b.cont = 0;
        if (!c->w.head_sent
            && goc_http__buf_put(&c->ob, continue_100, sizeof continue_100 - 1) < 0)
            return -ENOMEM;
    }
    return goc_http__flush(c);
}

static int64_t deadline(conn *c)
{
    int64_t t = c->s->cfg.read_timeout;
    return t < 0 ? INT64_MAX : c->t_req + t;
}

/* Read more raw bytes into rb.  Stream mode first reclaims the space of
 * consumed body bytes; keep mode drops chunk framing between the decoded
 * bytes and the raw rest, so the decoded body stays contiguous. */
static int wire(conn *c, int keep)
{
    goc_http__body *b = &c->b;
    size_t have = c->rlen - c->rpos, raw = have - b->src, want;
    int rc;

    if ((rc = before_wait(c)) < 0)
        return rc;
    if (!keep && b->dpos == b->dend) {
        memmove(c->rb + c->rpos + c->hd.len, c->rb + c->rpos + b->src, raw);
        b->dpos = b->dend = b->src = c->hd.len;
    } else if (b->chunked) {
        memmove(c->rb + c->rpos + b->dend, c->rb + c->rpos + b->src, raw);
        b->src = b->dend;
    }
    c->rlen = c->rpos + b->src + raw;
    have = c->rlen - c->rpos;
    if (keep && !b->chunked)
        want = b->left > SIZE_MAX - have ? SIZE_MAX : have + (size_t)b->left;
    else if (keep)
        want = have + (have > READ_CHUNK ? have : READ_CHUNK);   /* doubling */
    else
        want = have + READ_CHUNK;
    if (goc_http__room(c, want) < 0)
        return -ENOMEM;
    ssize_t n = goc_http__read(c, c->rb + c->rlen, c->rcap - c->rlen, deadline(c));
    if (n == 0)
        return -ECONNRESET;                /* EOF inside the body */
    if (n < 0)
        return (int)n;
    c->rlen += (size_t)n;
    return 0;
}

/* Decode more body bytes into [dpos, dend).  1 on progress, 0 at the end
 * of the body, or a negative errno. */
static int fill(conn *c, int keep)
{
    goc_http__body *b = &c->b;

    for (;;) {
        if (b->err)
            return b->err;
        if (b->done)
            return 0;
        if (over_limit(b))
            return fail(c, -EMSGSIZE);
        size_t have = c->rlen - c->rpos;
        if (b->src < have && !b->chunked) {
            size_t k = have - b->src;
            if (k > b->left)
                k = (size_t)b->left;
            b->src += k;
            b->dend = b->src;              /* no framing: decoded == raw */
            b->left -= k;
            b->decoded += k;
            b->done = b->left == 0;
            return 1;
        }
        if (b->src < have) {
            size_t s = b->src, d = b->dend;
            int rc = goc_http__chunked_decode(&b->ck, c->rb + c->rpos, have, &s, &d,
                                              (size_t)b->decoded, b->limit,
                                              c->s->cfg.max_header_bytes);
            b->decoded += d - b->dend;
            b->src = s;
            b->dend = d;
            if (rc == 413)
                return fail(c, -EMSGSIZE);
            if (rc != GOC_HTTP__MORE && rc != GOC_HTTP__DONE)
                return fail(c, -EBADMSG);
            b->done = rc == GOC_HTTP__DONE;
            if (b->dend > b->dpos)
                return 1;
            if (b->done)
                return 0;
        }
        int rc = wire(c, keep);
        if (rc < 0)
            return fail(c, rc);
    }
}

/* A Content-Length body with nothing buffered: read from the socket into
 * the caller's buffer, no copy. */
static ssize_t read_direct(conn *c, void *buf, size_t n)
{
    goc_http__body *b = &c->b;
    int rc;

    if (over_limit(b))
        return fail(c, -EMSGSIZE);
    if ((rc = before_wait(c)) < 0)
        return fail(c, rc);
    if (n > b->left)
        n = (size_t)b->left;
    ssize_t got = goc_http__read(c, buf, n, deadline(c));
    if (got <= 0)
        return fail(c, got == 0 ? -ECONNRESET : (int)got);
    b->left -= (uint64_t)got;
    b->decoded += (uint64_t)got;
    b->done = b->left == 0;
    if (b->done && c->watch_on_eof)
        goc_http__watch(c);
    return got;
}

ssize_t goc_http_body_read(goc_http_request *r, void *buf, size_t n)
{
    conn *c = r->conn;
    goc_http__body *b = &c->b;

    if (b->err)
        return b->err;
    if (n == 0)
        return 0;
    if (b->dpos == b->dend) {
        if (!b->chunked && !b->done && n >= READ_CHUNK && b->src == c->rlen - c->rpos)
            return read_direct(c, buf, n);
        int rc = fill(c, 0);
        if (rc <= 0)
            return rc;
    }
    size_t k = b->dend - b->dpos;
    if (k > n)
        k = n;
    memcpy(buf, c->rb + c->rpos + b->dpos, k);
    b->dpos += k;
    if (b->done && c->watch_on_eof)
        goc_http__watch(c);
    return (ssize_t)k;
}

int goc_http_body_all(goc_http_request *r)
{
    conn *c = r->conn;
    goc_http__body *b = &c->b;
    int rc;

    while ((rc = fill(c, 1)) > 0)
        ;
    if (rc < 0)
        return rc;
    r->body = c->rb + c->rpos + b->dpos;
    r->body_len = b->dend - b->dpos;
    b->dpos = b->dend;
    if (c->watch_on_eof)
        goc_http__watch(c);
    return 0;
}

int goc_http_body_limit(goc_http_request *r, uint64_t max)
{
    r->conn->b.limit = max;
    return 0;
}

int goc_http__body_finish(conn *c)
{
    goc_http__body *b = &c->b;

    if (b->err)
        return -1;
    if (b->done)
        return 0;
    /* the client waits for 100 Continue that never came: it may send the
     * body or not, so the stream's next byte is unknowable (Go closes) */
    if (b->cont)
        return -1;
    if (!b->chunked && b->left > GOC_HTTP__DISCARD_MAX)
        return -1;
    uint64_t start = b->decoded;
    while (!b->done) {
        b->dpos = b->dend;
        if (b->decoded - start > GOC_HTTP__DISCARD_MAX || fill(c, 0) < 0)
            return -1;
    }
    return 0;
}
