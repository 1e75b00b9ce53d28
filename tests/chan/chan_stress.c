/* chan_stress.c — many producers and consumers over one channel, for
 * several capacities, with sums checked; then closes racing with blocked
 * senders and receivers. */
#include <errno.h>
#include <goc.h>
#include "testutil.h"

enum { NP = 8, NC = 8 };

struct st { goc_chan *c; long per; _Atomic long sum, cnt; goc_wg pw, cw; };

static void prod(void *arg)
{
    struct st *s = arg;
    for (long i = 1; i <= s->per; i++)
        CHECK(goc_chan_send(s->c, &i) == 0);
    goc_wg_done(&s->pw);
}

static void cons(void *arg)
{
    struct st *s = arg;
    long v, sum = 0, cnt = 0;
    while (goc_chan_recv(s->c, &v) == 0) {
        sum += v;
        cnt++;
    }
    s->sum += sum;
    s->cnt += cnt;
    goc_wg_done(&s->cw);
}

static void mpmc(size_t cap)
{
    struct st s = { goc_chan_make(sizeof(long), cap), test_scaled(50000), 0, 0, {0, 0}, {0, 0} };
    goc_wg_add(&s.pw, NP);
    goc_wg_add(&s.cw, NC);
    for (int i = 0; i < NC; i++)
        CHECK(goc_go(cons, &s) == 0);
    for (int i = 0; i < NP; i++)
        CHECK(goc_go(prod, &s) == 0);
    goc_wg_wait(&s.pw);
    CHECK(goc_chan_close(s.c) == 0);
    goc_wg_wait(&s.cw);
    CHECKF(s.cnt == NP * s.per, "cap %zu: %ld items", cap, (long)s.cnt);
    CHECK(s.sum == NP * s.per * (s.per + 1) / 2);
    goc_chan_free(s.c);
}

struct cl { goc_chan *c; goc_wg wg; _Atomic long ok, closed; };

static void cl_send(void *arg)
{
    struct cl *s = arg;
    long v = 1;
    int r = goc_chan_send(s->c, &v);
    CHECK(r == 0 || r == -EPIPE);
    if (r == 0) s->ok++; else s->closed++;
    goc_wg_done(&s->wg);
}

static void cl_recv(void *arg)
{
    struct cl *s = arg;
    long v = 5;
    int r = goc_chan_recv(s->c, &v);
    CHECK((r == 0 && v == 1) || (r == -EPIPE && v == 0));
    goc_wg_done(&s->wg);
}

static void close_race(void)
{
    long rounds = test_scaled(2000);
    for (long r = 0; r < rounds; r++) {
        struct cl s = { goc_chan_make(sizeof(long), (size_t)(r % 3)), {0, 0}, 0, 0 };
        goc_wg_add(&s.wg, 8);
        for (int i = 0; i < 4; i++) {
            CHECK(goc_go(cl_send, &s) == 0);
            CHECK(goc_go(cl_recv, &s) == 0);
        }
        if (r & 1)
            goc_yield();
        goc_chan_close(s.c);
        goc_wg_wait(&s.wg);
        CHECK(s.ok + s.closed == 4);
        goc_chan_free(s.c);
    }
}

static void main_fn(void *arg)
{
    (void)arg;
    size_t caps[] = { 0, 1, 7, 1024 };
    for (int i = 0; i < 4; i++)
        mpmc(caps[i]);
    close_race();
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
