/* ratelimit.c — a ticker-limited worker pool with per-job timeouts (Go's
 * "rate limiting" with time.Tick, plus `select { case r := <-reply: case
 * <-time.After(d): }` per job).  A dispatcher hands one job per tick to W
 * workers; each worker calls a slow backend and gives up on it after the
 * job's timeout with goc_after, which needs no free.  Go twin:
 * examples/go/ratelimit.go.
 *
 *   ratelimit [JOBS] [RATE_PER_S] [WORKERS] [TIMEOUT_MS]
 *             (defaults 200, 500, 16, 20)
 * The backend takes 1..30 ms (deterministic per job), so some jobs time out.
 * Checks that the rate was kept and that every job was either answered or
 * timed out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <goc.h>

static long njobs = 200, rate = 500, nworkers = 16, timeout_ms = 20;
static goc_chan *jobs;            /* long: job numbers */
static goc_wg wg, backends;
static _Atomic long answered, timed_out;

struct call {
    long      job;
    goc_chan *reply;              /* long, buffer 1: a late backend never blocks */
};

/* The slow backend: answers after 1..30 ms, then drops its reference. */
static void backend(void *arg)
{
    struct call *c = arg;
    goc_sleep((int64_t)(1 + (c->job * 7919) % 30) * GOC_MILLISECOND);
    long v = c->job * 2;
    goc_chan_send(c->reply, &v);
    goc_chan_release(c->reply);   /* the last one out frees it */
    free(c);
    goc_wg_done(&backends);
}

static void worker(void *arg)
{
    (void)arg;
    long job;
    while (goc_chan_recv(jobs, &job) == 0) {
        goc_chan *reply = goc_chan_make(sizeof(long), 1);
        struct call *c = malloc(sizeof *c);
        *c = (struct call){ job, goc_chan_retain(reply) };
        goc_wg_add(&backends, 1);
        goc_go(backend, c);
        long v;
        goc_case cs[] = {
            { .chan = reply, .op = GOC_RECV, .elem = &v },
            { .chan = goc_after(timeout_ms * GOC_MILLISECOND), .op = GOC_RECV },
        };
        if (goc_select(cs, 2, 1) == 0 && v == job * 2)
            answered++;
        else
            timed_out++;
        goc_chan_release(reply);
    }
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    jobs = goc_chan_make(sizeof(long), 0);
    goc_wg_add(&wg, (int)nworkers);
    for (long w = 0; w < nworkers; w++)
        goc_go(worker, NULL);

    int64_t interval = GOC_SECOND / rate;
    goc_timer *tick = goc_timer_new(interval, interval);   /* time.Tick */
    int64_t t0 = goc_now();
    for (long j = 0; j < njobs; j++) {
        int64_t when;
        goc_chan_recv(goc_timer_chan(tick), &when);   /* one job per tick */
        goc_chan_send(jobs, &j);
    }
    int64_t dispatch = goc_now() - t0;
    goc_chan_close(jobs);
    goc_wg_wait(&wg);
    goc_timer_free(tick);
    goc_chan_free(jobs);
    double secs = (double)dispatch / 1e9;
    printf("ratelimit: %ld jobs at %.0f/s (limit %ld/s), %ld answered, %ld timed out after %ld ms\n",
           njobs, (double)njobs / secs, rate, (long)answered, (long)timed_out, timeout_ms);
    if (answered + timed_out != njobs || dispatch < (njobs - 1) * interval) {
        fprintf(stderr, "ratelimit: wrong outcome\n");
        exit(1);
    }
    goc_wg_wait(&backends);   /* late ones finish: each frees its call */
}

int main(int argc, char **argv)
{
    if (argc > 1) njobs = atol(argv[1]);
    if (argc > 2) rate = atol(argv[2]);
    if (argc > 3) nworkers = atol(argv[3]);
    if (argc > 4) timeout_ms = atol(argv[4]);
    if (njobs < 1 || rate < 1 || rate > 1000000 || nworkers < 1 || timeout_ms < 0) {
        fprintf(stderr, "usage: ratelimit [JOBS] [RATE_PER_S] [WORKERS] [TIMEOUT_MS]\n");
        return 2;
    }
    return goc_main(main_g, NULL);
}
