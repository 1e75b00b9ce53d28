/* sigquit.c — SIGQUIT prints every goroutine (state, wait reason, how long
 * it has waited, a backtrace) and exits 2, as Go does. */
#include <signal.h>
#include <goc.h>
#include "testutil.h"

static goc_chan *never;

static void waiter(void *arg)
{
    (void)arg;
    goc_chan_recv(never, NULL);
}

static void main_g(void *arg)
{
    (void)arg;
    never = goc_chan_make(0, 0);
    goc_go(waiter, NULL);
    goc_sleep(50 * 1000000);     /* let it park, and age a little */
    raise(SIGQUIT);
    goc_sleep(5LL * 1000000000);
    fprintf(stderr, "still alive after SIGQUIT\n");
}

int main(void) { return goc_main(main_g, NULL); }
