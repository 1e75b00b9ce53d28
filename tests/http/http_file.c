/* http_file: goc_http_serve_file's sending paths, checked byte for byte
 * with the handler's result and the access log's figures.
 *   - an 8 MiB file whole (sendfile), a single range, a multipart answer
 *     with large parts (sendfile each) and small ones (copied), a small
 *     file (copied), HEAD (head only: the next response follows at once),
 *     HTTP/1.0, two pipelined requests;
 *   - a client with a 4 KiB receive buffer that reads slowly, so the
 *     server parks on the full socket buffer again and again;
 *   - a client that closes mid-file: -EPIPE / -ECONNRESET in the handler,
 *     the server serving on;
 *   - a client that stops reading: the write timeout ends the response
 *     (-ETIMEDOUT) and closes the connection;
 *   - a file that shrinks while it is sent: -EIO, the connection closed
 *     short of the Content-Length.
 */
#define _GNU_SOURCE          /* memmem */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httptest.h"

#define BIG   (8u << 20)
#define SMALL 5000u
#define HUGE  (64u << 20)    /* sparse: the write-timeout test's */

static char dir[64];

/* What one request did: the handler's result and the access log's view. */
typedef struct rec {
    int      rc;             /* goc_http_serve_dir */
    int      status;         /* access log */
    uint64_t written;        /* access log: goc_http_response_written */
} rec;

static goc_chan *handled;    /* int: the handler's rc */
static goc_chan *logged;     /* rec: status and written */

static unsigned char pat(uint64_t i)
{
    return (unsigned char)(i * 7 + (i >> 10));
}

static void handler(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    char name[64];
    CHECK(r->path_len > 3 && r->path_len < sizeof name + 3);
    memcpy(name, r->path + 3, r->path_len - 3);         /* "/f/<name>" */
    name[r->path_len - 3] = '\0';
    int rc = goc_http_serve_dir(w, r, dir, name);
    goc_chan_send(handled, &rc);
}

static void access_log(const goc_http_request *r, const goc_http_response *w,
                       int64_t ns, void *arg)
{
    (void)r, (void)ns, (void)arg;
    rec x = { 0, goc_http_response_status(w), goc_http_response_written(w) };
    goc_chan_send(logged, &x);
}

/* The next request's record (10 s bound: a sanitized, loaded machine). */
static rec next_rec(void)
{
    rec x;
    CHECK(goc_chan_recv_timeout(handled, &x.rc, 10000 * HT_MS) == 0);
    rec l;
    CHECK(goc_chan_recv_timeout(logged, &l, 10000 * HT_MS) == 0);
    x.status = l.status;
    x.written = l.written;
    return x;
}

static void make_file(const char *name, uint64_t size, int sparse)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (sparse) {
        CHECK(ftruncate(fd, (off_t)size) == 0);
    } else {
        unsigned char *b = malloc(size);
        CHECK(b != NULL);
        for (uint64_t i = 0; i < size; i++)
            b[i] = pat(i);
        CHECK(write(fd, b, size) == (ssize_t)size);
        free(b);
    }
    close(fd);
}

static int body_is(const char *b, uint64_t off, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        if ((unsigned char)b[i] != pat(off + i))
            return 0;
    return 1;
}

static goc_http_server *start(ht_server *h, int64_t write_timeout, int *port)
{
    goc_http_server_config cfg = { .handler = handler, .access_log = access_log,
                                   .write_timeout = write_timeout };
    CHECK(goc_http_server_new(&h->s, &cfg) == 0);
    *port = goc_http_server_listen(h->s, "127.0.0.1:0");
    CHECK(*port > 0);
    ht_start(h);
    return h->s;
}

static int dial(int port)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int c = goc_dial(addr);
    CHECK(c >= 0);
    return c;
}

/* A client whose receive buffer is 4 KiB from the SYN on (so the window
 * stays small): socket, setsockopt, connect, then adopted. */
static int dial_small(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int small = 4096;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(goc_net_adopt(fd) == fd);
    return fd;
}

static void get(int c, const char *path, const char *extra, ht_resp *r)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n", path, extra);
    CHECK(goc_write(c, req, strlen(req)) == (ssize_t)strlen(req));
    int rc = ht_read_resp(c, r, goc_now() + 20000 * HT_MS);
    CHECKF(rc == 0, "GET %s: %d", path, rc);
}

/* Read until EOF or error (20 s bound): the count. */
static uint64_t drain(int c, char *keep, uint64_t cap)
{
    static char sink[64 << 10];
    uint64_t got = 0;
    CHECK(goc_set_deadline(c, goc_now() + 20000 * HT_MS, 0) == 0);
    for (;;) {
        char *to = got < cap ? keep + got : sink;
        size_t n = got < cap ? (size_t)(cap - got < sizeof sink ? cap - got : sizeof sink)
                             : sizeof sink;
        ssize_t k = goc_read(c, to, n);
        if (k <= 0) {
            CHECKF(k == 0 || k == -ECONNRESET, "drain: %zd", k);
            return got;
        }
        got += (uint64_t)k;
    }
}

/* ------------------------------------------------------------ intact -- */

static void check_multipart(const ht_resp *r, const uint64_t (*rg)[2], int n)
{
    const char *p = r->body, *end = r->body + r->body_len;
    for (int i = 0; i < n; i++) {
        char cr[96];
        snprintf(cr, sizeof cr, "Content-Range: bytes %llu-%llu/%u\r\n\r\n",
                 (unsigned long long)rg[i][0], (unsigned long long)rg[i][1], BIG);
        const char *h = memmem(p, (size_t)(end - p), cr, strlen(cr));
        CHECKF(h != NULL, "part %d header", i);
        h += strlen(cr);
        uint64_t len = rg[i][1] - rg[i][0] + 1;
        CHECK((uint64_t)(end - h) >= len && body_is(h, rg[i][0], len));
        p = h + len;
    }
    CHECK(end - p > 4 && memcmp(end - 4, "--\r\n", 4) == 0);
}

static void intact(int port)
{
    int c = dial(port);
    ht_resp r;
    rec x;

    get(c, "/f/big", "", &r);
    CHECK(r.status == 200 && r.clen == BIG && body_is(r.body, 0, BIG));
    free(r.body);
    x = next_rec();
    CHECK(x.rc == 0 && x.status == 200 && x.written == BIG);

    get(c, "/f/big", "Range: bytes=1000000-5000000\r\n", &r);
    char v[96];
    ht_field(&r, "Content-Range", v, sizeof v);
    CHECK(r.status == 206 && r.clen == 4000001 && body_is(r.body, 1000000, 4000001));
    CHECKF(strcmp(v, "bytes 1000000-5000000/8388608") == 0, "%s", v);
    free(r.body);
    x = next_rec();
    CHECK(x.rc == 0 && x.status == 206 && x.written == 4000001);

    /* large parts by sendfile, small ones copied, in one answer */
    static const uint64_t rg[][2] = { { 0, 99 }, { 100000, 1999999 },
                                      { 3000000, 3000010 }, { 8000000, BIG - 1 } };
    get(c, "/f/big", "Range: bytes=0-99, 100000-1999999, 3000000-3000010, 8000000-\r\n", &r);
    ht_field(&r, "Content-Type", v, sizeof v);
    CHECK(r.status == 206 && strncmp(v, "multipart/byteranges; boundary=", 31) == 0);
    CHECK(r.clen == (int64_t)r.body_len);
    check_multipart(&r, rg, 4);
    free(r.body);
    x = next_rec();
    CHECK(x.rc == 0 && x.status == 206 && x.written == r.body_len);

    get(c, "/f/small", "", &r);
    CHECK(r.status == 200 && r.clen == SMALL && body_is(r.body, 0, SMALL));
    free(r.body);
    x = next_rec();
    CHECK(x.rc == 0 && x.written == SMALL);

    /* HEAD: the length, no body; the next response comes right after */
    const char *head = "HEAD /f/big HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(goc_write(c, head, strlen(head)) == (ssize_t)strlen(head));
    memset(&r, 0, sizeof r);
    char hb[1024];
    size_t hl = 0;
    CHECK(goc_set_deadline(c, goc_now() + 10000 * HT_MS, 0) == 0);
    while (hl < 4 || memcmp(hb + hl - 4, "\r\n\r\n", 4) != 0) {
        CHECK(hl < sizeof hb - 1 && goc_read(c, hb + hl, 1) == 1);
        hl++;
    }
    hb[hl] = '\0';
    CHECK(strstr(hb, "HTTP/1.1 200") == hb && strstr(hb, "Content-Length: 8388608\r\n"));
    x = next_rec();
    CHECK(x.rc == 0 && x.written == BIG);        /* counted, not sent */
    get(c, "/f/small", "", &r);
    CHECK(r.status == 200 && body_is(r.body, 0, SMALL));
    free(r.body);
    next_rec();

    /* two pipelined: each whole, in order */
    const char *two = "GET /f/big HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /f/big HTTP/1.1\r\nHost: x\r\nRange: bytes=-70000\r\n\r\n";
    CHECK(goc_write(c, two, strlen(two)) == (ssize_t)strlen(two));
    CHECK(ht_read_resp(c, &r, goc_now() + 20000 * HT_MS) == 0);
    CHECK(r.status == 200 && r.body_len == BIG && body_is(r.body, 0, BIG));
    free(r.body);
    CHECK(ht_read_resp(c, &r, goc_now() + 20000 * HT_MS) == 0);
    CHECK(r.status == 206 && r.body_len == 70000 && body_is(r.body, BIG - 70000, 70000));
    free(r.body);
    CHECK(next_rec().rc == 0 && next_rec().rc == 0);
    goc_close(c);

    /* HTTP/1.0: Content-Length, then the server closes */
    c = dial(port);
    const char *old = "GET /f/big HTTP/1.0\r\n\r\n";
    CHECK(goc_write(c, old, strlen(old)) == (ssize_t)strlen(old));
    CHECK(ht_read_resp(c, &r, goc_now() + 20000 * HT_MS) == 0);
    CHECK(r.status == 200 && r.clen == BIG && body_is(r.body, 0, BIG));
    free(r.body);
    char b;
    CHECK(goc_read(c, &b, 1) == 0);
    CHECK(next_rec().rc == 0);
    goc_close(c);
}

/* ---------------------------------------------------- slow and gone -- */

static void slow_reader(int port)
{
    int c = dial_small(port);
    const char *req = "GET /f/big HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(goc_write(c, req, strlen(req)) == (ssize_t)strlen(req));
    /* read the head, then the body in small bites with pauses for the
     * first MiB: the server finds its socket buffer full many times */
    ht_resp r;
    memset(&r, 0, sizeof r);
    char *body = malloc(BIG);
    CHECK(body != NULL);
    uint64_t got = 0;
    char head[1024];
    size_t hl = 0;
    CHECK(goc_set_deadline(c, goc_now() + 30000 * HT_MS, 0) == 0);
    while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4) != 0) {
        CHECK(hl < sizeof head && goc_read(c, head + hl, 1) == 1);
        hl++;
    }
    while (got < BIG) {
        size_t want = got < (1u << 20) ? 4096 : 256 * 1024;
        if (want > BIG - got)
            want = BIG - got;
        ssize_t k = goc_read(c, body + got, want);
        CHECKF(k > 0, "slow read: %zd at %llu", k, (unsigned long long)got);
        got += (uint64_t)k;
        if (got < (1u << 20))
            goc_sleep(HT_MS / 4);
    }
    CHECK(body_is(body, 0, BIG));
    free(body);
    rec x = next_rec();
    CHECK(x.rc == 0 && x.written == BIG);
    goc_close(c);
}

static void client_leaves(int port)
{
    int c = dial_small(port);
    const char *req = "GET /f/big HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(goc_write(c, req, strlen(req)) == (ssize_t)strlen(req));
    char buf[16384];
    uint64_t got = 0;
    CHECK(goc_set_deadline(c, goc_now() + 10000 * HT_MS, 0) == 0);
    while (got < 100000) {
        ssize_t k = goc_read(c, buf, sizeof buf);
        CHECK(k > 0);
        got += (uint64_t)k;
    }
    goc_close(c);                          /* unread data: a reset */
    rec x = next_rec();
    CHECKF(x.rc == -EPIPE || x.rc == -ECONNRESET, "rc %d", x.rc);
    CHECK(x.written < BIG);
    /* the server serves on */
    c = dial(port);
    ht_resp r;
    get(c, "/f/small", "", &r);
    CHECK(r.status == 200 && body_is(r.body, 0, SMALL));
    free(r.body);
    next_rec();
    goc_close(c);
}

static void write_timeout(void)
{
    ht_server h;
    int port;
    start(&h, 300 * HT_MS, &port);
    int c = dial_small(port);
    const char *req = "GET /f/huge HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(goc_write(c, req, strlen(req)) == (ssize_t)strlen(req));
    int64_t t0 = goc_now();
    rec x = next_rec();                    /* and never read meanwhile */
    int64_t took = goc_now() - t0;
    CHECKF(x.rc == -ETIMEDOUT, "rc %d", x.rc);
    CHECKF(took >= 150 * HT_MS && took < 8000 * HT_MS, "timed out after %lld ms",
           (long long)(took / HT_MS));
    CHECK(x.written < HUGE);
    /* the connection was closed short of the promised length */
    uint64_t got = drain(c, NULL, 0);
    CHECKF(got < HUGE, "%llu", (unsigned long long)got);
    goc_close(c);
    ht_stop(&h);
}

static void shrinks(int port)
{
    char path[128];
    snprintf(path, sizeof path, "%s/shrink", dir);
    make_file("shrink", 16u << 20, 0);
    int c = dial_small(port);
    const char *req = "GET /f/shrink HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(goc_write(c, req, strlen(req)) == (ssize_t)strlen(req));
    ht_resp r;
    memset(&r, 0, sizeof r);
    char *body = malloc(1u << 20);
    CHECK(body != NULL);
    char head[1024];
    size_t hl = 0;
    CHECK(goc_set_deadline(c, goc_now() + 10000 * HT_MS, 0) == 0);
    while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4) != 0) {
        CHECK(hl < sizeof head && goc_read(c, head + hl, 1) == 1);
        hl++;
    }
    head[hl] = '\0';
    CHECK(strstr(head, "Content-Length: 16777216\r\n") != NULL);
    uint64_t got = 0;
    while (got < (1u << 20)) {
        ssize_t k = goc_read(c, body + got, (1u << 20) - got);
        CHECK(k > 0);
        got += (uint64_t)k;
    }
    CHECK(body_is(body, 0, 1u << 20));
    free(body);
    CHECK(truncate(path, 2u << 20) == 0);  /* while the server sends */
    got += drain(c, NULL, 0);
    CHECKF(got < (16u << 20), "%llu", (unsigned long long)got);
    rec x = next_rec();
    CHECKF(x.rc == -EIO, "rc %d", x.rc);
    CHECK(x.written < (16u << 20));
    goc_close(c);
    CHECK(unlink(path) == 0);
}

static void main_g(void *arg)
{
    (void)arg;
    handled = goc_chan_make(sizeof(int), 16);
    logged = goc_chan_make(sizeof(rec), 16);
    make_file("big", BIG, 0);
    make_file("small", SMALL, 0);
    make_file("huge", HUGE, 1);
    ht_server h;
    int port;
    start(&h, 10000 * HT_MS, &port);
    intact(port);
    slow_reader(port);
    client_leaves(port);
    shrinks(port);
    ht_stop(&h);
    write_timeout();
    char path[128];
    const char *names[] = { "big", "small", "huge" };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK(unlink(path) == 0);
    }
    CHECK(rmdir(dir) == 0);
    goc_chan_free(handled);
    goc_chan_free(logged);
    printf("http_file ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/goc_http_file_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    return goc_main(main_g, NULL);
}
