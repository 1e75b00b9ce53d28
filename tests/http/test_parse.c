/*
 * tests/http/test_parse.c — unit tests of the request-head parser and the
 * chunked decoder (http/parse.c), without the runtime.
 *
 * Every input is copied to the end of a page followed by an inaccessible
 * page, so a read past the end crashes at once (as picohttpparser's tests
 * do).  Each case is fed whole and byte by byte.
 */
#include "../../http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
static char *arena;
static size_t pagesz;

#define CHECK(cond) do { if (!(cond)) { failures++; \
    fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* Place s at the end of the readable area; returns the copy. */
static char *guarded(const char *s, size_t n)
{
    if (n > 16 * pagesz)
        abort();
    char *p = arena + 16 * pagesz - n;
    memcpy(p, s, n);
    return p;
}

typedef struct res {
    int rc;
    goc_http_request r;
    goc_http_header h[128];
    goc_http__head hd;
} res;

static res R;

static int parse_n(const char *s, size_t n, size_t max_bytes, size_t max_hdr)
{
    goc_http__scan sc = {0, 0};
    /* byte by byte first: must say MORE until the end, then agree */
    int rc = GOC_HTTP__MORE;
    for (size_t i = 1; i < n && rc == GOC_HTTP__MORE; i++) {
        char *b = guarded(s, i);
        rc = goc_http__parse_head(b, i, max_bytes, max_hdr, &sc, &R.r, R.h, &R.hd);
    }
    int early = rc;
    memset(&sc, 0, sizeof sc);
    char *b = guarded(s, n);
    R.rc = goc_http__parse_head(b, n, max_bytes, max_hdr, &sc, &R.r, R.h, &R.hd);
    /* a prefix may already fail (e.g. a bad byte) but never succeed early
     * unless the whole input holds more than one request */
    if (early != GOC_HTTP__MORE && early != R.rc && early != GOC_HTTP__DONE) {
        fprintf(stderr, "prefix rc %d vs whole rc %d for %.40s\n", early, R.rc, s);
        failures++;
    }
    return R.rc;
}

static int parse(const char *s) { return parse_n(s, strlen(s), 8192, 100); }

static int streq(const char *p, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(p, want, n) == 0;
}

static void test_basic(void)
{
    CHECK(parse("GET /hello?x=1&y=2 HTTP/1.1\r\nHost: example\r\nX-A:  v a l  \r\n\r\n") == 0);
    CHECK(strcmp(R.r.method, "GET") == 0 && R.r.method_len == 3);
    CHECK(strcmp(R.r.target, "/hello?x=1&y=2") == 0);
    CHECK(streq(R.r.path, R.r.path_len, "/hello"));
    CHECK(strcmp(R.r.query, "x=1&y=2") == 0 && R.r.query_len == 7);
    CHECK(R.r.version_minor == 1 && R.r.keep_alive == 1);
    CHECK(R.r.num_headers == 2);
    CHECK(strcmp(R.h[1].name, "X-A") == 0 && strcmp(R.h[1].value, "v a l") == 0);
    CHECK(R.h[1].value_len == 5 && R.h[1].name_len == 3);
    CHECK(R.r.content_length == -1 && R.r.chunked == 0);
    CHECK(strcmp(goc_http_request_header(&R.r, "x-a"), "v a l") == 0);
    CHECK(goc_http_request_header(&R.r, "x-b") == NULL);

    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nEmpty:\r\n\r\n") == 0);
    CHECK(R.h[1].value_len == 0 && strcmp(R.h[1].value, "") == 0);
    CHECK(R.r.query_len == 0 && strcmp(R.r.query, "") == 0);

    /* obs-text in values is allowed */
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n") == 0);
}

static void test_versions(void)
{
    CHECK(parse("GET / HTTP/1.0\r\n\r\n") == 0);
    CHECK(R.r.version_minor == 0 && R.r.keep_alive == 0);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") == 0);
    CHECK(R.r.keep_alive == 1);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n") == 0);
    CHECK(R.r.keep_alive == 0);
    CHECK(parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n") == 0 && R.r.version_minor == 1);
    CHECK(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505);
    CHECK(parse("GET / http/1.1\r\nHost: h\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1 \r\nHost: h\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/11\r\nHost: h\r\n\r\n") == 400);
    CHECK(parse("GET /\r\n\r\n") == 400);
}

static void test_targets(void)
{
    CHECK(parse("GET http://ex.com/a/b?q HTTP/1.1\r\nHost: ex.com\r\n\r\n") == 0);
    CHECK(streq(R.r.path, R.r.path_len, "/a/b") && strcmp(R.r.query, "q") == 0);
    CHECK(parse("GET http://ex.com HTTP/1.1\r\nHost: ex.com\r\n\r\n") == 0);
    CHECK(streq(R.r.path, R.r.path_len, "/"));
    CHECK(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK(streq(R.r.path, R.r.path_len, "*"));
    CHECK(parse("CONNECT ex.com:443 HTTP/1.1\r\nHost: ex.com\r\n\r\n") == 0);
    CHECK(R.r.path_len == 0);
    CHECK(parse("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
    CHECK(parse("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
    CHECK(parse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
    CHECK(parse("G(T / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
    CHECK(parse(" GET / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
}

/* RFC 9112 §3.2.2 and Go's ValidHostHeader */
static void test_host(void)
{
    CHECK(parse("GET http://url.ex/a HTTP/1.1\r\nHost: field.ex\r\n\r\n") == 0);
    CHECK(streq(R.r.host, R.r.host_len, "url.ex"));
    CHECK(parse("GET http://url.ex:8080?q HTTP/1.1\r\nHost: f\r\n\r\n") == 0);
    CHECK(streq(R.r.host, R.r.host_len, "url.ex:8080"));
    CHECK(parse("GET /a HTTP/1.1\r\nHost: field.ex:80\r\n\r\n") == 0);
    CHECK(streq(R.r.host, R.r.host_len, "field.ex:80"));
    CHECK(parse("GET /a HTTP/1.0\r\n\r\n") == 0 && R.r.host_len == 0 && R.r.host);
    CHECK(parse("GET /a HTTP/1.1\r\nHost:\r\n\r\n") == 0 && R.r.host_len == 0);
    CHECK(parse("GET /a HTTP/1.1\r\nHost: [fe80::1%25eth0]:8\r\n\r\n") == 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: a b/../c\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: u@h\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\x80\r\n\r\n") == 400);
    CHECK(parse("GET http://a\"b/ HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
    CHECK(parse("GET http://a.ex/ HTTP/1.1\r\n\r\n") == 400);
    /* Expect */
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n\r\n") == 0);
    CHECK(R.hd.expect_continue == 1 && R.hd.expect_other == 0);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n") == 0);
    CHECK(R.hd.expect_continue == 0 && R.hd.expect_other == 1);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect:\r\n\r\n") == 0);
    CHECK(R.hd.expect_continue == 0 && R.hd.expect_other == 0);
}

static void test_leading_crlf(void)
{
    CHECK(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n") == 0);
    CHECK(R.hd.len == strlen("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    char many[200] = "";
    for (int i = 0; i < 17; i++)
        strcat(many, "\r\n");
    strcat(many, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(parse(many) == 400);
    CHECK(parse("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
    goc_http__scan sc = {0, 0};
    CHECK(goc_http__parse_head(guarded("\r\n", 2), 2, 8192, 100, &sc, &R.r, R.h, &R.hd)
          == GOC_HTTP__MORE);
    CHECK(goc_http__parse_head(guarded("\r", 1), 1, 8192, 100, &sc, &R.r, R.h, &R.hd)
          == GOC_HTTP__MORE);
}

static void test_malformed(void)
{
    /* bare CR, bare LF, NUL, controls */
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\nX: a\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\nHost: h\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\n\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\n\n") == 400);
    CHECK(parse_n("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 35, 8192, 100) == 400);
    CHECK(parse_n("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", 29, 8192, 100) == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n") == 400);
    /* obs-fold, whitespace before colon, bad names */
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\n Host: h\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost : h\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n") == 400);
    /* Host rules */
    CHECK(parse("GET / HTTP/1.1\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n") == 400);
}

static void test_lengths(void)
{
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n") == 0);
    CHECK(R.r.content_length == 42);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n") == 0);
    CHECK(R.r.content_length == 0);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 99999999999999999999999\r\n\r\n") == 0);
    CHECK(R.r.content_length == INT64_MAX);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n") == 400);
    /* Transfer-Encoding */
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
    CHECK(R.r.chunked == 1 && R.r.content_length == -1);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED \r\n\r\n") == 0);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \"chunked\"\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n") == 400);
    CHECK(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n") == 0);
    CHECK(R.hd.expect_continue == 1);
}

static void test_limits(void)
{
    char big[12000];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
    memset(big + n, 'a', 8200);
    strcpy(big + n + 8200, "\r\n\r\n");
    CHECK(parse(big) == 431);
    /* incomplete but already too long */
    CHECK(parse_n(big, 8500, 8192, 100) == 431);
    /* exactly at the limit passes */
    char ok[8192 + 1];
    n = snprintf(ok, sizeof ok, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
    memset(ok + n, 'b', 8192 - (size_t)n - 4);
    memcpy(ok + 8192 - 4, "\r\n\r\n", 5);
    CHECK(strlen(ok) == 8192 && parse(ok) == 0);
    /* too many headers */
    char many[8000];
    n = snprintf(many, sizeof many, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 100; i++)
        n += snprintf(many + n, sizeof many - (size_t)n, "X%d: v\r\n", i);
    strcpy(many + n, "\r\n");
    CHECK(parse(many) == 431);
    CHECK(parse_n(many, strlen(many), 8192, 101) == 0);
    CHECK(R.r.num_headers == 101);
}

static void test_pipelined(void)
{
    const char *two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    goc_http__scan sc = {0, 0};
    char *b = guarded(two, strlen(two));
    CHECK(goc_http__parse_head(b, strlen(two), 8192, 100, &sc, &R.r, R.h, &R.hd) == 0);
    CHECK(R.hd.len == strlen(two) / 2 && streq(R.r.path, R.r.path_len, "/a"));
    memset(&sc, 0, sizeof sc);
    CHECK(goc_http__parse_head(b + R.hd.len, strlen(two) - R.hd.len, 8192, 100, &sc,
                               &R.r, R.h, &R.hd) == 0);
    CHECK(streq(R.r.path, R.r.path_len, "/b"));
}

/* chunked: decode s whole and in k-byte pieces; returns rc, body in out */
static int chunked(const char *s, size_t n, size_t max_body, char *out, size_t *outlen,
                   size_t *consumed)
{
    int whole_rc = 0;
    for (size_t k = 1; k <= n + 1; k = k < 8 ? k + 1 : k * 3) {
        goc_http__chunked ck;
        memset(&ck, 0, sizeof ck);
        char *b = guarded(s, n);
        size_t src = 0, dst = 0, len = 0;
        int rc = GOC_HTTP__MORE;
        while (rc == GOC_HTTP__MORE && len < n) {
            len = len + k > n ? n : len + k;
            rc = goc_http__chunked_decode(&ck, b, len, &src, &dst, dst, max_body, 1024);
        }
        if (k == 1) {
            whole_rc = rc;
            memcpy(out, b, dst);
            *outlen = dst;
            *consumed = src;
        } else if (rc != whole_rc) {
            fprintf(stderr, "chunked: piece %zu gives %d, bytewise %d\n", k, rc, whole_rc);
            failures++;
        }
    }
    return whole_rc;
}

static void test_chunked(void)
{
    char out[4096];
    size_t n, used;
#define CK(s, mb) chunked(s, sizeof(s) - 1, mb, out, &n, &used)
    CHECK(CK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 1024) == 0);
    CHECK(n == 11 && memcmp(out, "hello world", 11) == 0);
    CHECK(CK("5;ext=1;q=\"x\"\r\nhello\r\n0\r\nTrailer: v\r\nT2: w\r\n\r\nGET", 1024) == 0);
    CHECK(n == 5 && used == sizeof("5;ext=1;q=\"x\"\r\nhello\r\n0\r\nTrailer: v\r\nT2: w\r\n\r\n") - 1);
    CHECK(CK("A\r\n0123456789\r\n00\r\n\r\n", 1024) == 0 && n == 10);
    CHECK(CK("a \r\n0123456789\r\n0\r\n\r\n", 1024) == 0);
    CHECK(CK("0\r\n\r\n", 1024) == 0 && n == 0);
    /* bad framing */
    CHECK(CK("\r\n", 1024) == 400);
    CHECK(CK("z\r\n", 1024) == 400);
    CHECK(CK("-1\r\n", 1024) == 400);
    CHECK(CK("0x5\r\nhello\r\n0\r\n\r\n", 1024) == 400);
    CHECK(CK("5\nhello\r\n0\r\n\r\n", 1024) == 400);
    CHECK(CK("5\rhello\r\n0\r\n\r\n", 1024) == 400);
    CHECK(CK("5\r\nhelloX\r\n0\r\n\r\n", 1024) == 400);
    CHECK(CK("5\r\nhello\n0\r\n\r\n", 1024) == 400);
    CHECK(CK("10000000000000000\r\n", 1024) == 400);
    CHECK(CK("5;a\x01\r\nhello\r\n0\r\n\r\n", 1024) == 400);
    CHECK(CK("0\r\n folded: x\r\n\r\n", 1024) == 400);
    CHECK(CK("0\r\nT: a\rb\r\n\r\n", 1024) == 400);
    CHECK(CK("0\r\n\n", 1024) == 400);
    /* limits */
    CHECK(CK("400\r\n", 1023) == 413);
    CHECK(CK("ffffffffffffffff\r\n", 1 << 20) == 413);
    CHECK(CK("3\r\nabc\r\n3\r\nabc\r\n0\r\n\r\n", 5) == 413);
    CHECK(CK("3\r\nabc\r\n3\r\nabc\r\n0\r\n\r\n", 6) == 0);
    char longtr[3000] = "0\r\nX: ";
    memset(longtr + 6, 'v', 2000);
    strcpy(longtr + 2006, "\r\n\r\n");
    CHECK(chunked(longtr, strlen(longtr), 1024, out, &n, &used) == 431);
    /* chunk-extension overhead, bounded as Go >= 1.22: 16 bytes a chunk
     * plus twice its data are free, 16 KiB beyond that in all */
    static char ext[40000];
    size_t e = 0;
    for (int i = 0; i < 6; i++) {
        e += (size_t)sprintf(ext + e, "1;");
        memset(ext + e, 'x', 3000);
        e += 3000;
        e += (size_t)sprintf(ext + e, "\r\nz\r\n");
    }
    e += (size_t)sprintf(ext + e, "0\r\n\r\n");
    CHECK(chunked(ext, e, 1024, out, &n, &used) == 400);
    e = 0;
    for (int i = 0; i < 4; i++) {                 /* 12 KiB of extensions */
        e += (size_t)sprintf(ext + e, "1;");
        memset(ext + e, 'x', 3000);
        e += 3000;
        e += (size_t)sprintf(ext + e, "\r\nz\r\n");
    }
    e += (size_t)sprintf(ext + e, "0\r\n\r\n");
    CHECK(chunked(ext, e, 1024, out, &n, &used) == 0 && n == 4);
    e = 0;
    for (int i = 0; i < 3000; i++)                /* one-byte chunks are fine */
        e += (size_t)sprintf(ext + e, "1\r\nz\r\n");
    e += (size_t)sprintf(ext + e, "0\r\n\r\n");
    CHECK(chunked(ext, e, 1 << 20, out, &n, &used) == 0 && n == 3000);
#undef CK
}

int main(void)
{
    pagesz = (size_t)sysconf(_SC_PAGESIZE);
    arena = mmap(NULL, 17 * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED || mprotect(arena + 16 * pagesz, pagesz, PROT_NONE) != 0) {
        perror("mmap");
        return 2;
    }
    test_basic();
    test_versions();
    test_targets();
    test_host();
    test_leading_crlf();
    test_malformed();
    test_lengths();
    test_limits();
    test_pipelined();
    test_chunked();
    if (failures) {
        fprintf(stderr, "test_parse: %d failures\n", failures);
        return 1;
    }
    printf("test_parse: ok\n");
    return 0;
}
