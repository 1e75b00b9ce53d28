/*
 * time.c — timers: per-P 4-ary heaps, goc_now, goc_sleep, goc_timer_*.
 *
 * Design (Go 1.23's time.go):
 *   Each P owns a struct goc_timers: a 4-ary min-heap of {timer, when}
 *   entries under ts->lock, plus atomics that let the scheduler test it
 *   without the lock (len, minWhenHeap, minWhenModified, zombies).  Any M
 *   may lock another P's heap (stealWork's last round, timers_move).
 *
 *   A timer (goc_timer_rt, time.h) has its own lock t->mu.  Stop and reset
 *   never take a heap lock: they change t->when and mark the heap entry
 *   stale with state bits, and whoever holds the heap lock fixes it lazily:
 *     T_HEAPED    t is in t->ts's heap (its entry is heap[t->idx]);
 *     T_MODIFIED  the entry's when differs from t->when;
 *     T_ZOMBIE    t was stopped while heaped: its entry is to be removed
 *                 (ts->zombies counts them; cleaned when > len/4).
 *   A modification to an earlier time lowers ts->minWhenModified, so the
 *   heap's wake time min(minWhenHeap, minWhenModified) is never late; once
 *   now reaches minWhenModified, adjust() rewrites every modified entry.
 *   Adding a timer to a heap happens on the current P (maybeAdd).
 *
 * Lock order: ts->lock > t->mu > channel lock (a channel timer's f sends
 * with t->mu held, which makes the send and stop/reset's drain mutually
 * exclusive: no stale value is received after stop or reset, Go 1.23).
 * Readying Gs (goc__ready) from f is allowed; f runs with no heap lock.
 *
 * goc_sleep uses the G's cached timer (g->timer) armed by the park's unlock
 * function after the G is off its stack (Go's resetForSleep), so even a
 * 1 ns timer cannot fire before the G is parked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime.h"
#include "timer.h"
#include "chan.h"

enum { T_HEAPED = 1, T_MODIFIED = 2, T_ZOMBIE = 4 };

#define HEAP_N 4   /* Go's timerHeapN: 4-ary heap, shallower than binary */

typedef struct twhen {
    goc_timer_rt *t;
    int64_t       when;   /* may be stale for T_MODIFIED timers */
} twhen;

struct goc_timers {
    goc_lock         lock;            /* protects heap, n, cap */
    _Atomic uint32_t len;             /* n, readable without the lock */
    _Atomic uint32_t zombies;         /* zombie entries in the heap */
    _Atomic int64_t  minWhenHeap;     /* heap[0].when, 0 if empty */
    _Atomic int64_t  minWhenModified; /* lowest when set by a modify, 0 */
    twhen           *heap;
    uint32_t         n, cap;
    P               *pp;
};

/* ------------------------------------------------------------- clock */

int64_t goc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t goc__when(int64_t ns)
{
    int64_t now = goc_now();
    if (ns <= 0)
        return now;
    if (ns > INT64_MAX - now)
        return INT64_MAX;
    return now + ns;
}

/* ------------------------------------------------------ heap (lock held) */

static void heap_set(struct goc_timers *ts, uint32_t i, twhen tw)
{
    ts->heap[i] = tw;
    tw.t->idx = (int32_t)i;
}

static void sift_up(struct goc_timers *ts, uint32_t i)
{
    twhen tw = ts->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / HEAP_N;
        if (tw.when >= ts->heap[p].when)
            break;
        heap_set(ts, i, ts->heap[p]);
        i = p;
    }
    heap_set(ts, i, tw);
}

static void sift_down(struct goc_timers *ts, uint32_t i)
{
    twhen tw = ts->heap[i];
    for (;;) {
        uint32_t c = i * HEAP_N + 1, best = i;
        int64_t bw = tw.when;
        if (c >= ts->n)
            break;
        for (uint32_t k = c; k < c + HEAP_N && k < ts->n; k++)
            if (ts->heap[k].when < bw) {
                bw = ts->heap[k].when;
                best = k;
            }
        if (best == i)
            break;
        heap_set(ts, i, ts->heap[best]);
        i = best;
    }
    heap_set(ts, i, tw);
}

static void update_min_heap(struct goc_timers *ts)
{
    atomic_store(&ts->minWhenHeap, ts->n ? ts->heap[0].when : 0);
    atomic_store(&ts->len, ts->n);
}

/* Lower minWhenModified to when (CAS loop: modifies race each other). */
static void update_min_modified(struct goc_timers *ts, int64_t when)
{
    int64_t old = atomic_load(&ts->minWhenModified);
    while (old == 0 || when < old)
        if (atomic_compare_exchange_weak(&ts->minWhenModified, &old, when))
            break;
}

/* Insert t (t->mu held).  Grows the array; allocation failure is fatal. */
static void heap_add(struct goc_timers *ts, goc_timer_rt *t)
{
    if (ts->n == ts->cap) {
        uint32_t cap = ts->cap ? ts->cap * 2 : 64;
        twhen *h = realloc(ts->heap, cap * sizeof *h);
        GOC_CHECK(h != NULL, "out of memory (timer heap)");
        ts->heap = h;
        ts->cap = cap;
    }
    t->ts = ts;
    t->state = (uint8_t)((t->state | T_HEAPED) & ~T_MODIFIED);
    heap_set(ts, ts->n++, (twhen){t, t->when});
    sift_up(ts, ts->n - 1);
    update_min_heap(ts);
}

/* Remove entry i (its timer's mu held). */
static void heap_del(struct goc_timers *ts, uint32_t i)
{
    goc_timer_rt *t = ts->heap[i].t;
    if (t->state & T_ZOMBIE)
        atomic_fetch_sub(&ts->zombies, 1);
    t->state &= (uint8_t)~(T_HEAPED | T_MODIFIED | T_ZOMBIE);
    t->ts = NULL;
    t->idx = -1;
    uint32_t last = --ts->n;
    if (i != last) {
        heap_set(ts, i, ts->heap[last]);
        sift_down(ts, i);
        sift_up(ts, i);
    }
    update_min_heap(ts);
}

/* Fix the top while it is a zombie or modified (Go's cleanHead). */
static void clean_head(struct goc_timers *ts)
{
    while (ts->n > 0) {
        goc_timer_rt *t = ts->heap[0].t;
        if (t->ts != ts)
            goc__fatal("timer in the wrong heap");
        goc__lock(&t->mu);
        if (!(t->state & (T_ZOMBIE | T_MODIFIED))) {
            goc__unlock(&t->mu);
            return;
        }
        if (t->state & T_ZOMBIE) {
            heap_del(ts, 0);
        } else {
            t->state &= (uint8_t)~T_MODIFIED;
            ts->heap[0].when = t->when;
            sift_down(ts, 0);
            update_min_heap(ts);
        }
        goc__unlock(&t->mu);
    }
}

/* Rewrite every modified entry and drop the zombies, then re-heapify
 * (Go's adjust).  Only when a modified time has come, or force. */
static void adjust(struct goc_timers *ts, int64_t now, bool force)
{
    int64_t first = atomic_load(&ts->minWhenModified);
    if (!force && (first == 0 || first > now))
        return;
    /* Cleared before the scan: a modify after this store sets it again. */
    atomic_store(&ts->minWhenModified, 0);
    uint32_t j = 0;
    bool changed = false;
    for (uint32_t i = 0; i < ts->n; i++) {
        twhen tw = ts->heap[i];
        goc_timer_rt *t = tw.t;
        goc__lock(&t->mu);
        if (t->state & T_ZOMBIE) {
            atomic_fetch_sub(&ts->zombies, 1);
            t->state &= (uint8_t)~(T_HEAPED | T_MODIFIED | T_ZOMBIE);
            t->ts = NULL;
            t->idx = -1;
            goc__unlock(&t->mu);
            changed = true;
            continue;
        }
        if (t->state & T_MODIFIED) {
            tw.when = t->when;
            t->state &= (uint8_t)~T_MODIFIED;
            changed = true;
        }
        goc__unlock(&t->mu);
        ts->heap[j] = tw;
        t->idx = (int32_t)j;
        j++;
    }
    ts->n = j;
    if (changed && j > 1)
        for (int64_t i = (int64_t)(j - 2) / HEAP_N; i >= 0; i--)
            sift_down(ts, (uint32_t)i);
    update_min_heap(ts);
}

/* Run the top timer if due.  Returns 0 if it ran one (the caller loops),
 * else the top's when (> now), or -1 with the heap empty.  May drop and
 * retake ts->lock around f. */
static int64_t run_one(struct goc_timers *ts, int64_t now)
{
    for (;;) {
        clean_head(ts);
        if (ts->n == 0)
            return -1;
        twhen tw = ts->heap[0];
        if (tw.when > now)
            return tw.when;
        goc_timer_rt *t = tw.t;
        goc__lock(&t->mu);
        if (t->state & (T_ZOMBIE | T_MODIFIED)) {   /* changed since */
            goc__unlock(&t->mu);
            continue;
        }
        int64_t delay = now - t->when;
        if (t->period > 0) {
            /* Skip the ticks already missed (Go: a slow reader drops them). */
            int64_t next = t->when + t->period * (1 + delay / t->period);
            if (next < t->when)   /* overflow */
                next = INT64_MAX;
            t->when = next;
            ts->heap[0].when = next;
            sift_down(ts, 0);
            update_min_heap(ts);
        } else {
            t->when = 0;
            heap_del(ts, 0);
        }
        goc_timer_fn f = t->f;
        void *arg = t->arg;
        uintptr_t seq = t->seq;
        if (t->ischan) {
            goc__unlock(&ts->lock);
            f(arg, seq, delay);
            /* goc_timer_free may free t as soon as this unlock's swap lets
             * its goc__timer_stop take t->mu; the unlock reads and writes
             * t no more after the swap (at most a futex wake on the
             * address, which reads no memory and which every futex
             * sleeper tolerates as spurious), and neither does this
             * function: checked by test time_free_firing. */
            goc__unlock(&t->mu);
        } else {
            goc__unlock(&t->mu);
            goc__unlock(&ts->lock);
            f(arg, seq, delay);
        }
        goc__lock(&ts->lock);
        return 0;
    }
}

static int64_t wake_time(struct goc_timers *ts)
{
    int64_t h = atomic_load(&ts->minWhenHeap);
    int64_t m = atomic_load(&ts->minWhenModified);
    if (h == 0 || (m != 0 && m < h))
        return m;
    return h;
}

/* ------------------------------------------------- scheduler hooks */

void goc__timers_pinit(P *pp)
{
    if (pp->timers)
        return;
    struct goc_timers *ts = calloc(1, sizeof *ts);
    GOC_CHECK(ts != NULL, "out of memory (timers)");
    ts->pp = pp;
    pp->timers = ts;
}

int64_t goc__timers_check(P *pp, int64_t now, bool *ran)
{
    struct goc_timers *ts = pp->timers;
    if (ts == NULL || atomic_load_explicit(&ts->len, memory_order_acquire) == 0)
        return 0;
    int64_t next = wake_time(ts);
    if (now == 0)
        now = goc_now();
    uint32_t len = atomic_load(&ts->len);
    bool force = atomic_load(&ts->zombies) > len / 4;
    if (now < next && !force)
        return next;
    goc__lock(&ts->lock);
    adjust(ts, now, force);
    int64_t poll = 0;
    while (ts->n > 0) {
        int64_t w = run_one(ts, now);
        if (w != 0) {
            if (w > 0)
                poll = w;
            break;
        }
        if (ran)
            *ran = true;
    }
    if (atomic_load(&ts->zombies) > ts->n / 4)
        adjust(ts, now, true);
    goc__unlock(&ts->lock);
    int64_t m = atomic_load(&ts->minWhenModified);
    if (m != 0 && (poll == 0 || m < poll))
        poll = m;
    return poll;
}

int64_t goc__timers_next(P *pp)
{
    struct goc_timers *ts = pp->timers;
    if (ts == NULL || atomic_load(&ts->len) == 0)
        return 0;
    return wake_time(ts);
}

/* A heap whose entries are all zombies (stopped timers not yet cleaned,
 * such as the spent goc_after timers a goroutine caches) will fire
 * nothing: it does not keep checkdead from reporting a deadlock. */
bool goc__timers_pending(void)
{
    int n = atomic_load(&goc__gomaxprocs);
    for (int i = 0; i < n && i < GOC_MAXPROCS_LIMIT; i++) {
        P *pp = goc__allp[i];
        if (pp && pp->timers &&
            atomic_load(&pp->timers->len) > atomic_load(&pp->timers->zombies))
            return true;
    }
    return false;
}

void goc__timers_move(P *from, P *to)
{
    struct goc_timers *src = from->timers, *dst = to->timers;
    if (src == NULL || src == dst)
        return;
    if (dst == NULL) {
        goc__timers_pinit(to);
        dst = to->timers;
    }
    goc__lock(&dst->lock);
    goc__lock(&src->lock);
    for (uint32_t i = 0; i < src->n; i++) {
        goc_timer_rt *t = src->heap[i].t;
        goc__lock(&t->mu);
        if (t->state & T_ZOMBIE) {
            t->state &= (uint8_t)~(T_HEAPED | T_MODIFIED | T_ZOMBIE);
            t->ts = NULL;
            t->idx = -1;
        } else {
            heap_add(dst, t);
        }
        goc__unlock(&t->mu);
    }
    src->n = 0;
    atomic_store(&src->zombies, 0);
    atomic_store(&src->minWhenModified, 0);
    update_min_heap(src);
    goc__unlock(&src->lock);
    goc__unlock(&dst->lock);
    /* No wake-up here: the caller (sched.c p_drain_caches, without
     * sched.lock: timers come first in the lock order) wakes the poller
     * for the moved timers. */
}

/* --------------------------------------------------- timer operations */

void goc__timer_init(goc_timer_rt *t, goc_timer_fn f, void *arg)
{
    memset(t, 0, sizeof *t);
    t->f = f;
    t->arg = arg;
    t->idx = -1;
}

/* The heap a new timer goes into: the current P's, or P 0's from a thread
 * with none (a foreign thread): P 0 is never destroyed by goc_maxprocs, so
 * a timer added there can not be stranded in a dead P's heap. */
static P *current_p(M **mp)
{
    M *m = goc__getm();
    *mp = m;
    P *pp = goc__enter(m);   /* goc__leave by the caller */
    return pp ? pp : goc__allp[0];
}

/* Put t in the current P's heap if it is armed and in none (Go's maybeAdd). */
static void maybe_add(goc_timer_rt *t)
{
    M *m;
    P *pp = current_p(&m);
    GOC_CHECK(pp != NULL, "timer used before goc_main");
    if (pp->timers == NULL)
        goc__timers_pinit(pp);
    struct goc_timers *ts = pp->timers;
    int64_t wake = 0;
    goc__lock(&ts->lock);
    clean_head(ts);
    goc__lock(&t->mu);
    if (t->when > 0 && !(t->state & T_HEAPED)) {
        int64_t old = wake_time(ts);
        heap_add(ts, t);
        if (old == 0 || t->when < old)
            wake = t->when;
    }
    goc__unlock(&t->mu);
    goc__unlock(&ts->lock);
    goc__leave(m);
    if (wake)
        goc__wake_netpoller(wake);
}

bool goc__timer_modify(goc_timer_rt *t, int64_t when, int64_t period,
                       goc_timer_fn f, void *arg, uintptr_t seq)
{
    bool wake = false;
    goc__lock(&t->mu);
    bool pending = t->when > 0;
    t->when = when;
    t->period = period;
    t->f = f;
    t->arg = arg;
    t->seq = seq;
    if (t->state & T_HEAPED) {
        struct goc_timers *ts = t->ts;
        t->state |= T_MODIFIED;
        if (t->state & T_ZOMBIE) {
            t->state &= (uint8_t)~T_ZOMBIE;
            atomic_fetch_sub(&ts->zombies, 1);
        }
        if (when == 0) {
            t->state |= T_ZOMBIE;
            atomic_fetch_add(&ts->zombies, 1);
        } else {
            int64_t min = atomic_load(&ts->minWhenModified);
            if (min == 0 || when < min) {
                wake = true;
                update_min_modified(ts, when);
            }
        }
    }
    bool add = when > 0 && !(t->state & T_HEAPED);
    goc__unlock(&t->mu);
    if (add)
        maybe_add(t);
    else if (wake)
        goc__wake_netpoller(when);
    return pending;
}

/* Disarm t (t->mu held); true if it was pending. */
static bool stop_locked(goc_timer_rt *t)
{
    bool pending = t->when > 0;
    t->when = 0;
    if (pending && (t->state & T_HEAPED)) {
        t->state |= T_MODIFIED;
        if (!(t->state & T_ZOMBIE)) {
            t->state |= T_ZOMBIE;
            atomic_fetch_add(&t->ts->zombies, 1);
        }
    }
    return pending;
}

bool goc__timer_stop(goc_timer_rt *t)
{
    goc__lock(&t->mu);
    bool pending = stop_locked(t);
    goc__unlock(&t->mu);
    return pending;
}

bool goc__timer_stop_seq(goc_timer_rt *t, uintptr_t seq)
{
    goc__lock(&t->mu);
    bool pending = t->seq == seq && stop_locked(t);
    goc__unlock(&t->mu);
    return pending;
}

void goc__timer_remove(goc_timer_rt *t)
{
    goc__timer_stop(t);   /* a zombie from now on: it never fires again */
    for (;;) {
        goc__lock(&t->mu);
        struct goc_timers *ts = t->ts;
        if (ts == NULL) {
            goc__unlock(&t->mu);
            return;
        }
        goc__unlock(&t->mu);
        goc__lock(&ts->lock);
        goc__lock(&t->mu);
        if (t->ts == ts) {
            heap_del(ts, (uint32_t)t->idx);
            goc__unlock(&t->mu);
            goc__unlock(&ts->lock);
            return;
        }
        goc__unlock(&t->mu);
        goc__unlock(&ts->lock);
    }
}

/* ------------------------------------------------------------- sleep */

static void sleep_fire(void *arg, uintptr_t seq, int64_t delay)
{
    (void)seq;
    (void)delay;
    goc__ready((G *)arg);
}

/* Runs on g0 once the G is parked (Go's resetForSleep). */
static bool reset_for_sleep(G *gp, void *arg)
{
    (void)arg;
    goc__timer_modify(gp->timer, (int64_t)gp->sleepwhen, 0, sleep_fire, gp, 0);
    return true;
}

static void thread_sleep_until(int64_t deadline)
{
    struct timespec ts = {
        .tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000,
    };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

void goc_sleep(int64_t ns)
{
    if (ns <= 0)
        return;
    int64_t deadline = goc__when(ns);
    G *gp = goc__getg();
    if (gp == NULL || gp->foreign) {
        thread_sleep_until(deadline);
        return;
    }
    if (gp->timer == NULL) {
        goc_timer_rt *t = malloc(sizeof *t);
        GOC_CHECK(t != NULL, "out of memory (sleep timer)");
        goc__timer_init(t, sleep_fire, gp);
        gp->timer = t;
    }
    /* A G is only readied by its own one-shot timer here, but loop anyway:
     * a sleep never returns early. */
    while (goc_now() < deadline) {
        gp->sleepwhen = (uint64_t)deadline;
        goc__park(reset_for_sleep, NULL, W_SLEEP);
        gp = goc__getg();
    }
    /* errno is the G's own across the park (the scheduler keeps it); never
     * touch it here: &errno computed before the park may be another
     * thread's now (DESIGN.md point 3). */
}

/* ------------------------------------------------------ channel timers */

struct goc_timer {
    goc_timer_rt rt;
    goc_chan    *c;
};

/* f of a channel timer: runs with rt.mu held; never blocks.  A ticker's
 * tick is dropped when the reader has not taken the previous one. */
static void send_time(void *arg, uintptr_t seq, int64_t delay)
{
    (void)seq;
    struct goc_timer *t = arg;
    int64_t v = goc_now() - delay;
    (void)goc__chan_send_nb(t->c, &v);
}

goc_timer *goc_timer_new(int64_t after_ns, int64_t period_ns)
{
    if (period_ns < 0)
        return NULL;
    struct goc_timer *t = malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    t->c = goc_chan_make(sizeof(int64_t), 1);
    if (t->c == NULL) {
        free(t);
        return NULL;
    }
    goc__timer_init(&t->rt, send_time, t);
    t->rt.ischan = true;
    goc__timer_modify(&t->rt, goc__when(after_ns), period_ns, send_time, t, 0);
    return t;
}

goc_chan *goc_timer_chan(goc_timer *t)
{
    return t ? t->c : NULL;
}

/* Stop or re-arm under rt.mu, dropping any value already buffered: the
 * send (under rt.mu too) is either before the drain or never happens. */
static int chan_timer_set(struct goc_timer *t, int64_t when, int64_t period)
{
    goc_timer_rt *rt = &t->rt;
    bool wake = false, add = false;
    goc__lock(&rt->mu);
    bool pending = rt->when > 0;
    rt->when = when;
    if (period >= 0)
        rt->period = period;
    rt->seq++;
    if (rt->state & T_HEAPED) {
        struct goc_timers *ts = rt->ts;
        rt->state |= T_MODIFIED;
        if (when == 0 && !(rt->state & T_ZOMBIE)) {
            rt->state |= T_ZOMBIE;
            atomic_fetch_add(&ts->zombies, 1);
        } else if (when != 0) {
            if (rt->state & T_ZOMBIE) {
                rt->state &= (uint8_t)~T_ZOMBIE;
                atomic_fetch_sub(&ts->zombies, 1);
            }
            int64_t min = atomic_load(&ts->minWhenModified);
            if (min == 0 || when < min) {
                wake = true;
                update_min_modified(ts, when);
            }
        }
    } else if (when != 0) {
        add = true;
    }
    if (goc__chan_drain(t->c) > 0)
        pending = true;
    goc__unlock(&rt->mu);
    if (add)
        maybe_add(rt);
    else if (wake)
        goc__wake_netpoller(when);
    return pending ? 1 : 0;
}

int goc_timer_stop(goc_timer *t)
{
    if (t == NULL)
        return 0;
    return chan_timer_set(t, 0, -1);
}

int goc_timer_reset(goc_timer *t, int64_t after_ns)
{
    if (t == NULL)
        return 0;
    return chan_timer_set(t, goc__when(after_ns), -1);
}

int goc_ticker_reset(goc_timer *t, int64_t period_ns)
{
    if (t == NULL || period_ns <= 0)
        return -EINVAL;
    return chan_timer_set(t, goc__when(period_ns), period_ns);
}

void goc_timer_free(goc_timer *t)
{
    if (t == NULL)
        return;
    goc__timer_remove(&t->rt);
    goc_chan_free(t->c);
    free(t);
}
