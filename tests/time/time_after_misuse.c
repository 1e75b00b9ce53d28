/* time_after_misuse: what goc_after forbids is a fatal error naming the
 * channel, never a silent use after free.  argv[1]:
 *   spent  a second wait on a channel a select already spent;
 *   other  a wait by a goroutine that did not make it;
 *   send, close, free  operations a receive-only, self-freeing channel
 *          does not have. */
#include <string.h>
#include <goc.h>
#include "testutil.h"

static const char *what;
static goc_chan *shared;
static goc_wg wg;

static void other(void *arg)
{
    (void)arg;
    goc_chan_recv(shared, NULL);   /* fatal */
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *ready = goc_chan_make(0, 0);
    goc_chan_close(ready);
    goc_chan *a = goc_after(GOC_SECOND);
    if (strcmp(what, "spent") == 0) {
        goc_case cs[] = { { .chan = ready, .op = GOC_RECV }, { .chan = a, .op = GOC_RECV } };
        CHECK(goc_select(cs, 2, 1) == 0);
        goc_select(cs, 2, 1);   /* fatal: a is spent */
    } else if (strcmp(what, "other") == 0) {
        shared = a;
        goc_wg_add(&wg, 1);
        goc_go(other, NULL);
        goc_wg_wait(&wg);
    } else if (strcmp(what, "send") == 0) {
        int64_t v = 1;
        goc_chan_trysend(a, &v);
    } else if (strcmp(what, "close") == 0) {
        goc_chan_close(a);
    } else if (strcmp(what, "free") == 0) {
        goc_chan_free(a);
    }
    fprintf(stderr, "misuse %s was not caught\n", what);
    exit(1);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    what = argv[1];
    return goc_main(main_g, NULL);
}
