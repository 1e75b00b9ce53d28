/* select_waiters.c — a select that loses leaves nothing behind, and the
 * cost of waking one of K parked selectors does not grow with K (Go's
 * issue 2075 class).  K goroutines each select on {A, B}; main sends on A
 * and waits for an ack, M times.  Each woken selector must unlink its B
 * record in O(1).  Checks: B's wait queue holds exactly K records after
 * the rounds (internal view, chan.h), and the time per round with 10000
 * waiters is within a generous factor of that with 10. */
#include <goc.h>
#include "chan.h"
#include "testutil.h"

struct sel { goc_chan *a, *b, *ack; };

static void selector(void *arg)
{
    struct sel *s = arg;
    for (;;) {
        int v;
        goc_case cs[2] = { { s->a, GOC_RECV, &v, 0 }, { s->b, GOC_RECV, &v, 0 } };
        int k = goc_select(cs, 2, 1);
        if (k == 1)
            return;   /* B closed */
        CHECK(goc_chan_send(s->ack, &v) == 0);
    }
}

static size_t qlen(goc_chan *c)
{
    size_t n = 0;
    goc__lock(&c->lock);
    for (goc_sudog *sg = c->recvq.first; sg != NULL; sg = sg->next)
        n++;
    goc__unlock(&c->lock);
    return n;
}

static double run(long k, long m)
{
    struct sel s = { goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), 0),
                     goc_chan_make(sizeof(int), 0) };
    for (long i = 0; i < k; i++)
        CHECK(goc_go(selector, &s) == 0);
    while ((long)qlen(s.b) < k)   /* all parked */
        goc_yield();
    int64_t t0 = goc_now();
    for (long i = 0; i < m; i++) {
        int v = (int)i, r;
        CHECK(goc_chan_send(s.a, &v) == 0);
        CHECK(goc_chan_recv(s.ack, &r) == 0 && r == v);
    }
    int64_t dt = goc_now() - t0;
    while ((long)qlen(s.b) < k)
        goc_yield();
    CHECKF((long)qlen(s.b) == k, "B queue %zu, want %ld", qlen(s.b), k);
    CHECKF((long)qlen(s.a) == k, "A queue %zu, want %ld", qlen(s.a), k);
    goc_chan_close(s.b);
    while (goc_num_goroutines() > 1)
        goc_yield();
    CHECK(qlen(s.a) == 0 && qlen(s.b) == 0);
    goc_chan_free(s.a);
    goc_chan_free(s.b);
    goc_chan_free(s.ack);
    return (double)dt / (double)m;
}

static void main_fn(void *arg)
{
    (void)arg;
    long m = test_scaled(20000), big = test_scaled(10000);
    double small = run(10, m);
    double large = run(big, m);
    fprintf(stderr, "ns per round: %ld waiters %.0f, %ld waiters %.0f\n", 10L, small, big, large);
    CHECKF(large < 25 * small + 2000, "%.0f ns vs %.0f ns per round", large, small);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
