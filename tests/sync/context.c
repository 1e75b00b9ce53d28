/* context.c — goc_ctx (Go's context): cancellation reaches the whole
 * subtree and wakes goroutines selecting on done, deadlines fire (the
 * earlier of own and inherited), values are found up the chain, freeing a
 * parent first leaves its children valid, and contexts with deadlines can
 * be created, cancelled and freed from many goroutines while their timers
 * fire (the sanitizer runs check the races). */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <goc.h>
#include "testutil.h"

#define MS 1000000LL

static void tree(void)
{
    goc_ctx *root = goc_ctx_with_cancel(NULL);
    goc_ctx *a = goc_ctx_with_cancel(root);
    goc_ctx *b = goc_ctx_with_cancel(a);
    goc_ctx *c = goc_ctx_with_cancel(root);
    CHECK(goc_ctx_err(root) == 0 && goc_ctx_err(b) == 0);
    CHECK(goc_chan_tryrecv(goc_ctx_done(b), NULL) == -EAGAIN);
    goc_ctx_cancel(a, -EIO);
    CHECK(goc_ctx_err(a) == -ECANCELED && goc_ctx_cause(a) == -EIO);
    CHECK(goc_ctx_err(b) == -ECANCELED && goc_ctx_cause(b) == -EIO);
    CHECK(goc_ctx_err(root) == 0 && goc_ctx_err(c) == 0);
    CHECK(goc_chan_recv(goc_ctx_done(b), NULL) == -EPIPE);   /* closed */
    goc_ctx_cancel(a, -EPERM);                               /* first wins */
    CHECK(goc_ctx_cause(a) == -EIO);
    goc_ctx *late = goc_ctx_with_cancel(b);                  /* starts cancelled */
    CHECK(late != NULL && goc_ctx_err(late) == -ECANCELED && goc_ctx_cause(late) == -EIO);
    CHECK(goc_chan_tryrecv(goc_ctx_done(late), NULL) == -EPIPE);
    goc_ctx_free(late);
    /* Free a parent first: the child is cancelled, detached, still valid. */
    goc_ctx *d = goc_ctx_with_cancel(c);
    goc_ctx_free(c);
    CHECK(goc_ctx_err(d) == -ECANCELED);
    CHECK(goc_chan_tryrecv(goc_ctx_done(d), NULL) == -EPIPE);
    goc_ctx_cancel(root, 0);
    goc_ctx_free(d);
    goc_ctx_free(b);
    goc_ctx_free(a);
    goc_ctx_free(root);
    /* Background: never done, NULL done channel, free is a no-op. */
    goc_ctx *bg = goc_ctx_background();
    CHECK(goc_ctx_done(bg) == NULL && goc_ctx_err(bg) == 0);
    goc_ctx_cancel(bg, -EIO);
    CHECK(goc_ctx_err(bg) == 0);
    goc_ctx_free(bg);
}

static void deadlines(void)
{
    int64_t t0 = goc_now();
    goc_ctx *p = goc_ctx_with_timeout(NULL, 30 * MS);
    goc_ctx *c = goc_ctx_with_timeout(p, 10 * 1000 * MS);   /* later: parent's */
    goc_ctx *e = goc_ctx_with_timeout(p, 5 * MS);           /* earlier: its own */
    CHECK(goc_ctx_deadline(c) == goc_ctx_deadline(p));
    CHECK(goc_ctx_deadline(e) < goc_ctx_deadline(p));
    CHECK(goc_chan_recv(goc_ctx_done(e), NULL) == -EPIPE);
    CHECK(goc_now() - t0 >= 5 * MS);
    CHECK(goc_ctx_err(e) == -ETIMEDOUT);
    /* p is still live unless this M was descheduled past its 30 ms. */
    CHECK(goc_ctx_err(p) == 0 || goc_now() - t0 >= 30 * MS);
    CHECK(goc_chan_recv(goc_ctx_done(c), NULL) == -EPIPE);
    CHECK(goc_now() - t0 >= 30 * MS);
    CHECK(goc_ctx_err(c) == -ETIMEDOUT && goc_ctx_cause(c) == -ETIMEDOUT);
    goc_ctx_free(e);
    goc_ctx_free(c);
    goc_ctx_free(p);
    /* Already expired. */
    goc_ctx *x = goc_ctx_with_timeout(NULL, 0);
    CHECK(goc_ctx_err(x) == -ETIMEDOUT);
    goc_ctx_free(x);
    x = goc_ctx_with_deadline(NULL, goc_now() - 1);
    CHECK(goc_ctx_err(x) == -ETIMEDOUT);
    goc_ctx_free(x);
    /* Cancelled before its deadline: the timer never reports. */
    x = goc_ctx_with_timeout(NULL, 5 * MS);
    goc_ctx_cancel(x, 0);
    goc_sleep(10 * MS);
    CHECK(goc_ctx_err(x) == -ECANCELED);
    goc_ctx_free(x);
    /* Freed with its timer pending: nothing fires into freed memory. */
    for (int i = 0; i < 100; i++)
        goc_ctx_free(goc_ctx_with_timeout(NULL, (i % 5) * 100000));
    goc_sleep(2 * MS);
}

static int key1, key2, key3;

static void values(void)
{
    goc_ctx *a = goc_ctx_with_value(NULL, &key1, "one");
    goc_ctx *b = goc_ctx_with_cancel(a);
    goc_ctx *c = goc_ctx_with_value(b, &key2, "two");
    goc_ctx *d = goc_ctx_with_value(c, &key1, "shadow");
    CHECK(goc_ctx_value(c, &key1) != NULL);
    CHECK(strcmp(goc_ctx_value(c, &key1), "one") == 0);
    CHECK(strcmp(goc_ctx_value(d, &key1), "shadow") == 0);
    CHECK(strcmp(goc_ctx_value(d, &key2), "two") == 0);
    CHECK(goc_ctx_value(d, &key3) == NULL);
    CHECK(goc_ctx_value(a, &key2) == NULL);
    goc_ctx_cancel(a, 0);              /* value contexts cancel too */
    CHECK(goc_ctx_err(d) == -ECANCELED);
    goc_ctx_free(d);
    goc_ctx_free(c);
    goc_ctx_free(b);
    goc_ctx_free(a);
}

/* Many goroutines block selecting on done and on a channel nobody sends
 * on; one cancel wakes them all. */
static goc_wg woke;
static _Atomic int woken;

static void waiter(void *arg)
{
    goc_ctx *ctx = arg;
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    int v;
    goc_case cs[] = {
        { .chan = never, .op = GOC_RECV, .elem = &v },
        { .chan = goc_ctx_done(ctx), .op = GOC_RECV },
    };
    int i = goc_select(cs, 2, 1);
    CHECK(i == 1 && cs[1].result == -EPIPE);
    CHECK(goc_ctx_err(ctx) == -ECANCELED);
    atomic_fetch_add(&woken, 1);
    goc_chan_free(never);
    goc_wg_done(&woke);
}

static void wake_all(void)
{
    long n = test_scaled(2000);
    goc_ctx *root = goc_ctx_with_cancel(NULL);
    goc_ctx *kids[4];
    for (int k = 0; k < 4; k++)
        kids[k] = goc_ctx_with_cancel(root);
    goc_wg_add(&woke, (int)n);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(waiter, kids[i % 4]) == 0);
    goc_sleep(5 * MS);
    CHECK(atomic_load(&woken) == 0);
    goc_ctx_cancel(root, 0);
    goc_wg_wait(&woke);
    CHECK(atomic_load(&woken) == n);
    for (int k = 0; k < 4; k++)
        goc_ctx_free(kids[k]);
    goc_ctx_free(root);
}

/* Contexts with short deadlines made, cancelled and freed concurrently
 * with their timers firing and with their parent being cancelled. */
static goc_wg churned;
static goc_ctx *shared_parent;

static void churn(void *arg)
{
    long seed = (long)arg;
    for (int i = 0; i < 200; i++) {
        goc_ctx *c = goc_ctx_with_timeout(shared_parent, (seed * 7 + i) % 300 * 1000);
        goc_ctx *k = goc_ctx_with_cancel(c);
        if (i % 3 == 0)
            goc_ctx_cancel(c, -EIO);
        if (i % 2 == 0)
            (void)goc_chan_tryrecv(goc_ctx_done(k), NULL);
        if (i % 5 == 0)
            goc_yield();
        if (i % 2)
            goc_ctx_free(c), goc_ctx_free(k);    /* parent first */
        else
            goc_ctx_free(k), goc_ctx_free(c);
    }
    goc_wg_done(&churned);
}

static void race(void)
{
    int n = 16;
    shared_parent = goc_ctx_with_cancel(NULL);
    goc_wg_add(&churned, n);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(churn, (void *)i) == 0);
    goc_sleep(MS);
    goc_ctx_cancel(shared_parent, 0);       /* in the middle of it */
    goc_wg_wait(&churned);
    goc_ctx_free(shared_parent);
}

static void main_g(void *arg)
{
    (void)arg;
    tree();
    deadlines();
    values();
    wake_all();
    race();
    printf("context ok\n");
}

int main(void) { return goc_main(main_g, NULL); }
