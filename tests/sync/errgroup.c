/* errgroup.c — goc_errgroup (x/sync/errgroup): wait returns the first
 * error, which cancels the group's context (the others see it and stop);
 * the limit bounds how many run at once; trygo refuses past it. */
#include <errno.h>
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

#define MS 1000000LL

static _Atomic int running, max_running, finished, saw_cancel;

static int work(goc_ctx *ctx, void *arg)
{
    long i = (long)arg;
    int r = atomic_fetch_add(&running, 1) + 1;
    int m = atomic_load(&max_running);
    while (r > m && !atomic_compare_exchange_weak(&max_running, &m, r))
        ;
    int err = 0;
    if (i == 7) {
        goc_sleep(2 * MS);
        err = -EIO;                     /* the first (and only) failure */
    } else if (i >= 0) {
        /* Wait for cancellation, or give up after 5 s (the test fails). */
        goc_timer *t = goc_timer_new(5000 * MS, 0);
        int64_t when;
        goc_case cs[] = {
            { .chan = goc_ctx_done(ctx), .op = GOC_RECV },
            { .chan = goc_timer_chan(t), .op = GOC_RECV, .elem = &when },
        };
        if (goc_select(cs, 2, 1) == 0 && goc_ctx_cause(ctx) == -EIO)
            atomic_fetch_add(&saw_cancel, 1);
        goc_timer_free(t);
    } else {
        goc_sleep(MS);                  /* i < 0: plain work, no error */
    }
    atomic_fetch_sub(&running, 1);
    atomic_fetch_add(&finished, 1);
    return err;
}

static void first_error_cancels(void)
{
    goc_errgroup *g = goc_errgroup_new(NULL);
    CHECK(g != NULL);
    for (long i = 0; i < 20; i++)
        CHECK(goc_errgroup_go(g, work, (void *)i) == 0);
    CHECK(goc_errgroup_wait(g) == -EIO);
    CHECK(atomic_load(&finished) == 20);
    CHECK(atomic_load(&saw_cancel) == 19);
    CHECK(goc_ctx_err(goc_errgroup_ctx(g)) == -ECANCELED);
    CHECK(goc_ctx_cause(goc_errgroup_ctx(g)) == -EIO);
    goc_errgroup_free(g);
}

static void limit(void)
{
    atomic_store(&max_running, 0);
    atomic_store(&finished, 0);
    goc_ctx *parent = goc_ctx_with_cancel(NULL);
    goc_errgroup *g = goc_errgroup_new(parent);
    goc_errgroup_set_limit(g, 3);
    for (long i = 0; i < 30; i++)
        CHECK(goc_errgroup_go(g, work, (void *)-1L) == 0);
    CHECK(goc_errgroup_wait(g) == 0);
    CHECK(atomic_load(&finished) == 30);
    CHECKF(atomic_load(&max_running) <= 3 && atomic_load(&max_running) >= 1,
           "%d ran at once", atomic_load(&max_running));
    CHECK(goc_ctx_err(parent) == 0);   /* wait cancels the group's, not ours */
    /* trygo: at the limit, -EAGAIN. */
    goc_errgroup *h = goc_errgroup_new(parent);
    goc_errgroup_set_limit(h, 1);
    CHECK(goc_errgroup_trygo(h, work, (void *)-1L) == 0);
    CHECK(goc_errgroup_trygo(h, work, (void *)-1L) == -EAGAIN);
    CHECK(goc_errgroup_wait(h) == 0);
    goc_errgroup_set_limit(h, 0);
    CHECK(goc_errgroup_trygo(h, work, (void *)-1L) == -EAGAIN);
    CHECK(goc_errgroup_go(h, work, (void *)-1L) == -EDEADLK);
    goc_errgroup_free(h);
    /* Cancelling the parent reaches the group's context. */
    goc_errgroup *k = goc_errgroup_new(parent);
    goc_ctx_cancel(parent, -EPERM);
    CHECK(goc_ctx_err(goc_errgroup_ctx(k)) == -ECANCELED);
    CHECK(goc_ctx_cause(goc_errgroup_ctx(k)) == -EPERM);
    CHECK(goc_errgroup_wait(k) == 0);
    goc_errgroup_free(k);
    goc_errgroup_free(g);
    goc_ctx_free(parent);
}

static void main_g(void *arg)
{
    (void)arg;
    first_error_cancels();
    limit();
    printf("errgroup ok\n");
}

int main(void) { return goc_main(main_g, NULL); }
