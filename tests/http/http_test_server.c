/*
 * http_test_server — the server the end-to-end tests (e2e.py) drive.
 *
 * Usage: http_test_server ADDR [max_body_bytes [read_header_ms [idle_ms]]]
 * Prints "listening PORT" on stdout once it accepts connections, and
 * "shutdown RC" when a graceful shutdown (GET /shutdown) has finished.
 *
 * Routes:
 *   /             "Hello, World!"
 *   /echo         the request body back; X-Method, X-Body-Len, X-Chunked
 *   /headers      the request's header fields, one "name: value" a line
 *   /big?N        N bytes of 'x' written at once (over 32 KiB: streamed)
 *   /stream?N     N bytes written in 1000-byte pieces with flushes (chunked)
 *   /sleep?MS     sleeps MS milliseconds, then answers "slept"
 *   /status?CODE  an empty response with that status
 *   /debug/goc    the debug handler
 *   /shutdown     starts a graceful shutdown (5 s deadline)
 *   /tree/        a subtree ("/tree" is redirected to it)
 *   /upload?LIMIT streams the body (goc_http_body_read, 64 KiB reads; with
 *                 ?small=N, N-byte reads) under a LIMIT (goc_http_body_limit),
 *                 answers "N bytes, sum S" (S: sum of the bytes mod 2^32)
 *   /auth         401 with WWW-Authenticate unless "Authorization: Bearer
 *                 test", without reading the body; else "ok N" after it
 *   /allow        Allow: GET, HEAD and Set-Cookie set, then a 405 error
 *   /hdr          exercises set / get / delete on response fields
 *   /host         the request's host
 *   /hooks        what the access-log and connection-state hooks saw
 *   /slow?MS      waits MS ms (default 5000) or until the request's done
 *                 channel closes: "slept" or "canceled ERR"
 *   /slowlog      what the last /slow saw, once it ended
 *   /facts        query a, form f, cookie sid, remote address; sets a
 *                 cookie "seen=1" (Path=/, HttpOnly, SameSite=Lax)
 *   /upgrade      with "Upgrade: echo": hijacks, answers 101 and echoes
 *                 bytes (the buffered ones first) until EOF, on a goroutine
 *   /early        103 Early Hints with a Link field, then 200 "final"
 *   /muxcheck     registers patterns on a scratch mux, answers the codes
 *   /r/           a second mux (no catch-all, so 404 and 405 show) with
 *                 Go 1.22 patterns; its handler names its pattern and the
 *                 path values: "GET /r/items/{id}", "DELETE /r/items/{id}",
 *                 "GET /r/items/special", "POST /r/items/",
 *                 "GET /r/files/{path...}", "/r/exact/{$}",
 *                 "GET routing.example/r/hosted", "GET /r/u/{a}/{b}"
 */
#include <goc.h>
#include <goc_http.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static goc_http_server *srv;

static long qnum(const goc_http_request *r, long dflt)
{
    return r->query_len ? strtol(r->query, NULL, 10) : dflt;
}

static void hello(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)r, (void)a;
    goc_http_write(w, "Hello, World!", 13);
}

static void echo(goc_http_response *w, goc_http_request *r, void *a)
{
    char num[32];
    (void)a;
    if (goc_http_body_all(r) < 0)
        return;                            /* the server answers 413 / 400 */
    goc_http_add_header(w, "X-Method", r->method);
    snprintf(num, sizeof num, "%zu", r->body_len);
    goc_http_add_header(w, "X-Body-Len", num);
    goc_http_add_header(w, "X-Chunked", r->chunked ? "1" : "0");
    goc_http_add_header(w, "Content-Type", "application/octet-stream");
    goc_http_write(w, r->body, r->body_len);
}

static void headers(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    for (size_t i = 0; i < r->num_headers; i++)
        goc_http_printf(w, "%s: %s\n", r->headers[i].name, r->headers[i].value);
}

static void big(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    long n = qnum(r, 100000);
    char *p = malloc((size_t)n + 1);
    if (!p) {
        goc_http_error(w, 500, "no memory");
        return;
    }
    memset(p, 'x', (size_t)n);
    goc_http_write(w, p, (size_t)n);
    free(p);
}

static void stream(goc_http_response *w, goc_http_request *r, void *a)
{
    char piece[1000];
    (void)a;
    long n = qnum(r, 10000);
    memset(piece, 'y', sizeof piece);
    for (long i = 0; i < n; i += (long)sizeof piece) {
        size_t k = n - i < (long)sizeof piece ? (size_t)(n - i) : sizeof piece;
        if (goc_http_write(w, piece, k) < 0 || goc_http_flush(w) < 0)
            return;
    }
}

static void sleeper(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    goc_sleep(qnum(r, 100) * 1000000LL);
    goc_http_write(w, "slept", 5);
}

static void status(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    if (goc_http_write_header(w, (int)qnum(r, 200)) < 0)
        goc_http_error(w, 400, "bad status");
}

static void tree(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    goc_http_printf(w, "tree %.*s", (int)r->path_len, r->path);
}

static void upload(goc_http_response *w, goc_http_request *r, void *a)
{
    char buf[65536];
    size_t piece = sizeof buf;
    uint64_t n = 0;
    uint32_t sum = 0;
    ssize_t k;
    (void)a;
    if (r->query_len && strncmp(r->query, "small=", 6) == 0)
        piece = (size_t)strtoul(r->query + 6, NULL, 10);
    else if (r->query_len)
        goc_http_body_limit(r, strtoull(r->query, NULL, 10));
    if (piece == 0 || piece > sizeof buf)
        piece = sizeof buf;
    while ((k = goc_http_body_read(r, buf, piece)) > 0) {
        for (ssize_t i = 0; i < k; i++)
            sum += (unsigned char)buf[i];
        n += (uint64_t)k;
    }
    if (k == -EMSGSIZE) {
        goc_http_error(w, 413, "too large");
        return;
    }
    if (k < 0) {
        goc_http_error(w, 400, strerror((int)-k));
        return;
    }
    goc_http_printf(w, "%llu bytes, sum %u", (unsigned long long)n, sum);
}

static void auth(goc_http_response *w, goc_http_request *r, void *a)
{
    const char *h = goc_http_request_header(r, "Authorization");
    (void)a;
    if (!h || strcmp(h, "Bearer test") != 0) {
        goc_http_add_header(w, "WWW-Authenticate", "Bearer");
        goc_http_error(w, 401, "unauthorized");
        return;
    }
    if (goc_http_body_all(r) < 0)
        return;
    goc_http_printf(w, "ok %zu", r->body_len);
}

static void allow(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)r, (void)a;
    goc_http_add_header(w, "Allow", "GET, HEAD");
    goc_http_add_header(w, "Set-Cookie", "a=b");
    goc_http_add_header(w, "Content-Type", "text/html");
    goc_http_add_header(w, "Content-Length", "99");
    goc_http_error(w, 405, "method not allowed");
}

static void hdr(goc_http_response *w, goc_http_request *r, void *a)
{
    size_t n = 0;
    (void)r, (void)a;
    goc_http_add_header(w, "Content-Type", "text/html");
    goc_http_set_header(w, "content-type", "application/json");
    goc_http_add_header(w, "X-A", "1");
    goc_http_add_header(w, "X-B", "keep");
    goc_http_add_header(w, "x-a", "2");
    goc_http_del_header(w, "X-a");
    goc_http_set_header(w, "X-C", "three");
    const char *v = goc_http_get_header(w, "x-c", &n);
    const char *none = goc_http_get_header(w, "X-A", NULL);
    goc_http_printf(w, "x-c=%.*s x-a=%s status=%d", (int)n, v ? v : "",
                    none ? "present" : "absent", goc_http_response_status(w));
    goc_http_printf(w, " written=%llu", (unsigned long long)goc_http_response_written(w));
}

static void host(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    goc_http_printf(w, "host=%.*s", (int)r->host_len, r->host);
}

/* Hooks: counters under a mutex (connections run on several threads). */
static goc_mutex hook_mu;
static unsigned long nlog, nstate[5];
static char last_log[256];

static void access_log(const goc_http_request *r, const goc_http_response *w,
                       int64_t ns, void *arg)
{
    (void)arg;
    goc_mutex_lock(&hook_mu);
    nlog++;
    snprintf(last_log, sizeof last_log, "%s %.*s %d %llu %s", r->method, (int)r->path_len,
             r->path, goc_http_response_status(w),
             (unsigned long long)goc_http_response_written(w), ns >= 0 ? "ok" : "negative");
    goc_mutex_unlock(&hook_mu);
}

static void conn_state(int fd, int state, void *arg)
{
    (void)fd, (void)arg;
    goc_mutex_lock(&hook_mu);
    if (state >= 0 && state < 5)
        nstate[state]++;
    goc_mutex_unlock(&hook_mu);
}

static void hooks(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)r, (void)a;
    goc_mutex_lock(&hook_mu);
    goc_http_printf(w, "log=%lu last=%s new=%lu active=%lu idle=%lu closed=%lu", nlog, last_log,
                    nstate[GOC_HTTP_STATE_NEW], nstate[GOC_HTTP_STATE_ACTIVE],
                    nstate[GOC_HTTP_STATE_IDLE], nstate[GOC_HTTP_STATE_CLOSED]);
    goc_mutex_unlock(&hook_mu);
}

static char slow_log[128];

static void slow(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    goc_chan *done = goc_http_request_done(r);
    goc_timer *t = goc_timer_new(qnum(r, 5000) * 1000000LL, 0);
    if (!done || !t) {
        goc_http_error(w, 500, "no memory");
        return;
    }
    goc_case cs[2] = {{done, GOC_RECV, NULL, 0}, {goc_timer_chan(t), GOC_RECV, NULL, 0}};
    int64_t t0 = goc_now();
    int i = goc_select(cs, 2, 1);
    goc_timer_stop(t);
    goc_timer_free(t);
    goc_mutex_lock(&hook_mu);
    if (i == 0)
        snprintf(slow_log, sizeof slow_log, "canceled %d after %lld ms",
                 goc_http_request_canceled(r), (long long)((goc_now() - t0) / 1000000));
    else
        snprintf(slow_log, sizeof slow_log, "slept");
    goc_mutex_unlock(&hook_mu);
    if (i == 0)
        goc_http_printf(w, "canceled %d", goc_http_request_canceled(r));
    else
        goc_http_write(w, "slept", 5);
}

static void slowlog(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)r, (void)a;
    goc_mutex_lock(&hook_mu);
    goc_http_printf(w, "%s", slow_log);
    goc_mutex_unlock(&hook_mu);
}

static void routed(goc_http_response *w, goc_http_request *r, void *a)
{
    static const char *const names[] = {"id", "path", "a", "b"};
    goc_http_printf(w, "%s", (const char *)a);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = 0;
        const char *v = goc_http_path_value(r, names[i], &n);
        if (v)
            goc_http_printf(w, " %s=[%s]%zu", names[i], v, n);
    }
}

static void facts(goc_http_response *w, goc_http_request *r, void *a)
{
    char q[64], f[64], ck[64], ra[80];
    (void)a;
    ssize_t nq = goc_http_query_value(r, "a", q, sizeof q);
    ssize_t nf = goc_http_form_value(r, "f", f, sizeof f);
    ssize_t nc = goc_http_cookie_value(r, "sid", ck, sizeof ck);
    int nr = goc_http_remote_addr(r, ra, sizeof ra);
    goc_http_cookie c = {.name = "seen", .value = "1", .path = "/", .http_only = 1,
                         .same_site = GOC_HTTP_SAMESITE_LAX};
    goc_http_cookie bad = {.name = "x", .value = "a;b"};
    goc_http_set_cookie(w, &c);
    goc_http_printf(w, "a=%s(%zd) f=%s(%zd) sid=%s(%zd) remote=%s bad=%d",
                    nq >= 0 ? q : "", nq, nf >= 0 ? f : "", nf, nc >= 0 ? ck : "", nc,
                    nr > 0 ? ra : "?", goc_http_set_cookie(w, &bad));
}

struct echo_conn {
    int fd;
    size_t n;
    char buf[4096];
};

static void echo_loop(void *arg)
{
    struct echo_conn *e = arg;
    static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
                             "Connection: Upgrade\r\n\r\n";
    ssize_t n = goc_write(e->fd, ok, sizeof ok - 1);
    if (n >= 0 && e->n)
        n = goc_write(e->fd, e->buf, e->n);
    while (n >= 0 && (n = goc_read(e->fd, e->buf, sizeof e->buf)) > 0)
        n = goc_write(e->fd, e->buf, (size_t)n);
    goc_close(e->fd);
    free(e);
}

static void upgrade(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)a;
    const char *up = goc_http_request_header(r, "Upgrade");
    struct echo_conn *e = malloc(sizeof *e);
    if (!up || strcmp(up, "echo") != 0 || !e) {
        free(e);
        goc_http_add_header(w, "Upgrade", "echo");
        goc_http_error(w, 426, "upgrade required");
        return;
    }
    e->fd = goc_http_hijack(w, e->buf, sizeof e->buf, &e->n);
    if (e->fd < 0 || goc_go(echo_loop, e) < 0) {
        if (e->fd >= 0)
            goc_close(e->fd);
        free(e);
    }
}

static void early(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)r, (void)a;
    goc_http_add_header(w, "Link", "</style.css>; rel=preload; as=style");
    int rc = goc_http_write_1xx(w, 103);
    goc_http_printf(w, "final %d", rc);
}

static void muxcheck(goc_http_response *w, goc_http_request *r, void *a)
{
    static const char *const pats[] = {
        "GET /items/{id}", "/items/x",        /* conflict: -EEXIST */
        "GET /items/special",                  /* more specific: ok */
        "GET /items/{name}",                   /* same as the first */
        "/a/{x}", "/{y}/b",                    /* conflict */
        "/c/{$}", "/c/",                       /* {$} is more specific */
        "HEAD /items/{id}",                    /* overlaps GET /items/special */
        "h.example/items/x",                   /* other host: ok */
        "/bad/{x", "/x/{a}/{a}", "/y/{r...}/z", "GET  /sp",
    };
    goc_http_mux *m = goc_http_mux_new();
    (void)r, (void)a;
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
        goc_http_printf(w, "%s%d", i ? " " : "", goc_http_mux_handle(m, pats[i], hello, NULL));
    goc_http_mux_free(m);
}

static void do_shutdown(void *a)
{
    (void)a;
    int rc = goc_http_server_shutdown(srv, goc_now() + 5000000000LL);
    printf("shutdown %d\n", rc);
    fflush(stdout);
}

static void shutdown_handler(goc_http_response *w, goc_http_request *r, void *a)
{
    (void)r, (void)a;
    goc_go(do_shutdown, NULL);
    goc_http_write(w, "shutting down", 13);
}

static char **args;
static int nargs;

static void run(void *a)
{
    (void)a;
    goc_http_mux *m = goc_http_mux_new();
    goc_http_mux_handle(m, "/", hello, NULL);
    goc_http_mux_handle(m, "/echo", echo, NULL);
    goc_http_mux_handle(m, "/headers", headers, NULL);
    goc_http_mux_handle(m, "/big", big, NULL);
    goc_http_mux_handle(m, "/stream", stream, NULL);
    goc_http_mux_handle(m, "/sleep", sleeper, NULL);
    goc_http_mux_handle(m, "/status", status, NULL);
    goc_http_mux_handle(m, "/tree/", tree, NULL);
    goc_http_mux_handle(m, "/shutdown", shutdown_handler, NULL);
    goc_http_mux_handle(m, "/upload", upload, NULL);
    goc_http_mux_handle(m, "/auth", auth, NULL);
    goc_http_mux_handle(m, "/allow", allow, NULL);
    goc_http_mux_handle(m, "/hdr", hdr, NULL);
    goc_http_mux_handle(m, "/host", host, NULL);
    goc_http_mux_handle(m, "/hooks", hooks, NULL);
    goc_http_mux_handle(m, "/slow", slow, NULL);
    goc_http_mux_handle(m, "/slowlog", slowlog, NULL);
    goc_http_mux_handle(m, "/facts", facts, NULL);
    goc_http_mux_handle(m, "/muxcheck", muxcheck, NULL);
    goc_http_mux_handle(m, "/upgrade", upgrade, NULL);
    goc_http_mux_handle(m, "/early", early, NULL);
    static const char *const pats[] = {
        "GET /r/items/{id}", "DELETE /r/items/{id}", "GET /r/items/special", "POST /r/items/",
        "GET /r/files/{path...}", "/r/exact/{$}", "GET routing.example/r/hosted",
        "GET /r/u/{a}/{b}",
    };
    goc_http_mux *rm = goc_http_mux_new();
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
        if (goc_http_mux_handle(rm, pats[i], routed, (void *)pats[i]) < 0)
            exit(3);
    goc_http_mux_handle(m, "/r/", goc_http_mux_serve, rm);
    goc_http_server_config cfg = {.handler = goc_http_mux_serve, .arg = m,
                                  .access_log = access_log, .conn_state = conn_state};
    if (nargs > 2)
        cfg.max_body_bytes = strtoul(args[2], NULL, 10);
    if (nargs > 3)
        cfg.read_header_timeout = strtoll(args[3], NULL, 10) * 1000000LL;
    if (nargs > 4)
        cfg.idle_timeout = strtoll(args[4], NULL, 10) * 1000000LL;
    if (goc_http_server_new(&srv, &cfg) < 0)
        exit(2);
    goc_http_mux_handle(m, "/debug/goc", goc_http_debug_handler, srv);
    int port = goc_http_server_listen(srv, args[1]);
    if (port < 0) {
        fprintf(stderr, "listen %s: %s\n", args[1], strerror(-port));
        exit(2);
    }
    printf("listening %d\n", port);
    fflush(stdout);
    int rc = goc_http_server_serve(srv);
    /* serve returns when shutdown begins; wait for it to finish (bounded) */
    for (int i = 0; i < 700; i++) {
        goc_http_stats st;
        goc_http_server_stats(srv, &st);
        if (st.open == 0)
            break;
        goc_sleep(10000000);
    }
    goc_sleep(50000000);
    fprintf(stderr, "serve returned %d\n", rc);
    exit(rc == 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ADDR [max_body [read_header_ms [idle_ms]]]\n", argv[0]);
        return 2;
    }
    args = argv;
    nargs = argc;
    return goc_main(run, NULL);
}
