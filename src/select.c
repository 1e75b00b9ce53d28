/*
 * select.c — goc_select, Go's selectgo (select.go).
 *
 *   pollorder  the usable (non-NULL) cases in a uniformly random order: an
 *              inside-out Fisher–Yates shuffle.  Pass 1 scans in this order,
 *              which is what makes the choice among ready cases uniform.
 *   lockorder  the same cases heap-sorted by channel address (n log n time,
 *              no recursion, constant extra space).  Channels are locked in
 *              this order, duplicates (one channel in two cases) once, and
 *              unlocked in reverse.
 *
 *   pass 1  every channel locked (a buffered one frozen, chan.h); in poll
 *           order, the first case that can proceed does so (hand-off to a
 *           waiting partner, buffer, or closed).  None and non-blocking:
 *           unlock, -EAGAIN.
 *   pass 2  one sudog per case (is_select), chained on gp->waiting in lock
 *           order and queued on each channel; park.  selparkcommit unlocks
 *           the channels walking gp->waiting, keeping the last lock until it
 *           no longer needs any sudog (the G cannot finish pass 3 before).
 *   pass 3  woken: lock every channel again but the winner's (its sudog is
 *           off the queue already; unless a second case waits on it),
 *           clear selectdone, take the winning
 *           sudog from gp->param, and unlink every other sudog from its
 *           queue in O(1) (doubly linked), so a lost select leaves nothing
 *           behind however many other waiters those channels have.
 *
 * The wake-up race: a G selecting is queued on several channels at once.
 * Every waker dequeuing a select sudog must win CAS(g->selectdone, 0, 1)
 * (goc__waitq_dequeue); the losers discard that sudog.  Only the winner
 * touches the G, so a value is never delivered twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "sync.h"

enum {
    SELECT_MAX_CASES = 65536,   /* Go's limit; indices fit uint16_t */
    SELECT_STACK_CASES = 64,    /* order arrays on the stack up to this */
    SELECT_STACK_SUDOGS = 8,    /* a blocking select's wait records on its
                                   own stack up to this many cases (88 bytes
                                   each); the P's pool above */
};

struct selstate {
    goc_case       *cases;
    const uint16_t *lockorder;
    size_t          norder;
};

static inline uintptr_t key(const goc_case *cases, uint16_t i)
{
    return (uintptr_t)cases[i].chan;
}

/* Lock every channel in lock order, a duplicate once; skip (if not NULL)
 * is left unlocked. */
static void sellock_except(struct selstate *s, goc_chan *skip)
{
    goc_chan *last = NULL;
    for (size_t i = 0; i < s->norder; i++) {
        goc_chan *c = s->cases[s->lockorder[i]].chan;
        if (c != last) {
            last = c;
            if (c != skip)
                goc__chan_lock(c, "select on");
        }
    }
}

static void sellock(struct selstate *s)
{
    sellock_except(s, NULL);
}

/* Unlock in reverse order; must not touch *s after the last unlock when
 * called as an unlockf (the sudog's owner may then run). */
static void selunlock_except(struct selstate *s, goc_chan *skip)
{
    goc_case *cases = s->cases;
    const uint16_t *lo = s->lockorder;
    for (size_t i = s->norder; i-- > 0;) {
        goc_chan *c = cases[lo[i]].chan;
        if (i > 0 && c == cases[lo[i - 1]].chan)
            continue;   /* unlock a duplicate once, at its first position */
        if (c != skip)
            goc__chan_unlock(c);
    }
}

static void selunlock(void *arg)
{
    selunlock_except(arg, NULL);
}

static bool selparkcommit(G *gp, void *arg)
{
    (void)arg;
    gp->parking_on_chan = false;
    /* gp->waiting is in lock order.  Each lock is dropped only once the
     * walk has moved past its sudogs; the G stays blocked in its pass 3 on
     * the last channel until the final unlock below. */
    goc_chan *lastc = NULL;
    for (goc_sudog *sg = gp->waiting; sg != NULL; sg = sg->waitlink) {
        if (sg->c != lastc && lastc != NULL)
            goc__unlock(&lastc->lock);
        lastc = sg->c;
    }
    if (lastc != NULL)
        goc__unlock(&lastc->lock);
    return true;
}

static bool park_forever_commit(G *gp, void *arg)
{
    (void)gp;
    (void)arg;
    return true;
}

/* Each step's j is uniform in 0..k: the digits of one 64-bit random number
 * read in the mixed radix 1, 2, 3, ... (multiply, keep the high word as the
 * digit and the low word as what is left).  A fresh number is drawn once the
 * radices' product would pass 2^32, so every digit comes from at least 32
 * unused bits: the bias is under 2^-32, and a select of up to 12 cases draws
 * once, where one draw per case was a third of a 4-case select's
 * instructions. */
static void shuffle(goc_case *cases, size_t n, uint16_t *pollorder, size_t *norder)
{
    size_t k = 0;
    uint64_t r = 0, room = (uint64_t)1 << 33;
    for (size_t i = 0; i < n; i++) {
        if (cases[i].chan == NULL)
            continue;
        uint64_t m = (uint64_t)k + 1;
        if (room * m > ((uint64_t)1 << 32)) {
            r = goc__fastrand64();
            room = 1;
        }
        room *= m;
        __uint128_t x = (__uint128_t)r * m;
        size_t j = (size_t)(x >> 64);
        r = (uint64_t)x;
        pollorder[k] = pollorder[j];
        pollorder[j] = (uint16_t)i;
        k++;
    }
    *norder = k;
}

static void heapsort_lockorder(const goc_case *cases, const uint16_t *pollorder,
                               uint16_t *lockorder, size_t norder)
{
    for (size_t i = 0; i < norder; i++) {
        size_t j = i;
        uintptr_t c = key(cases, pollorder[i]);
        while (j > 0 && key(cases, lockorder[(j - 1) / 2]) < c) {
            size_t k = (j - 1) / 2;
            lockorder[j] = lockorder[k];
            j = k;
        }
        lockorder[j] = pollorder[i];
    }
    for (size_t i = norder; i-- > 0;) {
        uint16_t o = lockorder[i];
        uintptr_t c = key(cases, o);
        lockorder[i] = lockorder[0];
        size_t j = 0;
        for (;;) {
            size_t k = j * 2 + 1;
            if (k >= i)
                break;
            if (k + 1 < i && key(cases, lockorder[k]) < key(cases, lockorder[k + 1]))
                k++;
            if (c < key(cases, lockorder[k])) {
                lockorder[j] = lockorder[k];
                j = k;
                continue;
            }
            break;
        }
        lockorder[j] = o;
    }
}

/* Case k on its locked channel: if it can proceed, do it, unlock with
 * unlockf(arg) and return true; otherwise return false, still locked. */
static bool try_case(goc_case *k, void (*unlockf)(void *), void *arg)
{
    goc_chan *c = k->chan;
    goc_sudog *sg;
    if (k->op == GOC_RECV) {
        if ((sg = goc__waitq_dequeue(&c->sendq)) != NULL) {
            k->result = 0;
            goc__chan_recv_from(c, sg, k->elem, unlockf, arg);
            return true;
        }
        if (goc__qcount(c) > 0) {
            goc__chan_bufrecv(c, k->elem);
            unlockf(arg);
            k->result = 0;
            return true;
        }
        if (c->closed) {
            unlockf(arg);
            goc__race_acquire(&c->closed);
            if (k->elem != NULL && c->elemsize != 0)
                memset(k->elem, 0, c->elemsize);
            k->result = -EPIPE;
            return true;
        }
    } else {
        if (c->closed) {
            unlockf(arg);
            goc__race_acquire(&c->closed);
            k->result = -EPIPE;
            return true;
        }
        if ((sg = goc__waitq_dequeue(&c->recvq)) != NULL) {
            k->result = 0;
            goc__chan_send_to(c, sg, k->elem, unlockf, arg);
            return true;
        }
        if (goc__qcount(c) < c->dataqsiz) {
            goc__chan_bufsend(c, k->elem);
            unlockf(arg);
            k->result = 0;
            return true;
        }
    }
    return false;
}

/* Pass 1: with every channel locked, perform the first ready case in poll
 * order.  Returns its index with every channel unlocked, or -1 (still
 * locked) if none is ready. */
static int pass1(struct selstate *s, const uint16_t *pollorder)
{
    for (size_t i = 0; i < s->norder; i++) {
        uint16_t casi = pollorder[i];
        if (try_case(&s->cases[casi], selunlock, s))
            return casi;
    }
    return -1;
}

/* Pass 0, before any lock: in poll order, the first case whose channel
 * looks ready (the unlocked reads of the non-blocking fast failures) is
 * tried with only its own channel locked, and done if it really can
 * proceed.  A case is only ever done while its channel shows it can
 * proceed, as in pass 1, and the cases are tried in the same uniformly
 * random order, so the choice among ready cases stays uniform; the
 * difference is that a select that finds a partner waiting (the common
 * case in a busy loop) locks one channel instead of all of them.  -1 when
 * nothing looked ready or the one that did was taken first: then passes 1
 * to 3 decide, with every lock. */
static int pass0(goc_case *cases, const uint16_t *pollorder, size_t norder)
{
    for (size_t i = 0; i < norder; i++) {
        uint16_t casi = pollorder[i];
        goc_case *k = &cases[casi];
        goc_chan *c = k->chan;
        bool ready = goc__chan_closed(c) ||
                     (k->op == GOC_RECV ? !goc__chan_empty(c) : !goc__chan_full(c));
        if (!ready)
            continue;
        goc__chan_lock(c, "select on");
        if (try_case(k, goc__chan_unlockf, c))
            return casi;
        goc__chan_unlock(c);
    }
    return -1;
}

/* Passes 2 and 3: queue on every channel, park, then dequeue the losers.
 * The wait records of a select of up to SELECT_STACK_SUDOGS cases live in
 * this frame (a C stack never moves): every one is off its queue before
 * select_block returns (the waker dequeues the winner and, like every
 * waker, touches it no more once the G is readied; pass 3 the rest), as
 * with the G's own sudog for a plain wait.  That saves a pool round trip
 * per case (~50 instructions each). */
static int select_block(struct selstate *s)
{
    goc_case *cases = s->cases;
    G *gp = goc__getg_or_foreign();
    goc_sudog **nextp = &gp->waiting;
    goc_chan *lastc = NULL;
    goc_sudog local[SELECT_STACK_SUDOGS];
    bool pooled = s->norder > SELECT_STACK_SUDOGS;
    *nextp = NULL;
    for (size_t i = 0; i < s->norder; i++) {
        uint16_t casi = s->lockorder[i];
        goc_case *k = &cases[casi];
        goc_sudog *sg = pooled ? goc__acquire_sudog()
                               : memset(&local[i], 0, sizeof local[i]);
        sg->g = gp;
        sg->is_select = true;
        sg->elem = k->elem;
        sg->c = k->chan;
        sg->caseidx = casi;
        *nextp = sg;
        nextp = &sg->waitlink;
        goc__waitq_enqueue(k->op == GOC_RECV ? &k->chan->recvq : &k->chan->sendq, sg);
        if (k->chan != lastc) {
            lastc = k->chan;
            goc__race_release(lastc);
        }
    }
    gp->param = NULL;
    gp->parking_on_chan = true;
    goc__park(selparkcommit, NULL, W_SELECT);

    gp = goc__getg_or_foreign();
    /* The winning sudog is off its queue already (its waker dequeued it),
     * so its channel need not be locked again, unless another case of this
     * select waits on the same channel (lock order puts duplicates side by
     * side).  A blocking select then locks n - 1 channels here, not n.
     * selparkcommit still cannot be running: the waker found the winner
     * only after that channel's lock was dropped, and every channel after
     * it in lock order is locked here. */
    goc_sudog *won = gp->param;
    goc_chan *skip = won != NULL ? won->c : NULL;
    for (size_t i = 0; skip != NULL && i + 1 < s->norder; i++)
        if (cases[s->lockorder[i]].chan == cases[s->lockorder[i + 1]].chan &&
            cases[s->lockorder[i]].chan == skip)
            skip = NULL;
    sellock_except(s, skip);
    atomic_store_explicit(&gp->selectdone, 0, memory_order_relaxed);
    gp->param = NULL;
    goc_sudog *sglist = gp->waiting;
    gp->waiting = NULL;
    int casi = -1;
    bool success = false;
    for (size_t i = 0; i < s->norder; i++) {
        goc_case *k = &cases[s->lockorder[i]];
        if (sglist == won) {
            casi = s->lockorder[i];
            success = sglist->success;
        } else {
            goc__waitq_remove(k->op == GOC_RECV ? &k->chan->recvq : &k->chan->sendq,
                              sglist);
        }
        goc_sudog *next = sglist->waitlink;
        if (pooled)
            goc__release_sudog(sglist);
        sglist = next;
    }
    if (casi < 0)
        goc__fatal("select: woken without a winning case");
    goc_chan *c = cases[casi].chan;
    goc__race_acquire(c);
    if (!success)
        goc__race_acquire(&c->closed);
    selunlock_except(s, skip);
    cases[casi].result = success ? 0 : -EPIPE;
    return casi;
}

/* One usable case: the plain channel operation (Go's compiler does this). */
static int select_one(goc_case *k, int casi, int block)
{
    int r;
    if (k->op == GOC_SEND)
        r = block ? goc_chan_send(k->chan, k->elem) : goc_chan_trysend(k->chan, k->elem);
    else
        r = block ? goc_chan_recv(k->chan, k->elem) : goc_chan_tryrecv(k->chan, k->elem);
    if (r == -EAGAIN)
        return -EAGAIN;
    k->result = r;
    return casi;
}

int goc_select(goc_case *cases, size_t n, int block)
{
    if (n > SELECT_MAX_CASES || (n > 0 && cases == NULL))
        return -EINVAL;
    size_t usable = 0, last = 0, nafter = 0;
    for (size_t i = 0; i < n; i++) {
        if (cases[i].op != GOC_SEND && cases[i].op != GOC_RECV)
            return -EINVAL;
        goc_chan *c = cases[i].chan;
        if (c != NULL) {
            goc__chan_check(c, "select on");
            if (unlikely(c->after != NULL)) {
                if (cases[i].op == GOC_SEND)
                    goc__after_misuse(c, "send on");
                goc__after_enter(c, "select on");
                nafter++;
            }
            usable++;
            last = i;
        }
    }
    if (usable == 0) {
        if (!block)
            return -EAGAIN;
        for (;;)
            goc__park(park_forever_commit, NULL, W_SELECT_NO_CASES);
    }
    if (usable == 1)   /* a goc_after channel is spent by the receive */
        return select_one(&cases[last], (int)last, block);

    uint16_t small[2 * SELECT_STACK_CASES];
    uint16_t *order = small;
    if (n > SELECT_STACK_CASES) {
        order = malloc(2 * n * sizeof *order);
        if (order == NULL)
            return -ENOMEM;
    }
    uint16_t *pollorder = order, *lockorder = order + n;
    struct selstate s = { cases, lockorder, 0 };
    shuffle(cases, n, pollorder, &s.norder);
    int casi = pass0(cases, pollorder, s.norder);
    if (casi >= 0)
        goto done;
    heapsort_lockorder(cases, pollorder, lockorder, s.norder);

    sellock(&s);
    casi = pass1(&s, pollorder);
    if (casi < 0) {
        if (!block) {
            selunlock(&s);
            casi = -EAGAIN;
        } else {
            casi = select_block(&s);
        }
    }
done:
    if (order != small)
        free(order);
    if (unlikely(nafter > 0) && casi >= 0)
        goc__after_spend_cases(cases, n);
    return casi;
}

/* ------------------------------------------- the everyday two-case selects
 * `v, ok := <-c`, and `select { case c <- v / v = <-c: case <-ctx.Done(): }`
 * or `case <-time.After(d):`, as single calls.  The timeout forms use
 * goc_after, which the select itself spends, so nothing leaks on an early
 * return. */

int goc_chan_recv_ok(goc_chan *c, void *elem)
{
    return goc_chan_recv(c, elem) == 0;
}

/* One op on c, or done (a NULL done never proceeds).  Returns the op's
 * result, or 1 when done won. */
static int op_or(goc_chan *c, int op, void *elem, goc_chan *done)
{
    goc_case cs[2] = {
        { .chan = c, .op = op, .elem = elem },
        { .chan = done, .op = GOC_RECV },
    };
    int i = goc_select(cs, 2, 1);
    return i == 0 ? cs[0].result : 1;
}

int goc_chan_send_ctx(goc_chan *c, const void *elem, goc_ctx *ctx)
{
    /* Go checks neither first: a ready send and a done context race
     * uniformly; but a context already done must not send. */
    int err = goc_ctx_err(ctx);
    if (err != 0)
        return err;
    int r = op_or(c, GOC_SEND, (void *)elem, goc_ctx_done(ctx));
    return r == 1 ? goc_ctx_err(ctx) : r;
}

int goc_chan_recv_ctx(goc_chan *c, void *elem, goc_ctx *ctx)
{
    int err = goc_ctx_err(ctx);
    if (err != 0)
        return err;
    int r = op_or(c, GOC_RECV, elem, goc_ctx_done(ctx));
    return r == 1 ? goc_ctx_err(ctx) : r;
}

static int op_timeout(goc_chan *c, int op, void *elem, int64_t ns)
{
    if (ns <= 0) {
        int r = op == GOC_SEND ? goc_chan_trysend(c, elem) : goc_chan_tryrecv(c, elem);
        return r == -EAGAIN ? -ETIMEDOUT : r;
    }
    goc_case cs[2] = {
        { .chan = c, .op = op, .elem = elem },
        { .chan = goc_after(ns), .op = GOC_RECV },   /* spent by the select */
    };
    int i = goc_select(cs, 2, 1);
    return i == 0 ? cs[0].result : -ETIMEDOUT;
}

int goc_chan_send_timeout(goc_chan *c, const void *elem, int64_t ns)
{
    return op_timeout(c, GOC_SEND, (void *)elem, ns);
}

int goc_chan_recv_timeout(goc_chan *c, void *elem, int64_t ns)
{
    return op_timeout(c, GOC_RECV, elem, ns);
}
