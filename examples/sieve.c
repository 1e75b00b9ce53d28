/* sieve.c — the concurrent prime sieve from Go's tour: a generator
 * goroutine feeds 2, 3, 4, ... into a chain of filter goroutines, one per
 * prime found, each passing on what its prime does not divide.  Prints the
 * first N primes (N from argv, default 10).
 *
 *   ./sieve 20
 */
#include <stdio.h>
#include <stdlib.h>
#include <goc.h>

struct filter { goc_chan *in, *out; int prime; };

static void generate(void *arg)
{
    goc_chan *ch = arg;
    for (int i = 2;; i++)
        goc_chan_send(ch, &i);
}

static void filter(void *arg)
{
    struct filter *f = arg;
    int v;
    while (goc_chan_recv(f->in, &v) == 0)
        if (v % f->prime != 0)
            goc_chan_send(f->out, &v);
}

static int nprimes = 10;

static void sieve(void *arg)
{
    (void)arg;
    goc_chan *ch = goc_chan_make(sizeof(int), 0);
    goc_go(generate, ch);
    for (int i = 0; i < nprimes; i++) {
        int prime;
        goc_chan_recv(ch, &prime);
        printf("%d\n", prime);
        struct filter *f = malloc(sizeof *f);
        f->in = ch;
        f->out = goc_chan_make(sizeof(int), 0);
        f->prime = prime;
        goc_go(filter, f);
        ch = f->out;
    }
    /* returning ends the program; the pipeline is abandoned, as in Go */
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nprimes = atoi(argv[1]);
    return goc_main(sieve, NULL);
}
