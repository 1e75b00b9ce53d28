/*
 * context.c — Go's context package (cancellation, deadlines, values) and
 * golang.org/x/sync/errgroup, on goc's channels and runtime timers.
 *
 * A context is a node in a tree.  Cancelling one cancels its subtree: each
 * node records its reason (err, the first one wins), closes its done channel
 * and stops its deadline timer.  As in Go:
 *   - the done channel is made on the first goc_ctx_done call, so a context
 *     nobody selects on costs one small allocation;
 *   - a child of an already cancelled parent starts cancelled;
 *   - a deadline later than the parent's is the parent's;
 *   - goc_ctx_err reports -ECANCELED or -ETIMEDOUT (Canceled /
 *     DeadlineExceeded); goc_ctx_cause the reason given to goc_ctx_cancel.
 * C has no GC, so a context is freed by its creator (goc_ctx_free, which also
 * cancels it: Go's `defer cancel()`).  Freeing a parent first detaches its
 * children, cancelled, so they stay valid until their own free.
 *
 * Locking.  One runtime lock, ctx_lock, guards the tree (parent and
 * children links), each node's err/cause/done and the deadline timers'
 * arming.  Reads of err are lock-free (atomic), so goc_ctx_err in a loop
 * costs a load.  Lock order: a timer's mu > ctx_lock > channel locks (the
 * deadline fires with its timer's mu held, as channel timers do, and cancel
 * closes done channels under ctx_lock; goc_chan_close never blocks).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "runtime.h"
#include "timer.h"

struct goc_ctx {
    struct goc_ctx *parent;      /* NULL: a root, or detached */
    struct goc_ctx *children;    /* cancellable children (ctx_lock) */
    struct goc_ctx *prev, *next; /* siblings (ctx_lock) */
    _Atomic int     err;         /* 0 while live, else -ECANCELED/-ETIMEDOUT */
    int             cause;       /* the reason given (ctx_lock) */
    goc_chan       *done;        /* made on demand (ctx_lock) */
    int64_t         deadline;    /* 0: none (inherited from the parent) */
    const void     *key;         /* with_value: the key (NULL: none) */
    void           *value;
    bool            has_timer;
    goc_timer_rt    timer;       /* the deadline (has_timer) */
};

static goc_lock ctx_lock;

/* Background: never cancelled, no deadline; goc_ctx_done gives NULL, which
 * blocks forever in goc_select (Go's nil Done channel).  Never freed. */
static struct goc_ctx background;

goc_ctx *goc_ctx_background(void) { return &background; }

/* ctx_lock held.  Cancel c and its subtree with err / cause; detach c from
 * its parent when detach. */
static void cancel_locked(goc_ctx *c, int err, int cause, bool detach)
{
    if (atomic_load_explicit(&c->err, memory_order_relaxed) == 0) {
        c->cause = cause;
        atomic_store_explicit(&c->err, err, memory_order_release);
        if (c->done)
            goc_chan_close(c->done);
        /* Deadline timers are not stopped here: their mu comes before
         * ctx_lock.  One that fires later finds err set and does nothing;
         * goc_ctx_cancel stops c's own, goc_ctx_free removes it. */
        for (goc_ctx *k = c->children; k != NULL; k = k->next)
            cancel_locked(k, err, cause, false);
    }
    if (detach && c->parent != NULL) {
        goc_ctx *p = c->parent;
        if (c->prev)
            c->prev->next = c->next;
        else
            p->children = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->parent = c->prev = c->next = NULL;
    }
}

/* The deadline: runs with the timer's mu held (ischan), so goc_ctx_free's
 * goc__timer_remove waits for it. */
static void deadline_fire(void *arg, uintptr_t seq, int64_t delay)
{
    (void)seq;
    (void)delay;
    goc_ctx *c = arg;
    goc__lock(&ctx_lock);
    cancel_locked(c, -ETIMEDOUT, -ETIMEDOUT, false);
    goc__unlock(&ctx_lock);
}

static goc_ctx *derive(goc_ctx *parent, int64_t deadline)
{
    if (parent == NULL)
        parent = &background;
    goc_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    goc__lock(&ctx_lock);
    int64_t pd = parent->deadline;
    c->deadline = pd != 0 && (deadline == 0 || pd <= deadline) ? pd : deadline;
    c->key = NULL;
    int perr = atomic_load_explicit(&parent->err, memory_order_relaxed);
    if (perr != 0) {
        c->cause = parent->cause;
        atomic_store_explicit(&c->err, perr, memory_order_relaxed);
    } else if (parent != &background) {   /* background never cancels */
        c->parent = parent;
        c->next = parent->children;
        if (c->next)
            c->next->prev = c;
        parent->children = c;
    }
    goc__unlock(&ctx_lock);
    /* Only a deadline of our own needs a timer: an inherited one is the
     * parent's, whose cancellation reaches us. */
    if (perr == 0 && deadline != 0 && c->deadline == deadline) {
        if (deadline <= goc_now()) {
            goc__lock(&ctx_lock);
            cancel_locked(c, -ETIMEDOUT, -ETIMEDOUT, false);
            goc__unlock(&ctx_lock);
        } else {
            goc__timer_init(&c->timer, deadline_fire, c);
            c->timer.ischan = true;
            c->has_timer = true;
            goc__timer_modify(&c->timer, deadline, 0, deadline_fire, c, 0);
        }
    }
    return c;
}

goc_ctx *goc_ctx_with_cancel(goc_ctx *parent) { return derive(parent, 0); }

goc_ctx *goc_ctx_with_deadline(goc_ctx *parent, int64_t deadline)
{
    return derive(parent, deadline > 0 ? deadline : 1);
}

goc_ctx *goc_ctx_with_timeout(goc_ctx *parent, int64_t ns)
{
    return derive(parent, goc__when(ns));   /* ns <= 0: expired at once */
}

goc_ctx *goc_ctx_with_value(goc_ctx *parent, const void *key, void *value)
{
    GOC_CHECK(key != NULL, "goc_ctx_with_value: NULL key");
    goc_ctx *c = derive(parent, 0);
    if (c != NULL) {
        c->key = key;
        c->value = value;
    }
    return c;
}

void *goc_ctx_value(goc_ctx *c, const void *key)
{
    /* Keys and values never change after creation; the chain up is stable
     * while c lives unless a parent is freed first (then c is detached and
     * the lookup stops at c). */
    goc__lock(&ctx_lock);
    void *v = NULL;
    for (goc_ctx *k = c; k != NULL; k = k->parent)
        if (k->key == key && key != NULL) {
            v = k->value;
            break;
        }
    goc__unlock(&ctx_lock);
    return v;
}

void goc_ctx_cancel(goc_ctx *c, int cause)
{
    if (c == NULL || c == &background)
        return;
    if (cause >= 0)
        cause = -ECANCELED;
    /* The timer first (no lock held: its mu comes first in the lock
     * order; if it fires meanwhile its cancel wins, as it would after).
     * Then nothing touches c once its waiters are woken: a goroutine that
     * sees the cancellation may free c while this call is returning. */
    if (c->has_timer)
        goc__timer_stop(&c->timer);
    goc__lock(&ctx_lock);
    cancel_locked(c, -ECANCELED, cause, false);
    goc__unlock(&ctx_lock);
}

goc_chan *goc_ctx_done(goc_ctx *c)
{
    if (c == NULL || c == &background)
        return NULL;
    goc__lock(&ctx_lock);
    if (c->done == NULL) {
        c->done = goc_chan_make(0, 0);
        GOC_CHECK(c->done != NULL, "out of memory (context done channel)");
        if (atomic_load_explicit(&c->err, memory_order_relaxed) != 0)
            goc_chan_close(c->done);
    }
    goc_chan *d = c->done;
    goc__unlock(&ctx_lock);
    return d;
}

int goc_ctx_err(goc_ctx *c)
{
    return c ? atomic_load_explicit(&c->err, memory_order_acquire) : 0;
}

int goc_ctx_cause(goc_ctx *c)
{
    if (c == NULL || goc_ctx_err(c) == 0)
        return 0;
    goc__lock(&ctx_lock);
    int cause = c->cause;
    goc__unlock(&ctx_lock);
    return cause;
}

int64_t goc_ctx_deadline(goc_ctx *c) { return c ? c->deadline : 0; }

void goc_ctx_free(goc_ctx *c)
{
    if (c == NULL || c == &background)
        return;
    /* The timer first, without ctx_lock (its mu is taken before ctx_lock):
     * after this no firing runs or will run. */
    if (c->has_timer)
        goc__timer_remove(&c->timer);
    goc__lock(&ctx_lock);
    cancel_locked(c, -ECANCELED, -ECANCELED, true);
    /* Children outlive us cancelled and detached. */
    for (goc_ctx *k = c->children, *next; k != NULL; k = next) {
        next = k->next;
        k->parent = k->prev = k->next = NULL;
    }
    c->children = NULL;
    goc__unlock(&ctx_lock);
    /* Goroutines selecting on done were woken by the close above; one still
     * inside goc_select on it makes this a fatal error (free with waiters),
     * as freeing any channel would be. */
    goc_chan_free(c->done);
    free(c);
}

/* ------------------------------------------------------------ errgroup */

struct goc_errgroup {
    goc_ctx     *ctx;
    goc_wg       wg;
    goc_chan    *sem;        /* limit: a token per running goroutine */
    bool         zero_limit; /* set_limit(0): no goroutine may start */
    _Atomic int  err;        /* the first error */
    _Atomic int  active;     /* started, not finished (for set_limit) */
};

struct eg_task {
    goc_errgroup *g;
    int         (*fn)(goc_ctx *ctx, void *arg);
    void         *arg;
};

goc_errgroup *goc_errgroup_new(goc_ctx *parent)
{
    goc_errgroup *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    g->ctx = goc_ctx_with_cancel(parent);
    if (g->ctx == NULL) {
        free(g);
        return NULL;
    }
    return g;
}

goc_ctx *goc_errgroup_ctx(goc_errgroup *g) { return g->ctx; }

void goc_errgroup_set_limit(goc_errgroup *g, int n)
{
    /* Go panics when the limit changes while goroutines are active. */
    if (atomic_load(&g->active) != 0)
        goc__fatal("errgroup: modify limit while goroutines in the group are still active");
    goc_chan_free(g->sem);
    g->zero_limit = n == 0;
    g->sem = n > 0 ? goc_chan_make(0, (size_t)n) : NULL;
    GOC_CHECK(n <= 0 || g->sem != NULL, "out of memory (errgroup limit)");
}

static void eg_run(void *arg)
{
    struct eg_task task = *(struct eg_task *)arg;
    free(arg);
    goc_errgroup *g = task.g;
    int err = task.fn(g->ctx, task.arg);
    if (err != 0) {
        int zero = 0;
        if (atomic_compare_exchange_strong(&g->err, &zero, err))
            goc_ctx_cancel(g->ctx, err < 0 ? err : -ECANCELED);
    }
    if (g->sem)
        goc_chan_recv(g->sem, NULL);       /* give the token back */
    atomic_fetch_sub(&g->active, 1);
    goc_wg_done(&g->wg);
}

static int eg_start(goc_errgroup *g, int (*fn)(goc_ctx *, void *), void *arg,
                    bool block)
{
    if (g->zero_limit)
        return block ? -EDEADLK : -EAGAIN;   /* Go's Go would block forever */
    if (g->sem) {
        if (block)
            goc_chan_send(g->sem, NULL);
        else if (goc_chan_trysend(g->sem, NULL) != 0)
            return -EAGAIN;
    }
    struct eg_task *t = malloc(sizeof *t);
    if (t == NULL) {
        if (g->sem)
            goc_chan_recv(g->sem, NULL);
        return -ENOMEM;
    }
    *t = (struct eg_task){ g, fn, arg };
    atomic_fetch_add(&g->active, 1);
    goc_wg_add(&g->wg, 1);
    int r = goc_go(eg_run, t);
    if (r != 0) {
        free(t);
        atomic_fetch_sub(&g->active, 1);
        goc_wg_done(&g->wg);
        if (g->sem)
            goc_chan_recv(g->sem, NULL);
    }
    return r;
}

int goc_errgroup_go(goc_errgroup *g, int (*fn)(goc_ctx *, void *), void *arg)
{
    return eg_start(g, fn, arg, true);
}

int goc_errgroup_trygo(goc_errgroup *g, int (*fn)(goc_ctx *, void *), void *arg)
{
    return eg_start(g, fn, arg, false);
}

int goc_errgroup_wait(goc_errgroup *g)
{
    goc_wg_wait(&g->wg);
    goc_ctx_cancel(g->ctx, -ECANCELED);   /* Go: Wait cancels the context */
    return atomic_load(&g->err);
}

void goc_errgroup_free(goc_errgroup *g)
{
    if (g == NULL)
        return;
    if (atomic_load(&g->active) != 0)
        goc__fatal("errgroup: free while goroutines in the group are still active (call goc_errgroup_wait first)");
    goc_ctx_free(g->ctx);
    goc_chan_free(g->sem);
    free(g);
}
