/*
 * http/mux.c — routing as Go 1.22's ServeMux.
 *
 * A pattern is "[METHOD ][HOST]/PATH".  PATH is split at '/' into segments:
 * a literal (percent-decoded when registered), "{name}" (one non-empty
 * segment), "{name...}" (the rest of the path, last only), "{$}" (the end,
 * after a trailing slash).  A pattern ending in '/' matches that subtree,
 * as an anonymous "{...}".  A request's path is cleaned first (a path with
 * "//", "." or ".." segments is redirected, 301, to its clean form), then
 * split the same way (trailing slash: a last empty segment) and its
 * segments decoded as they are compared.
 *
 * Precedence, for the patterns that match a request: a pattern with a host
 * beats one without; then the segments are compared left to right, a
 * literal (or {$}) beating a single wildcard beating the rest-of-path, and
 * the first difference decides; then an exact method beats GET serving a
 * HEAD, which beats no method.  As in Go, two patterns for the same host
 * that match some same requests with neither matching a subset of the
 * other's ("/a/{x}" and "/{y}/b"; "GET /a/{x}" and "/a/b") conflict: the
 * second is refused when registered.  So for the patterns a mux holds, the
 * left-to-right rule picks what Go's "most specific" picks.
 *
 * No pattern matches but some would with another method: 405 with Allow.
 * None at all, but the path plus '/' would: 301 there.  Else 404.
 *
 * Routes live in an array in registration order; a lookup scans it once
 * (tens of routes; Go's routing tree is the better design for thousands).
 * The mux is read-only while serving, so lookups take no lock.  Path
 * values of the match go to the connection (goc_http_path_value).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEG_LIT, SEG_WILD, SEG_END };

typedef struct seg {
    char  *s;          /* literal (decoded) or wildcard name; owned copy */
    size_t n;
    int    kind;
} seg;

typedef struct route {
    char  *pattern;    /* as registered, owned */
    char  *method;     /* "" when none; owned */
    char  *host;       /* "" when none; owned */
    seg   *segs;
    size_t nsegs;
    int    rest;       /* matches the rest of the path (subtree or {x...}) */
    char  *rest_name;  /* the {x...} name, NULL for a plain subtree */
    goc_http_handler h;
    void  *arg;
} route;

struct goc_http_mux {
    route *routes;
    size_t n, cap;
};

goc_http_mux *goc_http_mux_new(void)
{
    return calloc(1, sizeof(goc_http_mux));
}

static void route_free(route *r)
{
    for (size_t i = 0; i < r->nsegs; i++)
        free(r->segs[i].s);
    free(r->segs);
    free(r->pattern);
    free(r->method);
    free(r->host);
    free(r->rest_name);
}

void goc_http_mux_free(goc_http_mux *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        route_free(&m->routes[i]);
    free(m->routes);
    free(m);
}

/* ----------------------------------------------------------- escapes -- */

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode p[0..n) into out (room for n + 1); the length, or -1 for
 * a bad escape. */
static long unescape(const char *p, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            out[o++] = p[i];
            continue;
        }
        if (i + 2 >= n)
            return -1;
        int h = hexv((unsigned char)p[i + 1]), l = hexv((unsigned char)p[i + 2]);
        if (h < 0 || l < 0)
            return -1;
        out[o++] = (char)(h << 4 | l);
        i += 2;
    }
    out[o] = '\0';
    return (long)o;
}

/* Does the raw segment p[0..n) decode to lit[0..ln)? */
static int seg_eq(const char *p, size_t n, const char *lit, size_t ln)
{
    size_t j = 0;

    for (size_t i = 0; i < n; i++, j++) {
        char c = p[i];
        if (c == '%' && i + 2 < n) {       /* escapes_ok checked them */
            c = (char)(hexv((unsigned char)p[i + 1]) << 4 | hexv((unsigned char)p[i + 2]));
            i += 2;
        }
        if (j >= ln || lit[j] != c)
            return 0;
    }
    return j == ln;
}

/* ---------------------------------------------------------- patterns -- */

static char *copy_str(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static int ident(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
            return 0;
    }
    return 1;
}

/* Parse the path part of a pattern into rt.  0 or -EINVAL / -ENOMEM. */
static int parse_path(route *rt, const char *p)
{
    size_t cap = 1;

    for (const char *q = p; *q; q++)
        cap += *q == '/';
    rt->segs = calloc(cap, sizeof(seg));
    if (!rt->segs)
        return -ENOMEM;
    p++;                                   /* the leading '/' */
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (rt->rest || (rt->nsegs && rt->segs[rt->nsegs - 1].kind == SEG_END))
            return -EINVAL;                /* nothing after {x...} or {$} */
        if (n == 0)
            return -EINVAL;                /* "//" */
        seg *s = &rt->segs[rt->nsegs];
        if (p[0] == '{') {
            if (p[n - 1] != '}')
                return -EINVAL;
            const char *name = p + 1;
            size_t nl = n - 2;
            if (nl == 1 && name[0] == '$') {
                if (e)
                    return -EINVAL;
                s->kind = SEG_END;
                rt->nsegs++;
                break;
            }
            int multi = nl > 3 && memcmp(name + nl - 3, "...", 3) == 0;
            if (multi)
                nl -= 3;
            if (!ident(name, nl))
                return -EINVAL;
            for (size_t i = 0; i < rt->nsegs; i++)
                if (rt->segs[i].kind == SEG_WILD && rt->segs[i].n == nl
                    && memcmp(rt->segs[i].s, name, nl) == 0)
                    return -EINVAL;        /* a name twice */
            if (multi) {
                if (e)
                    return -EINVAL;
                rt->rest = 1;
                if (!(rt->rest_name = copy_str(name, nl)))
                    return -ENOMEM;
                break;
            }
            if (!(s->s = copy_str(name, nl)))
                return -ENOMEM;
            s->n = nl;
            s->kind = SEG_WILD;
        } else {
            if (memchr(p, '{', n) || memchr(p, '}', n))
                return -EINVAL;            /* a wildcard must be a whole segment */
            if (!(s->s = malloc(n + 1)))
                return -ENOMEM;
            long l = unescape(p, n, s->s);
            if (l < 0)
                return -EINVAL;
            s->n = (size_t)l;
            s->kind = SEG_LIT;
        }
        rt->nsegs++;
        if (!e)
            break;
        p = e + 1;
        if (!*p)
            rt->rest = 1;                  /* trailing '/': a subtree */
    }
    if (rt->nsegs == 0 && !rt->rest && p[-1] == '/')
        rt->rest = 1;                      /* "/" */
    return 0;
}

/* Same requests matched: same method, host and segment shapes. */
static int same_pattern(const route *a, const route *b)
{
    if (strcmp(a->method, b->method) != 0 || strcmp(a->host, b->host) != 0
        || a->nsegs != b->nsegs || a->rest != b->rest)
        return 0;
    for (size_t i = 0; i < a->nsegs; i++) {
        if (a->segs[i].kind != b->segs[i].kind)
            return 0;
        if (a->segs[i].kind == SEG_LIT && (a->segs[i].n != b->segs[i].n
                                           || memcmp(a->segs[i].s, b->segs[i].s, a->segs[i].n)))
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------- conflicts -- */

/* How the request sets of two patterns relate (Go's relationship). */
enum { REL_EQ, REL_SUB, REL_SUP, REL_OVERLAP, REL_DISJOINT };

static int combine(int a, int b)
{
    if (a == REL_DISJOINT || b == REL_DISJOINT)
        return REL_DISJOINT;
    if (a == REL_EQ)
        return b;
    if (b == REL_EQ || a == b)
        return a;
    return REL_OVERLAP;
}

static int method_rel(const route *a, const route *b)
{
    int ea = a->method[0] == 0, eb = b->method[0] == 0;

    if (ea || eb)
        return ea && eb ? REL_EQ : ea ? REL_SUP : REL_SUB;
    if (strcmp(a->method, b->method) == 0)
        return REL_EQ;
    if (strcmp(a->method, "GET") == 0 && strcmp(b->method, "HEAD") == 0)
        return REL_SUP;                    /* GET also serves HEAD */
    if (strcmp(a->method, "HEAD") == 0 && strcmp(b->method, "GET") == 0)
        return REL_SUB;
    return REL_DISJOINT;
}

/* Segment i as a matcher: {$} is the literal "" (the trailing slash's
 * empty segment) followed by the end. */
static int seg_rel(const seg *a, const seg *b)
{
    int la = a->kind != SEG_WILD, lb = b->kind != SEG_WILD;
    size_t na = a->kind == SEG_END ? 0 : a->n, nb = b->kind == SEG_END ? 0 : b->n;

    if (la && lb)
        return na == nb && (na == 0 || memcmp(a->s, b->s, na) == 0) ? REL_EQ : REL_DISJOINT;
    if (la)
        return na == 0 ? REL_DISJOINT : REL_SUB;   /* {x} needs a non-empty one */
    if (lb)
        return nb == 0 ? REL_DISJOINT : REL_SUP;
    return REL_EQ;
}

static int path_rel(const route *a, const route *b)
{
    int rel = REL_EQ;

    for (size_t i = 0;; i++) {
        int ha = i < a->nsegs, hb = i < b->nsegs;
        if (ha && hb) {
            rel = combine(rel, seg_rel(&a->segs[i], &b->segs[i]));
            if (rel == REL_DISJOINT)
                return rel;
            continue;
        }
        /* a tail: the end ({$} counts as a segment then the end), or the
         * rest of the path (one or more segments, any) */
        int ra = !ha && a->rest, rb = !hb && b->rest;
        if (!ha && !hb)
            return combine(rel, a->rest == b->rest ? REL_EQ : REL_DISJOINT);
        if (ha)                            /* b ends here */
            return combine(rel, rb ? REL_SUB : REL_DISJOINT);
        return combine(rel, ra ? REL_SUP : REL_DISJOINT);
    }
}

/* Go rejects a pattern that matches some requests another does, neither
 * being more specific (and one equal to another); hosts that differ never
 * conflict (a host pattern wins). */
static int conflicts(const route *a, const route *b)
{
    size_t n = strlen(a->host);

    if (n != strlen(b->host) || !goc_http__ieq(a->host, b->host, n))
        return 0;
    int rel = combine(method_rel(a, b), path_rel(a, b));
    return rel == REL_EQ || rel == REL_OVERLAP;
}

int goc_http_mux_handle(goc_http_mux *m, const char *pattern,
                        goc_http_handler h, void *arg)
{
    route rt;
    int rc = -ENOMEM;

    if (!m || !pattern || !h)
        return -EINVAL;
    memset(&rt, 0, sizeof rt);
    const char *p = pattern, *sp = strpbrk(pattern, " \t");
    if (sp) {
        const char *mt = pattern;
        for (const char *q = mt; q < sp; q++)
            if (*q <= ' ' || *q >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *q))
                return -EINVAL;
        if (sp == mt)
            return -EINVAL;
        rt.method = copy_str(mt, (size_t)(sp - mt));
        for (p = sp; *p == ' ' || *p == '\t'; p++)
            ;
    } else {
        rt.method = copy_str("", 0);
    }
    const char *slash = strchr(p, '/');
    if (!slash)
        rc = -EINVAL;
    else if ((rt.host = copy_str(p, (size_t)(slash - p))) && rt.method
             && (rt.pattern = copy_str(pattern, strlen(pattern))))
        rc = parse_path(&rt, slash);
    if (rc == 0) {
        for (size_t i = 0; i < m->n; i++)
            if (same_pattern(&m->routes[i], &rt) || conflicts(&m->routes[i], &rt))
                rc = -EEXIST;
    }
    if (rc == 0 && m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        route *r = realloc(m->routes, cap * sizeof *r);
        if (r) {
            m->routes = r;
            m->cap = cap;
        } else {
            rc = -ENOMEM;
        }
    }
    rt.h = h;
    rt.arg = arg;
    if (rc != 0) {
        route_free(&rt);
        return rc;
    }
    m->routes[m->n++] = rt;
    return 0;
}

/* ---------------------------------------------------------- matching -- */

/* A request path's segments: raw (still escaped) pieces of the path. */
typedef struct rseg {
    const char *p;
    size_t n;
} rseg;

/* Does rt match the segments?  Method and host are checked by the caller. */
static int match_path(const route *rt, const rseg *rs, size_t n)
{
    size_t i;

    for (i = 0; i < rt->nsegs; i++) {
        const seg *s = &rt->segs[i];
        if (s->kind == SEG_END)
            return i + 1 == n && rs[i].n == 0;
        if (i >= n)
            return 0;
        if (s->kind == SEG_WILD ? rs[i].n == 0 : !seg_eq(rs[i].p, rs[i].n, s->s, s->n))
            return 0;
    }
    return rt->rest ? n > i : n == i;
}

/* Rank of rt's segment i for precedence: 0 literal or end, 1 wildcard,
 * 2 the rest of the path. */
static int rank(const route *rt, size_t i)
{
    if (i < rt->nsegs)
        return rt->segs[i].kind == SEG_WILD ? 1 : 0;
    return 2;
}

static int method_rank(const route *rt, const goc_http_request *r)
{
    if (rt->method[0] == '\0')
        return 2;
    return strlen(rt->method) == r->method_len ? 0 : 1;   /* GET for HEAD: 1 */
}

/* 1 when a takes precedence over b (both match r). */
static int better(const route *a, const route *b, const goc_http_request *r)
{
    if ((a->host[0] != 0) != (b->host[0] != 0))
        return a->host[0] != 0;
    size_t n = (a->nsegs > b->nsegs ? a->nsegs : b->nsegs) + 1;
    for (size_t i = 0; i < n; i++) {
        int x = rank(a, i), y = rank(b, i);
        if (x != y)
            return x < y;
    }
    return method_rank(a, r) < method_rank(b, r);
}

static int method_ok(const route *rt, const goc_http_request *r)
{
    size_t n = strlen(rt->method);

    if (n == 0)
        return 1;
    if (n == r->method_len && memcmp(rt->method, r->method, n) == 0)
        return 1;
    return n == 3 && memcmp(rt->method, "GET", 3) == 0 && r->method_len == 4
           && memcmp(r->method, "HEAD", 4) == 0;
}

/* The host without its port, lowercase comparison as Go (hosts are ASCII
 * case-insensitive). */
static int host_ok(const route *rt, const goc_http_request *r)
{
    size_t n = strlen(rt->host), hl = r->host_len;

    if (n == 0)
        return 1;
    if (hl && r->host[hl - 1] != ']') {
        for (size_t i = hl; i > 0; i--)
            if (r->host[i - 1] == ':') {
                hl = i - 1;
                break;
            } else if (r->host[i - 1] < '0' || r->host[i - 1] > '9') {
                break;
            }
    }
    return hl == n && goc_http__ieq(r->host, rt->host, n);
}

/* Best route for the segments; *allow_any: some route matched the path but
 * not the method. */
static route *lookup(goc_http_mux *m, const goc_http_request *r, const rseg *rs,
                     size_t n, int *path_only)
{
    route *best = NULL;

    for (size_t i = 0; i < m->n; i++) {
        route *rt = &m->routes[i];
        if (!host_ok(rt, r) || !match_path(rt, rs, n))
            continue;
        if (!method_ok(rt, r)) {
            *path_only = 1;
            continue;
        }
        if (!best || better(rt, best, r))
            best = rt;
    }
    return best;
}

/* ----------------------------------------------------- path values -- */

/* Record the values of rt's wildcards for goc_http_path_value. */
static int set_values(goc_http__conn *c, const route *rt, const rseg *rs, size_t n)
{
    goc_http__buf *b = &c->pv;
    size_t k = 0;

    b->len = 0;
    c->npv = 0;
    for (size_t i = 0; i <= rt->nsegs && k < GOC_HTTP__MAX_VALUES; i++) {
        const char *name, *raw;
        size_t rawn;
        if (i < rt->nsegs && rt->segs[i].kind == SEG_WILD) {
            name = rt->segs[i].s;
            raw = rs[i].p;
            rawn = rs[i].n;
        } else if (i == rt->nsegs && rt->rest_name && i < n) {
            name = rt->rest_name;
            raw = rs[i].p;
            rawn = (size_t)(rs[n - 1].p + rs[n - 1].n - raw);
        } else {
            continue;
        }
        if (goc_http__buf_reserve(b, rawn + 1) < 0)
            return -ENOMEM;
        long l = unescape(raw, rawn, b->p + b->len);
        c->pv_name[k] = name;
        c->pv_off[k] = b->len;
        c->pv_len[k] = (size_t)(l < 0 ? 0 : l);
        b->len += (size_t)(l < 0 ? 0 : l) + 1;
        k++;
    }
    c->npv = k;
    return 0;
}

const char *goc_http_path_value(const goc_http_request *r, const char *name,
                                size_t *len)
{
    const goc_http__conn *c = r->conn;

    for (size_t i = 0; c && i < c->npv; i++)
        if (strcmp(c->pv_name[i], name) == 0) {
            if (len)
                *len = c->pv_len[i];
            return c->pv.p + c->pv_off[i];
        }
    return NULL;
}

/* ------------------------------------------------------------ serving -- */

/* s[0..n) into HTML text, as Go's htmlEscape: & < > " ' become entities.
 * The length written (at most cap - 1, NUL-terminated), or 0 if it does
 * not fit. */
static size_t html_escape(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        const char *e;
        switch (s[i]) {
        case '&':  e = "&amp;";  break;
        case '<':  e = "&lt;";   break;
        case '>':  e = "&gt;";   break;
        case '"':  e = "&#34;";  break;
        case '\'': e = "&#39;";  break;
        default:   e = NULL;     break;
        }
        size_t k = e ? strlen(e) : 1;
        if (o + k >= cap)
            return 0;
        if (e)
            memcpy(out + o, e, k);
        else
            out[o] = s[i];
        o += k;
    }
    out[o] = '\0';
    return o;
}

/* 301 to path[0..n) (plus the query), as Go's Redirect: an HTML page for
 * GET and HEAD with the target escaped (it is the client's). */
static void redirect(goc_http_response *w, goc_http_request *r, const char *path, size_t n)
{
    size_t l = n + 1 + r->query_len;
    char *loc = malloc(l + 1), *html = malloc(6 * l + 1);

    if (!loc || !html) {
        free(loc);
        free(html);
        goc_http_error(w, 500, "out of memory");
        return;
    }
    memcpy(loc, path, n);
    l = n;
    if (r->query_len) {
        loc[l++] = '?';
        memcpy(loc + l, r->query, r->query_len);
        l += r->query_len;
    }
    loc[l] = '\0';
    goc_http_write_header(w, 301);
    goc_http_add_header(w, "Location", loc);
    goc_http_add_header(w, "Content-Type", "text/html; charset=utf-8");
    if ((strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
        && html_escape(html, 6 * l + 1, loc, l) > 0)
        goc_http_printf(w, "<a href=\"%s\">Moved Permanently</a>.\n\n", html);
    free(loc);
    free(html);
}

/* Go's cleanPath: path.Clean keeping a trailing slash.  out has room for
 * n + 2; the length. */
static size_t clean_path(const char *p, size_t n, char *out)
{
    size_t o = 0, i = 0;

    out[o++] = '/';
    while (i < n) {
        while (i < n && p[i] == '/')
            i++;
        size_t s = i;
        while (i < n && p[i] != '/')
            i++;
        size_t k = i - s;
        if (k == 0 || (k == 1 && p[s] == '.'))
            continue;
        if (k == 2 && p[s] == '.' && p[s + 1] == '.') {
            while (o > 1 && out[o - 1] != '/')
                o--;                       /* drop the last segment */
            if (o > 1)
                o--;                       /* and the '/' before it */
            continue;
        }
        if (out[o - 1] != '/')
            out[o++] = '/';
        memcpy(out + o, p + s, k);
        o += k;
    }
    if (n > 0 && p[n - 1] == '/' && out[o - 1] != '/')
        out[o++] = '/';
    return o;
}

/* No empty, "." or ".." segment (but a trailing slash): clean already,
 * the common case, decided without a copy. */
static int is_clean(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '/')
            continue;
        size_t k = i + 1;
        while (k < n && p[k] != '/')
            k++;
        size_t len = k - i - 1;
        if ((len == 0 && k < n) || (len == 1 && p[i + 1] == '.')
            || (len == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
            return 0;
        i = k - 1;
    }
    return 1;
}

/* Well-formed escapes everywhere in the path. */
static int escapes_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '%' && (i + 2 >= n || hexv((unsigned char)p[i + 1]) < 0
                            || hexv((unsigned char)p[i + 2]) < 0))
            return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 405 with Allow: the methods of the patterns that match the path, sorted,
 * HEAD beside GET (as Go). */
static void method_not_allowed(goc_http_mux *m, goc_http_response *w,
                               goc_http_request *r, const rseg *rs, size_t n)
{
    const char *ms[32];
    size_t k = 0, al = 0;
    char allow[512];

    for (size_t i = 0; i < m->n && k + 1 < 32; i++) {
        const route *x = &m->routes[i];
        if (!x->method[0] || !host_ok(x, r) || !match_path(x, rs, n))
            continue;
        const char *add[2] = {x->method, strcmp(x->method, "GET") == 0 ? "HEAD" : NULL};
        for (int a = 0; a < 2 && add[a] && k < 32; a++) {
            size_t j = 0;
            while (j < k && strcmp(ms[j], add[a]) != 0)
                j++;
            if (j == k)
                ms[k++] = add[a];
        }
    }
    qsort(ms, k, sizeof ms[0], cmp_str);
    allow[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        int wr = snprintf(allow + al, sizeof allow - al, "%s%s", i ? ", " : "", ms[i]);
        if (wr < 0 || (size_t)wr >= sizeof allow - al)
            break;
        al += (size_t)wr;
    }
    goc_http_set_header(w, "Allow", allow);
    goc_http_error(w, 405, "Method Not Allowed");
}

/* rt matched the n segments without using the rest of the path, or with
 * only the trailing slash as the rest (Go's exactMatch). */
static int exact(const route *rt, const rseg *rs, size_t n)
{
    return !rt->rest || (n == rt->nsegs + 1 && rs[n - 1].n == 0);
}

/* Go's trailing-slash redirect: "/tree" when "/tree/" would match exactly
 * (and nothing matches "/tree" exactly).  1 when answered. */
static int slash_redirect(goc_http_mux *m, goc_http_response *w, goc_http_request *r,
                          const rseg *rs, size_t n)
{
    rseg *more = malloc((n + 1) * sizeof *more);
    char *loc = malloc(r->path_len + 2);
    int po = 0, done = 0;

    if (more && loc) {
        memcpy(more, rs, n * sizeof *rs);
        more[n] = (rseg){rs[n - 1].p + rs[n - 1].n, 0};
        route *t = lookup(m, r, more, n + 1, &po);
        if (t && exact(t, more, n + 1)) {
            memcpy(loc, r->path, r->path_len);
            loc[r->path_len] = '/';
            redirect(w, r, loc, r->path_len + 1);
            done = 1;
        }
    }
    free(more);
    free(loc);
    return done;
}

static void serve(goc_http_mux *m, goc_http_response *w, goc_http_request *r,
                  rseg *rs, size_t n)
{
    int path_only = 0;
    route *rt = lookup(m, r, rs, n, &path_only);

    if ((!rt || !exact(rt, rs, n)) && rs[n - 1].n > 0 && slash_redirect(m, w, r, rs, n))
        return;
    if (rt) {
        if (r->conn && set_values(r->conn, rt, rs, n) < 0) {
            goc_http_error(w, 500, "out of memory");
            return;
        }
        rt->h(w, r, rt->arg);
    } else if (path_only) {
        method_not_allowed(m, w, r, rs, n);
    } else {
        goc_http_error(w, 404, "404 page not found");
    }
}

void goc_http_mux_serve(goc_http_response *w, goc_http_request *r, void *mux)
{
    goc_http_mux *m = mux;
    rseg local[32], *rs = local;
    size_t n = 0;

    if (r->path_len == 0 || r->path[0] != '/') {
        /* as Go's ServeMux: "*" names no resource ("OPTIONS *" is answered
         * by the server before any handler), nor does a CONNECT authority */
        goc_http_add_header(w, "Connection", "close");
        goc_http_write_header(w, 400);
        return;
    }
    if (!escapes_ok(r->path, r->path_len)) {
        goc_http_error(w, 400, "400 Bad Request: invalid path escape");
        return;
    }
    if (!is_clean(r->path, r->path_len)) {
        char *clean = malloc(r->path_len + 2);
        if (!clean) {
            goc_http_error(w, 500, "out of memory");
            return;
        }
        redirect(w, r, clean, clean_path(r->path, r->path_len, clean));
        free(clean);
        return;
    }
    size_t cap = 1;
    for (size_t i = 1; i < r->path_len; i++)
        cap += r->path[i] == '/';
    if (cap > sizeof local / sizeof local[0] && !(rs = malloc(cap * sizeof *rs))) {
        goc_http_error(w, 500, "out of memory");
        return;
    }
    const char *p = r->path + 1, *e = r->path + r->path_len;
    for (;;) {
        const char *q = memchr(p, '/', (size_t)(e - p));
        rseg x = {p, (size_t)((q ? q : e) - p)};
        /* raw "." and ".." are cleaned above; escaped ones ("%2e%2e")
         * would reach handlers as dot segments: refuse them */
        if (x.n >= 3 && x.n <= 6 && memchr(x.p, '%', x.n)
            && (seg_eq(x.p, x.n, ".", 1) || seg_eq(x.p, x.n, "..", 2))) {
            goc_http_error(w, 400, "400 Bad Request: dot segment");
            if (rs != local)
                free(rs);
            return;
        }
        rs[n++] = x;
        if (!q)
            break;
        p = q + 1;
    }
    serve(m, w, r, rs, n);
    if (rs != local)
        free(rs);
}
