/*
 * http/response.c — the response writer.
 *
 * A response is built in three parts while the handler runs: the status,
 * the handler's header lines (w->hb, already formatted "Name: value\r\n")
 * and the body (w->bb).  When the handler returns, the head — status line,
 * Date, the handler's lines, Content-Type default, Content-Length,
 * Connection — and the body are appended to the connection's output buffer
 * (c->ob), which server.c writes once per batch of pipelined requests.
 * A body over 32 KiB, or goc_http_flush, commits the head early: the body
 * then goes out as chunks (HTTP/1.1), raw after a declared Content-Length,
 * or until close (HTTP/1.0).
 *
 * Small writes are copied twice (handler -> bb -> ob); for the small bodies
 * this server is tuned for, that is cheaper than a writev.  A write of
 * 32 KiB or more is not copied: the head and what is buffered go out with
 * it in one writev straight from the handler's buffer.  Buffers that grew
 * past 64 KiB are freed after the response, so a connection that once sent
 * 10 MB does not keep 10 MB.
 *
 * Header lines are kept formatted in w->hb; set / get / delete scan it
 * (tens of lines at most), and add, the common case, appends.
 *
 * File bodies (file.c) may skip user memory altogether:
 * goc_http__send_file flushes the head and what is buffered, then hands
 * the file to goc_sendfile.  Nothing in goc_http sees body bytes between
 * the handler and the socket (no compression or observer layer:
 * middlewares see goc_http_response_status / _written, which the file
 * path keeps counting), so only the framing decides: a raw body
 * (Content-Length) can be sent so, a chunked one is copied.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef goc_http__conn conn;

/* ----------------------------------------------------------- buffers -- */

int goc_http__buf_reserve(goc_http__buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap - b->len < extra)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int goc_http__buf_put(goc_http__buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;                          /* p may be NULL: no memcpy */
    if (goc_http__buf_reserve(b, n) != 0)
        return -ENOMEM;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

void goc_http__buf_free(goc_http__buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static char *utoa(char *end, uint64_t v)
{
    do
        *--end = (char)('0' + v % 10);
    while (v /= 10);
    return end;
}

/* -------------------------------------------------------- status text -- */

const char *goc_http_status_text(int code)
{
    switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    }
    return "";
}

/* ---------------------------------------------------------------- Date -- */

/* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n": formatted once per second per
 * thread.  Thread-local is safe here: it is only used between two calls
 * that cannot switch goroutines. */
#define DATE_LEN 37
static _Thread_local struct { time_t sec; char s[DATE_LEN + 1]; } date_cache;

static void two(char *p, int v)
{
    p[0] = (char)('0' + (unsigned)v / 10 % 10);
    p[1] = (char)('0' + (unsigned)v % 10);
}

static const char *date_line(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);   /* vDSO: no syscall */
    if (ts.tv_sec != date_cache.sec || date_cache.s[0] == '\0') {
        static const char wd[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char mo[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        struct tm tm;
        char *d = date_cache.s;
        gmtime_r(&ts.tv_sec, &tm);
        memcpy(d, "Date: ", 6);
        memcpy(d + 6, wd[(unsigned)tm.tm_wday % 7], 3);
        memcpy(d + 9, ", ", 2);
        two(d + 11, tm.tm_mday);
        d[13] = ' ';
        memcpy(d + 14, mo[(unsigned)tm.tm_mon % 12], 3);
        d[17] = ' ';
        two(d + 18, (tm.tm_year + 1900) / 100);
        two(d + 20, (tm.tm_year + 1900) % 100);
        d[22] = ' ';
        two(d + 23, tm.tm_hour);
        d[25] = ':';
        two(d + 26, tm.tm_min);
        d[28] = ':';
        two(d + 29, tm.tm_sec);
        memcpy(d + 31, " GMT\r\n", 7);
        d[DATE_LEN] = '\0';
        date_cache.sec = ts.tv_sec;
    }
    return date_cache.s;
}

/* ---------------------------------------------------------- responses -- */

void goc_http__response_reset(struct goc_http_response *w, conn *c)
{
    w->c = c;
    w->status = 0;
    w->head_sent = w->framing = 0;
    w->is_head = c->req.method_len == 4 && memcmp(c->req.method, "HEAD", 4) == 0;
    w->has_date = w->has_ctype = 0;
    w->close = !c->req.keep_alive;
    w->declared = -1;
    w->written = 0;
    w->err = 0;
    w->hb.len = 0;
    w->bb.len = 0;
    /* 64 KiB: a large response's buffers are not kept for the next */
    if (w->hb.cap > GOC_HTTP__RB_SHRINK)
        goc_http__buf_free(&w->hb);
    if (w->bb.cap > GOC_HTTP__RB_SHRINK) {
        goc_http__buf_free(&w->bb);
        goc_http__trim(c->s);
    }
}

static int code_allows_body(int code)
{
    return code >= 200 && code != 204 && code != 304;
}

/* Append the status line and headers.  length: Content-Length to send, or
 * -1 for none (chunked or close-delimited framing, decided by the caller). */
static int put_head(struct goc_http_response *w, int64_t length, int chunked)
{
    conn *c = w->c;
    int code = w->status ? w->status : 200;
    char line[96], *e = line + sizeof line, *p;
    goc_http__buf *ob = &c->ob;

    if (goc_http__buf_reserve(ob, 256 + w->hb.len) < 0)
        return -ENOMEM;
    if (code == 200 && c->req.version_minor == 1) {
        memcpy(ob->p + ob->len, "HTTP/1.1 200 OK\r\n", 17);
        ob->len += 17;
    } else {
        const char *reason = goc_http_status_text(code);
        int n = snprintf(line, sizeof line, "HTTP/1.%d %d %s\r\n",
                         c->req.version_minor, code, reason);
        memcpy(ob->p + ob->len, line, (size_t)n);
        ob->len += (size_t)n;
    }
    if (!w->has_date) {
        memcpy(ob->p + ob->len, date_line(), DATE_LEN);
        ob->len += DATE_LEN;
    }
    if (w->hb.len) {
        memcpy(ob->p + ob->len, w->hb.p, w->hb.len);
        ob->len += w->hb.len;
    }
    if (code_allows_body(code)) {
        if (!w->has_ctype && (length > 0 || length == -1)) {
            static const char ct[] = "Content-Type: text/plain; charset=utf-8\r\n";
            memcpy(ob->p + ob->len, ct, sizeof ct - 1);
            ob->len += sizeof ct - 1;
        }
        if (chunked) {
            static const char te[] = "Transfer-Encoding: chunked\r\n";
            memcpy(ob->p + ob->len, te, sizeof te - 1);
            ob->len += sizeof te - 1;
        } else if (length >= 0) {
            memcpy(ob->p + ob->len, "Content-Length: ", 16);
            ob->len += 16;
            p = utoa(e - 2, (uint64_t)length);
            e[-2] = '\r';
            e[-1] = '\n';
            memcpy(ob->p + ob->len, p, (size_t)(e - p));
            ob->len += (size_t)(e - p);
        }
    }
    if (w->close && c->req.version_minor == 1) {
        memcpy(ob->p + ob->len, "Connection: close\r\n", 19);
        ob->len += 19;
    } else if (!w->close && c->req.version_minor == 0) {
        memcpy(ob->p + ob->len, "Connection: keep-alive\r\n", 24);
        ob->len += 24;
    }
    memcpy(ob->p + ob->len, "\r\n", 2);
    ob->len += 2;
    w->head_sent = 1;
    return 0;
}

/* Commit the head (if not yet) and frame the buffered body into ob. */
static int frame(struct goc_http_response *w)
{
    conn *c = w->c;
    int rc;

    if (w->err)
        return w->err;
    if (!w->head_sent) {
        int code = w->status ? w->status : 200;
        if (w->declared >= 0 || !code_allows_body(code)) {
            rc = put_head(w, code_allows_body(code) ? w->declared : -1, 0);
            w->framing = GOC_HTTP__BODY_RAW;
        } else if (c->req.version_minor == 1) {
            rc = put_head(w, -1, 1);
            w->framing = GOC_HTTP__BODY_CHUNKED;
        } else {
            w->close = 1;                  /* HTTP/1.0: end by closing */
            rc = put_head(w, -1, 0);
            w->framing = GOC_HTTP__BODY_RAW;
        }
        if (rc < 0)
            return w->err = rc;
    }
    if (w->bb.len && !w->is_head) {
        if (w->framing == GOC_HTTP__BODY_CHUNKED) {
            char hex[24];
            int n = snprintf(hex, sizeof hex, "%zx\r\n", w->bb.len);
            if (goc_http__buf_put(&c->ob, hex, (size_t)n) < 0
                || goc_http__buf_put(&c->ob, w->bb.p, w->bb.len) < 0
                || goc_http__buf_put(&c->ob, "\r\n", 2) < 0)
                return w->err = -ENOMEM;
        } else if (goc_http__buf_put(&c->ob, w->bb.p, w->bb.len) < 0) {
            return w->err = -ENOMEM;
        }
    }
    w->bb.len = 0;
    return 0;
}

/* Send the head (if not yet) and the buffered body now. */
static int stream(struct goc_http_response *w)
{
    int rc;

    if ((rc = frame(w)) < 0)
        return rc;
    if ((rc = goc_http__flush(w->c)) < 0)
        return w->err = rc;
    return 0;
}

/* A large write: frame it around the handler's buffer and send it from
 * there, with the head and anything buffered, in one writev. */
static int send_direct(struct goc_http_response *w, const void *buf, size_t n)
{
    conn *c = w->c;
    int rc;

    if ((rc = frame(w)) < 0)
        return rc;
    if (w->framing == GOC_HTTP__BODY_CHUNKED) {
        char hex[24];
        int k = snprintf(hex, sizeof hex, "%zx\r\n", n);
        if (goc_http__buf_put(&c->ob, hex, (size_t)k) < 0)
            return w->err = -ENOMEM;
    }
    rc = goc_http__flush_with(c, buf, n,
                              w->framing == GOC_HTTP__BODY_CHUNKED ? "\r\n" : NULL);
    return rc < 0 ? (w->err = rc) : 0;
}

/* 256 KiB of a file per goc_sendfile call: the write timeout is set again
 * (lazily: write_deadline) between calls, so a client must take each 256
 * KiB within write_timeout (the copying path's "one write" is a 64 KiB
 * piece); a call moves at most what the socket buffer takes anyway. */
#define SF_PIECE (256 * 1024)

int goc_http__send_file(struct goc_http_response *w, int fd, uint64_t off,
                        uint64_t len)
{
    conn *c = w->c;
    int code = w->status ? w->status : 200;
    int rc, first = 1;

    if (w->err)
        return w->err;
    if (!code_allows_body(code))
        return -EINVAL;
    if (w->declared >= 0 && w->written + len > (uint64_t)w->declared)
        return -EINVAL;
    if (w->is_head || len == 0) {
        w->written += len;                 /* counted, not sent */
        return 0;
    }
    /* sendfile frames nothing: only a raw body (a declared Content-Length,
     * or HTTP/1.0 until close) takes the bytes as they are */
    if (w->head_sent ? w->framing != GOC_HTTP__BODY_RAW : w->declared < 0)
        return GOC_HTTP__COPY;
    /* the head, a multipart part's header, pipelined responses before
     * this one: all on the wire first */
    if ((rc = frame(w)) < 0)
        return rc;
    if ((rc = goc_http__flush(c)) < 0)
        return w->err = rc;
    while (len > 0) {
        size_t n = len < SF_PIECE ? (size_t)len : SF_PIECE, sent = 0;
        rc = goc_http__sendfile(c, fd, off, n, &sent);
        if (first && sent == 0 && (rc == -EINVAL || rc == -ESPIPE || rc == -ENOSYS))
            return GOC_HTTP__COPY;         /* not a file sendfile can read */
        first = 0;
        w->written += sent;
        off += sent;
        len -= sent;
        if (rc < 0)
            return w->err = rc;
        if (sent < n)
            return w->err = -EIO;          /* the file shrank: the length
                                              promised cannot be met */
    }
    return 0;
}

/* The handler returned: frame what it left into ob. */
void goc_http__response_finish(struct goc_http_response *w)
{
    conn *c = w->c;

    if (atomic_load_explicit(&c->s->shutting, memory_order_relaxed))
        w->close = 1;                      /* shutting down: last response */
    if (!w->head_sent) {
        int64_t len = (int64_t)w->written;
        if (w->is_head && w->declared >= 0)
            len = w->declared;
        if (put_head(w, len, 0) < 0
            || (!w->is_head && goc_http__buf_put(&c->ob, w->bb.p, w->bb.len) < 0))
            w->err = -ENOMEM;
        w->bb.len = 0;
        return;
    }
    if (w->err == 0 && w->bb.len)
        stream(w);
    if (w->framing == GOC_HTTP__BODY_CHUNKED && !w->is_head && w->err == 0
        && goc_http__buf_put(&c->ob, "0\r\n\r\n", 5) < 0)
        w->err = -ENOMEM;
    if (w->declared >= 0 && (uint64_t)w->declared != w->written && !w->is_head)
        w->close = 1;                      /* the framing promised is broken */
}

int goc_http_write_header(goc_http_response *w, int code)
{
    if (code < 200 || code > 999)
        return -EINVAL;
    if (w->head_sent || w->written)
        return -EALREADY;
    w->status = code;
    return 0;
}

static int valid_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *s))
            return 0;
    return 1;
}

/* Fields the server handles itself rather than storing as lines. */
enum { F_PLAIN, F_CLEN, F_TE, F_CONN, F_DATE, F_CTYPE };

static int field_kind(const char *name, size_t nl)
{
    if (nl == 14 && goc_http__ieq(name, "content-length", 14))
        return F_CLEN;
    if (nl == 17 && goc_http__ieq(name, "transfer-encoding", 17))
        return F_TE;
    if (nl == 10 && goc_http__ieq(name, "connection", 10))
        return F_CONN;
    if (nl == 4 && goc_http__ieq(name, "date", 4))
        return F_DATE;
    if (nl == 12 && goc_http__ieq(name, "content-type", 12))
        return F_CTYPE;
    return F_PLAIN;
}

/* Case-insensitive equality of two names of length n. */
static int name_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x |= 0x20;
        if (y >= 'A' && y <= 'Z')
            y |= 0x20;
        if (x != y)
            return 0;
    }
    return 1;
}

/* The line of hb starting at off names name: "name:". */
static int line_is(const goc_http__buf *hb, size_t off, size_t end,
                   const char *name, size_t nl)
{
    return end - off > nl && hb->p[off + nl] == ':' && name_eq(hb->p + off, name, nl);
}

/* Index just past the line starting at off (lines end in "\r\n"). */
static size_t line_end(const goc_http__buf *hb, size_t off)
{
    const char *nl = memchr(hb->p + off, '\n', hb->len - off);
    return (size_t)(nl - hb->p) + 1;
}

int goc_http_add_header(goc_http_response *w, const char *name, const char *value)
{
    size_t nl, vl;

    if (!name || !value || !valid_token(name) || strpbrk(value, "\r\n"))
        return -EINVAL;
    if (w->head_sent)
        return -EALREADY;
    nl = strlen(name);
    vl = strlen(value);
    switch (field_kind(name, nl)) {
    case F_CLEN: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (*value < '0' || *value > '9' || *end || errno || v < 0)
            return -EINVAL;
        w->declared = v;
        return 0;
    }
    case F_TE:
        return -EINVAL;
    case F_CONN:
        if (vl == 5 && goc_http__ieq(value, "close", 5))
            w->close = 1;
        return 0;                          /* the server writes Connection */
    case F_DATE:
        w->has_date = 1;
        break;
    case F_CTYPE:
        w->has_ctype = 1;
        break;
    }
    if (goc_http__buf_reserve(&w->hb, nl + vl + 4) < 0)
        return -ENOMEM;
    char *p = w->hb.p + w->hb.len;
    memcpy(p, name, nl);
    p[nl] = ':';
    p[nl + 1] = ' ';
    memcpy(p + nl + 2, value, vl);
    p[nl + 2 + vl] = '\r';
    p[nl + 3 + vl] = '\n';
    w->hb.len += nl + vl + 4;
    return 0;
}

int goc_http_del_header(goc_http_response *w, const char *name)
{
    if (!name || !valid_token(name))
        return -EINVAL;
    if (w->head_sent)
        return -EALREADY;
    size_t nl = strlen(name), out = 0;
    switch (field_kind(name, nl)) {
    case F_CLEN:
        w->declared = -1;
        return 0;
    case F_TE:
        return 0;
    case F_CONN:
        w->close = !w->c->req.keep_alive
                   || atomic_load_explicit(&w->c->s->shutting, memory_order_relaxed);
        return 0;
    case F_DATE:
        w->has_date = 0;
        break;
    case F_CTYPE:
        w->has_ctype = 0;
        break;
    }
    for (size_t off = 0; off < w->hb.len;) {
        size_t end = line_end(&w->hb, off);
        if (!line_is(&w->hb, off, end, name, nl)) {
            if (out != off)
                memmove(w->hb.p + out, w->hb.p + off, end - off);
            out += end - off;
        }
        off = end;
    }
    w->hb.len = out;
    return 0;
}

int goc_http_set_header(goc_http_response *w, const char *name, const char *value)
{
    int rc;

    if (!name || !value || !valid_token(name) || strpbrk(value, "\r\n"))
        return -EINVAL;
    if ((rc = goc_http_del_header(w, name)) < 0)
        return rc;
    return goc_http_add_header(w, name, value);
}

const char *goc_http_get_header(const goc_http_response *w, const char *name,
                                size_t *len)
{
    size_t nl = name ? strlen(name) : 0;

    for (size_t off = 0; nl && off < w->hb.len;) {
        size_t end = line_end(&w->hb, off);
        if (line_is(&w->hb, off, end, name, nl)) {
            if (len)
                *len = end - off - nl - 4;  /* ": " and CRLF */
            return w->hb.p + off + nl + 2;
        }
        off = end;
    }
    return NULL;
}

int goc_http_response_status(const goc_http_response *w)
{
    return w->status ? w->status : 200;
}

uint64_t goc_http_response_written(const goc_http_response *w)
{
    return w->written;
}

ssize_t goc_http_write(goc_http_response *w, const void *buf, size_t n)
{
    int code = w->status ? w->status : 200;

    if (w->err)
        return w->err;
    if (n == 0)
        return 0;
    if (!code_allows_body(code))
        return -EINVAL;
    if (w->declared >= 0 && w->written + n > (uint64_t)w->declared)
        return -EINVAL;
    w->written += n;
    if (w->is_head)
        return (ssize_t)n;
    if (n >= GOC_HTTP__BB_STREAM) {
        int rc = send_direct(w, buf, n);
        return rc < 0 ? rc : (ssize_t)n;
    }
    if (goc_http__buf_put(&w->bb, buf, n) < 0)
        return -ENOMEM;
    if (w->bb.len >= GOC_HTTP__BB_STREAM) {
        int rc = stream(w);
        if (rc < 0)
            return rc;
    }
    return (ssize_t)n;
}

ssize_t goc_http_vprintf(goc_http_response *w, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof small)
        return goc_http_write(w, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return -ENOMEM;
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    ssize_t rc = goc_http_write(w, big, (size_t)n);
    free(big);
    return rc;
}

ssize_t goc_http_printf(goc_http_response *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ssize_t rc = goc_http_vprintf(w, fmt, ap);
    va_end(ap);
    return rc;
}

int goc_http_flush(goc_http_response *w)
{
    return stream(w);
}

int goc_http_error(goc_http_response *w, int code, const char *msg)
{
    int rc;

    if (w->head_sent || w->written)
        return -EALREADY;
    if ((rc = goc_http_write_header(w, code)) < 0)
        return rc;
    /* as http.Error: keep the handler's fields (Allow, WWW-Authenticate,
     * Set-Cookie), replace the ones that describe a body */
    if ((rc = goc_http_del_header(w, "Content-Length")) < 0
        || (rc = goc_http_set_header(w, "Content-Type", "text/plain; charset=utf-8")) < 0
        || (rc = goc_http_set_header(w, "X-Content-Type-Options", "nosniff")) < 0)
        return rc;
    if (!code_allows_body(code))
        return 0;
    ssize_t n = goc_http_write(w, msg, strlen(msg));
    if (n < 0)
        return (int)n;
    n = goc_http_write(w, "\n", 1);
    return n < 0 ? (int)n : 0;
}
