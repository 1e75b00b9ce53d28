/*
 * http/server.c — listener, accept loop, one goroutine per connection
 * reading requests (the response writer is response.c).
 *
 * A connection (struct conn) is owned by its goroutine; only the fields
 * marked "shared" are touched by others (the shutdown poller).
 *
 * The connection loop
 *   read_head  parse what is buffered; when the head is incomplete, flush the
 *              pending responses, then block in goc_read (one read per
 *              wake-up).
 *   handle     call the handler, which reads the body as it likes (body.c);
 *              discard what it left unread (or decide to close); append
 *              the response to ob.
 *   Pipelined requests already in the buffer are handled before anything is
 *   written, so a batch costs one goc_write; with one request per read the
 *   steady state is exactly one read(2) and one write(2) per request.
 *
 * Read buffer: rb[rpos..rlen) holds bytes not yet consumed.  Pointers in req
 * point into it; when the buffer must move (compaction or growth while a
 * head is parsed), rebase() shifts them.  The buffer starts at 4 KiB and
 * grows for a large head (up to max_header_bytes) or body; it shrinks back
 * once drained, so idle keep-alive connections stay small.
 *
 * Deadlines are lazy: goc_set_deadline is called only when the wanted
 * deadline is EARLIER than the one set (read), or the one set is less than
 * half the timeout away (write).  A read deadline that fires too early is
 * moved and the read retried.  So steady keep-alive traffic does not touch
 * the timer heap per request; the cost is a write timeout that fires between
 * half and all of write_timeout.
 *
 * Connection states (shared, atomic): GOC_HTTP__CS_ACTIVE while a request is being
 * read or handled, GOC_HTTP__CS_IDLE while blocked waiting for the first byte of the
 * next request.  Shutdown pokes idle connections (deadline in the past) and
 * lets active ones finish their response, as Go's Server.Shutdown does.
 *
 * Lock: server.mu (a goc_mutex) protects the connection list, nconns and
 * free_pending.  Nothing blocks while holding it (goc_set_deadline does not).
 */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define MS  GOC_HTTP__MS
#define SEC GOC_HTTP__SEC

typedef goc_http__conn conn;

/* 4096: a hello-world request is ~40 bytes and a browser's ~500; Go's bufio
 * reader is also 4 KiB.  Buffers above 64 KiB are given back when drained. */
/* ------------------------------------------------------------ deadlines -- */

static int apply_deadlines(conn *c)
{
    return goc_set_deadline(c->fd, c->rd == INT64_MAX ? 0 : c->rd,
                            c->wd == INT64_MAX ? 0 : c->wd);
}

/* The read deadline for `timeout` counted from `from`; INT64_MAX: none. */
static int64_t after(int64_t from, int64_t timeout)
{
    return timeout < 0 ? INT64_MAX : from + timeout;
}

/* goc_read into buf with deadline d (INT64_MAX: none): bytes, 0 at EOF,
 * or <0. */
ssize_t goc_http__read(conn *c, void *buf, size_t len, int64_t d)
{
    /* 8: each retry means the deadline fired early and was moved later;
     * more than a few in a row would be a runtime bug, not a slow client. */
    for (int tries = 0; tries < 8; tries++) {
        if (c->rd > d) {
            c->rd = d;
            apply_deadlines(c);
        }
        ssize_t n = goc_read(c->fd, buf, len);
        if (n > 0) {
            c->t_read = goc_now();
            if (c->t_req == 0)
                c->t_req = c->t_read;
            return n;
        }
        if (n != -ETIMEDOUT || atomic_load_explicit(&c->s->shutting, memory_order_relaxed))
            return n;
        if (goc_now() >= d) {
            atomic_fetch_add_explicit(&c->s->timeouts, 1, memory_order_relaxed);
            return n;
        }
        c->rd = d;                      /* fired early: a poke or a lazy one */
        apply_deadlines(c);
    }
    return -ETIMEDOUT;
}

/* Read into rb's free space. */
static ssize_t conn_read(conn *c, int64_t d)
{
    ssize_t n = goc_http__read(c, c->rb + c->rlen, c->rcap - c->rlen, d);
    if (n > 0)
        c->rlen += (size_t)n;
    return n;
}

/* --------------------------------------------------------- memory -- */

/* glibc keeps freed memory in its arenas (and raises its mmap threshold
 * after large frees, so later large buffers come from the arenas too): a
 * burst of uploads leaves hundreds of MiB resident.  malloc_trim gives it
 * back; it walks every arena, so it runs at most once a second, from one
 * goroutine that waits out the second after a large buffer was freed.
 * Process-wide (like malloc itself), so no server has to outlive it. */
static _Atomic int trim_pending;

static void trim_later(void *arg)
{
    (void)arg;
    goc_sleep(SEC);
    atomic_store(&trim_pending, 0);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void goc_http__trim(goc_http_server *s)
{
    (void)s;
    if (atomic_exchange(&trim_pending, 1) == 0 && goc_go(trim_later, NULL) < 0)
        atomic_store(&trim_pending, 0);
}

static void write_deadline(conn *c)
{
    int64_t wt = c->s->cfg.write_timeout;
    if (wt >= 0) {
        int64_t now = goc_now();
        if (c->wd == INT64_MAX || c->wd < now + wt / 2) {
            c->wd = now + wt;
            apply_deadlines(c);
        }
    }
}

/* ob is empty again: count the requests it carried, give back a large
 * buffer (a batch is 64 KiB plus one response head). */
static void written(conn *c)
{
    c->ob.len = 0;
    if (c->nreq) {
        atomic_fetch_add_explicit(&c->s->requests, c->nreq, memory_order_relaxed);
        c->nreq = 0;
    }
    if (c->ob.cap > 2 * GOC_HTTP__OB_FLUSH) {
        goc_http__buf_free(&c->ob);
        goc_http__trim(c->s);
    }
}

/* Write ob out.  0 or a negative errno. */
int goc_http__flush(conn *c)
{
    if (c->ob.len == 0)
        return 0;
    write_deadline(c);
    ssize_t n = goc_write(c->fd, c->ob.p, c->ob.len);
    written(c);
    return n < 0 ? (int)n : 0;
}

int goc_http__flush_with(conn *c, const void *p, size_t n, const char *tail)
{
    struct iovec iov[3];
    int cnt = 0, rc = 0;

    if (c->ob.len)
        iov[cnt++] = (struct iovec){c->ob.p, c->ob.len};
    if (n)
        iov[cnt++] = (struct iovec){(void *)p, n};
    if (tail && *tail)
        iov[cnt++] = (struct iovec){(void *)tail, strlen(tail)};
    if (cnt == 0)
        return 0;
    write_deadline(c);
    /* the fd is non-blocking: one writev takes what the socket buffer
     * holds; goc_write parks for the rest */
    ssize_t done = writev(c->fd, iov, cnt);
    if (done < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            rc = -errno;
        done = 0;
    }
    for (int i = 0; i < cnt && rc == 0; i++) {
        if ((size_t)done >= iov[i].iov_len) {
            done -= (ssize_t)iov[i].iov_len;
            continue;
        }
        ssize_t w = goc_write(c->fd, (char *)iov[i].iov_base + done,
                              iov[i].iov_len - (size_t)done);
        done = 0;
        if (w < 0)
            rc = (int)w;
    }
    written(c);
    return rc;
}

int goc_http__sendfile(conn *c, int fd, uint64_t off, size_t n, size_t *sent)
{
    write_deadline(c);
    ssize_t r = goc_sendfile(c->fd, fd, (int64_t)off, n, sent);
    return r < 0 ? (int)r : 0;
}

/* --------------------------------------------------------- read buffer -- */

/* The request's pointers into [old, old + span] now live at new_base. */
static void rebase(conn *c, uintptr_t old, size_t span, char *new_base)
{
    if (!c->has_req || old == (uintptr_t)new_base)
        return;
    uintptr_t lo = old, hi = lo + span;
#define MOVE(p) do { if ((uintptr_t)(p) >= lo && (uintptr_t)(p) <= hi) \
        (p) = new_base + ((uintptr_t)(p) - lo); } while (0)
    goc_http_request *r = &c->req;
    MOVE(r->method);
    MOVE(r->target);
    MOVE(r->path);
    MOVE(r->query);
    MOVE(r->host);
    for (size_t i = 0; i < r->num_headers; i++) {
        MOVE(c->hdrs[i].name);
        MOVE(c->hdrs[i].value);
    }
#undef MOVE
}

/* Move rb[rpos..rlen) to the front. */
static void compact(conn *c)
{
    if (c->rpos == 0)
        return;
    uintptr_t old = (uintptr_t)(c->rb + c->rpos);
    memmove(c->rb, c->rb + c->rpos, c->rlen - c->rpos);
    c->rlen -= c->rpos;
    c->rpos = 0;
    rebase(c, old, c->rlen, c->rb);
}

/* Make rb able to hold `want` bytes from rpos (at least what it holds plus
 * one), compacting first and growing only when that is not enough.  A read
 * should not land in a sliver: under 1 KiB free at the end, compact.  0 or
 * -ENOMEM. */
int goc_http__room(conn *c, size_t want)
{
    if (want < c->rlen - c->rpos + 1)
        want = c->rlen - c->rpos + 1;
    if (c->rpos + want <= c->rcap && (c->rpos == 0 || c->rcap - c->rlen >= 1024))
        return 0;
    compact(c);
    if (want <= c->rcap)
        return 0;
    size_t cap = c->rcap * 2 > want ? c->rcap * 2 : want;
    /* malloc + copy rather than realloc: the request's pointers are moved
     * while the old buffer still exists */
    char *p = malloc(cap);
    if (!p)
        return -ENOMEM;
    memcpy(p, c->rb, c->rlen);
    rebase(c, (uintptr_t)c->rb, c->rcap, p);
    free(c->rb);
    c->rb = p;
    c->rcap = cap;
    if (cap > GOC_HTTP__RB_SHRINK)
        c->big = 1;
    return 0;
}

/* After a request: drop its bytes, give back a large drained buffer. */
static void consume(conn *c, size_t n)
{
    c->rpos += n;
    c->has_req = 0;
    if (c->rpos < c->rlen)
        return;
    c->rpos = c->rlen = 0;
    if (c->rcap > GOC_HTTP__RB_SHRINK) {
        char *p = realloc(c->rb, GOC_HTTP__RB_INIT);
        if (p) {
            c->rb = p;
            c->rcap = GOC_HTTP__RB_INIT;
        }
    }
    if (c->big) {
        c->big = 0;
        goc_http__trim(c->s);
    }
}

/* ---------------------------------------------------------- requests -- */

/* Parse the next head, reading as needed.  0, GOC_HTTP__STOP, or an error status. */
static int read_head(conn *c)
{
    const goc_http_server_config *cfg = &c->s->cfg;

    memset(&c->sc, 0, sizeof c->sc);
    c->t_req = c->rpos < c->rlen ? c->t_read : 0;
    for (;;) {
        if (c->rpos < c->rlen) {
            int rc = goc_http__parse_head(c->rb + c->rpos, c->rlen - c->rpos,
                                          cfg->max_header_bytes, cfg->max_headers,
                                          &c->sc, &c->req, c->hdrs, &c->hd);
            if (rc != GOC_HTTP__MORE) {
                c->has_req = rc == 0;
                return rc;
            }
        }
        if (goc_http__flush(c) < 0)
            return GOC_HTTP__STOP;
        int idle = c->rpos == c->rlen;
        /* a new connection still gets its first request served during a
         * shutdown: the client sent it already (a balancer's, a reused
         * socket from a pool); poke cuts it off after NEW_GRACE */
        if (idle && !c->fresh && atomic_load_explicit(&c->s->shutting, memory_order_relaxed))
            return GOC_HTTP__STOP;
        /* grows to at most twice max_header_bytes: beyond that parse.c
         * has answered 431 */
        if (goc_http__room(c, 0) < 0)
            return 503;
        int64_t d;
        if (idle) {
            /* a new connection that sends nothing gets read_header_timeout,
             * as in Go; between requests the idle timeout applies */
            atomic_store_explicit(&c->state, c->fresh ? GOC_HTTP__CS_NEW : GOC_HTTP__CS_IDLE,
                                  memory_order_release);
            d = after(goc_now(), c->fresh ? cfg->read_header_timeout : cfg->idle_timeout);
        } else {
            d = after(c->t_req, cfg->read_header_timeout);
        }
        ssize_t n = conn_read(c, d);
        if (idle)
            atomic_store_explicit(&c->state, GOC_HTTP__CS_ACTIVE, memory_order_release);
        if (n <= 0)
            return GOC_HTTP__STOP;
    }
}

/* --------------------------------------------------- connection loop -- */

/* Answer a request the server rejects; the connection closes after. */
static void reply_status(conn *c, int code)
{
    struct goc_http_response *w = &c->w;
    char body[64];

    c->has_req = 0;
    c->req.version_minor = 1;              /* our version; the head may be
                                              unparsed */
    c->req.keep_alive = 0;
    c->req.method = "";
    c->req.method_len = 0;
    goc_http__response_reset(w, c);
    w->close = 1;
    w->status = code;
    int n = snprintf(body, sizeof body, "%d %s", code, goc_http_status_text(code));
    goc_http_add_header(w, "Content-Type", "text/plain; charset=utf-8");
    goc_http_write(w, body, (size_t)n);
    goc_http__response_finish(w);
    atomic_fetch_add_explicit(&c->s->bad, 1, memory_order_relaxed);
    goc_http__observe(c, code, c->t_req ? goc_now() - c->t_req : 0);
}

/* After an error reply: stop sending, read and discard what the client is
 * still sending for a moment, so closing does not reset the connection
 * before the client has read our answer. */
static void linger(conn *c)
{
    /* 1 s and 4 MiB: enough for a client to finish a rejected upload on
     * loopback or a LAN, bounded so a client cannot keep us here. */
    int64_t d = goc_now() + SEC;
    size_t total = 0;

    shutdown(c->fd, SHUT_WR);
    c->rpos = c->rlen = 0;
    c->has_req = 0;
    while (total < 4 * 1024 * 1024) {
        ssize_t n = conn_read(c, d);
        if (n <= 0)
            break;
        total += (size_t)n;
        c->rlen = 0;
    }
}

/* Go's globalOptionsHandler: "OPTIONS *" asks about the server, not a
 * resource; 200 with an empty body. */
static void options_star(goc_http_response *w)
{
    goc_http_add_header(w, "Content-Length", "0");
}

/* The handler returned without answering after a body read failed: answer
 * for it (the connection closes after). */
static void body_error_reply(conn *c)
{
    struct goc_http_response *w = &c->w;
    int e = c->b.err;
    int code = e == -EMSGSIZE ? 413 : e == -ETIMEDOUT ? 408 : e == -ENOMEM ? 500 : 400;

    if (!w->head_sent && !w->written && !w->status)
        goc_http_error(w, code, goc_http_status_text(code));
}

static void conn_state(conn *c, int state)
{
    const goc_http_server_config *cfg = &c->s->cfg;
    if (cfg->conn_state)
        cfg->conn_state(c->fd, state, cfg->conn_state_arg);
}

static int is_options_star(const goc_http_request *r)
{
    return r->target_len == 1 && r->target[0] == '*' && r->method_len == 7
           && memcmp(r->method, "OPTIONS", 7) == 0;
}

static void serve_conn(conn *c)
{
    struct goc_http_response *w = &c->w;

    for (;;) {
        int rc = read_head(c);
        if (rc == 0 && c->hd.expect_other)
            rc = 417;                      /* as Go: unknown expectation */
        if (rc == GOC_HTTP__STOP)
            return;
        if (rc != 0) {
            reply_status(c, rc);
            if (goc_http__flush(c) == 0)
                linger(c);
            return;
        }
        c->fresh = 0;
        conn_state(c, GOC_HTTP_STATE_ACTIVE);
        goc_http__response_reset(w, c);
        goc_http__body_start(c);
        if (is_options_star(&c->req))
            options_star(w);
        else
            c->s->cfg.handler(w, &c->req, c->s->cfg.arg);
        if (goc_http__ctx_end(c) < 0)
            w->close = 1;
        if (c->hijacked) {
            conn_state(c, GOC_HTTP_STATE_HIJACKED);
            atomic_fetch_add_explicit(&c->s->requests, c->nreq + 1, memory_order_relaxed);
            c->nreq = 0;
            return;                        /* conn_end leaves fd alone */
        }
        if (c->b.err)
            body_error_reply(c);
        int reuse = goc_http__body_finish(c) == 0;
        if (!reuse)
            w->close = 1;
        goc_http__response_finish(w);
        c->nreq++;
        int64_t took = goc_now() - c->t_req;
        goc_http__observe(c, goc_http_response_status(w), took);
        if (c->s->cfg.access_log)
            c->s->cfg.access_log(&c->req, w, took, c->s->cfg.access_log_arg);
        if (w->err || w->close) {
            /* a body left unread: read a moment more so the client sees
             * the answer rather than a reset */
            if (w->err == 0 && goc_http__flush(c) == 0 && !reuse)
                linger(c);
            return;
        }
        consume(c, c->b.src);
        conn_state(c, GOC_HTTP_STATE_IDLE);
        if (c->ob.len >= GOC_HTTP__OB_FLUSH && goc_http__flush(c) < 0)
            return;
    }
}

static void conn_end(conn *c)
{
    goc_http_server *s = c->s;
    int free_server = 0;

    /* Everything that reads s comes first: once c has left s->conns, a
     * goc_http_server_free that finds no connection left frees s at once
     * (TSan saw the CLOSED hook read s->cfg after such a free). */
    atomic_fetch_sub_explicit(&s->open, 1, memory_order_relaxed);
    if (!c->hijacked)
        conn_state(c, GOC_HTTP_STATE_CLOSED);
    if (c->big || c->rcap > GOC_HTTP__RB_SHRINK || c->ob.cap > GOC_HTTP__RB_SHRINK)
        goc_http__trim(s);
    goc_mutex_lock(&s->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    free_server = s->nconns == 0 && s->free_pending
                  && !atomic_load_explicit(&s->serving, memory_order_acquire);
    goc_mutex_unlock(&s->mu);
    /* From here on s may be gone, unless this was the last one to go. */
    if (!c->hijacked)
        goc_close(c->fd);
    free(c->rb);
    goc_http__buf_free(&c->ob);
    goc_http__buf_free(&c->w.hb);
    goc_http__buf_free(&c->w.bb);
    goc_http__ctx_free(c);
    goc_http__buf_free(&c->pv);
    free(c);
    if (free_server)
        free(s);
}

static void conn_main(void *arg)
{
    conn *c = arg;
    serve_conn(c);
    conn_end(c);
}

static conn *conn_new(goc_http_server *s, int fd)
{
    conn *c = calloc(1, sizeof *c + s->cfg.max_headers * sizeof(goc_http_header));
    if (!c)
        return NULL;
    c->rb = malloc(GOC_HTTP__RB_INIT);
    if (!c->rb) {
        free(c);
        return NULL;
    }
    c->s = s;
    c->fd = fd;
    c->rcap = GOC_HTTP__RB_INIT;
    c->rd = c->wd = INT64_MAX;
    c->fresh = 1;
    c->t_accept = goc_now();
    atomic_init(&c->state, GOC_HTTP__CS_ACTIVE);
    return c;
}

/* --------------------------------------------------------------- server -- */

int goc_http_server_new(goc_http_server **out, const goc_http_server_config *cfg)
{
    if (!out || !cfg || !cfg->handler || cfg->stack_size > ((size_t)1 << 30))
        return -EINVAL;
    goc_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->cfg = *cfg;
    goc_http_server_config *c = &s->cfg;
    if (!c->max_header_bytes)
        c->max_header_bytes = 8192;
    if (!c->max_headers)
        c->max_headers = 100;
    if (!c->max_body_bytes)
        c->max_body_bytes = 1 << 20;
    if (!c->read_header_timeout)
        c->read_header_timeout = 10 * SEC;
    if (!c->read_timeout)
        c->read_timeout = 60 * SEC;
    if (!c->idle_timeout)
        c->idle_timeout = 120 * SEC;
    if (!c->write_timeout)
        c->write_timeout = 30 * SEC;
    if (c->backlog <= 0)
        c->backlog = 4096;
    if (c->max_headers > 65536)
        c->max_headers = 65536;
    s->lfd = -1;
    /* A client that closes early must not kill the process with SIGPIPE;
     * as Go, ignore it unless the program installed its own handler. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    *out = s;
    return 0;
}

/* What listen and use_listener return: the TCP port, 0 for a Unix
 * socket. */
static int listener_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

int goc_http_server_listen(goc_http_server *s, const char *addr)
{
    if (s->lfd >= 0)
        return -EALREADY;
    /* a Unix socket file the server makes is the server's to remove when
     * it closes the listener, as Go's UnixListener does */
    char *path = NULL;
    if (addr && strncmp(addr, "unix:", 5) == 0 && addr[5] != '@' && addr[5] != '\0'
        && !(path = strdup(addr + 5)))
        return -ENOMEM;
    int fd = goc_listen(addr, s->cfg.backlog);
    if (fd < 0) {
        free(path);
        return fd;
    }
    s->lfd = fd;
    s->unix_path = path;
    return listener_port(fd);
}

int goc_http_server_use_listener(goc_http_server *s, int fd)
{
    int v;
    socklen_t vl = sizeof v;

    if (s->lfd >= 0)
        return -EALREADY;
    if (fd < 0)
        return -EBADF;
    /* -EBADF, -ENOTSOCK from the kernel; a socket that does not listen, or
     * listens for something other than a byte stream, cannot carry HTTP */
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) != 0)
        return -errno;
    if (!v)
        return -EINVAL;
    vl = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) != 0)
        return -errno;
    if (v != SOCK_STREAM)
        return -EINVAL;
    int rc = goc_net_adopt(fd);
    if (rc < 0 && rc != -EEXIST)           /* -EEXIST: goc's own already */
        return rc;
    s->lfd = fd;
    return listener_port(fd);
}

/* The listener is done: close it (waking an accept parked on it), and
 * remove the Unix socket file the server made. */
static void close_listener(goc_http_server *s)
{
    goc_close(s->lfd);
    s->lfd = -1;
    if (s->unix_path) {
        unlink(s->unix_path);
        free(s->unix_path);
        s->unix_path = NULL;
    }
}

static int accept_transient(int err)
{
    return err == -ECONNABORTED || err == -EINTR || err == -EAGAIN
           || err == -EPROTO || err == -EPERM || err == -ETIMEDOUT;
}

static int accept_exhausted(int err)
{
    return err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM;
}

static void start_conn(goc_http_server *s, int fd)
{
    int one = 1;
    /* one whole response per write: Nagle would only delay the last segment
     * of a streamed body; Go and nginx set it too */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn *c = conn_new(s, fd);
    if (!c) {
        goc_close(fd);
        return;
    }
    goc_mutex_lock(&s->mu);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    goc_mutex_unlock(&s->mu);
    atomic_fetch_add_explicit(&s->accepted, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->open, 1, memory_order_relaxed);
    conn_state(c, GOC_HTTP_STATE_NEW);
    int rc = s->cfg.stack_size != 0 ? goc_go_stack(conn_main, c, s->cfg.stack_size)
                                    : goc_go(conn_main, c);
    if (rc < 0) {
        conn_end(c);
    }
}

int goc_http_server_serve(goc_http_server *s)
{
    int64_t backoff = 0;
    int rc = 0;

    if (s->lfd < 0)
        return -EINVAL;
    if (atomic_exchange(&s->serving, 1))
        return -EALREADY;
    while (!atomic_load(&s->shutting)) {
        int fd = goc_accept(s->lfd);
        if (fd >= 0) {
            backoff = 0;
            start_conn(s, fd);
            continue;
        }
        if (atomic_load(&s->shutting))
            break;
        if (accept_exhausted(fd)) {
            /* out of fds or memory: wait for connections to end, as Go
             * does (5 ms doubling to 1 s) */
            backoff = backoff ? (backoff * 2 > SEC ? SEC : backoff * 2) : 5 * MS;
            if (s->cfg.log)
                fprintf(stderr, "goc_http: accept: %s; retrying in %lld ms\n",
                        strerror(-fd), (long long)(backoff / MS));
            goc_sleep(backoff);
            continue;
        }
        if (accept_transient(fd))
            continue;
        rc = fd;
        break;
    }
    /* after a shutdown, goc_http_server_shutdown closes the listener once
     * it sees serving drop: it may still be setting its deadline */
    if (!atomic_load(&s->shutting))
        close_listener(s);
    atomic_store_explicit(&s->serving, 0, memory_order_release);
    return rc;
}

/* Poke connections: idle ones and new ones silent for NEW_GRACE (all = 0),
 * or all of them (all = 1), get deadlines in the past.  The number still open. */
static size_t poke(goc_http_server *s, int all)
{
    int64_t now = goc_now();
    goc_mutex_lock(&s->mu);
    for (conn *c = s->conns; c; c = c->next) {
        int st = atomic_load_explicit(&c->state, memory_order_acquire);
        if (all)
            goc_set_deadline(c->fd, 1, 1);
        else if (st == GOC_HTTP__CS_IDLE
                 || (st == GOC_HTTP__CS_NEW && now - c->t_accept >= GOC_HTTP__NEW_GRACE))
            goc_set_deadline(c->fd, 1, 0);
    }
    goc_http__ctx_shutdown(s);
    size_t n = s->nconns;
    goc_mutex_unlock(&s->mu);
    return n;
}

int goc_http_server_shutdown(goc_http_server *s, int64_t deadline)
{
    int64_t wait = MS;

    atomic_store(&s->shutting, 1);
    if (s->lfd >= 0)
        goc_set_deadline(s->lfd, 1, 0);    /* wakes goc_accept */
    for (;;) {
        size_t n = poke(s, 0);
        /* one load for both decisions: serve may end between two, and
         * returning then would leave the listener open */
        int serving = atomic_load(&s->serving);
        if (!serving && s->lfd >= 0)
            close_listener(s);
        if (n == 0 && !serving)
            return 0;
        if (deadline && goc_now() >= deadline)
            break;
        goc_sleep(wait);
        /* 1 ms doubling to 50 ms: quick for a quiet server, cheap for a
         * busy one (Go polls from 1 ms up to 500 ms) */
        wait = wait * 2 > 50 * MS ? 50 * MS : wait * 2;
    }
    /* past the deadline: cut every connection off, and give them a moment
     * (bounded: 100 x 10 ms) to notice */
    for (int i = 0; i < 100; i++) {
        int serving = atomic_load(&s->serving);
        if (!serving && s->lfd >= 0)
            close_listener(s);
        if (poke(s, 1) == 0 && !serving)
            break;
        goc_sleep(10 * MS);
    }
    return -ETIMEDOUT;
}

void goc_http_server_free(goc_http_server *s)
{
    if (!s)
        return;
    goc_mutex_lock(&s->mu);
    int later = s->nconns > 0 || atomic_load(&s->serving);
    s->free_pending = later;
    goc_mutex_unlock(&s->mu);
    /* listening but never served (nor shut down): the listener is the
     * server's, as after listen or use_listener */
    if (!atomic_load(&s->serving) && s->lfd >= 0)
        close_listener(s);
    if (!later)
        free(s);
}

void goc_http_server_stats(const goc_http_server *s, goc_http_stats *st)
{
    goc_http_server *m = (goc_http_server *)s;
    st->accepted = atomic_load_explicit(&m->accepted, memory_order_relaxed);
    st->open = atomic_load_explicit(&m->open, memory_order_relaxed);
    st->requests = atomic_load_explicit(&m->requests, memory_order_relaxed);
    st->bad_requests = atomic_load_explicit(&m->bad, memory_order_relaxed);
    st->timeouts = atomic_load_explicit(&m->timeouts, memory_order_relaxed);
}

int goc_http_listen_and_serve(const char *addr, goc_http_handler h, void *arg)
{
    goc_http_server_config cfg = {.handler = h, .arg = arg};
    goc_http_server *s;
    int rc = goc_http_server_new(&s, &cfg);

    if (rc < 0)
        return rc;
    rc = goc_http_server_listen(s, addr);
    if (rc >= 0)
        rc = goc_http_server_serve(s);
    goc_http_server_free(s);
    return rc < 0 ? rc : -ECANCELED;
}
