/* chan_sieve.c — the concurrent prime sieve (a goroutine per prime, an
 * unbuffered channel between each pair), checked against trial division. */
#include <goc.h>
#include "testutil.h"

struct filt { goc_chan *in, *out; int prime; };

static void generate(void *arg)
{
    goc_chan *ch = arg;
    for (int i = 2;; i++)
        if (goc_chan_send(ch, &i) != 0)
            return;
}

static void filter(void *arg)
{
    struct filt *f = arg;
    int v;
    while (goc_chan_recv(f->in, &v) == 0)
        if (v % f->prime != 0)
            if (goc_chan_send(f->out, &v) != 0)
                return;
}

static int is_prime(int n)
{
    for (int d = 2; d * d <= n; d++)
        if (n % d == 0)
            return 0;
    return 1;
}

static void main_fn(void *arg)
{
    (void)arg;
    int n = (int)test_scaled(1000);
    goc_chan *ch = goc_chan_make(sizeof(int), 0);
    CHECK(goc_go(generate, ch) == 0);
    int expect = 1;
    struct filt *fs = calloc((size_t)n, sizeof *fs);
    for (int i = 0; i < n; i++) {
        int p;
        CHECK(goc_chan_recv(ch, &p) == 0);
        do expect++; while (!is_prime(expect));
        CHECKF(p == expect, "prime %d: got %d want %d", i, p, expect);
        fs[i] = (struct filt){ ch, goc_chan_make(sizeof(int), 0), p };
        CHECK(goc_go(filter, &fs[i]) == 0);
        ch = fs[i].out;
    }
    /* the pipeline is abandoned with main, as in Go */
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
