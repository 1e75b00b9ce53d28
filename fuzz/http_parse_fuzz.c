/*
 * fuzz/http_parse_fuzz.c — libFuzzer target for the request parser and the
 * chunked decoder (http/parse.c).
 *
 * The input is split by its first byte: bit 0 selects how many bytes the
 * head scanner sees per call (whole, or growing in steps, as reads would
 * deliver them).  The head is parsed; if it announces a chunked body, the
 * rest is decoded in pieces.  Checked invariants: results are a known code,
 * every pointer the parser returns lies inside the buffer (or is the static
 * "/"), lengths match the NUL terminators, and the chunked decoder's cursors
 * stay ordered and in bounds.  The buffer is an exact-size heap copy, so
 * AddressSanitizer catches any read past the end.
 *
 * Build and run: fuzz/run_http_fuzz.sh [seconds]
 */
#include "../http/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void inside(const char *buf, size_t len, const char *p, size_t n)
{
    if (p < buf || p + n > buf + len)
        abort();
}

static void check_request(const char *buf, size_t len, const goc_http_request *r,
                          const goc_http__head *hd)
{
    if (hd->len > len)
        abort();
    inside(buf, hd->len, r->method, r->method_len + 1);
    inside(buf, hd->len, r->target, r->target_len + 1);
    if (strlen(r->method) != r->method_len || strlen(r->target) != r->target_len)
        abort();
    if (r->path_len && strcmp(r->path, "/") != 0)
        inside(r->target, r->target_len, r->path, r->path_len);
    inside(buf, hd->len, r->query, r->query_len + 1);
    for (size_t i = 0; i < r->num_headers; i++) {
        const goc_http_header *h = &r->headers[i];
        inside(buf, hd->len, h->name, h->name_len + 1);
        inside(buf, hd->len, h->value, h->value_len + 1);
        if (strlen(h->name) != h->name_len || strlen(h->value) != h->value_len)
            abort();
    }
    if (r->version_minor != 0 && r->version_minor != 1)
        abort();
    if (r->chunked && r->content_length != -1)
        abort();
}

static void fuzz_chunked(char *buf, size_t len, size_t start, size_t step)
{
    goc_http__chunked ck;
    size_t src = start, dst = start, have = start;
    int rc = GOC_HTTP__MORE;

    memset(&ck, 0, sizeof ck);
    while (rc == GOC_HTTP__MORE && have < len) {
        have = have + step > len ? len : have + step;
        rc = goc_http__chunked_decode(&ck, buf, have, &src, &dst, dst - start,
                                      4096, 1024);
        if (dst > src || src > have || dst - start > 4096)
            abort();
    }
    if (rc != GOC_HTTP__DONE && rc != GOC_HTTP__MORE && rc != 400 && rc != 413
        && rc != 431)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static goc_http_header hdrs[32];
    goc_http_request r;
    goc_http__head hd;
    goc_http__scan sc = {0, 0};

    if (size < 1)
        return 0;
    size_t step = data[0] & 1 ? (size_t)(data[0] >> 1) + 1 : size;
    size_t len = size - 1;
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, len);
    int rc = GOC_HTTP__MORE;
    for (size_t have = step < len ? step : len; rc == GOC_HTTP__MORE;) {
        rc = goc_http__parse_head(buf, have, 1024, 32, &sc, &r, hdrs, &hd);
        if (have == len)
            break;
        have = have + step > len ? len : have + step;
    }
    if (rc == GOC_HTTP__DONE) {
        check_request(buf, len, &r, &hd);
        if (r.chunked)
            fuzz_chunked(buf, len, hd.len, step);
    } else if (rc != GOC_HTTP__MORE && rc != 400 && rc != 431 && rc != 501 && rc != 505) {
        abort();
    }
    free(buf);
    return 0;
}
