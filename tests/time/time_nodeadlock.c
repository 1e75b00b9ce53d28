/* time_nodeadlock: goroutines waiting only on a timer or a socket are not a
 * deadlock — every goroutine blocked while a sleeper, a timer channel or a
 * read deadline will wake one must not be reported. */
#include <errno.h>

#include "goc.h"
#include "testutil.h"

#define MS 1000000LL

static void late_sender(void *arg)
{
    goc_sleep(50 * MS);
    int v = 7;
    goc_chan_send(arg, &v);
}

static void main_g(void *arg)
{
    (void)arg;
    /* main blocked on a channel, the only other goroutine asleep */
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    CHECK(goc_go(late_sender, c) == 0);
    int v = 0;
    CHECK(goc_chan_recv(c, &v) == 0 && v == 7);
    goc_chan_free(c);

    /* main blocked on a timer channel alone */
    goc_timer *t = goc_timer_new(30 * MS, 0);
    int64_t when;
    CHECK(goc_chan_recv(goc_timer_chan(t), &when) == 0);
    goc_timer_free(t);

    /* main parked on a socket that only a deadline will end */
    int lfd = goc_listen("127.0.0.1:0", 4);
    CHECK(lfd >= 0);
    CHECK(goc_set_deadline(lfd, goc_now() + 30 * MS, 0) == 0);
    CHECK(goc_accept(lfd) == -ETIMEDOUT);
    goc_close(lfd);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
