/*
 * chan.c — channels (Go's chan.go) and the wait-record (sudog) cache.
 *
 * A channel is one allocation: the hchan header, then dataqsiz slots of
 * elemsize bytes used as a ring (recvx .. sendx).  Everything is guarded by
 * c->lock, a thread-level futex lock held only for the few instructions of
 * an operation, never across a park.
 *
 * Send, in Go's order:
 *   1. a receiver waits          → copy straight into its elem (usually on
 *                                   its stack), unlock, ready it (runnext);
 *   2. buffer space              → copy into buf[sendx];
 *   3. otherwise                 → queue a sudog on sendq and park; the
 *                                   receiver or close completes the send.
 * Receive is the mirror image; with a full buffer and a waiting sender the
 * receiver takes buf[recvx] and puts the sender's value in the same slot, so
 * FIFO order holds.  Close marks the channel, zeroes every waiting
 * receiver's elem, and readies every waiter after the unlock.
 *
 * Non-blocking operations fail without the lock when the channel is
 * visibly not ready (Go's fast path): an open channel that is full (or has
 * no receiver) for send; an empty one for receive, re-checked after reading
 * closed so a closed-and-drained channel reports -EPIPE.
 *
 * Woken waiters learn the outcome from their sudog: success is true when a
 * value moved, false when close woke them.  The waker writes the sudog and
 * gp->param before goc__ready and never touches them afterwards.
 *
 * Freeing (C has no GC, so misuse must be loud).  goc_chan_free with
 * goroutines still queued is a fatal error naming the channel and them.
 * A freed channel is poisoned, not returned to malloc at once: it is marked
 * CHAN_FREED under its lock, left unlocked, and parked in a bounded FIFO
 * quarantine (QUARANTINE_N channels, QUARANTINE_BYTES); only the oldest
 * are really freed.  Every operation checks the mark at entry and again
 * under the lock (one load), so an operation on a recently freed channel
 * dies with "fatal error: send on freed channel 0x..." instead of spinning
 * on a lock word that malloc reused (issue 10, F10).  Past the quarantine
 * the memory is reused and the check is only probable (any word but
 * CHAN_LIVE is reported); ASan then reports the use after free itself.
 * Reference counts (goc_chan_retain/release) serve the channel that its
 * last user, whoever that is, frees: make returns it with one reference.
 *
 * Sudogs come from a per-P cache (no lock, no allocation on the hot path),
 * refilled from / spilled to a central list in halves, as Go's
 * acquireSudog; a thread without a P (foreign thread) mallocs and frees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "sync.h"

/* ------------------------------------------------------------- sudogs */

enum { SUDOG_CACHE_MAX = 128 };   /* Go's p.sudogcache capacity */

static goc_lock   sudog_lock;     /* protects sudog_central */
static goc_sudog *sudog_central;  /* linked by next */

static goc_sudog *sudog_new(void)
{
    goc_sudog *s = malloc(sizeof *s);
    if (s == NULL)
        goc__fatal("out of memory allocating a wait record");
    return s;
}

static void sudog_refill(P *pp)
{
    goc__lock(&sudog_lock);
    while (pp->sudogcachecnt < SUDOG_CACHE_MAX / 2 && sudog_central != NULL) {
        goc_sudog *s = sudog_central;
        sudog_central = s->next;
        s->next = pp->sudogcache;
        pp->sudogcache = s;
        pp->sudogcachecnt++;
    }
    goc__unlock(&sudog_lock);
    while (pp->sudogcachecnt < SUDOG_CACHE_MAX / 2) {
        goc_sudog *s = sudog_new();
        s->next = pp->sudogcache;
        pp->sudogcache = s;
        pp->sudogcachecnt++;
    }
}

goc_sudog *goc__acquire_sudog(void)
{
    M *m = goc__getm();
    P *pp = goc__enter(m);
    goc_sudog *s;
    if (likely(pp != NULL)) {
        if (unlikely(pp->sudogcache == NULL))
            sudog_refill(pp);
        s = pp->sudogcache;
        pp->sudogcache = s->next;
        pp->sudogcachecnt--;
    } else {
        s = sudog_new();
    }
    goc__leave(m);
    memset(s, 0, sizeof *s);
    return s;
}

void goc__release_sudog(goc_sudog *s)
{
    M *m = goc__getm();
    P *pp = goc__enter(m);
    if (unlikely(pp == NULL)) {
        goc__leave(m);
        free(s);
        return;
    }
    if (unlikely(pp->sudogcachecnt >= SUDOG_CACHE_MAX)) {
        /* spill half to the central list, as Go's releaseSudog */
        goc_sudog *first = NULL, *last = NULL;
        while (pp->sudogcachecnt > SUDOG_CACHE_MAX / 2) {
            goc_sudog *x = pp->sudogcache;
            pp->sudogcache = x->next;
            pp->sudogcachecnt--;
            if (last == NULL)
                last = x;
            x->next = first;
            first = x;
        }
        goc__lock(&sudog_lock);
        last->next = sudog_central;
        sudog_central = first;
        goc__unlock(&sudog_lock);
    }
    s->next = pp->sudogcache;
    pp->sudogcache = s;
    pp->sudogcachecnt++;
    goc__leave(m);
}

/* -------------------------------------------------------- wait queues */

void goc__waitq_enqueue(goc_waitq *q, goc_sudog *sg)
{
    sg->next = NULL;
    goc_sudog *x = q->last;
    sg->prev = x;
    if (x == NULL)
        atomic_store_explicit(&q->first, sg, memory_order_relaxed);
    else
        x->next = sg;
    q->last = sg;
}

goc_sudog *goc__waitq_dequeue(goc_waitq *q)
{
    for (;;) {
        goc_sudog *sg = atomic_load_explicit(&q->first, memory_order_relaxed);
        if (sg == NULL)
            return NULL;
        goc_sudog *y = sg->next;
        if (y == NULL) {
            atomic_store_explicit(&q->first, NULL, memory_order_relaxed);
            q->last = NULL;
        } else {
            y->prev = NULL;
            atomic_store_explicit(&q->first, y, memory_order_relaxed);
            sg->next = NULL;
        }
        /* A select G is queued on several channels; the first waker to
         * claim it wins.  Losers just drop the record: it is unlinked here,
         * and its owner's pass 3 sees next == prev == NULL. */
        if (sg->is_select) {
            uint32_t zero = 0;
            if (!atomic_compare_exchange_strong(&sg->g->selectdone, &zero, 1))
                continue;
        }
        return sg;
    }
}

void goc__waitq_remove(goc_waitq *q, goc_sudog *sg)
{
    goc_sudog *x = sg->prev, *y = sg->next;
    if (x != NULL) {
        if (y != NULL) {             /* middle of the queue */
            x->next = y;
            y->prev = x;
        } else {                     /* end of the queue */
            x->next = NULL;
            q->last = x;
        }
    } else if (y != NULL) {          /* start of the queue */
        y->prev = NULL;
        atomic_store_explicit(&q->first, y, memory_order_relaxed);
    } else if (atomic_load_explicit(&q->first, memory_order_relaxed) == sg) {
        atomic_store_explicit(&q->first, NULL, memory_order_relaxed);
        q->last = NULL;
    }                                /* else: a waker already unlinked it */
    sg->next = sg->prev = NULL;
}

/* ----------------------------------------------------- shared helpers */

bool goc__chanparkcommit(G *gp, void *lock)
{
    gp->parking_on_chan = false;
    goc__unlock(lock);
    return true;
}

static bool park_forever_commit(G *gp, void *arg)
{
    (void)gp;
    (void)arg;
    return true;
}

/* A nil channel (or select {}) blocks forever; spurious wakes re-park. */
static GOC_NORETURN void park_forever(int reason)
{
    for (;;)
        goc__park(park_forever_commit, NULL, reason);
}

void goc__chan_ready(goc_sudog *sg)
{
    G *gp = sg->g;
    gp->param = sg;
    goc__ready(gp);
}

static void unlock_chan(void *c)
{
    goc__unlock(&((goc_chan *)c)->lock);
}

/* Both sides of a completed hand-off on c synchronise: the waiter released
 * c before parking and acquires it after waking. */
static inline void race_handoff(goc_chan *c)
{
    goc__race_acquire(c);
    goc__race_release(c);
}

static inline void race_slot(goc_chan *c, size_t i)
{
    goc__race_acquire(goc__chanbuf(c, i));
    goc__race_release(goc__chanbuf(c, i));
}

/* Element copies: word-sized elements (the common case) inline, without a
 * call into libc's memmove. */
static inline void elem_move(void *dst, const void *src, size_t n)
{
    switch (n) {
    case 4:  memcpy(dst, src, 4); break;
    case 8:  memcpy(dst, src, 8); break;
    case 16: memcpy(dst, src, 16); break;
    default: memcpy(dst, src, n); break;
    }
}

static inline void elem_copy(void *dst, const void *src, size_t n)
{
    if (src != NULL)
        elem_move(dst, src, n);
    else
        memset(dst, 0, n);
}

void goc__chan_send_to(goc_chan *c, goc_sudog *sg, const void *ep,
                       void (*unlockf)(void *), void *arg)
{
    race_handoff(c);
    if (sg->elem != NULL && c->elemsize != 0)
        elem_copy(sg->elem, ep, c->elemsize);
    if (c->dataqsiz != 0) {
        /* Only with an empty buffer (invariant); keeps the slot edges. */
        race_slot(c, c->recvx);
    }
    sg->elem = NULL;
    sg->success = true;
    unlockf(arg);
    goc__chan_ready(sg);
}

void goc__chan_recv_from(goc_chan *c, goc_sudog *sg, void *ep,
                         void (*unlockf)(void *), void *arg)
{
    race_handoff(c);
    if (c->dataqsiz == 0) {
        if (ep != NULL && c->elemsize != 0)
            elem_copy(ep, sg->elem, c->elemsize);
    } else {
        /* Full buffer: take the head, put the sender's value at the tail,
         * which is the same slot. */
        void *qp = goc__chanbuf(c, c->recvx);
        race_slot(c, c->recvx);
        if (c->elemsize != 0) {
            if (ep != NULL)
                elem_move(ep, qp, c->elemsize);
            elem_copy(qp, sg->elem, c->elemsize);
        }
        if (++c->recvx == c->dataqsiz)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    sg->elem = NULL;
    sg->success = true;
    unlockf(arg);
    goc__chan_ready(sg);
}

void goc__chan_bufsend(goc_chan *c, const void *ep)
{
    race_slot(c, c->sendx);
    if (c->elemsize != 0)
        elem_copy(goc__chanbuf(c, c->sendx), ep, c->elemsize);
    if (++c->sendx == c->dataqsiz)
        c->sendx = 0;
    atomic_store_explicit(&c->qcount, goc__qcount(c) + 1, memory_order_relaxed);
}

void goc__chan_bufrecv(goc_chan *c, void *ep)
{
    race_slot(c, c->recvx);
    if (ep != NULL && c->elemsize != 0)
        elem_move(ep, goc__chanbuf(c, c->recvx), c->elemsize);
    if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
    atomic_store_explicit(&c->qcount, goc__qcount(c) - 1, memory_order_relaxed);
}

/* ---------------------------------------------------------- make/free */

static size_t chan_hdr(void)
{
    return (sizeof(goc_chan) + 63) & ~(size_t)63;
}

static size_t chan_bytes(goc_chan *c)
{
    return chan_hdr() + c->elemsize * c->dataqsiz;
}

goc_chan *goc_chan_make(size_t elem_size, size_t cap)
{
    if (elem_size > GOC_CHAN_MAX_ELEM)
        return NULL;
    if (elem_size != 0 && cap > (SIZE_MAX / 2) / elem_size)
        return NULL;
    size_t hdr = chan_hdr();
    goc_chan *c = calloc(1, hdr + elem_size * cap);
    if (c == NULL)
        return NULL;
    c->dataqsiz = cap;
    c->elemsize = elem_size;
    c->buf = (char *)c + hdr;
    atomic_init(&c->refs, 1);
    atomic_init(&c->magic, CHAN_LIVE);
    return c;
}

void goc__chan_bad(goc_chan *c, const char *op)
{
    char msg[200];
    uint32_t magic = atomic_load_explicit(&c->magic, memory_order_relaxed);
    if (magic == CHAN_FREED)
        snprintf(msg, sizeof msg, "%s freed channel %p", op, (void *)c);
    else if (magic == CHAN_SPENT)
        snprintf(msg, sizeof msg, "%s spent goc_after channel %p (it served its "
                 "one wait; for a deadline over several waits use goc_timer_new "
                 "or goc_ctx_with_timeout)", op, (void *)c);
    else
        snprintf(msg, sizeof msg, "%s invalid channel %p (freed and its memory "
                 "reused, or not made by goc_chan_make)", op, (void *)c);
    goc__fatal(msg);
}

/* Quarantine (the poison's lifetime).  qlock is a leaf lock: nothing else
 * is taken under it, and the real free() happens after it is dropped. */
enum {
    QUARANTINE_N = 256,               /* channels held back from malloc */
    QUARANTINE_BYTES = 4 << 20,       /* bytes held back, at most */
    QUARANTINE_MAX_ONE = 1 << 20,     /* bigger channels are freed at once */
};

static goc_lock  qlock;               /* protects qring, qhead, qlen, qbytes */
static goc_chan *qring[QUARANTINE_N]; /* FIFO: qring[qhead] is the oldest */
static size_t    qhead, qlen, qbytes;

static void quarantine(goc_chan *c)
{
    size_t sz = chan_bytes(c);
    if (sz > QUARANTINE_MAX_ONE) {
        free(c);
        return;
    }
    for (;;) {
        goc_chan *old = NULL;
        goc__lock(&qlock);
        if (qlen == QUARANTINE_N || qbytes + sz > QUARANTINE_BYTES) {
            old = qring[qhead];
            qring[qhead] = NULL;
            qhead = (qhead + 1) % QUARANTINE_N;
            qlen--;
            qbytes -= chan_bytes(old);
        } else {
            qring[(qhead + qlen) % QUARANTINE_N] = c;
            qlen++;
            qbytes += sz;
        }
        goc__unlock(&qlock);
        if (old == NULL)
            return;
        free(old);
    }
}

/* Append the goids waiting on q to msg (lock held). */
static int waiters(goc_waitq *q, char *msg, size_t n, int *off)
{
    int k = 0;
    for (goc_sudog *sg = atomic_load_explicit(&q->first, memory_order_relaxed);
         sg != NULL; sg = sg->next, k++) {
        if (k < 8 && *off < (int)n)
            *off += snprintf(msg + *off, n - (size_t)*off, " %llu",
                             (unsigned long long)sg->g->goid);
    }
    return k;
}

/* The last reference is gone: poison c and quarantine it. */
static void chan_destroy(goc_chan *c, const char *op)
{
    goc__lock(&c->lock);
    goc__chan_check(c, op);
    if (atomic_load_explicit(&c->recvq.first, memory_order_relaxed) != NULL ||
        atomic_load_explicit(&c->sendq.first, memory_order_relaxed) != NULL) {
        char msg[400];
        int off = snprintf(msg, sizeof msg, "free of channel with waiters: channel %p "
                           "(elem %zu bytes, cap %zu); goroutines blocked on it:",
                           (void *)c, c->elemsize, c->dataqsiz);
        int ns = waiters(&c->sendq, msg, sizeof msg, &off);
        int nr = waiters(&c->recvq, msg, sizeof msg, &off);
        if (off < (int)sizeof msg)
            snprintf(msg + off, sizeof msg - (size_t)off, " (%d sending, %d receiving)",
                     ns, nr);
        goc__fatal(msg);
    }
    atomic_store_explicit(&c->magic, CHAN_FREED, memory_order_relaxed);
    goc__unlock(&c->lock);
    quarantine(c);
}

void goc_chan_free(goc_chan *c)
{
    if (c == NULL)
        return;
    goc__chan_check(c, "free of");
    if (unlikely(c->after != NULL))
        goc__after_misuse(c, "free of");
    uint32_t refs = atomic_load_explicit(&c->refs, memory_order_acquire);
    if (unlikely(refs != 1)) {
        char msg[200];
        snprintf(msg, sizeof msg, "free of channel %p that %u goc_chan_retain "
                 "references still hold (use goc_chan_release)", (void *)c, refs - 1);
        goc__fatal(msg);
    }
    chan_destroy(c, "free of");
}

goc_chan *goc_chan_retain(goc_chan *c)
{
    if (c == NULL)
        return NULL;
    goc__chan_check(c, "retain of");
    if (unlikely(c->after != NULL))
        goc__after_misuse(c, "retain of");
    uint32_t old = atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    if (unlikely(old == 0 || old == UINT32_MAX))
        goc__chan_bad(c, "retain of");
    return c;
}

void goc_chan_release(goc_chan *c)
{
    if (c == NULL)
        return;
    goc__chan_check(c, "release of");
    if (unlikely(c->after != NULL))
        goc__after_misuse(c, "release of");
    /* acq_rel: every holder's last use happens before the free. */
    uint32_t old = atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel);
    if (unlikely(old == 0))
        goc__chan_bad(c, "release of");
    if (old == 1)
        chan_destroy(c, "release of");
}

size_t goc_chan_len(goc_chan *c)
{
    if (c == NULL)
        return 0;
    goc__chan_check(c, "len of");
    return goc__qcount(c);
}

size_t goc_chan_cap(goc_chan *c)
{
    if (c == NULL)
        return 0;
    goc__chan_check(c, "cap of");
    return c->dataqsiz;
}

/* ------------------------------------------------------- send / recv */

/* Queue the calling G on q and park until a partner or close wakes it;
 * c is locked on entry and unlocked on return.  True if a value moved. */
static bool chan_block(goc_chan *c, goc_waitq *q, void *ep, int reason)
{
    G *gp = goc__getg_or_foreign();
    goc_sudog *mysg = goc__own_sudog(gp);
    mysg->elem = ep;
    mysg->g = gp;
    mysg->c = c;
    gp->waiting = mysg;
    gp->param = NULL;
    goc__waitq_enqueue(q, mysg);
    gp->parking_on_chan = true;
    goc__race_release(c);
    goc__park(goc__chanparkcommit, &c->lock, reason);

    gp = goc__getg_or_foreign();
    if (gp->param != mysg)
        goc__fatal("chan: G woken by a foreign wait record");
    gp->waiting = NULL;
    gp->param = NULL;
    bool ok = mysg->success;
    goc__race_acquire(c);
    if (!ok)
        goc__race_acquire(&c->closed);
    return ok;
}

static int chansend(goc_chan *c, const void *ep, bool block)
{
    if (unlikely(c == NULL)) {
        if (!block)
            return -EAGAIN;
        park_forever(W_CHAN_SEND_NIL);
    }
    goc__chan_check(c, "send on");
    /* Lock-free fast failure: a closed channel never reopens, so an open
     * channel seen full was not ready to send at that instant. */
    if (!block && !goc__chan_closed(c) && goc__chan_full(c))
        return -EAGAIN;

    goc__lock(&c->lock);
    goc__chan_check(c, "send on");   /* freed while we waited for the lock */
    if (unlikely(c->closed)) {
        goc__unlock(&c->lock);
        goc__race_acquire(&c->closed);
        return -EPIPE;
    }
    goc_sudog *sg = goc__waitq_dequeue(&c->recvq);
    if (sg != NULL) {
        goc__chan_send_to(c, sg, ep, unlock_chan, c);
        return 0;
    }
    if (goc__qcount(c) < c->dataqsiz) {
        goc__chan_bufsend(c, ep);
        goc__unlock(&c->lock);
        return 0;
    }
    if (!block) {
        goc__unlock(&c->lock);
        return -EAGAIN;
    }
    return chan_block(c, &c->sendq, (void *)ep, W_CHAN_SEND) ? 0 : -EPIPE;
}

static int chanrecv(goc_chan *c, void *ep, bool block)
{
    if (unlikely(c == NULL)) {
        if (!block)
            return -EAGAIN;
        park_forever(W_CHAN_RECV_NIL);
    }
    goc__chan_check(c, "receive from");
    /* Lock-free fast path, Go's order: empty, then closed, then empty
     * again (a channel cannot become un-closed; a value that arrived
     * before the close would be seen by the second check). */
    if (!block && goc__chan_empty(c)) {
        if (atomic_load_explicit(&c->closed, memory_order_acquire) == 0)
            return -EAGAIN;
        if (goc__chan_empty(c)) {
            goc__race_acquire(&c->closed);
            if (ep != NULL && c->elemsize != 0)
                memset(ep, 0, c->elemsize);
            return -EPIPE;
        }
    }

    goc__lock(&c->lock);
    goc__chan_check(c, "receive from");
    if (c->closed) {
        if (goc__qcount(c) == 0) {
            goc__unlock(&c->lock);
            goc__race_acquire(&c->closed);
            if (ep != NULL && c->elemsize != 0)
                memset(ep, 0, c->elemsize);
            return -EPIPE;
        }
    } else {
        goc_sudog *sg = goc__waitq_dequeue(&c->sendq);
        if (sg != NULL) {
            goc__chan_recv_from(c, sg, ep, unlock_chan, c);
            return 0;
        }
    }
    if (goc__qcount(c) > 0) {
        goc__chan_bufrecv(c, ep);
        goc__unlock(&c->lock);
        return 0;
    }
    if (!block) {
        goc__unlock(&c->lock);
        return -EAGAIN;
    }
    /* close zeroes *ep itself when it wakes us */
    return chan_block(c, &c->recvq, ep, W_CHAN_RECV) ? 0 : -EPIPE;
}

/* A goc_after channel (after.c): c->after is set before the channel is
 * handed out and never changes, so it is read before the operation (after
 * it, an ordinary channel may already be freed by its partner).  The
 * receive that completes spends it; -EAGAIN leaves it armed. */
static inline bool is_after(goc_chan *c)
{
    return c != NULL && unlikely(c->after != NULL);
}

static int after_recv(goc_chan *c, void *elem, bool block)
{
    goc__after_enter(c, "receive from");
    int r = chanrecv(c, elem, block);
    if (r != -EAGAIN)
        goc__after_spend(c);
    return r;
}

int goc_chan_send(goc_chan *c, const void *elem)
{
    if (is_after(c))
        goc__after_misuse(c, "send on");
    return chansend(c, elem, true);
}

int goc_chan_trysend(goc_chan *c, const void *elem)
{
    if (is_after(c))
        goc__after_misuse(c, "send on");
    return chansend(c, elem, false);
}

int goc_chan_recv(goc_chan *c, void *elem)
{
    if (is_after(c))
        return after_recv(c, elem, true);
    return chanrecv(c, elem, true);
}

int goc_chan_tryrecv(goc_chan *c, void *elem)
{
    if (is_after(c))
        return after_recv(c, elem, false);
    return chanrecv(c, elem, false);
}

int goc_chan_close(goc_chan *c)
{
    if (c == NULL)
        goc__fatal("close of nil channel");
    if (unlikely(c->after != NULL))
        goc__after_misuse(c, "close of");
    goc__chan_check(c, "close of");
    goc__lock(&c->lock);
    goc__chan_check(c, "close of");
    if (c->closed) {
        goc__unlock(&c->lock);
        return -EPIPE;
    }
    goc__race_release(&c->closed);
    atomic_store_explicit(&c->closed, 1, memory_order_release);

    /* Collect every waiter; ready them only after the unlock. */
    goc_sudog *list = NULL;
    goc_sudog *sg;
    while ((sg = goc__waitq_dequeue(&c->recvq)) != NULL) {
        if (sg->elem != NULL && c->elemsize != 0)
            memset(sg->elem, 0, c->elemsize);
        sg->elem = NULL;
        sg->success = false;
        sg->next = list;
        list = sg;
    }
    while ((sg = goc__waitq_dequeue(&c->sendq)) != NULL) {
        sg->elem = NULL;
        sg->success = false;
        sg->next = list;
        list = sg;
    }
    goc__unlock(&c->lock);
    while (list != NULL) {
        sg = list;
        list = sg->next;   /* read before the waiter can reuse sg */
        sg->next = NULL;
        goc__chan_ready(sg);
    }
    return 0;
}

/* ------------------------------------------------------ timer support */

int goc__chan_send_nb(goc_chan *c, const void *elem)
{
    return chansend(c, elem, false);
}

size_t goc__chan_drain(goc_chan *c)
{
    size_t n = 0;
    goc__chan_check(c, "drain of");
    /* The caller holds the timer's lock, under which its only sender
     * sends: an empty buffer seen here stays empty (a receiver can only
     * empty it further), so the lock is not needed to learn that. */
    if (goc__qcount(c) == 0)
        return 0;
    goc__lock(&c->lock);
    while (goc__qcount(c) > 0) {
        goc__chan_bufrecv(c, NULL);
        n++;
    }
    goc__unlock(&c->lock);
    return n;
}
