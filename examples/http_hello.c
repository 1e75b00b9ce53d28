/*
 * http_hello — Go's minimal net/http server in C:
 *
 *     http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
 *         fmt.Fprint(w, "Hello, World!")
 *     })
 *     log.Fatal(http.ListenAndServe(addr, nil))
 *
 * Usage: http_hello [host:port [WORKERS [DRAIN_MS]]]
 *        (default 127.0.0.1:8080, 0 workers: one process, 0 ms drain)
 *
 * Besides "/" it mounts /healthz, /readyz and /debug/goc (Prometheus) and
 * runs with goc_http_server_run: SIGTERM or SIGINT drains (readyz 503 for
 * DRAIN_MS while still serving) and stops gracefully; with WORKERS > 0 the
 * process supervises that many worker processes on the port (SIGHUP
 * replaces them one at a time).  deploy/run-local.sh puts three behind
 * HAProxy; the Dockerfile builds it statically.
 */
#include <goc.h>
#include <goc_http.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *addr = "127.0.0.1:8080";
static int workers;
static long long drain_ms;

static void hello(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)r;
    (void)arg;
    goc_http_add_header(w, "Content-Type", "text/plain; charset=utf-8");
    goc_http_write(w, "Hello, World!", 13);
}

static void serve(void *arg)
{
    (void)arg;
    goc_http_mux *mux = goc_http_mux_new();
    goc_http_server *srv;
    goc_http_server_config cfg = {.handler = goc_http_mux_serve, .arg = mux,
                                  .workers = workers, .drain_delay = drain_ms * 1000000LL};
    if (!mux || goc_http_server_new(&srv, &cfg) < 0
        || goc_http_mux_handle(mux, "/", hello, NULL) < 0
        || goc_http_mux_handle(mux, "GET /healthz", goc_http_healthz_handler, srv) < 0
        || goc_http_mux_handle(mux, "GET /readyz", goc_http_readyz_handler, srv) < 0
        || goc_http_mux_handle(mux, "GET /debug/goc", goc_http_debug_handler, srv) < 0) {
        fprintf(stderr, "http_hello: out of memory\n");
        exit(1);
    }
    int rc = goc_http_server_run(srv, addr);
    if (rc < 0 && rc != -ETIMEDOUT) {
        fprintf(stderr, "http_hello: %s: %s\n", addr, strerror(-rc));
        exit(1);
    }
    goc_http_server_free(srv);
    goc_http_mux_free(mux);
}

int main(int argc, char **argv)
{
    struct rlimit rl;

    if (argc > 1)
        addr = argv[1];
    if (argc > 2)
        workers = atoi(argv[2]);
    if (argc > 3)
        drain_ms = atoll(argv[3]);
    if (workers < 0 || drain_ms < 0 || argc > 4) {
        fprintf(stderr, "usage: http_hello [host:port [WORKERS [DRAIN_MS]]]\n");
        return 2;
    }
    /* as Go does at start: many keep-alive connections need many fds */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    return goc_main(serve, NULL);
}
