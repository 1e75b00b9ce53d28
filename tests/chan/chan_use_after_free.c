/* chan_use_after_free.c MODE — an operation on a freed channel is a fatal
 * error naming it, not a hang on its reused lock word (issue 10, F10).
 * MODE "late": the README's old pattern, a slow worker sends on the results
 * channel after the caller timed out and freed it, while the program goes
 * on (in other work and other frees); "select", "close", "recv", "double":
 * the other operations. */
#include <string.h>
#include <goc.h>
#include "testutil.h"

static const char *mode;
static goc_chan *results;

static void slow_worker(void *arg)
{
    (void)arg;
    goc_sleep(30 * 1000000);
    long v = 42;
    goc_chan_send(results, &v);
}

static void churn(void)
{
    /* other allocations and channel frees go on meanwhile (fewer than the
     * quarantine holds before the worker's late send: 8 per 2 ms) */
    for (int i = 0; i < 8; i++) {
        goc_chan *x = goc_chan_make(8, 4);
        free(malloc(64));
        goc_chan_free(x);
    }
}

static void main_g(void *arg)
{
    (void)arg;
    results = goc_chan_make(sizeof(long), 0);
    if (strcmp(mode, "late") == 0) {
        goc_go(slow_worker, NULL);
        goc_timer *t = goc_timer_new(1000000, 0);
        long v;
        int64_t when;
        goc_case cs[] = {
            { .chan = results, .op = GOC_RECV, .elem = &v },
            { .chan = goc_timer_chan(t), .op = GOC_RECV, .elem = &when },
        };
        CHECK(goc_select(cs, 2, 1) == 1);   /* timed out */
        goc_timer_free(t);
        goc_chan_free(results);
        for (int i = 0; i < 100; i++) {
            churn();
            goc_sleep(2 * 1000000);
        }
    } else {
        goc_chan_free(results);
        churn();
        if (strcmp(mode, "select") == 0) {
            goc_chan *other = goc_chan_make(0, 0);
            goc_case cs[] = {
                { .chan = other, .op = GOC_RECV },
                { .chan = results, .op = GOC_RECV },
            };
            goc_select(cs, 2, 1);
        } else if (strcmp(mode, "close") == 0) {
            goc_chan_close(results);
        } else if (strcmp(mode, "recv") == 0) {
            goc_chan_tryrecv(results, NULL);
        } else if (strcmp(mode, "double") == 0) {
            goc_chan_free(results);
        }
    }
    fprintf(stderr, "chan_use_after_free: mode %s did not die\n", mode);
    exit(1);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    mode = argv[1];
    return goc_main(main_g, NULL);
}
