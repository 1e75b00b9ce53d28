/*
 * after.c — goc_after (Go's time.After) and goc_after_func (time.AfterFunc).
 *
 * Who frees what, without a garbage collector (the argument).
 *
 * goc_after(ns) returns a channel the caller never frees.  Go relies on its
 * GC: an unreferenced time.After channel and its timer die with the last
 * reference.  C cannot see references, so the lifetime is a rule the
 * runtime can enforce instead:
 *
 *   R1  A goc_after channel belongs to the goroutine that made it (its
 *       owner) and serves ONE wait: the first receive (goc_chan_recv, a
 *       successful goc_chan_tryrecv, the recv_* helpers) or goc_select that
 *       includes it and returns a case — whichever case won — spends it.
 *       A non-blocking receive or select that finds nothing ready (-EAGAIN)
 *       leaves it as it was, so polling works.
 *   R2  Spending stops its timer under the timer's lock (time.c: the send
 *       runs under that lock, so after the stop no send is in flight or to
 *       come) and drains the buffer; the channel is marked CHAN_SPENT and
 *       kept in its owner's cache (AFTER_CACHE of them) for the owner's next
 *       goc_after, or freed when the cache is full.  A spent channel used
 *       again dies with "fatal error: ... spent goc_after channel".
 *   R3  Only the owner may operate on it: every operation on a goc_after
 *       channel checks the caller first (goc__after_enter), and a send,
 *       close, free, retain or release is a fatal error.  So at any moment
 *       the only code that can hold it in a wait queue is its owner's, and
 *       the only other code that touches it is its own timer's send.
 *   R4  When the owner exits (its function returns; a foreign thread
 *       exits), every channel it made and did not spend, and its cache, are
 *       freed (goc__after_gexit, on the exiting goroutine's own stack: it is
 *       not waiting on any of them, and by R3 nobody else is).
 *
 * Hence, case by case:
 *   - received: R1 spends it at the receive; R2 stops and recycles it.
 *   - the other case won (`select { case <-ready: case <-goc_after(1s): }`
 *     a million times): R1 spends it when the select returns; its timer is
 *     stopped at once, so no heap grows with pending 1 s timers, and the
 *     next goc_after reuses the same timer and channel from the cache: the
 *     loop allocates nothing and runs for hours flat.
 *   - never waited on at all: it lives until its timer fires (one buffered
 *     value) and then until its owner exits (R4): a goroutine that keeps
 *     making channels it never waits on keeps them, bounded by its own
 *     calls (documented in goc.h).  Nothing outlives the owner.
 *   - used after free: impossible through the API while the rules hold; a
 *     second wait hits the CHAN_SPENT mark (or, if the cache recycled the
 *     object, waits on the new goc_after of the same goroutine, still
 *     memory-safe); use by another goroutine is fatal before it touches the
 *     queues.  Freeing happens only in the owner's own code (R2, R4), never
 *     under a waiter.
 * A deadline shared by several waits is goc_timer_new or goc_ctx_with_
 * timeout, which the caller frees.
 *
 * goc_after_func(ns, fn, arg) returns an id, not a pointer.  Its timer lives
 * in a slot of a table that is never freed (chunks of AF_CHUNK slots, added
 * as needed, so the table is as large as the most timers ever pending at
 * once).  The id is (generation << 32 | index + 1); a slot's generation is
 * its timer's seq while armed.  Exactly one of two parties frees the slot
 * back to the table: the firing (run_one sets when = 0 under the timer's
 * lock, then f starts the goroutine and frees the slot), or a
 * goc_after_func_stop that found it pending under the same lock and with
 * the same seq (goc__timer_stop_seq).  A stop with an old id finds another
 * seq, or when == 0, and returns 0; since slots are never unmapped, a late
 * stop reads valid memory.  So a caller may drop the id: nothing leaks
 * once the function has started.  (A slot reused 2^31 times while the
 * caller still holds an id from its first use could be stopped by that id.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime.h"
#include "chan.h"
#include "timer.h"

/* ------------------------------------------------------- goc_after */

enum { AFTER_CACHE = 4 };   /* spent channels a goroutine keeps for reuse */

struct goc_after {
    goc_timer        *t;          /* its one-shot channel timer (time.c) */
    goc_chan         *c;          /* goc_timer_chan(t); c->after == this */
    G                *owner;      /* the goroutine that made it */
    struct goc_after *prev, *next;/* owner's live list; next: its cache */
};

/* Per goroutine; touched only by the owner (and at its exit). */
struct goc_after_g {
    struct goc_after *live;       /* made and not spent (doubly linked) */
    struct goc_after *cache;      /* spent, for reuse (next-linked) */
    int               ncache;
};

static _Atomic int64_t after_chans;   /* struct goc_after alive */

int64_t goc__after_chans(void)
{
    return atomic_load_explicit(&after_chans, memory_order_relaxed);
}

static void live_unlink(struct goc_after_g *ag, struct goc_after *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else
        ag->live = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->prev = a->next = NULL;
}

/* Free a (its timer stopped or never to fire, its channel waited on by
 * nobody): the channel goes through goc_chan_free's poison. */
static void after_free(struct goc_after *a)
{
    a->c->after = NULL;
    atomic_store_explicit(&a->c->magic, CHAN_LIVE, memory_order_relaxed);
    goc_timer_free(a->t);   /* removes the timer from its heap, frees c */
    free(a);
    atomic_fetch_sub_explicit(&after_chans, 1, memory_order_relaxed);
}

goc_chan *goc_after(int64_t ns)
{
    G *gp = goc__getg_or_foreign();
    struct goc_after_g *ag = gp->after;
    if (ag == NULL) {
        ag = calloc(1, sizeof *ag);
        GOC_CHECK(ag != NULL, "out of memory (goc_after)");
        gp->after = ag;
    }
    struct goc_after *a = ag->cache;
    if (a != NULL) {
        ag->cache = a->next;
        ag->ncache--;
        atomic_store_explicit(&a->c->magic, CHAN_LIVE, memory_order_relaxed);
        goc_timer_reset(a->t, ns);   /* stopped and drained when spent */
    } else {
        a = calloc(1, sizeof *a);
        GOC_CHECK(a != NULL, "out of memory (goc_after)");
        a->t = goc_timer_new(ns, 0);
        GOC_CHECK(a->t != NULL, "out of memory (goc_after)");
        a->c = goc_timer_chan(a->t);
        a->c->after = a;   /* before anyone but its timer sees c */
        atomic_fetch_add_explicit(&after_chans, 1, memory_order_relaxed);
    }
    a->owner = gp;
    a->prev = NULL;
    a->next = ag->live;
    if (ag->live)
        ag->live->prev = a;
    ag->live = a;
    return a->c;
}

void goc__after_misuse(goc_chan *c, const char *op)
{
    char msg[240];
    snprintf(msg, sizeof msg, "%s goc_after channel %p: it is receive-only and "
             "frees itself after one wait", op, (void *)c);
    goc__fatal(msg);
}

void goc__after_enter(goc_chan *c, const char *op)
{
    goc__chan_check(c, op);   /* a spent one dies here, named */
    struct goc_after *a = c->after;
    G *gp = goc__getg_or_foreign();
    if (unlikely(a->owner != gp)) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s goc_after channel %p by goroutine %llu: "
                 "it belongs to goroutine %llu (a goc_after channel is for one "
                 "wait in the goroutine that made it)", op, (void *)c,
                 (unsigned long long)gp->goid, (unsigned long long)a->owner->goid);
        goc__fatal(msg);
    }
}

void goc__after_spend(goc_chan *c)
{
    struct goc_after *a = c->after;
    struct goc_after_g *ag = a->owner->after;
    goc_timer_stop(a->t);   /* no send from now on; buffer drained */
    atomic_store_explicit(&c->magic, CHAN_SPENT, memory_order_relaxed);
    live_unlink(ag, a);
    if (ag->ncache < AFTER_CACHE) {
        a->next = ag->cache;
        ag->cache = a;
        ag->ncache++;
    } else {
        after_free(a);
    }
}

void goc__after_spend_cases(goc_case *cases, size_t n)
{
    struct goc_after_g *ag = goc__getg_or_foreign()->after;
    struct goc_after *a = ag ? ag->live : NULL, *next;
    for (; a != NULL; a = next) {
        next = a->next;   /* spending unlinks (or frees) a */
        for (size_t i = 0; i < n; i++)
            if (cases[i].chan == a->c) {
                goc__after_spend(a->c);
                break;
            }
    }
}

void goc__after_gexit(G *gp)
{
    struct goc_after_g *ag = gp->after;
    gp->after = NULL;
    while (ag->live) {
        struct goc_after *a = ag->live;
        ag->live = a->next;
        after_free(a);
    }
    while (ag->cache) {
        struct goc_after *a = ag->cache;
        ag->cache = a->next;
        after_free(a);
    }
    free(ag);
}

/* -------------------------------------------------- goc_after_func */

enum {
    AF_CHUNK_SHIFT = 10,
    AF_CHUNK = 1 << AF_CHUNK_SHIFT,     /* slots per chunk */
    AF_CHUNKS = 1 << 16,                /* 64M slots at most */
};

struct afslot {
    goc_timer_rt rt;          /* rt.seq: the generation while armed */
    void       (*fn)(void *);
    void        *arg;
    uint32_t     idx;         /* own index (immutable) */
    uint32_t     gen;         /* last generation handed out (owner only) */
    uint32_t     nextfree;    /* free list: index + 1, 0 ends (af_lock) */
};

static goc_lock af_lock;                        /* af_free, af_n growth */
static struct afslot *_Atomic af_chunks[AF_CHUNKS];
static _Atomic uint32_t af_n;                   /* slots made (release) */
static uint32_t af_free;                        /* index + 1, 0: none */
static _Atomic int64_t af_pending;

int64_t goc__after_funcs(void)
{
    return atomic_load_explicit(&af_pending, memory_order_relaxed);
}

static struct afslot *af_slot(uint32_t i)
{
    struct afslot *ch = atomic_load_explicit(&af_chunks[i >> AF_CHUNK_SHIFT],
                                             memory_order_acquire);
    return &ch[i & (AF_CHUNK - 1)];
}

/* A free slot, or NULL with the table full or no memory. */
static struct afslot *af_get(void)
{
    goc__lock(&af_lock);
    if (af_free == 0) {
        uint32_t n = atomic_load_explicit(&af_n, memory_order_relaxed);
        uint32_t k = n >> AF_CHUNK_SHIFT;
        struct afslot *ch = k < AF_CHUNKS ? calloc(AF_CHUNK, sizeof *ch) : NULL;
        if (ch == NULL) {
            goc__unlock(&af_lock);
            return NULL;
        }
        for (uint32_t j = 0; j < AF_CHUNK; j++) {
            ch[j].idx = n + j;
            goc__timer_init(&ch[j].rt, NULL, &ch[j]);
            ch[j].nextfree = j + 1 < AF_CHUNK ? n + j + 2 : 0;
        }
        atomic_store_explicit(&af_chunks[k], ch, memory_order_release);
        atomic_store_explicit(&af_n, n + AF_CHUNK, memory_order_release);
        af_free = n + 1;
    }
    struct afslot *s = af_slot(af_free - 1);
    af_free = s->nextfree;
    goc__unlock(&af_lock);
    return s;
}

static void af_put(struct afslot *s)
{
    atomic_fetch_sub_explicit(&af_pending, 1, memory_order_relaxed);
    goc__lock(&af_lock);
    s->nextfree = af_free;
    af_free = s->idx + 1;
    goc__unlock(&af_lock);
}

/* The timer's f: on g0 (or a G) with no lock held; the slot is ours. */
static void af_fire(void *arg, uintptr_t seq, int64_t delay)
{
    (void)seq;
    (void)delay;
    struct afslot *s = arg;
    void (*fn)(void *) = s->fn;
    void *fa = s->arg;
    af_put(s);
    if (goc__go_noyield(fn, fa) != 0)
        goc__fatal("out of memory starting a goc_after_func goroutine");
}

int64_t goc_after_func(int64_t ns, void (*fn)(void *arg), void *arg)
{
    if (fn == NULL)
        return -EINVAL;
    struct afslot *s = af_get();
    if (s == NULL)
        return -ENOMEM;
    uint32_t gen = (s->gen + 1) & 0x7fffffffu;
    if (gen == 0)
        gen = 1;
    s->gen = gen;
    s->fn = fn;
    s->arg = arg;
    atomic_fetch_add_explicit(&af_pending, 1, memory_order_relaxed);
    goc__timer_modify(&s->rt, goc__when(ns), 0, af_fire, s, gen);
    return (int64_t)gen << 32 | (int64_t)(s->idx + 1);
}

int goc_after_func_stop(int64_t id)
{
    if (id <= 0)
        return -EINVAL;
    uint32_t i1 = (uint32_t)(id & 0xffffffff), gen = (uint32_t)(id >> 32);
    if (i1 == 0 || gen == 0 || i1 > atomic_load_explicit(&af_n, memory_order_acquire))
        return -EINVAL;
    struct afslot *s = af_slot(i1 - 1);
    if (!goc__timer_stop_seq(&s->rt, gen))
        return 0;
    af_put(s);
    return 1;
}
