/*
 * http/parse.c — the request-head parser and the chunked-body decoder
 * (RFC 9112), strict, zero-copy, over the connection's read buffer.
 *
 * Head parsing is two passes.  Pass one, goc_http__parse_head's scan, looks
 * for the blank line that ends the head; it resumes where the last call
 * stopped (goc_http__scan), so a head trickling in byte by byte costs O(n)
 * in all.  Pass two runs once, over the complete head: it checks every byte
 * against the grammar, records pointers into the buffer and NUL-terminates
 * method, target, names and values in place (the SP, ':' or CR after each is
 * no longer needed).  Every inner loop stops at a byte outside its class;
 * the head ends in '\n', which is in none, so no loop needs a bound check.
 *
 * Strictness, and why: anything two parsers could read differently is a
 * request-smuggling vector, so where RFC 9112 allows a choice we reject —
 * bare LF line ends (§2.2 "MAY" accept; we do not), obs-fold (§5.2), any
 * whitespace between name and colon (§5.1), duplicate Content-Length even
 * with equal values, Content-Length beside Transfer-Encoding (§6.3),
 * duplicate Transfer-Encoding or Host fields.
 *
 * The chunked decoder is a byte-level state machine that can stop after any
 * byte; data runs are moved down in bulk (memmove), so a body decodes in
 * place with the cost of one copy.
 */
#include "internal.h"

#include <string.h>

/* Character classes (RFC 9110 §5.6.2 tchar; field-value bytes VCHAR, SP,
 * HTAB, obs-text; request-target bytes VCHAR; HEXDIG).  Generated once by a
 * script from those definitions; 0x00-0x1F (but HTAB) and 0x7F are in no
 * class, CR and LF included. */
enum { C_TCHAR = 1, C_VAL = 2, C_TGT = 4, C_HEX = 8 };
static const unsigned char cls[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 6, 6, 6, 6, 6, 6,
    6, 15, 15, 15, 15, 15, 15, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,
    7, 15, 15, 15, 15, 15, 15, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

#define IS(c, k) (cls[(unsigned char)(c)] & (k))

int goc_http__ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c >= 'A' && c <= 'Z')
            c |= 0x20;
        if (c != (unsigned char)b[i])
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------- scanning -- */

/* Index just past the first empty line in b[from..len), or 0.  An empty line
 * is "\n\n" or "\n\r\n"; the bare-LF form is found here only so that pass
 * two can reject it with 400 instead of waiting for 431. */
static size_t find_end(const char *b, size_t from, size_t len)
{
    const char *p = b + from, *e = b + len;

    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        if (p + 1 < e && p[1] == '\n')
            return (size_t)(p + 2 - b);
        if (p + 2 < e && p[1] == '\r' && p[2] == '\n')
            return (size_t)(p + 3 - b);
        p++;
    }
    return 0;
}

/* Count leading CRLF pairs: their length in *skip; GOC_HTTP__MORE while the
 * buffer could still hold one, 400 for too many or a bare LF. */
static int skip_leading(const char *b, size_t len, size_t *skip)
{
    size_t i = 0, n = 0;

    while (i < len && (b[i] == '\r' || b[i] == '\n')) {
        if (b[i] == '\n' || ++n > GOC_HTTP__MAX_LEADING_CRLF)
            return 400;
        if (i + 1 == len)
            return GOC_HTTP__MORE;
        if (b[i + 1] != '\n')
            return 400;
        i += 2;
    }
    *skip = i;
    return i < len ? GOC_HTTP__DONE : GOC_HTTP__MORE;
}

/* -------------------------------------------------------- the fields -- */

static int parse_content_length(const goc_http_header *h, int64_t *cl)
{
    int64_t v = 0;

    if (*cl != -1 || h->value_len == 0)
        return 400;                        /* duplicate or empty */
    for (uint32_t i = 0; i < h->value_len; i++) {
        unsigned d = (unsigned)(h->value[i] - '0');
        if (d > 9)
            return 400;
        /* saturate: a valid but huge length still gets 413, not 400 */
        v = v > (INT64_MAX - 9) / 10 ? INT64_MAX : v * 10 + (int64_t)d;
    }
    *cl = v;
    return 0;
}

/* Transfer-Encoding: a list whose last member must be chunked (RFC 9112
 * §6.3); other codings are valid HTTP we do not implement (501). */
static int parse_te(const goc_http_header *h, int *chunked)
{
    const char *p = h->value, *e = h->value + h->value_len;
    int seen_chunked = 0, other = 0, last_chunked = 0;

    if (*chunked)
        return 400;                        /* a second field */
    while (p < e) {
        while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const char *t = p;
        while (p < e && IS(*p, C_TCHAR))
            p++;
        if (p == t) {
            if (p < e)
                return 400;                /* not a token */
            break;
        }
        last_chunked = (p - t == 7 && goc_http__ieq(t, "chunked", 7));
        if (last_chunked && seen_chunked++)
            return 400;                    /* chunked twice */
        if (!last_chunked)
            other = 1;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (p < e && *p != ',')
            return 400;                    /* parameters: not supported */
    }
    if (!last_chunked)
        return 400;                        /* length unknowable: §6.3 */
    if (other)
        return 501;
    *chunked = 1;
    return 0;
}

/* Connection: a token list; we care about close and keep-alive. */
static void parse_connection(const goc_http_header *h, int *close, int *ka)
{
    const char *p = h->value, *e = h->value + h->value_len;

    while (p < e) {
        while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const char *t = p;
        while (p < e && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        if (p - t == 5 && goc_http__ieq(t, "close", 5))
            *close = 1;
        else if (p - t == 10 && goc_http__ieq(t, "keep-alive", 10))
            *ka = 1;
    }
}

typedef struct fieldstate {
    int hosts, close, ka;
} fieldstate;

/* A Host value or URL authority: the bytes Go's httpguts.ValidHostHeader
 * allows (RFC 3986 reg-name, IP literals with '[' ']' and zones, a port).
 * Space, '/', '?', '@' and controls are out, so "a b/../c" is rejected. */
static int valid_host(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
            continue;
        if (!memchr("!$%&'()*+,-.:;=[]_~", c, 19))
            return 0;
    }
    return 1;
}

/* Act on the fields the server itself must understand. */
static int special_field(const goc_http_header *h, goc_http_request *r,
                         goc_http__head *hd, fieldstate *fs)
{
    switch (h->name_len) {
    case 4:
        if (!goc_http__ieq(h->name, "host", 4))
            break;
        if (++fs->hosts > 1 || !valid_host(h->value, h->value_len))
            return 400;
        if (!r->host) {                    /* an absolute-form URL's wins */
            r->host = h->value;
            r->host_len = h->value_len;
        }
        break;
    case 6:
        if (!goc_http__ieq(h->name, "expect", 6) || h->value_len == 0)
            break;
        if (h->value_len == 12 && goc_http__ieq(h->value, "100-continue", 12))
            hd->expect_continue = 1;
        else
            hd->expect_other = 1;          /* answered 417, as Go */
        break;
    case 10:
        if (goc_http__ieq(h->name, "connection", 10))
            parse_connection(h, &fs->close, &fs->ka);
        break;
    case 14:
        if (goc_http__ieq(h->name, "content-length", 14))
            return parse_content_length(h, &r->content_length);
        break;
    case 17:
        if (goc_http__ieq(h->name, "transfer-encoding", 17))
            return parse_te(h, &r->chunked);
        break;
    }
    return 0;
}

/* ---------------------------------------------------- request line -- */

static const char slash[] = "/";

/* path and query out of the target t[0..tl) (NUL at t[tl]). */
static void split_target(goc_http_request *r, const char *t, size_t tl)
{
    const char *p = t, *e = t + tl, *q;
    int absolute = 0;

    r->query = e;
    r->query_len = 0;
    if (t[0] != '/' && !(tl == 1 && t[0] == '*')) {
        const char *s = memchr(t, ':', tl);
        if (s && e - s >= 3 && s[1] == '/' && s[2] == '/') {
            absolute = 1;                   /* scheme://authority/path */
            for (p = s + 3; p < e && *p != '/' && *p != '?'; p++)
                ;
            r->host = s + 3;                /* RFC 9112 §3.2.2: the URL's */
            r->host_len = (size_t)(p - (s + 3));
        } else {
            p = e;                          /* authority-form (CONNECT) */
        }
    }
    q = memchr(p, '?', (size_t)(e - p));
    if (q) {
        r->query = q + 1;
        r->query_len = (size_t)(e - q - 1);
        e = q;
    }
    if (absolute && p == e) {
        r->path = slash;                    /* "http://h?x": path "/" */
        r->path_len = 1;
        return;
    }
    r->path = p;
    r->path_len = (size_t)(e - p);
}

/* "METHOD SP target SP HTTP/d.d CRLF"; *pp advanced past it. */
static int parse_request_line(char **pp, const char *end, goc_http_request *r)
{
    char *p = *pp, *m = p, *t;

    while (IS(*p, C_TCHAR))
        p++;
    if (p == m || *p != ' ')
        return 400;
    r->method = m;
    r->method_len = (size_t)(p - m);
    *p++ = '\0';
    t = p;
    while (IS(*p, C_TGT))
        p++;
    if (p == t || *p != ' ')
        return 400;
    r->target = t;
    r->target_len = (size_t)(p - t);
    *p++ = '\0';
    if (end - p < 10 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.'
        || (unsigned)(p[5] - '0') > 9 || (unsigned)(p[7] - '0') > 9
        || p[8] != '\r' || p[9] != '\n')
        return 400;
    if (p[5] != '1')
        return 505;
    r->version_minor = p[7] == '0' ? 0 : 1;   /* 1.x, x > 1: answer as 1.1 */
    split_target(r, t, r->target_len);
    if (r->host && !valid_host(r->host, r->host_len))
        return 400;
    *pp = p + 10;
    return 0;
}

/* ------------------------------------------------------------- head -- */

/* Pass two over the complete head b[0..end): end is just past the blank
 * line, so b[end-1] == '\n'. */
static int parse_fields(char *p, const char *end, size_t max_headers,
                        goc_http_request *r, goc_http_header *hdrs,
                        goc_http__head *hd)
{
    fieldstate fs = {0, 0, 0};
    size_t n = 0;
    int rc;

    for (;;) {
        if (*p == '\r') {
            if (p + 2 != end || p[1] != '\n')
                return 400;
            break;
        }
        if (n == max_headers)
            return 431;
        char *name = p;
        while (IS(*p, C_TCHAR))
            p++;
        if (p == name || *p != ':')
            return 400;                    /* empty, obs-fold, "name :" */
        size_t name_len = (size_t)(p - name);
        *p++ = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        char *v = p, *ve;
        while (IS(*p, C_VAL))
            p++;
        if (p[0] != '\r' || p[1] != '\n')
            return 400;                    /* CTL, NUL, bare CR or LF */
        for (ve = p; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
            ;
        *ve = '\0';
        p += 2;
        goc_http_header *h = &hdrs[n++];
        h->name = name;
        h->name_len = (uint32_t)name_len;
        h->value = v;
        h->value_len = (uint32_t)(ve - v);
        if ((rc = special_field(h, r, hd, &fs)) != 0)
            return rc;
    }
    r->headers = hdrs;
    r->num_headers = n;
    if (r->version_minor == 1 && fs.hosts != 1)
        return 400;                        /* RFC 9112 §3.2 */
    if (!r->host) {
        r->host = "";                      /* HTTP/1.0 without Host */
        r->host_len = 0;
    }
    if (r->chunked && (r->content_length != -1 || r->version_minor == 0))
        return 400;                        /* RFC 9112 §6.1, §6.3 */
    r->keep_alive = r->version_minor == 1 ? !fs.close : (fs.ka && !fs.close);
    return 0;
}

int goc_http__parse_head(char *buf, size_t len, size_t max_bytes,
                         size_t max_headers, goc_http__scan *sc,
                         goc_http_request *r, goc_http_header *hdrs,
                         goc_http__head *hd)
{
    size_t skip = 0, from, end;
    int rc;

    if ((rc = skip_leading(buf, len, &skip)) != GOC_HTTP__DONE)
        return rc;
    sc->skip = skip;
    from = skip + sc->scanned;
    end = find_end(buf, from, len);
    if (end == 0) {
        if (len - skip > max_bytes)
            return 431;
        sc->scanned = len - skip >= 2 ? len - skip - 2 : 0;
        return GOC_HTTP__MORE;
    }
    if (end - skip > max_bytes)
        return 431;
    memset(r, 0, sizeof *r);
    r->content_length = -1;
    hd->len = end;
    hd->expect_continue = 0;
    hd->expect_other = 0;
    char *p = buf + skip;
    if ((rc = parse_request_line(&p, buf + end, r)) != 0)
        return rc;
    return parse_fields(p, buf + end, max_headers, r, hdrs, hd);
}

/* ---------------------------------------------------------- chunked -- */

enum {
    CK_SIZE0,      /* first hex digit of a chunk-size */
    CK_SIZE,       /* more digits, ext, or CR */
    CK_EXT,        /* chunk-ext bytes up to CR */
    CK_SIZE_LF,    /* LF after the size line */
    CK_DATA,       /* chunk data */
    CK_DATA_CR,    /* CR after data */
    CK_DATA_LF,    /* LF after data */
    CK_TLINE,      /* start of a trailer line, or the final CR */
    CK_TNAME,      /* trailer field name */
    CK_TVAL,       /* trailer field value up to CR */
    CK_TLF,        /* LF after a trailer line */
    CK_END_LF,     /* LF of the final CRLF */
    CK_DONE,
};

/* 4096: a size line with extensions longer than this is abuse, not HTTP;
 * 16 hex digits hold any uint64_t, more would overflow. */
#define CK_MAX_LINE   4096
#define CK_MAX_DIGITS 16
/* Framing overhead allowed, as Go >= 1.22 counts it: each chunk may carry 16
 * bytes plus twice its data size of size line and extensions for free; what
 * is beyond that accumulates, and past 16 KiB the body is rejected.  One-byte
 * chunks ("1\r\nX\r\n") stay legal; "1;<4 KiB of extension>\r\nX" soon is not. */
#define CK_FREE_PER_CHUNK 16
#define CK_MAX_EXCESS     (16 * 1024)

static int hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int goc_http__chunked_decode(goc_http__chunked *ck, char *buf, size_t len,
                             size_t *src, size_t *dst, size_t body_len,
                             size_t max_body, size_t max_trailer)
{
    size_t s = *src, d = *dst, decoded = body_len;
    int rc = GOC_HTTP__MORE;

    while (s < len && ck->state != CK_DONE) {
        unsigned char c = (unsigned char)buf[s];
        if (ck->state == CK_DATA) {
            size_t n = len - s;
            if (n > ck->left)
                n = (size_t)ck->left;
            if (d != s)
                memmove(buf + d, buf + s, n);
            d += n;
            s += n;
            decoded += n;
            if ((ck->left -= n) == 0)
                ck->state = CK_DATA_CR;
            continue;
        }
        s++;
        if (ck->state <= CK_SIZE_LF && ++ck->line > CK_MAX_LINE)
            goto bad;
        if (ck->state >= CK_TLINE && ++ck->trailer > max_trailer) {
            rc = 431;
            goto out;
        }
        switch (ck->state) {
        case CK_SIZE0:
            if (!IS(c, C_HEX))
                goto bad;
            ck->left = (uint64_t)hexval(c);
            ck->state = CK_SIZE;
            break;
        case CK_SIZE:
            if (IS(c, C_HEX)) {
                if (ck->line > CK_MAX_DIGITS)
                    goto bad;
                ck->left = ck->left << 4 | (uint64_t)hexval(c);
            } else if (c == ';' || c == ' ' || c == '\t') {
                ck->state = CK_EXT;
            } else if (c == '\r') {
                ck->state = CK_SIZE_LF;
            } else {
                goto bad;
            }
            break;
        case CK_EXT:
            if (c == '\r')
                ck->state = CK_SIZE_LF;
            else if (!IS(c, C_VAL))
                goto bad;
            break;
        case CK_SIZE_LF:
            if (c != '\n')
                goto bad;
            /* the size line (CRLF included) stands for its own CRLF and
             * the one after the data */
            ck->excess += ck->line;
            {
                uint64_t allow = ck->left > UINT64_MAX / 4
                                 ? UINT64_MAX : CK_FREE_PER_CHUNK + 2 * ck->left;
                ck->excess = ck->excess > allow ? ck->excess - allow : 0;
            }
            if (ck->excess > CK_MAX_EXCESS)
                goto bad;
            ck->line = 0;
            if (ck->left == 0) {
                ck->state = CK_TLINE;
            } else if (decoded > max_body || ck->left > max_body - decoded) {
                rc = 413;
                goto out;
            } else {
                ck->state = CK_DATA;
            }
            break;
        case CK_DATA_CR:
            if (c != '\r')
                goto bad;
            ck->state = CK_DATA_LF;
            break;
        case CK_DATA_LF:
            if (c != '\n')
                goto bad;
            ck->state = CK_SIZE0;
            break;
        case CK_TLINE:
            if (c == '\r')
                ck->state = CK_END_LF;
            else if (IS(c, C_TCHAR))
                ck->state = CK_TNAME;
            else
                goto bad;                  /* obs-fold, junk */
            break;
        case CK_TNAME:
            if (c == ':')
                ck->state = CK_TVAL;
            else if (!IS(c, C_TCHAR))
                goto bad;
            break;
        case CK_TVAL:
            if (c == '\r')
                ck->state = CK_TLF;
            else if (!IS(c, C_VAL))
                goto bad;
            break;
        case CK_TLF:
            if (c != '\n')
                goto bad;
            ck->state = CK_TLINE;
            break;
        case CK_END_LF:
            if (c != '\n')
                goto bad;
            ck->state = CK_DONE;
            break;
        }
    }
    if (ck->state == CK_DONE)
        rc = GOC_HTTP__DONE;
out:
    *src = s;
    *dst = d;
    return rc;
bad:
    rc = 400;
    goto out;
}

/* ------------------------------------------------------- public help -- */

const char *goc_http_request_header(const goc_http_request *r,
                                    const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->num_headers; i++) {
        const goc_http_header *h = &r->headers[i];
        if (h->name_len != n)
            continue;
        size_t j = 0;
        while (j < n) {
            unsigned char a = (unsigned char)h->name[j];
            unsigned char b = (unsigned char)name[j];
            if (a >= 'A' && a <= 'Z')
                a |= 0x20;
            if (b >= 'A' && b <= 'Z')
                b |= 0x20;
            if (a != b)
                break;
            j++;
        }
        if (j == n)
            return h->value;
    }
    return NULL;
}
