/* httptest.h — helpers for the in-process goc_http tests: a server served
 * from a goroutine, and a raw HTTP/1.1 client over any goc socket. */
#ifndef GOC_HTTPTEST_H
#define GOC_HTTPTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "goc.h"
#include "goc_http.h"
#include "testutil.h"

#define HT_MS ((int64_t)1000000)

/* A server and the goroutine serving it; done receives serve's result. */
typedef struct ht_server {
    goc_http_server *s;
    goc_chan *done;           /* int: goc_http_server_serve's result */
} ht_server;

static void ht_serve_main(void *arg)
{
    ht_server *h = arg;
    int rc = goc_http_server_serve(h->s);
    goc_chan_send(h->done, &rc);
}

static inline void ht_start(ht_server *h)
{
    h->done = goc_chan_make(sizeof(int), 1);
    CHECK(h->done != NULL);
    CHECK(goc_go(ht_serve_main, h) == 0);
}

/* fd is closed.  errno read in a function of its own, never inlined: in
 * one that also calls goc, the compiler may reuse &errno from before a
 * call that moved the goroutine to another thread (goc.h, "Threads"). */
static __attribute__((noinline)) int ht_fd_closed(int fd)
{
    return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

/* Shut down (5 s bound), and check serve returned 0 within it.  lfd >= 0:
 * the listener, which shutdown itself must have closed. */
static inline void ht_stop_fd(ht_server *h, int lfd)
{
    CHECK(goc_http_server_shutdown(h->s, goc_now() + 5000 * HT_MS) == 0);
    CHECK(lfd < 0 || ht_fd_closed(lfd));
    int rc = -1;
    CHECK(goc_chan_recv_timeout(h->done, &rc, 5000 * HT_MS) == 0);
    CHECKF(rc == 0, "serve returned %d", rc);
    goc_chan_free(h->done);
    goc_http_server_free(h->s);
    h->s = NULL;
}

static inline void ht_stop(ht_server *h)
{
    ht_stop_fd(h, -1);
}

/* A response read off a connection: status, Content-Length (-1: none)
 * and the body bytes that came (at most cap). */
typedef struct ht_resp {
    int      status;
    int64_t  clen;
    char     head[4096];
    char    *body;
    size_t   body_len;
} ht_resp;

/* The value of field name in a response head ("" when absent), copied. */
static inline void ht_field(const ht_resp *r, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *l = p + 2;
        if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            l += nl + 1;
            while (*l == ' ')
                l++;
            const char *e = strstr(l, "\r\n");
            size_t k = e ? (size_t)(e - l) : strlen(l);
            if (k >= n)
                k = n - 1;
            memcpy(out, l, k);
            out[k] = '\0';
            return;
        }
    }
}

/* Read one response with a Content-Length from fd: 0, or the negative
 * errno / -EPROTO (EOF early) of the read that failed, with what came
 * kept in r.  The body is malloc'd (free r->body).  deadline: absolute. */
static inline int ht_read_resp(int fd, ht_resp *r, int64_t deadline)
{
    size_t hl = 0;
    memset(r, 0, sizeof *r);
    r->clen = -1;
    CHECK(goc_set_deadline(fd, deadline, 0) == 0);
    char *end = NULL;
    while (!(end = strstr(r->head, "\r\n\r\n"))) {
        if (hl + 1 >= sizeof r->head)
            return -EMSGSIZE;
        ssize_t k = goc_read(fd, r->head + hl, 1);     /* byte by byte: no
                                                         body byte taken */
        if (k <= 0)
            return k < 0 ? (int)k : -EPROTO;
        hl += (size_t)k;
        r->head[hl] = '\0';
    }
    end[4] = '\0';
    CHECK(sscanf(r->head, "HTTP/1.%*d %d", &r->status) == 1);
    char v[64];
    ht_field(r, "Content-Length", v, sizeof v);
    if (v[0])
        r->clen = atoll(v);
    size_t want = r->clen > 0 ? (size_t)r->clen : 0;
    r->body = malloc(want + 1);
    CHECK(r->body != NULL);
    while (r->body_len < want) {
        ssize_t k = goc_read(fd, r->body + r->body_len, want - r->body_len);
        if (k <= 0)
            return k < 0 ? (int)k : -EPROTO;
        r->body_len += (size_t)k;
    }
    r->body[r->body_len] = '\0';
    return 0;
}

/* Send req (all of it) on fd and read the response (5 s bound). */
static inline void ht_roundtrip(int fd, const char *req, ht_resp *r)
{
    CHECK(goc_write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    int rc = ht_read_resp(fd, r, goc_now() + 5000 * HT_MS);
    CHECKF(rc == 0, "reading the response: %d", rc);
}

#endif
