/* gdb_goroutines.c — three goroutines park in three known functions, then
 * the program stops itself with SIGTRAP; gdb_goroutines.sh runs gdb on it
 * with scripts/goc-gdb.py and checks "info goroutines" and "goroutine N bt". */
#include <signal.h>
#include <stdio.h>
#include <goc.h>

static goc_chan *gate;
static goc_wg started;

static __attribute__((noinline)) void park_alpha(void *arg)
{
    (void)arg;
    goc_wg_done(&started);
    goc_chan_recv(gate, NULL);
    printf("alpha woke\n");
}

static __attribute__((noinline)) void park_beta(void *arg)
{
    (void)arg;
    goc_wg_done(&started);
    goc_chan_recv(gate, NULL);
    printf("beta woke\n");
}

static __attribute__((noinline)) void park_gamma(void *arg)
{
    (void)arg;
    goc_mutex *mu = arg;
    goc_wg_done(&started);
    goc_mutex_lock(mu);           /* main holds it: sync.Mutex.Lock */
    goc_mutex_unlock(mu);
    printf("gamma woke\n");
}

static void main_g(void *arg)
{
    (void)arg;
    static goc_mutex mu;
    gate = goc_chan_make(0, 0);
    goc_mutex_lock(&mu);
    goc_wg_add(&started, 3);
    goc_go(park_alpha, NULL);
    goc_go(park_beta, NULL);
    goc_go(park_gamma, &mu);
    goc_wg_wait(&started);
    goc_sleep(50 * 1000000);      /* let them reach their waits */
    raise(SIGTRAP);               /* gdb stops here */
    goc_chan_close(gate);
    goc_mutex_unlock(&mu);
    goc_sleep(20 * 1000000);
    goc_chan_free(gate);
}

int main(void) { return goc_main(main_g, NULL); }
