/* chan_retain.c — goc_chan_retain/release for the abandoned results
 * channel (issue 10, F10): the caller times out and releases its reference
 * while slow workers still send; the last worker out frees the channel.
 * Then the refcount rules: free with references held is fatal (checked by
 * chan_free_retained), and a released channel is poisoned. */
#include <goc.h>
#include "chan.h"
#include "testutil.h"

enum { WORKERS = 16 };

static goc_wg done;
static _Atomic int sent;

static void worker(void *arg)
{
    goc_chan *results = arg;
    long i = (long)goc_id();
    goc_sleep((int64_t)(i % 4) * 10 * 1000000);   /* 0..30 ms: most are late */
    CHECK(goc_chan_send(results, &i) == 0);       /* buffered: never blocks */
    atomic_fetch_add(&sent, 1);
    goc_chan_release(results);
    goc_wg_done(&done);
}

static int round_trip(void)
{
    goc_chan *results = goc_chan_make(sizeof(long), WORKERS);
    CHECK(results != NULL);
    goc_wg_add(&done, WORKERS);
    for (int i = 0; i < WORKERS; i++)
        CHECK(goc_go(worker, goc_chan_retain(results)) == 0);
    goc_timer *t = goc_timer_new(5 * 1000000, 0);
    int got = 0;
    while (got < WORKERS) {
        long v;
        int64_t when;
        goc_case cs[] = {
            { .chan = results, .op = GOC_RECV, .elem = &v },
            { .chan = goc_timer_chan(t), .op = GOC_RECV, .elem = &when },
        };
        if (goc_select(cs, 2, 1) == 1)
            break;
        got++;
    }
    goc_timer_free(t);
    goc_chan *mine = results;
    goc_chan_release(results);    /* the workers may still hold it */
    goc_wg_wait(&done);
    /* The last release freed it; its memory is still quarantined, so the
     * poison can be read here (white box). */
    CHECK(atomic_load(&mine->magic) == CHAN_FREED);
    return got;
}

static void main_g(void *arg)
{
    (void)arg;
    int early = 0;
    for (int r = 0; r < 5; r++)
        early += round_trip();
    CHECK(atomic_load(&sent) == 5 * WORKERS);
    CHECK(early < 5 * WORKERS);   /* some workers were late each time */

    /* retain returns its argument; NULL is ignored */
    CHECK(goc_chan_retain(NULL) == NULL);
    goc_chan_release(NULL);
    goc_chan *c = goc_chan_make(0, 0);
    CHECK(goc_chan_retain(c) == c);
    goc_chan_release(c);
    CHECK(atomic_load(&c->magic) == CHAN_LIVE);
    goc_chan_free(c);               /* the only reference left: allowed */
    CHECK(atomic_load(&c->magic) == CHAN_FREED);
    printf("early %d of %d\n", early, 5 * WORKERS);
}

int main(void) { return goc_main(main_g, NULL); }
