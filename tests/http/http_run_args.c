/* http_run_args: goc_http_server_run's and the readiness calls' bad input,
 * and readiness through /readyz in process:
 *   - run: NULL server, workers < 0 or over 1024, addr NULL with no
 *     listener, workers with a Unix address: -EINVAL, and no process
 *     is left behind (the Unix case binds nothing, spawns nothing);
 *   - goc_http_server_set_ready: NULL, 2: -EINVAL; 0 turns
 *     goc_http_server_ready and /readyz to not ready (503), 1 back;
 *     goc_http_server_shutdown turns it off for good;
 *   - goc_http_worker_index: -1 without GOC_HTTP_WORKER, -1 for a
 *     malformed or out-of-range value, k for "k".
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "httptest.h"

static void noop(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)w;
    (void)r;
    (void)arg;
}

static goc_http_server *server(int workers)
{
    goc_http_server *s;
    goc_http_server_config cfg = {.handler = noop, .workers = workers};
    CHECK(goc_http_server_new(&s, &cfg) == 0);
    return s;
}

static int readyz(goc_http_server *s)
{
    goc_http_mux *m = goc_http_mux_new();
    goc_http_server *front;
    goc_http_server_config cfg = {.handler = goc_http_mux_serve, .arg = m};
    CHECK(m && goc_http_server_new(&front, &cfg) == 0);
    CHECK(goc_http_mux_handle(m, "GET /readyz", goc_http_readyz_handler, s) == 0);
    int port = goc_http_server_listen(front, "127.0.0.1:0");
    CHECK(port > 0);
    ht_server h = {front, NULL};
    ht_start(&h);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int fd = goc_dial(addr);
    CHECK(fd >= 0);
    static ht_resp rs;           /* one goroutine uses it at a time */
    ht_roundtrip(fd, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &rs);
    goc_close(fd);
    ht_stop(&h);                 /* frees front */
    goc_http_mux_free(m);
    free(rs.body);
    return rs.status;
}

static void test_main(void *arg)
{
    (void)arg;
    CHECK(goc_http_server_run(NULL, "127.0.0.1:0") == -EINVAL);
    goc_http_server *s = server(-1);
    CHECK(goc_http_server_run(s, "127.0.0.1:0") == -EINVAL);
    goc_http_server_free(s);
    s = server(1025);
    CHECK(goc_http_server_run(s, "127.0.0.1:0") == -EINVAL);
    goc_http_server_free(s);
    s = server(0);
    CHECK(goc_http_server_run(s, NULL) == -EINVAL);
    goc_http_server_free(s);
    s = server(2);
    CHECK(goc_http_server_run(s, NULL) == -EINVAL);
    CHECK(goc_http_server_run(s, "unix:@goc-run-args") == -EINVAL);
    CHECK(goc_http_server_run(s, "no-port") == -EINVAL);
    CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);   /* nothing spawned */
    goc_http_server_free(s);

    s = server(0);
    CHECK(goc_http_server_set_ready(NULL, 1) == -EINVAL);
    CHECK(goc_http_server_set_ready(s, 2) == -EINVAL);
    CHECK(goc_http_server_ready(s) == 1);
    CHECK(readyz(s) == 200);
    CHECK(goc_http_server_set_ready(s, 0) == 0);
    CHECK(goc_http_server_ready(s) == 0);
    CHECK(readyz(s) == 503);
    CHECK(goc_http_server_set_ready(s, 1) == 0);
    CHECK(readyz(s) == 200);
    CHECK(goc_http_server_shutdown(s, 0) == 0);
    CHECK(goc_http_server_ready(s) == 0);
    CHECK(readyz(s) == 503);
    goc_http_server_free(s);

    unsetenv("GOC_HTTP_WORKER");
    CHECK(goc_http_worker_index() == -1);
    setenv("GOC_HTTP_WORKER", "3", 1);
    CHECK(goc_http_worker_index() == 3);
    setenv("GOC_HTTP_WORKER", "3x", 1);
    CHECK(goc_http_worker_index() == -1);
    setenv("GOC_HTTP_WORKER", "5000", 1);
    CHECK(goc_http_worker_index() == -1);
    unsetenv("GOC_HTTP_WORKER");
    printf("http_run_args ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(test_main, NULL);
}
