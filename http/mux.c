/*
 * http/mux.c — routing like Go's ServeMux (path patterns only).
 *
 * Entries live in an array in registration order.  A lookup scans it once:
 * an exact pattern equal to the path wins at once (nothing can be longer);
 * otherwise the longest subtree pattern ("/x/") that prefixes the path.  A
 * linear scan is fine for the tens of routes servers have; a sorted trie is
 * the better design for thousands.  The mux is read-only while serving, so
 * lookups take no lock.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct route {
    char  *pattern;     /* owned copy */
    size_t len;
    int    subtree;     /* pattern ends in '/' */
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

void goc_http_mux_free(goc_http_mux *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->routes[i].pattern);
    free(m->routes);
    free(m);
}

static route *find_pattern(goc_http_mux *m, const char *p, size_t n)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->routes[i].len == n && memcmp(m->routes[i].pattern, p, n) == 0)
            return &m->routes[i];
    return NULL;
}

int goc_http_mux_handle(goc_http_mux *m, const char *pattern,
                        goc_http_handler h, void *arg)
{
    if (!m || !pattern || pattern[0] != '/' || !h)
        return -EINVAL;
    size_t n = strlen(pattern);
    if (find_pattern(m, pattern, n))
        return -EEXIST;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        route *r = realloc(m->routes, cap * sizeof *r);
        if (!r)
            return -ENOMEM;
        m->routes = r;
        m->cap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, pattern, n + 1);
    m->routes[m->n++] = (route){copy, n, pattern[n - 1] == '/', h, arg};
    return 0;
}

static route *match(goc_http_mux *m, const char *path, size_t n)
{
    route *best = NULL;

    for (size_t i = 0; i < m->n; i++) {
        route *r = &m->routes[i];
        if (r->len > n || memcmp(r->pattern, path, r->len) != 0)
            continue;
        if (r->len == n)
            return r;                      /* exact: nothing is longer */
        if (r->subtree && (!best || r->len > best->len))
            best = r;
    }
    return best;
}

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

/* "/tree" asked, only "/tree/" registered: Go answers 301 to "/tree/". */
static int redirect_subtree(goc_http_mux *m, goc_http_response *w,
                            goc_http_request *r)
{
    size_t n = r->path_len;
    char loc[2048];

    route *t = NULL;

    if (n == 0 || r->path[0] != '/')
        return 0;
    for (size_t i = 0; i < m->n && !t; i++)
        if (m->routes[i].len == n + 1 && m->routes[i].subtree
            && memcmp(m->routes[i].pattern, r->path, n) == 0)
            t = &m->routes[i];
    if (!t || n + 2 + r->query_len >= sizeof loc)
        return 0;
    memcpy(loc, r->path, n);
    loc[n] = '/';
    size_t l = n + 1;
    if (r->query_len) {
        loc[l++] = '?';
        memcpy(loc + l, r->query, r->query_len);
        l += r->query_len;
    }
    loc[l] = '\0';
    goc_http_write_header(w, 301);
    goc_http_add_header(w, "Location", loc);
    goc_http_add_header(w, "Content-Type", "text/html; charset=utf-8");
    /* the target is the client's: never echo it into HTML unescaped */
    char html[6 * sizeof loc];
    if ((strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
        && html_escape(html, sizeof html, loc, l) > 0)
        goc_http_printf(w, "<a href=\"%s\">Moved Permanently</a>.\n\n", html);
    return 1;
}

void goc_http_mux_serve(goc_http_response *w, goc_http_request *r, void *mux)
{
    goc_http_mux *m = mux;

    if (r->path_len == 1 && r->path[0] == '*') {
        /* as Go's ServeMux: "*" names no resource ("OPTIONS *" is answered
         * by the server before any handler) */
        goc_http_add_header(w, "Connection", "close");
        goc_http_write_header(w, 400);
        return;
    }
    route *rt = r->path_len && r->path[0] == '/' ? match(m, r->path, r->path_len) : NULL;

    /* as Go: an exact match first, then the redirect to a subtree, then
     * the longest subtree */
    if ((rt && rt->len == r->path_len) || !redirect_subtree(m, w, r)) {
        if (rt)
            rt->h(w, r, rt->arg);
        else
            goc_http_error(w, 404, "404 page not found");
    }
}
