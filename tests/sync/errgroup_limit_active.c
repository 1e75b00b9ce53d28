/* Changing an errgroup's limit while its goroutines run is a fatal error,
 * as in Go. */
#include <goc.h>

static int slow(goc_ctx *ctx, void *arg)
{
    (void)arg;
    goc_chan_recv(goc_ctx_done(ctx), NULL);
    return 0;
}

static void main_g(void *arg)
{
    (void)arg;
    goc_errgroup *g = goc_errgroup_new(NULL);
    goc_errgroup_go(g, slow, NULL);
    goc_errgroup_set_limit(g, 2);
}

int main(void) { return goc_main(main_g, NULL); }
