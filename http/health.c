/*
 * http/health.c — /healthz (liveness) and /readyz (readiness), for load
 * balancers and orchestrators.
 *
 * Liveness answers 200 while the process serves at all.  Readiness answers
 * 200 until the server stops wanting new traffic: the program said so
 * (goc_http_server_set_ready(s, 0): warming up, a dependency down), a stop
 * has begun (goc_http_server_run got SIGTERM: the drain_delay window, in
 * which requests are still served so a balancer can move away first), or
 * goc_http_server_shutdown was called.  Both are cheap and allocate
 * nothing, so a probe never queues behind the program's own work.
 */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static void plain(goc_http_response *w, int code, const char *text, size_t n)
{
    goc_http_write_header(w, code);
    goc_http_add_header(w, "Content-Type", "text/plain; charset=utf-8");
    goc_http_add_header(w, "Cache-Control", "no-store");
    goc_http_write(w, text, n);
}

void goc_http_healthz_handler(goc_http_response *w, goc_http_request *r, void *server)
{
    (void)r;
    (void)server;
    plain(w, 200, "ok\n", 3);
}

int goc_http_server_ready(const goc_http_server *s)
{
    goc_http_server *m = (goc_http_server *)s;
    return !atomic_load_explicit(&m->unready, memory_order_relaxed)
           && !atomic_load_explicit(&m->draining, memory_order_relaxed)
           && !atomic_load_explicit(&m->shutting, memory_order_relaxed);
}

void goc_http_readyz_handler(goc_http_response *w, goc_http_request *r, void *server)
{
    (void)r;
    if (!server)
    {
        fputs("fatal error: goc_http_readyz_handler mounted without its server\n", stderr);
        abort();
    }
    if (goc_http_server_ready(server))
        plain(w, 200, "ready\n", 6);
    else
        plain(w, 503, "not ready\n", 10);
}

int goc_http_server_set_ready(goc_http_server *s, int ready)
{
    if (!s || (ready != 0 && ready != 1))
        return -EINVAL;
    atomic_store_explicit(&s->unready, !ready, memory_order_relaxed);
    return 0;
}
