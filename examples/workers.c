/* workers.c — a worker pool: jobs go out on one channel, W workers square
 * them and send results back, a WaitGroup tells when every worker is done
 * so the results channel can be closed.
 *
 *   ./workers [jobs] [workers]      (defaults 20 and 4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <goc.h>

static goc_chan *jobs, *results;
static goc_wg wg;

struct result { int worker; long job, square; };

static void worker(void *arg)
{
    int id = (int)(long)arg;
    long j;
    while (goc_chan_recv(jobs, &j) == 0) {   /* until jobs is closed */
        struct result r = { id, j, j * j };
        goc_chan_send(results, &r);
    }
    goc_wg_done(&wg);
}

static void closer(void *arg)
{
    (void)arg;
    goc_wg_wait(&wg);          /* every worker has returned */
    goc_chan_close(results);
}

static long njobs = 20, nworkers = 4;

static void feeder(void *arg)
{
    (void)arg;
    for (long j = 1; j <= njobs; j++)
        goc_chan_send(jobs, &j);
    goc_chan_close(jobs);      /* workers drain it, then return */
}

static void pool(void *arg)
{
    (void)arg;
    jobs = goc_chan_make(sizeof(long), 8);
    results = goc_chan_make(sizeof(struct result), 8);
    goc_wg_add(&wg, (int)nworkers);
    for (long w = 1; w <= nworkers; w++)
        goc_go(worker, (void *)w);
    goc_go(feeder, NULL);
    goc_go(closer, NULL);
    struct result r;
    long sum = 0, n = 0;
    while (goc_chan_recv(results, &r) == 0) {
        printf("worker %d: %ld^2 = %ld\n", r.worker, r.job, r.square);
        sum += r.square;
        n++;
    }
    printf("%ld results, sum of squares %ld\n", n, sum);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        njobs = atol(argv[1]);
    if (argc > 2)
        nworkers = atol(argv[2]);
    return goc_main(pool, NULL);
}
