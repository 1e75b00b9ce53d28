/*
 * netpoll.c — the network poller, independent of the OS mechanism (Go's
 * netpoll.go plus the part of internal/poll that keeps an fd open while a
 * call uses it).
 *
 * fd -> pollDesc: a two-level table indexed by fd number (chunks of 4096
 * slots allocated on first use, never freed).  pollDescs come from a free
 * list and are never freed (netpoll.h): a stale pointer is always safe to
 * read and the fdseq / rseq / wseq numbers make stale uses harmless.
 *
 * Life of a pollDesc:
 *   open      ref = 0, fdseq++, registered with the OS layer, put in the table;
 *   in use    each call holds a reference (pd_acquire .. pd_release);
 *   close     sets closing and bit 31 of ref (no new references), stops the
 *             deadline timers and wakes parked Gs (they return -EBADF);
 *   destroy   the last reference out marks its table slot DESTROYING,
 *             deregisters and closes the OS fd, empties the slot, and frees
 *             the pollDesc.
 *   The OS fd is thus never closed under a call that uses it, so a reused fd
 *   number is never read by the wrong call.  A call that looks the fd up
 *   meanwhile waits for the slot to change (a few syscalls' time): before
 *   the close it would find the number unknown yet still open, take the
 *   plain-fd path and get -EAGAIN from the non-blocking socket (or write to
 *   it); after it, it sees -EBADF, or the fd a new open gave that number.
 *
 * Waiting (Go's netpollblock): see the rg/wg states in netpoll.h.  A G parks
 * with goc__park whose unlock function commits PD_WAIT -> G on g0; the poller
 * (goc__netpoll), a deadline timer or close swaps the G out and readies it.
 *
 * Lock order: pd->lock > timers (ts, t->mu) > sched.lock.  The poller never
 * takes pd->lock: it only swaps rg/wg.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime.h"
#include "netpoll.h"

#define REF_CLOSED 0x80000000u
#define REF_MASK   0x7fffffffu

#define TAB_SHIFT 12
#define TAB_CHUNK (1 << TAB_SHIFT)
#define TAB_TOP   1024            /* 4M fds */
#define PD_BLOCK  64              /* pollDescs allocated at a time */

typedef _Atomic(goc_pd *) pd_slot;

/* A slot's value while pd_destroy closes its fd: pd with the low bit set
 * (pollDescs are at least 8-aligned). */
#define PD_DESTROYING(pd) ((goc_pd *)((uintptr_t)(pd) | 1))
#define PD_IS_DESTROYING(v) (((uintptr_t)(v) & 1) != 0)

static _Atomic(pd_slot *) pdtab[TAB_TOP];
static goc_lock pd_free_lock;
static goc_pd *pd_free;
static _Atomic int32_t waiters;          /* Gs parked on a pollDesc */
static _Atomic bool inited;
static goc_lock init_lock;

/* --------------------------------------------------------------- table */

static pd_slot *slot_of(int fd, bool create)
{
    if (fd < 0 || (fd >> TAB_SHIFT) >= TAB_TOP)
        return NULL;
    _Atomic(pd_slot *) *top = &pdtab[fd >> TAB_SHIFT];
    pd_slot *chunk = atomic_load_explicit(top, memory_order_acquire);
    if (chunk == NULL) {
        if (!create)
            return NULL;
        pd_slot *n = calloc(TAB_CHUNK, sizeof *n);
        if (n == NULL)
            return NULL;
        if (!atomic_compare_exchange_strong(top, &chunk, n))
            free(n);      /* another thread installed one: chunk is it */
        else
            chunk = n;
    }
    return &chunk[fd & (TAB_CHUNK - 1)];
}

static goc_pd *pd_alloc(void)
{
    goc__lock(&pd_free_lock);
    if (pd_free == NULL) {
        goc_pd *b = calloc(PD_BLOCK, sizeof *b);
        if (b == NULL) {
            goc__unlock(&pd_free_lock);
            return NULL;
        }
        for (int i = 0; i < PD_BLOCK; i++) {
            atomic_init(&b[i].ref, REF_CLOSED);
            b[i].fd = -1;
            goc__timer_init(&b[i].rt, NULL, &b[i]);
            goc__timer_init(&b[i].wt, NULL, &b[i]);
            b[i].link = pd_free;
            pd_free = &b[i];
        }
    }
    goc_pd *pd = pd_free;
    pd_free = pd->link;
    goc__unlock(&pd_free_lock);
    pd->link = NULL;
    return pd;
}

static void pd_free_put(goc_pd *pd)
{
    goc__lock(&pd_free_lock);
    pd->link = pd_free;
    pd_free = pd;
    goc__unlock(&pd_free_lock);
}

/* ---------------------------------------------------- open / ref / close */

int goc__pd_open(int fd, goc_pd **out)
{
    pd_slot *slot = slot_of(fd, true);
    if (slot == NULL)
        return fd < 0 ? -EBADF : -ENOMEM;
    goc_pd *pd = pd_alloc();
    if (pd == NULL)
        return -ENOMEM;
    pd->fd = fd;
    atomic_fetch_add(&pd->fdseq, 1);
    atomic_store(&pd->rg, PD_NIL);
    atomic_store(&pd->wg, PD_NIL);
    atomic_store(&pd->closing, false);
    atomic_store(&pd->everr, false);
    pd->rdrained = false;
    pd->dgram = false;
    atomic_store(&pd->waitfd, false);
    atomic_store(&pd->rdhup, false);
    goc__lock(&pd->lock);
    atomic_store(&pd->rd, 0);
    atomic_store(&pd->wd, 0);
    pd->rseq++;
    pd->wseq++;
    goc__unlock(&pd->lock);
    atomic_store(&pd->rop, 0);
    atomic_store(&pd->wop, 0);
    atomic_store(&pd->noring, false);
    /* With the ring, the fd's epoll registration reports nothing until
     * something first waits for an edge (goc__np_os_arm): a socket served
     * by RECV/SEND never raises an edge to drain. */
    atomic_store(&pd->osreg, !goc__uring_on);
    int err = goc__uring_on ? goc__np_os_open_quiet(fd, pd)
                            : goc__np_os_open(fd, pd);
    if (err < 0) {
        pd->fd = -1;
        pd_free_put(pd);
        return err;
    }
    atomic_store_explicit(&pd->ref, 0, memory_order_release);
    /* A pd left by a plain close(2) of a registered fd is abandoned here. */
    atomic_store_explicit(slot, pd, memory_order_release);
    if (out)
        *out = pd;
    return 0;
}

static void pd_destroy(goc_pd *pd)
{
    int fd = pd->fd;
    pd_slot *slot = slot_of(fd, false);
    goc_pd *expect = pd;
    bool marked = slot && atomic_compare_exchange_strong(slot, &expect, PD_DESTROYING(pd));
    goc__np_os_close(fd);
    close(fd);
    if (marked) {
        /* Fails only if a new open of this number already replaced it. */
        expect = PD_DESTROYING(pd);
        atomic_compare_exchange_strong(slot, &expect, NULL);
    }
    pd->fd = -1;
    pd_free_put(pd);
}

/* A reference to fd's pollDesc: 0, -EBADF if it is closing, -ENOENT if
 * fd has none (an fd the runtime did not make). */
int goc__pd_get(int fd, goc_pd **out)
{
    pd_slot *slot = slot_of(fd, false);
    goc_pd *pd = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
    while (unlikely(PD_IS_DESTROYING(pd))) {
        /* pd_destroy is between its two CASes, running without a park or
         * a lock: only the close(2) lies between them. */
        goc__osyield();
        pd = atomic_load_explicit(slot, memory_order_acquire);
    }
    if (pd == NULL)
        return -ENOENT;
    uint32_t old = atomic_load(&pd->ref);
    do {
        if (old & REF_CLOSED)
            return -EBADF;
        if ((old & REF_MASK) == REF_MASK)
            return -EBADF;
    } while (!atomic_compare_exchange_weak(&pd->ref, &old, old + 1));
    if (pd->fd != fd) {          /* reused for another fd meanwhile */
        goc__pd_release(pd);
        return -EBADF;
    }
    *out = pd;
    return 0;
}

goc_pd *goc__pd_acquire(int fd)
{
    goc_pd *pd = NULL;
    return goc__pd_get(fd, &pd) == 0 ? pd : NULL;
}

int goc__pd_ref(goc_pd *pd, uint32_t seq)
{
    uint32_t old = atomic_load(&pd->ref);
    do {
        if ((old & REF_CLOSED) || (old & REF_MASK) == REF_MASK)
            return -EBADF;
    } while (!atomic_compare_exchange_weak(&pd->ref, &old, old + 1));
    /* Taken on a pollDesc reopened for another fd since: give it back.
     * (goc__pd_open bumps fdseq before it lets references in.) */
    if (atomic_load(&pd->fdseq) != seq) {
        goc__pd_release(pd);
        return -EBADF;
    }
    return 0;
}

void goc__pd_release(goc_pd *pd)
{
    if (atomic_fetch_sub(&pd->ref, 1) - 1 == REF_CLOSED)
        pd_destroy(pd);
}

/* Go's netpollunblock: the G parked on pd for mode, if any. */
static G *unblock(goc_pd *pd, int mode, bool ioready)
{
    _Atomic uintptr_t *gpp = mode == 'r' ? &pd->rg : &pd->wg;
    uintptr_t old = atomic_load(gpp);
    for (;;) {
        if (old == PD_READY)
            return NULL;
        if (old == PD_NIL && !ioready)
            return NULL;
        uintptr_t nw = ioready ? PD_READY : PD_NIL;
        if (atomic_compare_exchange_weak(gpp, &old, nw)) {
            if (old == PD_NIL || old == PD_WAIT)
                return NULL;
            atomic_fetch_sub(&waiters, 1);
            return (G *)old;
        }
    }
}

int goc__pd_close(int fd)
{
    goc_pd *pd;
    int err = goc__pd_get(fd, &pd);
    if (err == -ENOENT)
        return close(fd) < 0 ? -errno : 0;
    if (err < 0)
        return err;
    /* Our reference keeps pd from being destroyed (and reused) while this
     * call still wakes its waiters. */
    uint32_t old = atomic_load(&pd->ref);
    do {
        if (old & REF_CLOSED) {
            goc__pd_release(pd);
            return -EBADF;
        }
    } while (!atomic_compare_exchange_weak(&pd->ref, &old, old | REF_CLOSED));
    goc__lock(&pd->lock);
    atomic_store(&pd->closing, true);
    pd->rseq++;
    pd->wseq++;
    goc__timer_stop(&pd->rt);
    goc__timer_stop(&pd->wt);
    G *rg = unblock(pd, 'r', false);
    G *wg = unblock(pd, 'w', false);
    goc__unlock(&pd->lock);
    if (rg)
        goc__ready(rg);
    if (wg)
        goc__ready(wg);
    if (goc__uring_on) {
        goc__uring_cancel(pd, 'r');
        goc__uring_cancel(pd, 'w');
    }
    goc__pd_release(pd);
    return 0;
}

/* ------------------------------------------------------ waitfd waiters */

goc_pd *goc__pd_waiter_new(int fd)
{
    goc_pd *pd = pd_alloc();
    if (pd == NULL)
        return NULL;
    pd->fd = fd;
    atomic_store(&pd->waitfd, true);
    atomic_store(&pd->wfready, 0);
    atomic_store(&pd->osreg, true);     /* waitfd.c registers it itself */
    atomic_store(&pd->rop, 0);
    atomic_store(&pd->wop, 0);
    atomic_fetch_add(&pd->fdseq, 1);
    atomic_store(&pd->rg, PD_NIL);
    atomic_store(&pd->wg, PD_NIL);
    atomic_store(&pd->closing, false);
    atomic_store(&pd->everr, false);
    atomic_store(&pd->rdhup, false);
    goc__lock(&pd->lock);
    atomic_store(&pd->rd, 0);
    atomic_store(&pd->wd, 0);
    pd->rseq++;
    pd->wseq++;
    goc__unlock(&pd->lock);
    return pd;
}

/* As goc__pd_close's wake half; the ref field stays REF_CLOSED throughout
 * (nobody looks a waiter up by fd). */
void goc__pd_waiter_wake(goc_pd *pd)
{
    goc__lock(&pd->lock);
    atomic_store(&pd->closing, true);
    pd->rseq++;
    pd->wseq++;
    goc__timer_stop(&pd->rt);
    goc__timer_stop(&pd->wt);
    G *rg = unblock(pd, 'r', false);
    goc__unlock(&pd->lock);
    if (rg)
        goc__ready(rg);
}

void goc__pd_waiter_free(goc_pd *pd)
{
    goc__lock(&pd->lock);
    atomic_store(&pd->closing, true);
    pd->rseq++;
    pd->wseq++;
    goc__timer_stop(&pd->rt);
    goc__timer_stop(&pd->wt);
    goc__unlock(&pd->lock);
    atomic_store(&pd->waitfd, false);
    pd->fd = -1;
    pd_free_put(pd);
}

/* ------------------------------------------------------------- waiting */

int goc__pd_checkerr(goc_pd *pd, int mode)
{
    if (atomic_load(&pd->closing))
        return -EBADF;
    int64_t d = atomic_load(mode == 'r' ? &pd->rd : &pd->wd);
    if (d < 0 || (d > 0 && goc_now() >= d))
        return -ETIMEDOUT;
    return 0;
}

/* Before an attempt at I/O: forget an old readiness notification (the
 * attempt itself will see the data), and report close / deadline. */
int goc__pd_prepare(goc_pd *pd, int mode)
{
    int err = goc__pd_checkerr(pd, mode);
    if (err)
        return err;
    _Atomic uintptr_t *gpp = mode == 'r' ? &pd->rg : &pd->wg;
    uintptr_t ready = PD_READY;
    atomic_compare_exchange_strong(gpp, &ready, PD_NIL);
    return 0;
}

static bool block_commit(G *gp, void *arg)
{
    _Atomic uintptr_t *gpp = arg;
    uintptr_t w = PD_WAIT;
    if (atomic_compare_exchange_strong(gpp, &w, (uintptr_t)gp)) {
        atomic_fetch_add(&waiters, 1);
        return true;
    }
    return false;
}

/* Go's netpollblock: true if readiness was signalled. */
static bool block(goc_pd *pd, int mode)
{
    _Atomic uintptr_t *gpp = mode == 'r' ? &pd->rg : &pd->wg;
    uintptr_t old = atomic_load(gpp);
    for (;;) {
        if (old == PD_READY) {
            if (atomic_compare_exchange_weak(gpp, &old, PD_NIL))
                return true;
            continue;
        }
        if (old != PD_NIL)
            goc__fatal("netpoll: two goroutines wait on one fd and direction");
        if (atomic_compare_exchange_weak(gpp, &old, PD_WAIT))
            break;
    }
    /* Re-check after publishing PD_WAIT: a close or deadline that ran
     * before saw nothing to wake. */
    if (goc__pd_checkerr(pd, mode) == 0)
        goc__park(block_commit, (void *)gpp, W_IO_WAIT);
    old = atomic_exchange(gpp, PD_NIL);
    if (old > PD_WAIT)
        goc__fatal("netpoll: corrupted pollDesc");
    return old == PD_READY;
}

/* Park until fd is ready for mode: 0, -EBADF (closed) or -ETIMEDOUT. */
int goc__pd_wait(goc_pd *pd, int mode)
{
    int err = goc__pd_checkerr(pd, mode);
    if (err)
        return err;
    if (unlikely(!atomic_load_explicit(&pd->osreg, memory_order_acquire)) &&
        (err = goc__np_os_arm(pd)) < 0)
        return err;
    while (!block(pd, mode)) {
        err = goc__pd_checkerr(pd, mode);
        if (err)
            return err;
    }
    return 0;
}

/* With the ring on, give pd's quiet epoll registration its events before
 * the first wait for an edge on it.  A reader and a writer may both get
 * here: the one that loses the race parks at once, as the winner's
 * EPOLL_CTL_MOD reports the fd's current readiness (both directions) as
 * an edge. */
int goc__np_os_arm(goc_pd *pd)
{
    bool no = false;
    if (!atomic_compare_exchange_strong(&pd->osreg, &no, true))
        return 0;
    int err = goc__np_os_open_full(pd->fd, pd);
    if (err < 0)
        atomic_store(&pd->osreg, false);
    return err;
}

void goc__np_waiters_add(int32_t d)
{
    atomic_fetch_add(&waiters, d);
}

/* A G the poller found ready goes on the list the scheduler injects; a
 * foreign thread's stand-in G has no stack to run: wake its thread now. */
void goc__np_push_ready(G **list, G *gp)
{
    if (gp == NULL)
        return;
    if (gp->foreign) {
        goc__ready(gp);
        return;
    }
    gp->schedlink = *list;
    *list = gp;
}

void goc__np_ready(G **list, goc_pd *pd, int mode)
{
    G *rg = NULL, *wg = NULL;
    if (atomic_load(&pd->waitfd)) {
        int bits = (mode == 'r' || mode == 'r' + 'w' ? 1 : 0) |
                   (mode == 'w' || mode == 'r' + 'w' ? 2 : 0);
        atomic_fetch_or(&pd->wfready, bits);
        goc__np_push_ready(list, unblock(pd, 'r', true));
        return;
    }
    if (mode == 'r' || mode == 'r' + 'w')
        rg = unblock(pd, 'r', true);
    if (mode == 'w' || mode == 'r' + 'w')
        wg = unblock(pd, 'w', true);
    goc__np_push_ready(list, rg);
    goc__np_push_ready(list, wg);
}

/* ----------------------------------------------------------- deadlines */

static void deadline_fire(goc_pd *pd, uintptr_t seq, int mode)
{
    G *gp = NULL;
    goc__lock(&pd->lock);
    if (seq == (mode == 'r' ? pd->rseq : pd->wseq)) {
        atomic_store(mode == 'r' ? &pd->rd : &pd->wd, -1);
        gp = unblock(pd, mode, false);
        if (goc__uring_on)
            goc__uring_cancel(pd, mode);
    }
    goc__unlock(&pd->lock);
    if (gp)
        goc__ready(gp);
}

static void rdeadline(void *arg, uintptr_t seq, int64_t delay)
{
    (void)delay;
    deadline_fire(arg, seq, 'r');
}

static void wdeadline(void *arg, uintptr_t seq, int64_t delay)
{
    (void)delay;
    deadline_fire(arg, seq, 'w');
}

/* Set one direction's deadline (pd->lock held); the G to wake, if any. */
static G *set_one(goc_pd *pd, int mode, int64_t d)
{
    _Atomic int64_t *dp = mode == 'r' ? &pd->rd : &pd->wd;
    uintptr_t *seq = mode == 'r' ? &pd->rseq : &pd->wseq;
    goc_timer_rt *t = mode == 'r' ? &pd->rt : &pd->wt;
    if (atomic_load(dp) != d) {
        (*seq)++;
        atomic_store(dp, d);
        if (d > 0)
            goc__timer_modify(t, d, 0, mode == 'r' ? rdeadline : wdeadline,
                              pd, *seq);
        else
            goc__timer_stop(t);
    }
    if (d >= 0)
        return NULL;
    if (goc__uring_on)
        goc__uring_cancel(pd, mode);
    return unblock(pd, mode, false);
}

int goc__pd_set_deadline(goc_pd *pd, int64_t rd, int64_t wd)
{
    int64_t now = goc_now();
    if (rd < 0 || (rd > 0 && rd <= now))
        rd = -1;
    if (wd < 0 || (wd > 0 && wd <= now))
        wd = -1;
    goc__lock(&pd->lock);
    if (atomic_load(&pd->closing)) {
        goc__unlock(&pd->lock);
        return -EBADF;
    }
    G *rg = set_one(pd, 'r', rd);
    G *wg = set_one(pd, 'w', wd);
    goc__unlock(&pd->lock);
    if (rg)
        goc__ready(rg);
    if (wg)
        goc__ready(wg);
    return 0;
}

/* ------------------------------------------------------ scheduler hooks */

void goc__netpoll_init(void)
{
    if (atomic_load(&inited))
        return;
    goc__lock(&init_lock);
    if (!atomic_load(&inited)) {
        if (goc__np_os_init() < 0)
            goc__fatal("netpoll: cannot create the epoll instance");
        atomic_store(&inited, true);
    }
    goc__unlock(&init_lock);
}

bool goc__netpoll_inited(void)
{
    return atomic_load_explicit(&inited, memory_order_acquire);
}

bool goc__netpoll_anywaiters(void)
{
    return atomic_load(&waiters) > 0;
}

G *goc__netpoll(int64_t delay_ns)
{
    G *list = NULL;
    if (!atomic_load(&inited))
        return NULL;
    goc__np_os_poll(delay_ns, &list);
    return list;
}

void goc__netpoll_break(void)
{
    if (atomic_load(&inited))
        goc__np_os_break();
}
