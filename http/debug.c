/*
 * http/debug.c — the /debug/goc handler: runtime and server figures in
 * Prometheus text exposition format (version 0.0.4).
 *
 * Runtime internals (P and M states, run-queue lengths, scheduler counters)
 * come from goc_debug_stats(), which the runtime provides.  It is referenced
 * weakly: a runtime without it still links, and the page then shows what
 * the public API gives (goroutines, Ps).  Contract expected of it:
 *     int goc_debug_stats(char *buf, size_t n);
 * writes Prometheus text lines into buf (NUL-terminated when n > 0) and
 * returns the length the full text needs (as snprintf), or a negative errno.
 */
#include "internal.h"

#include "goc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int goc_debug_stats(char *buf, size_t n) __attribute__((weak));

/* 1 MiB: far above what hundreds of Ps print; bounds the retry below. */
#define RUNTIME_STATS_MAX (1 << 20)

static void metric(goc_http_response *w, const char *name, const char *type,
                   const char *help, unsigned long long v)
{
    goc_http_printf(w, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
                    name, help, name, type, name, v);
}

static void runtime_section(goc_http_response *w)
{
    char small[4096];

    if (!goc_debug_stats) {
        metric(w, "goc_sched_gomaxprocs", "gauge", "Ps (GOC_MAXPROCS).",
               (unsigned long long)goc_maxprocs(0));
        return;
    }
    int n = goc_debug_stats(small, sizeof small);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        goc_http_write(w, small, (size_t)n);
        return;
    }
    if (n >= RUNTIME_STATS_MAX)
        return;
    char *big = malloc((size_t)n + 1);
    if (!big)
        return;
    int m = goc_debug_stats(big, (size_t)n + 1);
    if (m >= 0)
        goc_http_write(w, big, (size_t)m <= (size_t)n ? (size_t)m : (size_t)n);
    free(big);
}

/* process_resident_memory_bytes as Prometheus' client libraries name it:
 * the second field of /proc/self/statm, in pages.  -1 when unreadable. */
static long long rss_bytes(void)
{
    long long pages = -1;
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return -1;
    if (fscanf(f, "%*s %lld", &pages) != 1)
        pages = -1;
    fclose(f);
    return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

void goc_http_debug_handler(goc_http_response *w, goc_http_request *r,
                            void *server)
{
    (void)r;
    goc_http_add_header(w, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    goc_http_add_header(w, "Cache-Control", "no-store");
    metric(w, "goc_goroutines", "gauge", "Goroutines that exist now.",
           (unsigned long long)goc_num_goroutines());
    long long rss = rss_bytes();
    if (rss >= 0)
        metric(w, "process_resident_memory_bytes", "gauge",
               "Resident memory size in bytes.", (unsigned long long)rss);
    runtime_section(w);
    if (server) {
        goc_http_stats st;
        goc_http_server_stats(server, &st);
        metric(w, "goc_http_connections_accepted_total", "counter",
               "Connections accepted.", (unsigned long long)st.accepted);
        metric(w, "goc_http_connections_open", "gauge",
               "Connections open now.", (unsigned long long)st.open);
        metric(w, "goc_http_requests_total", "counter",
               "Requests handled (counted when their connection ends or is hijacked).",
               (unsigned long long)st.requests);
        metric(w, "goc_http_bad_requests_total", "counter",
               "Requests rejected by the server (4xx/5xx from parsing).",
               (unsigned long long)st.bad_requests);
        metric(w, "goc_http_timeouts_total", "counter",
               "Connections closed by a read timeout.",
               (unsigned long long)st.timeouts);
        metric(w, "goc_http_ready", "gauge",
               "1 while /readyz answers 200 (goc_http_server_ready).",
               (unsigned long long)goc_http_server_ready(server));
        goc_http__metrics_write(w, server);
    }
}
