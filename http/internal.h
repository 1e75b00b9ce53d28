/*
 * http/internal.h — what the files of goc_http share; not for users.
 *
 * parse.c    the request-head parser and the chunked-body decoder: pure
 *            functions over a byte buffer, no runtime calls (unit-tested and
 *            fuzzed without the scheduler).
 * server.c   listener, accept loop, connection goroutines (reading heads).
 * body.c     request bodies: streaming reads, limits, 100 Continue, the
 *            discard after the handler.
 * context.c  the request's cancellation channel and its socket watcher.
 * request.c  request facts: peer address, query, form, cookies.
 * hijack.c   taking the connection over, and 1xx responses.
 * response.c the response writer: status, headers, Date, body framing.
 * mux.c      the router (Go 1.22 ServeMux patterns).
 * file.c     serving files: types, validators, ranges.
 * debug.c    the /debug/goc handler.
 * metrics.c  request metrics: status classes, duration histogram.
 * health.c   /healthz and /readyz.
 * workers.c  goc_http_server_run: signals, graceful stop, worker processes.
 *
 * Internal cross-file names carry the goc_http__ prefix.
 */
#ifndef GOC_HTTP_INTERNAL_H
#define GOC_HTTP_INTERNAL_H

#include "goc_http.h"

#include <stddef.h>
#include <stdint.h>

/* Result of the parsers besides an HTTP status code (400, 413, 431, 501,
 * 505) that rejects the request. */
enum {
    GOC_HTTP__DONE = 0,   /* a complete head / body */
    GOC_HTTP__MORE = 1,   /* need more bytes */
};

/* Incremental head scanning state, kept by the connection between reads so
 * each byte is scanned for the end of the head only once. */
typedef struct goc_http__scan {
    size_t skip;      /* leading empty lines (CRLF) before the request line */
    size_t scanned;   /* bytes after skip already searched for the end */
} goc_http__scan;

/* What the head parser learns beyond goc_http_request. */
typedef struct goc_http__head {
    size_t len;              /* bytes of the head, blank line and skipped
                                leading CRLFs included */
    int    expect_continue;  /* "Expect: 100-continue" */
    int    expect_other;     /* another non-empty Expect: 417 */
} goc_http__head;

/* 16: RFC 9112 §2.2 asks to skip "at least one" empty line before a request;
 * more than a few is junk, and bounding it keeps a client from resetting the
 * idle timer with CRLFs forever. */
#define GOC_HTTP__MAX_LEADING_CRLF 16

/* Parse the head at buf[0..len).  Complete: GOC_HTTP__DONE, r filled in
 * (body fields zeroed, content_length/chunked/keep_alive set), hd->len set,
 * names and values NUL-terminated in buf.  GOC_HTTP__MORE: no end of head
 * yet within max_bytes.  Else the status to answer with.  sc must be zeroed
 * for each new request and kept between calls on the same request (buf may
 * move between calls, but keeps its contents). */
int goc_http__parse_head(char *buf, size_t len, size_t max_bytes,
                         size_t max_headers, goc_http__scan *sc,
                         goc_http_request *r, goc_http_header *hdrs,
                         goc_http__head *hd);

/* Chunked body decoder, resumable at any byte. */
typedef struct goc_http__chunked {
    int      state;      /* CK_* in parse.c; 0 = start of a chunk-size line */
    uint64_t left;       /* bytes left in the current chunk's data */
    size_t   line;       /* bytes in the current size / trailer line */
    size_t   trailer;    /* bytes of trailer section so far */
    uint64_t excess;     /* framing overhead beyond the allowance
                            (CK_MAX_EXCESS in parse.c) */
} goc_http__chunked;

/* Decode raw chunked bytes buf[*src..len) in place: data moves down to
 * buf[*dst..], both cursors advance (*dst <= *src always).  body_len is the
 * decoded length before this call (*dst - body start).  GOC_HTTP__DONE after
 * the last chunk and trailers (*src then points just past the message),
 * GOC_HTTP__MORE, 400 (bad framing), 413 (body over max_body), 431
 * (trailers over max_trailer). */
int goc_http__chunked_decode(goc_http__chunked *ck, char *buf, size_t len,
                             size_t *src, size_t *dst, size_t body_len,
                             size_t max_body, size_t max_trailer);

/* ASCII case-insensitive equality of a[0..n) and the lowercase string b of
 * length n. */
int goc_http__ieq(const char *a, const char *b, size_t n);

/* ------------------------------------------ server.c and response.c -- */

#include "goc.h"

#include <stdatomic.h>
#include <sys/types.h>

#define GOC_HTTP__MS  ((int64_t)1000000)
#define GOC_HTTP__SEC (1000 * GOC_HTTP__MS)

#define GOC_HTTP__RB_INIT   4096
#define GOC_HTTP__RB_SHRINK (64 * 1024)
/* Responses are batched until 64 KiB, then written mid-batch. */
#define GOC_HTTP__OB_FLUSH  (64 * 1024)
/* A body past 32 KiB goes out as it is written (chunked / streamed). */
#define GOC_HTTP__BB_STREAM (32 * 1024)

/* NEW: waiting for its first request's first byte (shutdown leaves it
 * alone for GOC_HTTP__NEW_GRACE after its accept, as Go: its request is
 * usually in flight); IDLE: waiting between requests. */
enum { GOC_HTTP__CS_ACTIVE, GOC_HTTP__CS_IDLE, GOC_HTTP__CS_NEW };
#define GOC_HTTP__NEW_GRACE (5 * GOC_HTTP__SEC)

/* Ways a connection ends (besides answering an error status). */
enum { GOC_HTTP__STOP = -1 };

/* A growable byte buffer (malloc); zero value is empty. */
typedef struct goc_http__buf {
    char  *p;
    size_t len, cap;
} goc_http__buf;

/* Path values kept per request (wildcards in one pattern). */
#define GOC_HTTP__MAX_VALUES 16

/* Body framing of a response once its head is sent. */
enum { GOC_HTTP__BODY_CHUNKED = 1, GOC_HTTP__BODY_RAW = 2 };

struct goc_http_response {
    struct goc_http__conn *c;
    int      status;        /* 0: not set (200) */
    int      head_sent;     /* head in ob or written: no more headers */
    int      framing;       /* BODY_* once head_sent */
    int      is_head;       /* HEAD request: count body bytes, send none */
    int      has_date, has_ctype, close;
    int64_t  declared;      /* Content-Length from the handler, or -1 */
    uint64_t written;       /* body bytes the handler wrote */
    int      err;           /* first write error (sticky) */
    goc_http__buf     hb;            /* the handler's header lines, "N: v\r\n"... */
    goc_http__buf     bb;            /* body not yet framed */
};

/* A request body being read (body.c); owned by the connection goroutine.
 * Offsets count from c->rpos, so compaction keeps them valid:
 *   hd.len <= dpos <= dend <= src <= rlen - rpos
 * [dpos, dend) decoded bytes not yet handed to the handler; [src, ..) raw
 * bytes not yet decoded (the next request's after the body is done). */
typedef struct goc_http__body {
    int      chunked;    /* framing: chunked, else Content-Length */
    int      done;       /* the last body byte has been taken off the wire */
    int      err;        /* sticky negative errno of a failed read */
    int      cont;       /* 100 Continue owed (asked, HTTP/1.1, not sent) */
    uint64_t left;       /* Content-Length bytes not yet past src */
    uint64_t decoded;    /* body bytes decoded so far (all of them) */
    uint64_t limit;      /* most body bytes allowed */
    size_t   dpos, dend, src;
    goc_http__chunked ck;
} goc_http__body;

typedef struct goc_http__conn {
    goc_http_server *s;
    int      fd;
    struct goc_http__conn *prev, *next;      /* s->conns; under s->mu */
    _Atomic int state;             /* shared: CS_* */
    char    *rb;
    size_t   rpos, rlen, rcap;
    goc_http__buf     ob;                   /* responses not yet written */
    int64_t  rd, wd;               /* deadlines set on fd; INT64_MAX: none */
    int64_t  t_read;               /* goc_now() of the last read */
    int64_t  t_req;                /* first byte of this request, 0: none */
    int64_t  t_accept;             /* goc_now() at accept (set before the
                                      connection is listed) */
    int      has_req;              /* req points into rb */
    int      hijacked;             /* the handler owns fd now (hijack.c) */
    int      fresh;                /* no request read yet: a silent client
                                      gets read_header_timeout */
    int      big;                  /* a buffer grew past 64 KiB: ask for a
                                      malloc_trim when it is given back */
    uint32_t nreq;                 /* requests not yet counted in stats */
    goc_http_request req;
    goc_http__head hd;
    goc_http__scan sc;
    goc_http__body b;
    /* context.c: the request's done channel (pointer and done_closed
     * under s->mu), the watcher goroutine and what it saw */
    goc_chan *done, *done_old;
    int      done_closed;
    _Atomic int cancel_err;        /* 0, -ECONNRESET, -ESHUTDOWN, -ECANCELED */
    _Atomic int gone;              /* the watcher saw the client leave */
    int      watching, watch_on_eof, peeked;
    char     peek;
    goc_wg   watch_wg;
    /* mux.c: the path values of the last match (names point into the
     * mux's routes, values into pv, NUL-terminated) */
    goc_http__buf pv;
    const char *pv_name[GOC_HTTP__MAX_VALUES];
    size_t   pv_off[GOC_HTTP__MAX_VALUES], pv_len[GOC_HTTP__MAX_VALUES];
    size_t   npv;
    struct goc_http_response w;
    goc_http_header hdrs[];        /* cfg.max_headers */
} goc_http__conn;

/* metrics.c: one shard of the request counters (see the essay there);
 * 256 bytes so neighbouring shards share at most a line at the edges. */
#define GOC_HTTP__NBUCKETS 16
#define GOC_HTTP__SHARDS   16
typedef struct goc_http__shard {
    _Atomic uint64_t status[6];    /* [k]: kxx responses, [0]: other codes */
    _Atomic uint64_t bucket[GOC_HTTP__NBUCKETS + 1]; /* last: over 10 s */
    _Atomic uint64_t sum_ns;
    char             pad[256 - 24 * 8];
} goc_http__shard;

struct goc_http_server {
    goc_http_server_config cfg;
    int         lfd;               /* listener, -1 when none */
    char       *unix_path;         /* the socket file listen made, removed
                                      when the listener closes; NULL */
    _Atomic int shutting;
    _Atomic int serving;
    goc_mutex   mu;
    goc_http__conn *conns;             /* under mu */
    size_t      nconns;            /* under mu */
    int         free_pending;      /* under mu: last conn frees s */
    _Atomic uint64_t accepted, open, requests, bad, timeouts;
    _Atomic int      trim_wanted;  /* a large buffer was freed */
    _Atomic int64_t  trim_last;    /* goc_now() of the last malloc_trim */
    _Atomic int      unready;      /* goc_http_server_set_ready(s, 0) */
    _Atomic int      draining;     /* /readyz fails: a stop has begun */
    goc_http__shard  shard[GOC_HTTP__SHARDS];  /* metrics.c */
};

/* metrics.c: count one response (status, ns since its first byte). */
void goc_http__observe(goc_http__conn *c, int status, int64_t ns);
/* metrics.c: the server's request metrics in Prometheus text. */
void goc_http__metrics_write(goc_http_response *w, goc_http_server *s);

int  goc_http__buf_reserve(goc_http__buf *b, size_t extra);  /* 0, -ENOMEM */
int  goc_http__buf_put(goc_http__buf *b, const void *p, size_t n);
void goc_http__buf_free(goc_http__buf *b);

/* server.c: write the connection's pending responses (ob); 0 or <0. */
int  goc_http__flush(goc_http__conn *c);
/* server.c: write ob, then p[0..n), then tail (NUL-terminated, may be
 * NULL), in one writev when the socket takes it; 0 or <0.  p is the
 * handler's buffer: large bodies are not copied. */
int  goc_http__flush_with(goc_http__conn *c, const void *p, size_t n,
                          const char *tail);
/* server.c: n bytes of file fd from off with goc_sendfile, under the
 * write timeout: 0 with *sent the bytes that went (fewer than n: the file
 * ended), or a negative errno with *sent as much. */
int  goc_http__sendfile(goc_http__conn *c, int fd, uint64_t off, size_t n,
                        size_t *sent);
/* server.c: read at most n bytes into buf with deadline d (INT64_MAX:
 * none): bytes, 0 at EOF, or <0. */
ssize_t goc_http__read(goc_http__conn *c, void *buf, size_t n, int64_t d);
/* server.c: make rb hold `want` bytes from rpos (0 or -ENOMEM); may move
 * the buffer (request pointers are rebased). */
int  goc_http__room(goc_http__conn *c, size_t want);
/* server.c: a large buffer was given back; malloc_trim at most once a
 * second while the server has such garbage. */
void goc_http__trim(goc_http_server *s);

/* body.c */
void goc_http__body_start(goc_http__conn *c);
/* After the handler: discard the unread body when cheap.  0 when the
 * connection can carry another request, -1 when it must close. */
int  goc_http__body_finish(goc_http__conn *c);
/* context.c: start the watcher (the body is consumed); after the handler,
 * stop it and close the channel (-1: the client left, close the
 * connection); shutdown closes every channel (under s->mu); free at the
 * connection's end. */
void goc_http__watch(goc_http__conn *c);
int  goc_http__watch_stop(goc_http__conn *c);   /* 0, or -1: no memory */
int  goc_http__ctx_end(goc_http__conn *c);
void goc_http__ctx_shutdown(goc_http_server *s);
void goc_http__ctx_free(goc_http__conn *c);

/* 256 KiB: what Go's server reads and discards of an unread body before it
 * gives up on the connection (maxPostHandlerReadBytes). */
#define GOC_HTTP__DISCARD_MAX (256 * 1024)
/* response.c: prepare w for c's current request; frame what the handler
 * left into c->ob once it returned. */
void goc_http__response_reset(struct goc_http_response *w, goc_http__conn *c);
void goc_http__response_finish(struct goc_http_response *w);
/* response.c, for file.c: len body bytes of file fd from off, sent with
 * sendfile after the head and what is buffered.  0; GOC_HTTP__COPY when
 * sendfile cannot serve this (a body that is not raw, a file sendfile
 * cannot read): nothing was sent, the caller copies the bytes through
 * goc_http_write; or a negative errno (sticky in w): -EIO when the file
 * ended before len bytes. */
enum { GOC_HTTP__COPY = 1 };
int  goc_http__send_file(struct goc_http_response *w, int fd, uint64_t off,
                         uint64_t len);

#endif /* GOC_HTTP_INTERNAL_H */
