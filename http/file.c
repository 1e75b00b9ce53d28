/*
 * http/file.c — serving files, as Go's ServeFile / FileServer: content
 * types by extension, Last-Modified / If-Modified-Since, ETag /
 * If-None-Match, If-Range, and single or multiple byte ranges
 * (multipart/byteranges), with Go's ServeContent rules.
 *
 * Sending.  The whole file, a single range, and each part of a multipart
 * answer of 64 KiB or more go by sendfile(2) (goc_sendfile, through
 * goc_http__send_file in response.c): the head and what is buffered are
 * flushed first, then the file's pages go from the page cache to the
 * socket without a copy through user memory.  goc_sendfile parks on a
 * full socket buffer as goc_write does, under the server's write timeout
 * (per 256 KiB), and runs each sendfile inside goc_syscall_enter/exit
 * because reading uncached pages blocks the thread even on a non-blocking
 * socket.  A client that leaves mid-file gives -EPIPE / -ECONNRESET (no
 * SIGPIPE); a file that shrinks mid-send gives -EIO: the Content-Length
 * promised cannot be met, so the connection closes.  Smaller spans, and
 * files sendfile cannot read (-EINVAL, -ESPIPE, -ENOSYS with nothing
 * sent: some pseudo-files), are read with pread in 64 KiB pieces (inside
 * goc_syscall_enter/exit too) and written with goc_http_write, whose
 * large-write path sends each piece straight from the buffer.  HEAD
 * counts the bytes and reads none.
 *
 * Validators: ETag is "<size hex>-<mtime ns hex>" (strong: a rewrite in
 * place within the same nanosecond and size would go unseen, as with
 * nginx's size-mtime tags).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 64 KiB: over the writer's 32 KiB direct-write threshold, few syscalls. */
#define PIECE (64 * 1024)
/* Spans from 64 KiB go by sendfile.  A smaller one is read and buffered:
 * it leaves with the head (and with pipelined neighbours) in one write,
 * where sendfile would cost a write for the head and a sendfile. */
#define SENDFILE_MIN (64 * 1024)
/* Go caps the ranges of one request; more are treated as none valid. */
#define MAX_RANGES 64

typedef struct range {
    uint64_t start, len;
} range;

/* -------------------------------------------------------------- types -- */

static const char *const types[][2] = {
    {"html", "text/html; charset=utf-8"},  {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"}, {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"},  {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},    {"xml", "text/xml; charset=utf-8"},
    {"svg", "image/svg+xml"},              {"png", "image/png"},
    {"jpg", "image/jpeg"},                 {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},                  {"webp", "image/webp"},
    {"ico", "image/vnd.microsoft.icon"},   {"avif", "image/avif"},
    {"pdf", "application/pdf"},            {"wasm", "application/wasm"},
    {"zip", "application/zip"},            {"gz", "application/gzip"},
    {"tar", "application/x-tar"},          {"mp4", "video/mp4"},
    {"webm", "video/webm"},                {"mp3", "audio/mpeg"},
    {"woff", "font/woff"},                 {"woff2", "font/woff2"},
};

const char *goc_http_mime_type(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

    if (dot && (!slash || dot > slash)) {
        size_t n = strlen(dot + 1);
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strlen(types[i][0]) == n && goc_http__ieq(dot + 1, types[i][0], n))
                return types[i][1];
    }
    return "application/octet-stream";
}

/* -------------------------------------------------------------- dates -- */

static void http_date(char *out, size_t n, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* IMF-fixdate (RFC 9110 §5.6.7); -1 when it is not one. */
static time_t parse_date(const char *s)
{
    static const char mo[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    char mon[4];
    int d, y, h, mi, se, used = 0;

    memset(&tm, 0, sizeof tm);
    if (strlen(s) != 29 || sscanf(s + 5, "%2d %3s %4d %2d:%2d:%2d GMT%n", &d, mon, &y, &h,
                                  &mi, &se, &used) != 6 || used != 24)
        return -1;
    const char *m = strstr(mo, mon);
    if (!m || (m - mo) % 3 != 0)
        return -1;
    tm.tm_mday = d;
    tm.tm_mon = (int)((m - mo) / 3);
    tm.tm_year = y - 1900;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return timegm(&tm);
}

/* ------------------------------------------------------------- ranges -- */

static int parse_u64(const char *p, size_t n, uint64_t *v)
{
    *v = 0;
    if (n == 0 || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        *v = *v * 10 + (uint64_t)(p[i] - '0');
    }
    return 0;
}

/* Go's parseRange: the ranges of s within size; their count, 0 when none
 * overlaps the file (416), -1 when s is malformed (416 too). */
static int parse_ranges(const char *s, uint64_t size, range *out)
{
    int n = 0, no_overlap = 0;

    if (strncmp(s, "bytes=", 6) != 0)
        return -1;
    for (const char *p = s + 6; *p;) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        const char *q = e;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
            q--;
        if (q > p) {
            const char *dash = memchr(p, '-', (size_t)(q - p));
            uint64_t a, b;
            if (!dash || n == MAX_RANGES)
                return -1;
            if (dash == p) {                              /* "-N": the last N */
                if (parse_u64(dash + 1, (size_t)(q - dash - 1), &b) < 0)
                    return -1;
                if (b > size)
                    b = size;
                if (b == 0) {
                    no_overlap = 1;
                } else {
                    out[n].start = size - b;
                    out[n++].len = b;
                }
            } else {
                if (parse_u64(p, (size_t)(dash - p), &a) < 0)
                    return -1;
                if (dash + 1 == q) {
                    b = size ? size - 1 : 0;
                } else if (parse_u64(dash + 1, (size_t)(q - dash - 1), &b) < 0 || b < a) {
                    return -1;
                }
                if (a >= size) {
                    no_overlap = 1;
                } else {
                    if (b >= size)
                        b = size - 1;
                    out[n].start = a;
                    out[n++].len = b - a + 1;
                }
            }
        }
        p = *e ? e + 1 : e;
    }
    if (n == 0 && !no_overlap)
        return -1;
    return n;
}

/* ------------------------------------------------------------ sending -- */

/* The file being sent, and how. */
typedef struct src {
    int   fd;
    int   copy;        /* sendfile said no (GOC_HTTP__COPY): copy the rest */
    char *buf;         /* PIECE bytes for copying, made on first use */
} src;

/* -errno read before goc_syscall_exit, which may resume the goroutine on
 * another thread (goc.h: errno and threads). */
static __attribute__((noinline)) ssize_t sys_pread(int fd, void *buf, size_t n, uint64_t off)
{
    ssize_t r;
    do
        r = pread(fd, buf, n, (off_t)off);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

/* Through user memory: pread a piece (the thread blocks on the disk, the P
 * goes on meanwhile), goc_http_write it. */
static int copy_span(goc_http_response *w, src *f, uint64_t off, uint64_t len)
{
    if (!f->buf && !(f->buf = malloc(PIECE)))
        return -ENOMEM;
    while (len > 0) {
        size_t want = len < PIECE ? (size_t)len : PIECE;
        goc_syscall_enter();
        ssize_t n = sys_pread(f->fd, f->buf, want, off);
        goc_syscall_exit();
        if (n <= 0)
            return n == 0 ? -EIO : (int)n;   /* file shrank, or a disk error */
        ssize_t k = goc_http_write(w, f->buf, (size_t)n);
        if (k < 0)
            return (int)k;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int send_span(goc_http_response *w, src *f, uint64_t off, uint64_t len)
{
    if (w->is_head) {                      /* counted, not read */
        w->written += len;
        return 0;
    }
    if (len >= SENDFILE_MIN && !f->copy) {
        int rc = goc_http__send_file(w, f->fd, off, len);
        if (rc != GOC_HTTP__COPY)
            return rc;
        f->copy = 1;
    }
    return copy_span(w, f, off, len);
}

static int header_u64(goc_http_response *w, const char *name, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    return goc_http_set_header(w, name, num);
}

/* Several ranges: multipart/byteranges with exact Content-Length. */
static int send_multi(goc_http_response *w, src *f, const range *rg, int n,
                      uint64_t size, const char *ctype)
{
    char boundary[40], part[256];
    uint64_t total = 0;
    int rc;

    snprintf(boundary, sizeof boundary, "goc%016llx%04x",
             (unsigned long long)goc_now(), (unsigned)(n * 7919u) & 0xffffu);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            int k = snprintf(part, sizeof part,
                             "%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
                             i ? "\r\n" : "", boundary, ctype,
                             (unsigned long long)rg[i].start,
                             (unsigned long long)(rg[i].start + rg[i].len - 1),
                             (unsigned long long)size);
            if (pass == 0) {
                total += (uint64_t)k + rg[i].len;
                continue;
            }
            ssize_t wr = goc_http_write(w, part, (size_t)k);
            if (wr < 0)
                return (int)wr;
            if ((rc = send_span(w, f, rg[i].start, rg[i].len)) < 0)
                return rc;
        }
        int k = snprintf(part, sizeof part, "\r\n--%s--\r\n", boundary);
        if (pass == 0) {
            total += (uint64_t)k;
            char ct[96];
            snprintf(ct, sizeof ct, "multipart/byteranges; boundary=%s", boundary);
            goc_http_set_header(w, "Content-Type", ct);
            header_u64(w, "Content-Length", total);
            goc_http_write_header(w, 206);
        } else {
            ssize_t wr = goc_http_write(w, part, (size_t)k);
            if (wr < 0)
                return (int)wr;
        }
    }
    return 0;
}

/* etag in the If-None-Match list (or "*"); weak comparison, as Go for
 * GET and HEAD. */
static int etag_listed(const char *list, const char *etag)
{
    size_t el = strlen(etag);

    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *q = e;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
            q--;
        if ((size_t)(q - p) == el && memcmp(p, etag, el) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* The request's validators against the file's: 1 when the client's copy is
 * current (304).  If-None-Match, when present, decides alone. */
static int not_modified(const goc_http_request *r, const char *etag, time_t mtime)
{
    const char *inm = goc_http_request_header(r, "If-None-Match");
    if (inm)
        return etag_listed(inm, etag);
    const char *ims = goc_http_request_header(r, "If-Modified-Since");
    time_t t = ims ? parse_date(ims) : -1;
    return t >= 0 && mtime <= t;
}

/* If-Range: ranges apply only when it names the current file. */
static int range_applies(const goc_http_request *r, const char *etag, time_t mtime)
{
    const char *ir = goc_http_request_header(r, "If-Range");
    if (!ir)
        return 1;
    if (ir[0] == '"')
        return strcmp(ir, etag) == 0;
    time_t t = parse_date(ir);
    return t >= 0 && t == mtime;
}

static int serve_fd(goc_http_response *w, goc_http_request *r, int fd,
                    const struct stat *st, const char *name)
{
    char etag[64], lm[40];
    uint64_t size = (uint64_t)st->st_size;
    time_t mtime = st->st_mtim.tv_sec;
    char ctype[128];
    size_t cl = 0;
    const char *set = goc_http_get_header(w, "Content-Type", &cl);
    range rg[MAX_RANGES];
    int n = 0, rc = 0;

    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)size,
             (unsigned long long)st->st_mtim.tv_sec * 1000000000ull
             + (unsigned long long)st->st_mtim.tv_nsec);
    /* the handler's Content-Type wins, as in Go */
    snprintf(ctype, sizeof ctype, "%.*s", set ? (int)cl : (int)strlen(goc_http_mime_type(name)),
             set ? set : goc_http_mime_type(name));
    http_date(lm, sizeof lm, mtime);
    goc_http_set_header(w, "Last-Modified", lm);
    goc_http_set_header(w, "ETag", etag);
    goc_http_set_header(w, "Accept-Ranges", "bytes");
    if (not_modified(r, etag, mtime)) {
        goc_http_del_header(w, "Content-Type");
        goc_http_write_header(w, 304);
        return 0;
    }
    const char *rh = goc_http_request_header(r, "Range");
    if (rh && range_applies(r, etag, mtime)) {
        n = parse_ranges(rh, size, rg);
        if (n <= 0) {
            char cr[48];
            snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
            goc_http_set_header(w, "Content-Range", cr);
            goc_http_error(w, 416, "invalid range: failed to overlap");
            return 0;
        }
        uint64_t sum = 0;
        for (int i = 0; i < n; i++)
            sum += rg[i].len;
        if (sum > size)
            n = 0;                         /* as Go: overlapping abuse, send all */
    }
    src f = { .fd = fd };
    if (n <= 1)
        goc_http_set_header(w, "Content-Type", ctype);
    if (n == 1) {
        char cr[80];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)rg[0].start,
                 (unsigned long long)(rg[0].start + rg[0].len - 1), (unsigned long long)size);
        goc_http_set_header(w, "Content-Range", cr);
        header_u64(w, "Content-Length", rg[0].len);
        goc_http_write_header(w, 206);
        rc = send_span(w, &f, rg[0].start, rg[0].len);
    } else if (n > 1) {
        rc = send_multi(w, &f, rg, n, size, ctype);
    } else {
        header_u64(w, "Content-Length", size);
        rc = send_span(w, &f, 0, size);
    }
    free(f.buf);
    if (rc == -ENOMEM)                     /* no copy buffer: nothing went */
        goc_http_error(w, 500, "out of memory");
    return rc;
}

/* ------------------------------------------------------------- public -- */

static int has_dotdot(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '.' && p[i + 1] == '.' && (i == 0 || p[i - 1] == '/')
            && (i + 2 == n || p[i + 2] == '/'))
            return 1;
    return 0;
}

static int open_reply(goc_http_response *w, int err)
{
    if (err == -ENOENT || err == -ENOTDIR || err == -ELOOP || err == -ENAMETOOLONG)
        goc_http_error(w, 404, "404 page not found");
    else if (err == -EACCES || err == -EPERM)
        goc_http_error(w, 403, "403 Forbidden");
    else
        goc_http_error(w, 500, "500 Internal Server Error");
    return 0;
}

int goc_http_serve_file(goc_http_response *w, goc_http_request *r, const char *path)
{
    struct stat st;

    if (has_dotdot(r->path, r->path_len)) {
        goc_http_error(w, 400, "invalid URL path");
        return 0;
    }
    goc_syscall_enter();
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    int err = fd < 0 ? -errno : 0;
    if (fd >= 0 && fstat(fd, &st) != 0)
        err = -errno;
    goc_syscall_exit();
    if (err) {
        if (fd >= 0)
            close(fd);
        return open_reply(w, err);
    }
    int rc;
    if (S_ISDIR(st.st_mode)) {
        /* a directory: its index.html, as Go (no listings here) */
        int ifd = openat(fd, "index.html", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        close(fd);
        if (ifd < 0 || fstat(ifd, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (ifd >= 0)
                close(ifd);
            return open_reply(w, -ENOENT);
        }
        rc = serve_fd(w, r, ifd, &st, "index.html");
        close(ifd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return open_reply(w, -ENOENT);
    }
    rc = serve_fd(w, r, fd, &st, path);
    close(fd);
    return rc;
}

int goc_http_serve_dir(goc_http_response *w, goc_http_request *r, const char *root,
                       const char *rel)
{
    size_t rl = strlen(root), n = strlen(rel);

    while (n && *rel == '/') {
        rel++;
        n--;
    }
    if (has_dotdot(rel, n) || memchr(rel, '\\', n)) {
        goc_http_error(w, 400, "invalid URL path");
        return 0;
    }
    char *path = malloc(rl + n + 2);
    if (!path) {
        goc_http_error(w, 500, "out of memory");
        return -ENOMEM;
    }
    memcpy(path, root, rl);
    path[rl] = '/';
    memcpy(path + rl + 1, rel, n + 1);
    int rc = goc_http_serve_file(w, r, path);
    free(path);
    return rc;
}
