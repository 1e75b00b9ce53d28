/* chan_free_waiters.c — freeing a channel that goroutines are blocked on is
 * a fatal error that names the channel and the goroutines (issue 10, F10). */
#include <goc.h>
#include "chan.h"
#include "testutil.h"

static goc_chan *c;

static void sender(void *arg)
{
    long v = (long)arg;
    goc_chan_send(c, &v);
}

static void main_g(void *arg)
{
    (void)arg;
    c = goc_chan_make(sizeof(long), 0);
    for (long i = 0; i < 3; i++)
        goc_go(sender, (void *)i);
    /* until the first sender has queued (chan.h: the queue head) */
    while (atomic_load(&c->sendq.first) == NULL)
        goc_sleep(1000000);
    goc_chan_free(c);
    fprintf(stderr, "chan_free_waiters: free did not die\n");
    exit(1);
}

int main(void) { return goc_main(main_g, NULL); }
