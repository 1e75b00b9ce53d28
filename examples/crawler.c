/* crawler.c — a bounded-concurrency web crawler (gopl ch. 8.6, crawl2: a
 * worklist channel and a counting semaphore of tokens) over an in-process
 * fake web: a goc_http server on loopback serves P generated pages, each
 * with a few links and 1 ms of latency.  No internet is needed.  Go twin:
 * examples/go/crawler.go (net/http + httptest).
 *
 *   crawler [PAGES] [LIMIT]       (defaults 2000, 16)
 * Checks that it fetched exactly the pages reachable from /p/0, each once,
 * with never more than LIMIT fetches in flight.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <goc.h>
#include <goc_http.h>

static long npages = 2000, limit = 16;

/* -------------------------------------------------- the fake web */

static int nlinks(long k) { return 1 + (int)(k % 4); }

static long link_of(long k, int i)
{
    switch (i) {
    case 0:  return (k * k + 1) % npages;
    case 1:  return (3 * k + 7) % npages;
    case 2:  return (k + npages / 2) % npages;
    default: return (k * 31 + 11) % npages;
    }
}

static void page(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    long k;
    if (r->path_len < 4 || strncmp(r->path, "/p/", 3) != 0 ||
        (k = strtol(r->path + 3, NULL, 10)) < 0 || k >= npages) {
        goc_http_error(w, 404, "no such page");
        return;
    }
    goc_sleep(GOC_MILLISECOND);   /* a server some way off */
    goc_http_set_header(w, "Content-Type", "text/html");
    goc_http_printf(w, "<html><body><h1>page %ld</h1>\n", k);
    for (int i = 0; i < nlinks(k); i++)
        goc_http_printf(w, "<a href=\"/p/%ld\">page %ld</a>\n", link_of(k, i), link_of(k, i));
    goc_http_printf(w, "</body></html>\n");
}

/* ---------------------------------------------------- the client */

static char server_addr[32];

/* GET path over a fresh connection; the body's links into out[] (at most
 * max).  The number of links, or a negative errno. */
static int fetch(long k, long *out, int max)
{
    int fd = goc_dial(server_addr);
    if (fd < 0)
        return fd;
    char req[128];
    int n = snprintf(req, sizeof req, "GET /p/%ld HTTP/1.1\r\nHost: fake\r\n"
                     "Connection: close\r\n\r\n", k);
    ssize_t w = goc_write(fd, req, (size_t)n);
    char buf[8192];
    size_t len = 0;
    ssize_t got;
    while (w >= 0 && len < sizeof buf - 1 &&
           (got = goc_read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)got;
    goc_close(fd);
    buf[len] = 0;
    if (w < 0 || strncmp(buf, "HTTP/1.1 200", 12) != 0)
        return -EPROTO;
    int nl = 0;
    for (char *p = strstr(buf, "\r\n\r\n"); p && (p = strstr(p, "href=\"/p/")) && nl < max; p++)
        out[nl++] = strtol(p + 9, NULL, 10);
    return nl;
}

/* ---------------------------------------------------- the crawler */

struct list { int n; long links[8]; };

static goc_chan *worklist;   /* struct list * */
static goc_chan *tokens;     /* buffer of limit: a counting semaphore */
static _Atomic long inflight, max_inflight, fetched, errors;

static void crawl(void *arg)
{
    long k = (long)arg;
    struct list *l = calloc(1, sizeof *l);
    goc_chan_send(tokens, NULL);               /* acquire a token */
    long now = ++inflight, m = max_inflight;
    while (now > m && !atomic_compare_exchange_weak(&max_inflight, &m, now))
        ;
    int n = fetch(k, l->links, 8);
    inflight--;
    goc_chan_recv(tokens, NULL);               /* release it */
    fetched++;
    if (n < 0)
        errors++;
    l->n = n < 0 ? 0 : n;
    goc_chan_send(worklist, &l);
}

static long reachable(void)
{
    char *seen = calloc((size_t)npages, 1);
    long *stack = malloc((size_t)npages * sizeof *stack), sp = 0, count = 1;
    seen[0] = 1;
    stack[sp++] = 0;
    while (sp > 0) {
        long k = stack[--sp];
        for (int i = 0; i < nlinks(k); i++) {
            long j = link_of(k, i);
            if (!seen[j]) {
                seen[j] = 1;
                count++;
                stack[sp++] = j;
            }
        }
    }
    free(seen);
    free(stack);
    return count;
}

static goc_http_server *srv;

static void serve(void *arg)
{
    (void)arg;
    goc_http_server_serve(srv);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_http_server_config cfg = { .handler = page };
    if (goc_http_server_new(&srv, &cfg) != 0)
        exit(1);
    int port = goc_http_server_listen(srv, "127.0.0.1:0");
    if (port < 0) {
        fprintf(stderr, "crawler: listen: %s\n", strerror(-port));
        exit(1);
    }
    snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", port);
    goc_go(serve, NULL);

    worklist = goc_chan_make(sizeof(struct list *), 0);
    tokens = goc_chan_make(0, (size_t)limit);
    char *seen = calloc((size_t)npages, 1);
    int64_t t0 = goc_now();
    seen[0] = 1;
    goc_go(crawl, (void *)0L);
    for (long pending = 1; pending > 0; pending--) {
        struct list *l;
        goc_chan_recv(worklist, &l);
        for (int i = 0; i < l->n; i++) {
            long j = l->links[i];
            if (j >= 0 && j < npages && !seen[j]) {
                seen[j] = 1;
                pending++;
                goc_go(crawl, (void *)j);
            }
        }
        free(l);
    }
    double ms = (double)(goc_now() - t0) / 1e6;
    long want = reachable();
    printf("crawler: fetched %ld pages (%ld reachable of %ld), at most %ld at once "
           "(limit %ld), %ld errors, %.0f ms\n", (long)fetched, want, npages,
           (long)max_inflight, limit, (long)errors, ms);
    goc_http_server_shutdown(srv, goc_now() + GOC_SECOND);
    free(seen);
    goc_chan_free(worklist);
    goc_chan_free(tokens);
    if (fetched != want || errors != 0 || max_inflight > limit)
        exit(1);
}

int main(int argc, char **argv)
{
    if (argc > 1) npages = atol(argv[1]);
    if (argc > 2) limit = atol(argv[2]);
    if (npages < 1 || npages > 1000000 || limit < 1 || limit > 10000) {
        fprintf(stderr, "usage: crawler [PAGES (1..1000000)] [LIMIT (1..10000)]\n");
        return 2;
    }
    return goc_main(main_g, NULL);
}
