/*
 * http_run_server — the server ops.py drives: goc_http_server_run in its
 * three roles (single, supervisor, worker), the probes and the metrics.
 *
 * Usage: http_run_server ADDR WORKERS DRAIN_MS [SHUTDOWN_MS]
 * A serving process (the single one, or each worker) prints
 * "serving PID PORT" on stdout before it serves; when
 * goc_http_server_run returns it prints "run PID RC" and exits 0 when RC
 * is 0.  Routes: / ("pid PID"), /sleep?MS (sleeps, then "slept PID"),
 * /status?CODE, /healthz, /readyz, /debug/goc, /crash (exits 3 at once:
 * a worker dying without being asked), /spin?MS (computes MS ms).
 */
#include <goc.h>
#include <goc_http.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char **args;

static void pid_page(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)r;
    (void)arg;
    goc_http_printf(w, "pid %d\n", (int)getpid());
}

static void sleep_page(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    goc_sleep(strtoll(r->query, NULL, 10) * 1000000LL);
    goc_http_printf(w, "slept %d\n", (int)getpid());
}

static void status_page(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    goc_http_write_header(w, atoi(r->query));
}

/* Computes for MS milliseconds without a runtime call in the loop: sysmon
 * preempts it (goc_sched_preempt_signals_total moves). */
static void spin_page(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    struct timespec t0, t;
    volatile unsigned long x = 0;
    long ms = strtol(r->query, NULL, 10);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (int i = 0; i < 1000000; i++)
            x += (unsigned long)i;
        clock_gettime(CLOCK_MONOTONIC, &t);
    /* in ns: a whole-ms difference of tv_nsec rounds a negative part
     * towards zero and would stop the loop up to 1 ms early */
    } while ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) < ms * 1000000LL);
    goc_http_printf(w, "spun %lu\n", (unsigned long)x);
}

static void crash_page(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)w;
    (void)r;
    (void)arg;
    _exit(3);
}

static int port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0)
        return -1;
    return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void run(void *arg)
{
    (void)arg;
    goc_http_mux *m = goc_http_mux_new();
    goc_http_server *srv;
    goc_http_server_config cfg = {.handler = goc_http_mux_serve, .arg = m, .log = 1};
    const char *addr = args[1];

    cfg.workers = atoi(args[2]);
    cfg.drain_delay = strtoll(args[3], NULL, 10) * 1000000LL;
    if (args[4])
        cfg.shutdown_timeout = strtoll(args[4], NULL, 10) * 1000000LL;
    if (!m || goc_http_server_new(&srv, &cfg) < 0)
        exit(2);
    goc_http_mux_handle(m, "GET /{$}", pid_page, NULL);
    goc_http_mux_handle(m, "GET /sleep", sleep_page, NULL);
    goc_http_mux_handle(m, "GET /status", status_page, NULL);
    goc_http_mux_handle(m, "GET /crash", crash_page, NULL);
    goc_http_mux_handle(m, "GET /spin", spin_page, NULL);
    goc_http_mux_handle(m, "GET /healthz", goc_http_healthz_handler, srv);
    goc_http_mux_handle(m, "GET /readyz", goc_http_readyz_handler, srv);
    goc_http_mux_handle(m, "GET /debug/goc", goc_http_debug_handler, srv);
    if (goc_http_worker_index() >= 0) {
        printf("serving %d %d\n", (int)getpid(), port_of(3));
    } else if (cfg.workers == 0) {
        int port = goc_http_server_listen(srv, addr);
        if (port < 0) {
            fprintf(stderr, "listen %s: %s\n", addr, strerror(-port));
            exit(2);
        }
        printf("serving %d %d\n", (int)getpid(), port);
        addr = NULL;                 /* run serves the listener set */
    }
    fflush(stdout);
    int rc = goc_http_server_run(srv, addr);
    printf("run %d %d\n", (int)getpid(), rc);
    fflush(stdout);
    goc_http_server_free(srv);
    goc_http_mux_free(m);
    exit(rc == 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ADDR WORKERS DRAIN_MS [SHUTDOWN_MS]\n", argv[0]);
        return 2;
    }
    args = argv;
    return goc_main(run, NULL);
}
