/* chan_deadlock.c — goroutines blocked on a channel, a select and a Mutex
 * with nothing left to wake them: the deadlock is reported (exit 2). */
#include <goc.h>

static goc_mutex m;

static void blocked_lock(void *arg)
{
    (void)arg;
    goc_mutex_lock(&m);
}

static void blocked_select(void *arg)
{
    goc_case cs[2] = { { arg, GOC_RECV, NULL, 0 }, { arg, GOC_SEND, NULL, 0 } };
    goc_select(cs, 2, 1);
}

static void main_fn(void *arg)
{
    (void)arg;
    goc_chan *c = goc_chan_make(0, 0), *d = goc_chan_make(0, 0);
    goc_mutex_lock(&m);
    goc_go(blocked_lock, NULL);
    goc_go(blocked_select, d);
    goc_chan_recv(c, NULL);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
