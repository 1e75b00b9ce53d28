/*
 * chan.h — the channel object (Go's hchan) and the helpers chan.c and
 * select.c share, plus the goc__chan_* calls other runtime files (timers)
 * may use.  Not installed.
 *
 * Invariants (Go's chan.go), all under c->lock:
 *   - at least one of sendq and recvq is empty, except when one G selects
 *     on both sides of an unbuffered channel;
 *   - qcount > 0 implies recvq is empty; qcount < dataqsiz implies sendq is
 *     empty.
 * closed, qcount and the queues' first pointers are written under the lock
 * but read without it by the lock-free fast failure of non-blocking ops
 * (relaxed atomics: a closed channel never reopens, so "not ready" seen
 * without the lock is a true answer at some instant).
 */
#ifndef GOC_CHAN_H
#define GOC_CHAN_H

#include "runtime.h"

typedef struct goc_waitq {
    goc_sudog *_Atomic first;   /* read unlocked by the fast paths */
    goc_sudog         *last;
} goc_waitq;

struct goc_chan {
    goc_lock         lock;      /* protects every field below, and the
                                   next/prev/elem/success fields of sudogs
                                   queued on this channel */
    _Atomic uint32_t magic;     /* CHAN_LIVE, or CHAN_FREED once freed: read
                                   by every operation (relaxed, before and
                                   under the lock), written under the lock */
    _Atomic uint32_t refs;      /* goc_chan_retain/release count, 1 at
                                   make; atomic, not under the lock */
    _Atomic uint32_t closed;
    _Atomic size_t   qcount;    /* elements in buf */
    size_t           dataqsiz;  /* capacity (immutable) */
    size_t           elemsize;  /* bytes per element (immutable) */
    char            *buf;       /* dataqsiz slots, right after this struct */
    size_t           sendx;     /* next slot to fill */
    size_t           recvx;     /* next slot to take */
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

static inline void *goc__chanbuf(goc_chan *c, size_t i)
{
    return c->buf + i * c->elemsize;
}

static inline size_t goc__qcount(goc_chan *c)
{
    return atomic_load_explicit(&c->qcount, memory_order_relaxed);
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
/* Buffer copies for the buffered fast paths (lock held). */
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
