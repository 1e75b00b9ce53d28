/*
 * http/internal.h — what the files of goc_http share; not for users.
 *
 * parse.c    the request-head parser and the chunked-body decoder: pure
 *            functions over a byte buffer, no runtime calls (unit-tested and
 *            fuzzed without the scheduler).
 * server.c   listener, accept loop, connection goroutines, response writer.
 * mux.c      the ServeMux-like router.
 * debug.c    the /debug/goc handler.
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

#endif /* GOC_HTTP_INTERNAL_H */
