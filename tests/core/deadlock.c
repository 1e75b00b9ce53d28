/* deadlock.c — every goroutine waits on something nothing can wake: the
 * runtime must say so and exit 2 (Go's checkdead). */
#include "runtime.h"
#include "testutil.h"

static void forever(void *arg)
{
    (void)arg;
    goc__park(NULL, NULL, W_CHAN_RECV);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_go(forever, NULL);
    goc__park(NULL, NULL, W_SELECT_NO_CASES);
}

int main(void) { return goc_main(main_g, NULL); }
