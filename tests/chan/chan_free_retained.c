/* chan_free_retained.c — goc_chan_free while goc_chan_retain references
 * are held is a fatal error pointing at goc_chan_release (issue 10). */
#include <goc.h>
#include "testutil.h"

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *c = goc_chan_make(8, 1);
    goc_chan_retain(c);
    goc_chan_free(c);
    fprintf(stderr, "chan_free_retained: free did not die\n");
    exit(1);
}

int main(void) { return goc_main(main_g, NULL); }
