/*
 * http/metrics.c — request metrics of one server: responses by status
 * class, a request-duration histogram, requests in flight, and their
 * Prometheus text (debug.c serves it).
 *
 * Hot path: goc_http__observe runs once per response on the connection's
 * goroutine: a scan of 16 bucket bounds and three relaxed atomic adds on
 * the connection's shard (fd % GOC_HTTP__SHARDS), no lock.  Connections
 * on different Ps mostly hit different shards, so the adds rarely share a
 * cache line; a per-P array would need the runtime's P id, which the
 * library does not see.  A scrape sums the shards: it may see a response
 * in its class before its duration, never a counter going back.
 *
 * In flight: the connections in state ACTIVE (a request being read or
 * handled), counted at scrape time under s->mu; nothing on the hot path.
 */
#include "internal.h"

#include <stdatomic.h>

/* Upper bounds (ns) of the buckets: Prometheus' default buckets
 * (5 ms .. 10 s) with 100 us .. 2.5 ms below them, for a server whose
 * requests take tens of microseconds. */
static const int64_t bound_ns[GOC_HTTP__NBUCKETS] = {
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000,
    50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000,
    5000000000, 10000000000,
};
static const char *const bound_text[GOC_HTTP__NBUCKETS] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
};

void goc_http__observe(goc_http__conn *c, int status, int64_t ns)
{
    goc_http__shard *sh = &c->s->shard[(unsigned)c->fd % GOC_HTTP__SHARDS];
    int cls = status >= 100 && status < 600 ? status / 100 : 0;
    int b = 0;

    if (ns < 0)
        ns = 0;
    while (b < GOC_HTTP__NBUCKETS && ns > bound_ns[b])
        b++;
    atomic_fetch_add_explicit(&sh->status[cls], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sh->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sh->sum_ns, (uint64_t)ns, memory_order_relaxed);
}

static uint64_t sum_status(const goc_http_server *s, int cls)
{
    uint64_t n = 0;
    for (int i = 0; i < GOC_HTTP__SHARDS; i++)
        n += atomic_load_explicit(&s->shard[i].status[cls], memory_order_relaxed);
    return n;
}

static size_t in_flight(goc_http_server *s)
{
    size_t n = 0;
    goc_mutex_lock(&s->mu);
    for (goc_http__conn *c = s->conns; c; c = c->next)
        n += atomic_load_explicit(&c->state, memory_order_relaxed) == GOC_HTTP__CS_ACTIVE;
    goc_mutex_unlock(&s->mu);
    return n;
}

static void histogram(goc_http_response *w, const goc_http_server *s)
{
    uint64_t cum = 0, sum_ns = 0;

    goc_http_printf(w, "# HELP goc_http_request_duration_seconds Time from a request's "
                       "first byte to its response being framed.\n"
                       "# TYPE goc_http_request_duration_seconds histogram\n");
    for (int b = 0; b <= GOC_HTTP__NBUCKETS; b++) {
        for (int i = 0; i < GOC_HTTP__SHARDS; i++)
            cum += atomic_load_explicit(&s->shard[i].bucket[b], memory_order_relaxed);
        goc_http_printf(w, "goc_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
                        b < GOC_HTTP__NBUCKETS ? bound_text[b] : "+Inf",
                        (unsigned long long)cum);
    }
    for (int i = 0; i < GOC_HTTP__SHARDS; i++)
        sum_ns += atomic_load_explicit(&s->shard[i].sum_ns, memory_order_relaxed);
    goc_http_printf(w, "goc_http_request_duration_seconds_sum %.9f\n"
                       "goc_http_request_duration_seconds_count %llu\n",
                    (double)sum_ns / 1e9, (unsigned long long)cum);
}

void goc_http__metrics_write(goc_http_response *w, goc_http_server *s)
{
    static const char *const cls_label[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

    goc_http_printf(w, "# HELP goc_http_responses_total Responses by status class "
                       "(the server's own 4xx/5xx to bad requests included).\n"
                       "# TYPE goc_http_responses_total counter\n");
    for (int cls = 0; cls <= 5; cls++)
        goc_http_printf(w, "goc_http_responses_total{code=\"%s\"} %llu\n", cls_label[cls],
                        (unsigned long long)sum_status(s, cls));
    histogram(w, s);
    goc_http_printf(w, "# HELP goc_http_requests_in_flight Connections reading or "
                       "handling a request now.\n"
                       "# TYPE goc_http_requests_in_flight gauge\n"
                       "goc_http_requests_in_flight %zu\n", in_flight(s));
}
