/*
 * chan.c — channels (Go's chan.go) and the wait-record (sudog) cache.
 *
 * A channel is one allocation: the hchan header, then dataqsiz ring slots
 * (chan.h: a sequence word and the element each).  Everything but the ring
 * positions is guarded by c->lock, a thread-level futex lock held only for
 * the few instructions of an operation, never across a park.
 *
 * A buffered send or receive that needs no partner, on a channel nobody
 * waits on, takes no lock (ring_send_fast / ring_recv_fast: one
 * compare-and-swap, as a bounded MPMC queue after Vyukov); Go's chansend
 * and chanrecv take the lock there.  When that path declines (the ring is
 * frozen because someone holds the lock, a G waits or the channel is
 * closed; or the buffer is full or empty) the operation takes the locked
 * path below, which freezes the ring first so that it sees and moves exact
 * positions.
 *
 * Locked send, in Go's order:
 *   1. a receiver waits          → copy straight into its elem (usually on
 *                                   its stack), unlock, ready it (runnext);
 *   2. buffer space              → copy into the tail slot;
 *   3. otherwise                 → queue a sudog on sendq and park; the
 *                                   receiver or close completes the send.
 * Receive is the mirror image; with a full buffer and a waiting sender the
 * receiver takes the head slot and puts the sender's value in the same slot, so
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

void goc__chan_unlockf(void *c)
{
    goc__chan_unlock(c);
}

/* Both sides of a completed hand-off on c synchronise: the waiter released
 * c before parking and acquires it after waking. */
static inline void race_handoff(goc_chan *c)
{
    goc__race_acquire(c);
    goc__race_release(c);
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

/* ------------------------------------------------------------ the ring
 * A slot's sequence word holds its stamp minus its index, so the zeroed
 * memory of a new channel reads "slot i free for position i".  The element
 * in a slot is ordered by that word alone (release after the copy in,
 * acquire before the copy out, and the same the other way round), whether
 * the copier holds the lock or not. */

static inline _Atomic uint64_t *slot_seq(goc_chan *c, uint64_t i)
{
    return (_Atomic uint64_t *)(void *)(c->buf + i * c->slotsize);
}

static inline void *slot_elem(goc_chan *c, uint64_t i)
{
    return c->buf + i * c->slotsize + sizeof(uint64_t);
}

static inline uint64_t seq_load(goc_chan *c, uint64_t i)
{
    return atomic_load_explicit(slot_seq(c, i), memory_order_acquire) + i;
}

static inline void seq_store(goc_chan *c, uint64_t i, uint64_t stamp)
{
    atomic_store_explicit(slot_seq(c, i), stamp - i, memory_order_release);
}

/* The position after pos (flag clear): the next index, or index 0 of the
 * next lap. */
static inline uint64_t ring_next(goc_chan *c, uint64_t pos)
{
    uint64_t i = pos & (c->onelap - 1);
    if (i + 1 < c->dataqsiz)
        return pos + 1;
    return (pos & ~(c->onelap - 1)) + c->onelap;
}

/* Copy an element into (out of) slot i and publish the slot: the locked
 * path's copies, and the fast paths' for elements that are not one word (or
 * a NULL source: a zero value), kept out of line so that the word-sized
 * fast path calls nothing and needs no callee-saved registers. */
static GOC_NOINLINE void ring_fill(goc_chan *c, uint64_t i, uint64_t t, const void *ep)
{
    if (c->elemsize != 0)
        elem_copy(slot_elem(c, i), ep, c->elemsize);
    seq_store(c, i, t + 1);
}

static GOC_NOINLINE void ring_empty(goc_chan *c, uint64_t i, uint64_t h, void *ep)
{
    if (ep != NULL && c->elemsize != 0)
        elem_move(ep, slot_elem(c, i), c->elemsize);
    seq_store(c, i, h + c->onelap);
}

/* Lock-free send: true if the element is in the ring.  False (nothing
 * done) when the ring is frozen, full, or its next slot is still being
 * emptied by a receiver: the locked path decides those. */
static inline bool ring_send_fast(goc_chan *c, const void *ep)
{
    uint64_t t = atomic_load_explicit(&c->ring->tail, memory_order_relaxed);
    for (;;) {
        if (t & CHAN_FROZEN)
            return false;
        uint64_t i = t & (c->onelap - 1);
        uint64_t stamp = seq_load(c, i);
        if (stamp == t) {
            if (atomic_compare_exchange_weak_explicit(&c->ring->tail, &t, ring_next(c, t),
                    memory_order_relaxed, memory_order_relaxed)) {
                if (likely(c->elemsize == sizeof(uint64_t) && ep != NULL)) {
                    memcpy(slot_elem(c, i), ep, sizeof(uint64_t));
                    seq_store(c, i, t + 1);
                } else {
                    ring_fill(c, i, t, ep);
                }
                return true;
            }
        } else if ((int64_t)(stamp - t) < 0) {
            return false;
        } else {                   /* another sender took t: look again */
            t = atomic_load_explicit(&c->ring->tail, memory_order_relaxed);
        }
    }
}

/* Lock-free receive, the mirror image: false when frozen, empty, or the
 * head slot's sender is still copying in. */
static inline bool ring_recv_fast(goc_chan *c, void *ep)
{
    uint64_t h = atomic_load_explicit(&c->ring->head, memory_order_relaxed);
    for (;;) {
        if (h & CHAN_FROZEN)
            return false;
        uint64_t i = h & (c->onelap - 1);
        uint64_t stamp = seq_load(c, i);
        if (stamp == h + 1) {
            if (atomic_compare_exchange_weak_explicit(&c->ring->head, &h, ring_next(c, h),
                    memory_order_relaxed, memory_order_relaxed)) {
                if (likely(c->elemsize == sizeof(uint64_t) && ep != NULL)) {
                    memcpy(ep, slot_elem(c, i), sizeof(uint64_t));
                    seq_store(c, i, h + c->onelap);
                } else {
                    ring_empty(c, i, h, ep);
                }
                return true;
            }
        } else if ((int64_t)(stamp - (h + 1)) < 0) {
            return false;
        } else {                   /* another receiver took h */
            h = atomic_load_explicit(&c->ring->head, memory_order_relaxed);
        }
    }
}

/* Under the lock, frozen: wait for a fast operation that moved a position
 * before the freeze to finish its copy of slot i.  That copy is a few
 * instructions on another thread (never a goroutine of this one: the fast
 * paths are runtime code, where no preemption stops a G). */
static void ring_wait(goc_chan *c, uint64_t i, uint64_t stamp)
{
    for (int n = 0; seq_load(c, i) != stamp; n++) {
        if (n < 100)
            goc__procyield(20);
        else
            goc__osyield();
    }
}

void goc__ring_freeze(goc_chan *c)
{
    /* Only a lock holder sets or clears the flag, so a word seen frozen
     * here stays so; the swap is needed only to win against fast paths. */
    if (!(atomic_load_explicit(&c->ring->tail, memory_order_relaxed) & CHAN_FROZEN))
        atomic_fetch_or_explicit(&c->ring->tail, CHAN_FROZEN, memory_order_acquire);
    if (!(atomic_load_explicit(&c->ring->head, memory_order_relaxed) & CHAN_FROZEN))
        atomic_fetch_or_explicit(&c->ring->head, CHAN_FROZEN, memory_order_acquire);
}

void goc__ring_thaw(goc_chan *c)
{
    if (atomic_load_explicit(&c->recvq.first, memory_order_relaxed) != NULL ||
        atomic_load_explicit(&c->sendq.first, memory_order_relaxed) != NULL ||
        atomic_load_explicit(&c->closed, memory_order_relaxed) != 0)
        return;
    /* Frozen, no fast path writes these words: plain stores will do. */
    uint64_t t = atomic_load_explicit(&c->ring->tail, memory_order_relaxed);
    if (t & CHAN_FROZEN)
        atomic_store_explicit(&c->ring->tail, t & ~CHAN_FROZEN, memory_order_release);
    uint64_t h = atomic_load_explicit(&c->ring->head, memory_order_relaxed);
    if (h & CHAN_FROZEN)
        atomic_store_explicit(&c->ring->head, h & ~CHAN_FROZEN, memory_order_release);
}

void goc__chan_bufsend(goc_chan *c, const void *ep)
{
    uint64_t t = atomic_load_explicit(&c->ring->tail, memory_order_relaxed) & ~CHAN_FROZEN;
    uint64_t i = t & (c->onelap - 1);
    ring_wait(c, i, t);
    ring_fill(c, i, t, ep);
    atomic_store_explicit(&c->ring->tail, ring_next(c, t) | CHAN_FROZEN, memory_order_relaxed);
}

void goc__chan_bufrecv(goc_chan *c, void *ep)
{
    uint64_t h = atomic_load_explicit(&c->ring->head, memory_order_relaxed) & ~CHAN_FROZEN;
    uint64_t i = h & (c->onelap - 1);
    ring_wait(c, i, h + 1);
    ring_empty(c, i, h, ep);
    atomic_store_explicit(&c->ring->head, ring_next(c, h) | CHAN_FROZEN, memory_order_relaxed);
}

void goc__chan_send_to(goc_chan *c, goc_sudog *sg, const void *ep,
                       void (*unlockf)(void *), void *arg)
{
    race_handoff(c);
    if (sg->elem != NULL && c->elemsize != 0)
        elem_copy(sg->elem, ep, c->elemsize);
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
         * which is the same slot, one lap on. */
        goc__chan_bufrecv(c, ep);
        goc__chan_bufsend(c, sg->elem);
    }
    sg->elem = NULL;
    sg->success = true;
    unlockf(arg);
    goc__chan_ready(sg);
}

/* ---------------------------------------------------------- make/free */

/* A buffered channel's goc_ring is aligned to 64 by hand inside the one
 * calloc block (calloc leaves the fresh zero pages of a big ring untouched,
 * where posix_memalign and memset would touch them all). */
enum { RING_ALIGN = 64 };

static size_t chan_bytes(goc_chan *c)
{
    size_t n = sizeof(goc_chan);
    if (c->dataqsiz != 0)
        n += RING_ALIGN + sizeof(goc_ring) + c->slotsize * c->dataqsiz;
    return n;
}

goc_chan *goc_chan_make(size_t elem_size, size_t cap)
{
    if (elem_size > GOC_CHAN_MAX_ELEM)
        return NULL;
    size_t slot = (sizeof(uint64_t) + elem_size + 7) & ~(size_t)7;
    if (cap > (SIZE_MAX / 4) / slot || cap >= ((uint64_t)1 << 40))
        return NULL;
    size_t n = sizeof(goc_chan);
    if (cap != 0)
        n += RING_ALIGN + sizeof(goc_ring) + slot * cap;
    goc_chan *c = calloc(1, n);
    if (c == NULL)
        return NULL;
    c->dataqsiz = cap;
    c->elemsize = elem_size;
    c->slotsize = slot;
    uint64_t lap = 1;
    while (lap <= cap)
        lap <<= 1;
    c->onelap = lap;
    if (cap != 0) {
        uintptr_t at = ((uintptr_t)(c + 1) + RING_ALIGN - 1) & ~(uintptr_t)(RING_ALIGN - 1);
        c->ring = (goc_ring *)at;
        c->buf = (char *)(c->ring + 1);
    }
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
    goc__chan_lock(c, op);
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
    goc__unlock(&c->lock);   /* the ring stays frozen: a late operation takes
                                the locked path and dies on the mark */
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

/* Everything but the lock-free send: apart, so that the fast path in
 * chansend needs no callee-saved registers. */
static GOC_NOINLINE int chansend_slow(goc_chan *c, const void *ep, bool block)
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

    goc__chan_lock(c, "send on");
    if (unlikely(c->closed)) {
        goc__chan_unlock(c);
        goc__race_acquire(&c->closed);
        return -EPIPE;
    }
    goc_sudog *sg = goc__waitq_dequeue(&c->recvq);
    if (sg != NULL) {
        goc__chan_send_to(c, sg, ep, goc__chan_unlockf, c);
        return 0;
    }
    if (goc__qcount(c) < c->dataqsiz) {
        goc__chan_bufsend(c, ep);
        goc__chan_unlock(c);
        return 0;
    }
    if (!block) {
        goc__chan_unlock(c);
        return -EAGAIN;
    }
    return chan_block(c, &c->sendq, (void *)ep, W_CHAN_SEND) ? 0 : -EPIPE;
}

static inline __attribute__((always_inline)) int chansend(goc_chan *c, const void *ep,
                                                          bool block)
{
    if (likely(c != NULL) && c->dataqsiz != 0) {
        goc__chan_check(c, "send on");
        if (ring_send_fast(c, ep))
            return 0;
    }
    return chansend_slow(c, ep, block);
}

static GOC_NOINLINE int chanrecv_slow(goc_chan *c, void *ep, bool block)
{
    if (unlikely(c == NULL)) {
        if (!block)
            return -EAGAIN;
        park_forever(W_CHAN_RECV_NIL);
    }
    goc__chan_check(c, "receive from");
    /* Lock-free fast failure, Go's order: empty, then closed, then empty
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

    goc__chan_lock(c, "receive from");
    if (c->closed) {
        if (goc__qcount(c) == 0) {
            goc__chan_unlock(c);
            goc__race_acquire(&c->closed);
            if (ep != NULL && c->elemsize != 0)
                memset(ep, 0, c->elemsize);
            return -EPIPE;
        }
    } else {
        goc_sudog *sg = goc__waitq_dequeue(&c->sendq);
        if (sg != NULL) {
            goc__chan_recv_from(c, sg, ep, goc__chan_unlockf, c);
            return 0;
        }
    }
    if (goc__qcount(c) > 0) {
        goc__chan_bufrecv(c, ep);
        goc__chan_unlock(c);
        return 0;
    }
    if (!block) {
        goc__chan_unlock(c);
        return -EAGAIN;
    }
    /* close zeroes *ep itself when it wakes us */
    return chan_block(c, &c->recvq, ep, W_CHAN_RECV) ? 0 : -EPIPE;
}

static inline __attribute__((always_inline)) int chanrecv(goc_chan *c, void *ep, bool block)
{
    if (likely(c != NULL) && c->dataqsiz != 0) {
        goc__chan_check(c, "receive from");
        if (ring_recv_fast(c, ep))
            return 0;
    }
    return chanrecv_slow(c, ep, block);
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
    goc__chan_lock(c, "close of");
    if (c->closed) {
        goc__chan_unlock(c);
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
    goc__chan_unlock(c);   /* closed: the ring stays frozen */
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
    goc__chan_lock(c, "drain of");
    while (goc__qcount(c) > 0) {
        goc__chan_bufrecv(c, NULL);
        n++;
    }
    goc__chan_unlock(c);
    return n;
}
