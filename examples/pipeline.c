/* pipeline.c — fan-out/fan-in with errgroup-style cancellation (Go's
 * "pipelines and cancellation" with golang.org/x/sync/errgroup): a
 * generator, W workers and a collector joined by channels; every stage
 * sends and receives against the group's context, so the first error
 * stops them all.  Go twin: examples/go/pipeline.go.
 *
 *   pipeline [N] [WORKERS] [FAIL_AT]   (defaults 100000, 8, 0 = never)
 * Prints the sum of the squares of 1..N, or, with FAIL_AT, the error that
 * item raised and how far the other stages got before they stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <goc.h>

static long n = 100000, nworkers = 8, fail_at = 0;
static goc_chan *nums, *squares;   /* long, unbuffered */
static goc_wg workers_wg;          /* closes squares when the workers end */

static int generate(goc_ctx *ctx, void *arg)
{
    (void)arg;
    int err = 0;
    for (long i = 1; i <= n && err == 0; i++)
        err = goc_chan_send_ctx(nums, &i, ctx);   /* gives up when cancelled */
    goc_chan_close(nums);
    return err == -EPIPE ? 0 : err;
}

static int square(goc_ctx *ctx, void *arg)
{
    (void)arg;
    long v;
    int err;
    while ((err = goc_chan_recv_ctx(nums, &v, ctx)) == 0) {
        if (v == fail_at) {
            err = -EINVAL;           /* cancels the group with this cause */
            break;
        }
        long sq = v * v;
        if ((err = goc_chan_send_ctx(squares, &sq, ctx)) != 0)
            break;
    }
    goc_wg_done(&workers_wg);
    return err == -EPIPE ? 0 : err;  /* nums closed: done */
}

static int closer(goc_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    goc_wg_wait(&workers_wg);
    goc_chan_close(squares);
    return 0;
}

static void main_g(void *arg)
{
    (void)arg;
    nums = goc_chan_make(sizeof(long), 0);
    squares = goc_chan_make(sizeof(long), 0);
    goc_errgroup *g = goc_errgroup_new(NULL);
    goc_ctx *ctx = goc_errgroup_ctx(g);

    goc_errgroup_go(g, generate, NULL);
    goc_wg_add(&workers_wg, (int)nworkers);
    for (long w = 0; w < nworkers; w++)
        goc_errgroup_go(g, square, NULL);
    goc_errgroup_go(g, closer, NULL);

    long got = 0, sum = 0, sq;
    while (goc_chan_recv_ctx(squares, &sq, ctx) == 0) {   /* fan-in */
        sum += sq;
        got++;
    }
    int err = goc_errgroup_wait(g);
    if (err == 0)
        printf("pipeline: %ld items through %ld workers, sum of squares %ld\n",
               got, nworkers, sum);
    else
        printf("pipeline: item %ld failed (%s); stopped after %ld of %ld results; "
               "every stage exited\n", fail_at, strerror(-err), got, n);
    goc_errgroup_free(g);
    goc_chan_free(nums);
    goc_chan_free(squares);
    long want = n * (n + 1) * (2 * n + 1) / 6;
    if ((fail_at == 0 && (err != 0 || sum != want)) ||
        (fail_at > 0 && fail_at <= n && err != -EINVAL)) {
        fprintf(stderr, "pipeline: wrong outcome (err %d, sum %ld, want %ld)\n", err, sum, want);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) n = atol(argv[1]);
    if (argc > 2) nworkers = atol(argv[2]);
    if (argc > 3) fail_at = atol(argv[3]);
    if (n < 1 || nworkers < 1 || n > 2000000) {
        fprintf(stderr, "usage: pipeline [N (1..2000000)] [WORKERS] [FAIL_AT]\n");
        return 2;
    }
    return goc_main(main_g, NULL);
}
