/*
 * chan.h — the channel object (Go's hchan) and the helpers chan.c and
 * select.c share, plus the goc__chan_* calls other runtime files (timers)
 * may use.  Not installed.
 *
 * Invariants (Go's chan.go), all under c->lock:
 *   - at least one of sendq and recvq is empty, except when one G selects
 *     on both sides of an unbuffered channel;
 *   - a buffered element present implies recvq is empty; a free slot
 *     implies sendq is empty.
 * closed and the queues' first pointers are written under the lock but
 * read without it by the lock-free fast failure of non-blocking ops
 * (relaxed atomics: a closed channel never reopens, so "not ready" seen
 * without the lock is a true answer at some instant).
 *
 * The buffer (dataqsiz > 0) is a ring of slots, each a sequence word then
 * the element, driven by two position words, tail (next send) and head
 * (next receive), on cache lines of their own (goc_ring).  A position is lap * onelap
 * + index (onelap: the power of two above dataqsiz), so stepping it needs
 * no division.  A slot's sequence says whose turn it is: position p may
 * send into it when it reads p, and receive from it when it reads p + 1.
 *
 * The fast path (chan.c, ring_send_fast / ring_recv_fast) takes no lock:
 * one compare-and-swap moves tail (or head) past a slot whose sequence is
 * right, then the element is copied and the sequence published (release).
 * It runs only while CHAN_FROZEN is clear in the word it moves.
 *
 * Frozen.  Whoever holds c->lock on a buffered channel first sets
 * CHAN_FROZEN in both words (goc__chan_lock): from then on no fast path can
 * move either position, so head, tail and the count between them are
 * exact under the lock, as qcount/sendx/recvx are in Go.  A fast operation
 * that moved a position just before the freeze may still be copying; the
 * lock holder waits for that slot's sequence (ring_wait).  goc__chan_unlock
 * clears the flag again only when no G waits on either queue and the
 * channel is open: a waiter must be served by the locked path (a fast send
 * would fill the buffer under a parked receiver), and a closed channel
 * stays frozen for good.  Unlocking at a park (the parker is queued) keeps
 * the flag.  So the lock-free path serves a channel with no waiters, which
 * is the one where a send or a receive does not block.
 */
#ifndef GOC_CHAN_H
#define GOC_CHAN_H

#include "runtime.h"

typedef struct goc_waitq {
    goc_sudog *_Atomic first;   /* read unlocked by the fast paths */
    goc_sudog         *last;
} goc_waitq;

#define CHAN_FROZEN ((uint64_t)1 << 63)   /* in head and tail: fast paths off */

/* A buffered channel's position words, each on a cache line of its own
 * (the sending and the receiving side write one each), followed by the
 * slots.  Unbuffered channels have none. */
typedef struct goc_ring {
    _Alignas(64) _Atomic uint64_t tail;   /* next send position | FROZEN */
    _Alignas(64) _Atomic uint64_t head;   /* next receive position | FROZEN */
} goc_ring;

struct goc_chan {
    goc_lock         lock;      /* protects every field below but the two
                                   position words, and the next/prev/elem/
                                   success fields of sudogs queued on this
                                   channel */
    _Atomic uint32_t magic;     /* CHAN_LIVE, or CHAN_FREED once freed: read
                                   by every operation (relaxed, before and
                                   under the lock), written under the lock */
    _Atomic uint32_t refs;      /* goc_chan_retain/release count, 1 at
                                   make; atomic, not under the lock */
    _Atomic uint32_t closed;
    size_t           dataqsiz;  /* capacity (immutable) */
    size_t           elemsize;  /* bytes per element (immutable) */
    size_t           slotsize;  /* bytes per ring slot: 8 + elemsize rounded
                                   up to 8 (immutable) */
    uint64_t         onelap;    /* power of two > dataqsiz (immutable) */
    goc_ring        *ring;      /* NULL when unbuffered; in the same
                                   allocation, aligned to 64 (immutable) */
    char            *buf;       /* dataqsiz slots, right after *ring */
    goc_waitq        recvq;     /* blocked receivers */
    goc_waitq        sendq;     /* blocked senders */
    struct goc_after *after;    /* set once, before the channel is handed
                                   out, for a goc_after channel (after.c);
                                   NULL for every other; never changes */
};

#define GOC_CHAN_MAX_ELEM 65536u   /* API: element size up to 64 KiB */

/* The poison (chan.c): a freed channel stays in a quarantine, unlocked and
 * marked CHAN_FREED, so a late operation dies naming it instead of spinning
 * on a lock word that malloc reused. */
#define CHAN_LIVE  0x6e616863u     /* "chan" */
#define CHAN_FREED 0xdeadc4a9u
#define CHAN_SPENT 0x5e4d7a1fu     /* a goc_after channel after its one wait,
                                      waiting in its goroutine's cache */

void goc__chan_bad(goc_chan *c, const char *op) GOC_NORETURN;

/* Every operation starts with this: one load and compare. */
static inline void goc__chan_check(goc_chan *c, const char *op)
{
    if (unlikely(atomic_load_explicit(&c->magic, memory_order_relaxed) != CHAN_LIVE))
        goc__chan_bad(c, op);
}

/* Elements between two positions of c's ring, 0..dataqsiz, whatever the
 * two words' ages (read without the lock, each is a count that was true at
 * some instant, or a value within the range; under the lock, exact). */
static inline size_t goc__ring_count(goc_chan *c, uint64_t h, uint64_t t)
{
    h &= ~CHAN_FROZEN;
    t &= ~CHAN_FROZEN;
    uint64_t mask = c->onelap - 1;
    uint64_t hi = h & mask, ti = t & mask;
    if (hi < ti)
        return (size_t)(ti - hi);
    if (hi > ti)
        return (size_t)(c->dataqsiz - hi + ti);
    return t == h ? 0 : c->dataqsiz;
}

/* Elements in the buffer (Go's qcount): exact under the lock. */
static inline size_t goc__qcount(goc_chan *c)
{
    if (c->dataqsiz == 0)
        return 0;
    uint64_t h = atomic_load_explicit(&c->ring->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&c->ring->tail, memory_order_relaxed);
    return goc__ring_count(c, h, t);
}

static inline bool goc__chan_closed(goc_chan *c)
{
    return atomic_load_explicit(&c->closed, memory_order_relaxed) != 0;
}

/* Could a send proceed without blocking?  (Go's full(), negated.) */
static inline bool goc__chan_full(goc_chan *c)
{
    if (c->dataqsiz == 0)
        return atomic_load_explicit(&c->recvq.first, memory_order_relaxed) == NULL;
    return goc__qcount(c) == c->dataqsiz;
}

/* Would a receive block?  (Go's empty().) */
static inline bool goc__chan_empty(goc_chan *c)
{
    if (c->dataqsiz == 0)
        return atomic_load_explicit(&c->sendq.first, memory_order_relaxed) == NULL;
    return goc__qcount(c) == 0;
}

/* Lock c, check it is live (op names the operation in the fatal error),
 * and, if buffered, freeze its ring (see the top).  Every locked
 * section of chan.c and select.c starts here and ends in goc__chan_unlock,
 * except at a park, where the parker is queued and a plain goc__unlock
 * keeps the ring frozen. */
void goc__ring_freeze(goc_chan *c);
void goc__ring_thaw(goc_chan *c);

static inline void goc__chan_lock(goc_chan *c, const char *op)
{
    goc__lock(&c->lock);
    goc__chan_check(c, op);   /* freed while we waited for the lock */
    if (c->dataqsiz != 0)
        goc__ring_freeze(c);
}

static inline void goc__chan_unlock(goc_chan *c)
{
    if (c->dataqsiz != 0)
        goc__ring_thaw(c);
    goc__unlock(&c->lock);
}

/* Wait queues (lock held).  dequeue skips select sudogs whose G another
 * waker already claimed (selectdone CAS, Go's issue 2075 class); those stay
 * linked nowhere and their owner's pass 3 finds them unlinked. */
void       goc__waitq_enqueue(goc_waitq *q, goc_sudog *sg);
goc_sudog *goc__waitq_dequeue(goc_waitq *q);
void       goc__waitq_remove(goc_waitq *q, goc_sudog *sg);  /* O(1) */

/* The operations on a locked channel once a partner is known (chan.c).
 * Each unlocks c (and, for select, every channel via unlockf(arg)) before
 * it readies the partner: nothing is readied under a channel lock. */
void goc__chan_send_to(goc_chan *c, goc_sudog *sg, const void *ep,
                       void (*unlockf)(void *), void *arg);
void goc__chan_recv_from(goc_chan *c, goc_sudog *sg, void *ep,
                         void (*unlockf)(void *), void *arg);
/* goc__chan_unlock as an unlockf for the two above (arg: the channel). */
void goc__chan_unlockf(void *c);
/* Buffer copies on a locked (frozen) channel: one slot at tail or head. */
void goc__chan_bufsend(goc_chan *c, const void *ep);
void goc__chan_bufrecv(goc_chan *c, void *ep);

/* park commit: clear parking_on_chan and unlock the channel (on g0) */
bool goc__chanparkcommit(G *gp, void *lock);
/* the G readies that chan.c and select.c use (with the race edge) */
void goc__chan_ready(goc_sudog *sg);

/* ---------------------------------------------- for timers (time.c)
 * A timer's channel is an ordinary buffered channel of capacity 1.
 * goc__chan_send_nb: non-blocking send callable from any context (a G, g0
 *   running timers, a thread without a P); never parks; readies a waiting
 *   receiver.  0, -EAGAIN when full, -EPIPE when closed.
 * goc__chan_drain: drop every buffered element (stop/reset: no stale value
 *   is received afterwards, as Go 1.23); returns how many were dropped.
 *   The caller holds off the channel's only sender (the timer's lock). */
int    goc__chan_send_nb(goc_chan *c, const void *elem);
size_t goc__chan_drain(goc_chan *c);

/* ---------------------------------------------- goc_after (after.c)
 * A goc_after channel belongs to the goroutine that made it and serves one
 * wait.  goc__after_enter checks, before an operation, that the caller is
 * that goroutine (fatal otherwise); goc__after_spend, after a receive or a
 * select that included it returned a case, stops its timer and retires it.
 * goc__after_misuse: a send, close, free, retain or release of one (fatal).
 * goc__after_gexit: the goroutine gp is exiting: free its after channels. */
void goc__after_enter(goc_chan *c, const char *op);
void goc__after_spend(goc_chan *c);
/* A select returned a case: spend each of the caller's goc_after channels
 * among cases, once.  Reads no other case's channel (those may be freed by
 * their partners by now): it walks the caller's own list instead. */
void goc__after_spend_cases(goc_case *cases, size_t n);
void goc__after_misuse(goc_chan *c, const char *op) GOC_NORETURN;

#endif /* GOC_CHAN_H */
