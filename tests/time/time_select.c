/* time_select: a timer channel as a select timeout — the timeout case wins
 * when nothing else is ready (never early), the data case wins when it is;
 * many goroutines select with timeouts at once. */
#include <errno.h>
#include <stdatomic.h>

#include "goc.h"
#include "testutil.h"

#define MS 1000000LL

/* Wait for a value on c for at most d ns: 0 with a value, -ETIMEDOUT. */
static int recv_timeout(goc_chan *c, int *out, int64_t d)
{
    goc_timer *t = goc_timer_new(d, 0);
    int64_t when;
    goc_case cs[2] = {
        { .chan = c, .op = GOC_RECV, .elem = out },
        { .chan = goc_timer_chan(t), .op = GOC_RECV, .elem = &when },
    };
    int i = goc_select(cs, 2, 1);
    goc_timer_free(t);
    return i == 0 ? 0 : -ETIMEDOUT;
}

static goc_wg wg;
static _Atomic long fails;

static void waiter(void *arg)
{
    goc_chan *c = arg;
    int v;
    int64_t t0 = goc_now();
    if (recv_timeout(c, &v, 3 * MS) != -ETIMEDOUT || goc_now() - t0 < 3 * MS)
        atomic_fetch_add(&fails, 1);
    goc_wg_done(&wg);
}

static void sender(void *arg)
{
    goc_sleep(2 * MS);
    int v = 42;
    goc_chan_send(arg, &v);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    int v = 0;
    int64_t t0 = goc_now();
    CHECK(recv_timeout(c, &v, 10 * MS) == -ETIMEDOUT);
    CHECK(goc_now() - t0 >= 10 * MS);

    CHECK(goc_go(sender, c) == 0);
    CHECK(recv_timeout(c, &v, 2000 * MS) == 0 && v == 42);

    long n = test_scaled(2000);
    goc_wg_add(&wg, (int)n);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(waiter, c) == 0);
    goc_wg_wait(&wg);
    CHECK(atomic_load(&fails) == 0);
    goc_chan_free(c);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
