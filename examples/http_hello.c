/*
 * http_hello — Go's minimal net/http server in C:
 *
 *     http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
 *         fmt.Fprint(w, "Hello, World!")
 *     })
 *     log.Fatal(http.ListenAndServe(addr, nil))
 *
 * Usage: http_hello [host:port]    (default 127.0.0.1:8080)
 */
#include <goc.h>
#include <goc_http.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *addr = "127.0.0.1:8080";

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
    if (!mux || goc_http_mux_handle(mux, "/", hello, NULL) < 0) {
        fprintf(stderr, "http_hello: out of memory\n");
        exit(1);
    }
    int rc = goc_http_listen_and_serve(addr, goc_http_mux_serve, mux);
    fprintf(stderr, "http_hello: %s: %s\n", addr, strerror(-rc));
    exit(1);
}

int main(int argc, char **argv)
{
    struct rlimit rl;

    if (argc > 1)
        addr = argv[1];
    /* as Go does at start: many keep-alive connections need many fds */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    return goc_main(serve, NULL);
}
