/*
 * sync.c — Mutex, RWMutex, WaitGroup, Once, Cond and the public semaphore,
 * Go's sync package on the semaphores of sema.c.  Every zero value is ready.
 *
 * Mutex state word (Go's internal/sync/mutex.go):
 *   bit 0 LOCKED, bit 1 WOKEN (a waiter has been woken or is spinning; the
 *   unlocker need not wake another), bit 2 STARVING, bits 3.. waiter count.
 * Normal mode: waiters queue FIFO on m->sema but a woken waiter competes
 *   with arriving goroutines, which usually win (they are on the CPU); a
 *   waiter that loses is requeued at the front.  Arrivals spin briefly
 *   (4 x procyield(30)) only when more than one CPU exists, other Ps are
 *   busy running goroutines and the local run queue is empty.
 * Starvation mode: entered when a waiter has waited over 1 ms.  Unlock
 *   hands ownership straight to the first waiter (semrelease handoff);
 *   arrivals neither spin nor grab the lock, they queue at the tail.  The
 *   mode ends when the new owner is the last waiter or waited under 1 ms.
 *
 * RWMutex (Go's sync/rwmutex.go): reader_count counts readers; a writer
 *   subtracts MAX_READERS so it goes negative and new readers queue on
 *   reader_sem; reader_wait counts the readers the writer still waits for.
 *
 * WaitGroup: state = counter << 32 | waiters.  The count reaching zero with
 *   waiters resets state to 0 and releases each waiter.
 *
 * Happens-before edges for ThreadSanitizer: unlock → lock, runlock → lock,
 * unlock → rlock, Done → Wait's return, Once's fn → every return.
 */
#include <unistd.h>

#include "sync.h"

/* ---------------------------------------------------------------- mutex */

enum {
    MUTEX_LOCKED = 1,
    MUTEX_WOKEN = 2,
    MUTEX_STARVING = 4,
    MUTEX_WAITER_SHIFT = 3,
};
#define STARVATION_THRESHOLD_NS 1000000   /* Go's starvationThresholdNs */
enum { ACTIVE_SPIN = 4, ACTIVE_SPIN_CNT = 30 };   /* Go's proc.go */

static int ncpu(void)
{
    static int n;
    int v = __atomic_load_n(&n, __ATOMIC_RELAXED);
    if (v == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        v = c > 0 ? (int)c : 1;
        __atomic_store_n(&n, v, __ATOMIC_RELAXED);
    }
    return v;
}

/* Go's sync_runtime_canSpin: spinning only pays when another P is running
 * goroutines that may unlock soon, and nothing waits on our own P. */
static bool can_spin(int iter)
{
    if (iter >= ACTIVE_SPIN || ncpu() <= 1)
        return false;
    int32_t busy = atomic_load_explicit(&goc__gomaxprocs, memory_order_relaxed) -
                   atomic_load_explicit(&goc__sched.npidle, memory_order_relaxed) -
                   atomic_load_explicit(&goc__sched.nmspinning, memory_order_relaxed);
    if (busy <= 1)
        return false;
    M *m = goc__getm();
    P *pp = goc__enter(m);
    bool queued = pp != NULL && !goc__runqempty(pp);
    goc__leave(m);
    return !queued;
}

static inline int32_t mload(goc_mutex *m)
{
    return __atomic_load_n(&m->state, __ATOMIC_RELAXED);
}

static inline bool mcas(goc_mutex *m, int32_t old, int32_t nu)
{
    return __atomic_compare_exchange_n(&m->state, &old, nu, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static GOC_NOINLINE void mutex_lock_slow(goc_mutex *m)
{
    int64_t wait_start = 0;
    bool starving = false, awoke = false;
    int iter = 0;
    int32_t old = mload(m);
    for (;;) {
        /* Spin only in normal mode while locked. */
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED && can_spin(iter)) {
            /* Tell Unlock not to wake others while we spin. */
            if (!awoke && (old & MUTEX_WOKEN) == 0 && (old >> MUTEX_WAITER_SHIFT) != 0 &&
                mcas(m, old, old | MUTEX_WOKEN))
                awoke = true;
            goc__procyield(ACTIVE_SPIN_CNT);
            iter++;
            old = mload(m);
            continue;
        }
        int32_t nu = old;
        if ((old & MUTEX_STARVING) == 0)
            nu |= MUTEX_LOCKED;       /* starving: arrivals must queue */
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) != 0)
            nu += 1 << MUTEX_WAITER_SHIFT;
        if (starving && (old & MUTEX_LOCKED) != 0)
            nu |= MUTEX_STARVING;
        if (awoke) {
            if ((nu & MUTEX_WOKEN) == 0)
                goc__fatal("sync: inconsistent mutex state");
            nu &= ~MUTEX_WOKEN;
        }
        if (!mcas(m, old, nu)) {
            old = mload(m);
            continue;
        }
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0)
            break;                    /* locked with the CAS */
        bool lifo = wait_start != 0;  /* waited before: front of the queue */
        if (wait_start == 0)
            wait_start = goc__nanotime();
        goc__semacquire(&m->sema, lifo, W_SYNC_MUTEX_LOCK);
        starving = starving || goc__nanotime() - wait_start > STARVATION_THRESHOLD_NS;
        old = mload(m);
        if ((old & MUTEX_STARVING) != 0) {
            /* Handed off: we own it, though LOCKED is not set yet and we
             * are still counted as a waiter. */
            if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) != 0 || (old >> MUTEX_WAITER_SHIFT) == 0)
                goc__fatal("sync: inconsistent mutex state");
            int32_t delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
            if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
                delta -= MUTEX_STARVING;   /* leave starvation mode */
            __atomic_fetch_add(&m->state, delta, __ATOMIC_ACQ_REL);
            break;
        }
        awoke = true;
        iter = 0;
    }
}

void goc_mutex_lock(goc_mutex *m)
{
    int32_t zero = 0;
    if (likely(__atomic_compare_exchange_n(&m->state, &zero, MUTEX_LOCKED, false,
                                           __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))) {
        goc__race_acquire(m);
        return;
    }
    mutex_lock_slow(m);
    goc__race_acquire(m);
}

int goc_mutex_trylock(goc_mutex *m)
{
    int32_t old = mload(m);
    if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) != 0)
        return 0;
    if (!mcas(m, old, old | MUTEX_LOCKED))
        return 0;
    goc__race_acquire(m);
    return 1;
}

static GOC_NOINLINE void mutex_unlock_slow(goc_mutex *m, int32_t nu)
{
    if (((nu + MUTEX_LOCKED) & MUTEX_LOCKED) == 0)
        goc__fatal("sync: unlock of unlocked mutex");
    if ((nu & MUTEX_STARVING) == 0) {
        int32_t old = nu;
        for (;;) {
            /* No waiters, or someone already woken / locked it / starving
             * took over: nothing to wake. */
            if ((old >> MUTEX_WAITER_SHIFT) == 0 ||
                (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)) != 0)
                return;
            nu = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
            if (mcas(m, old, nu)) {
                goc__semrelease(&m->sema, false);
                return;
            }
            old = mload(m);
        }
    }
    /* Starving: hand ownership to the first waiter. */
    goc__semrelease(&m->sema, true);
}

void goc_mutex_unlock(goc_mutex *m)
{
    goc__race_release(m);
    int32_t nu = __atomic_sub_fetch(&m->state, MUTEX_LOCKED, __ATOMIC_RELEASE);
    if (unlikely(nu != 0))
        mutex_unlock_slow(m, nu);
}

/* -------------------------------------------------------------- rwmutex */

#define RW_MAX_READERS (1 << 30)

void goc_rwmutex_rlock(goc_rwmutex *rw)
{
    if (__atomic_add_fetch(&rw->reader_count, 1, __ATOMIC_ACQ_REL) < 0)
        goc__semacquire(&rw->reader_sem, false, W_SYNC_RWMUTEX_RLOCK);
    goc__race_acquire(&rw->reader_sem);
}

void goc_rwmutex_runlock(goc_rwmutex *rw)
{
    goc__race_release(&rw->writer_sem);
    int32_t r = __atomic_sub_fetch(&rw->reader_count, 1, __ATOMIC_ACQ_REL);
    if (r < 0) {
        if (r + 1 == 0 || r + 1 == -RW_MAX_READERS)
            goc__fatal("sync: RUnlock of unlocked RWMutex");
        /* A writer is pending; the last departing reader wakes it. */
        if (__atomic_sub_fetch(&rw->reader_wait, 1, __ATOMIC_ACQ_REL) == 0)
            goc__semrelease(&rw->writer_sem, false);
    }
}

void goc_rwmutex_lock(goc_rwmutex *rw)
{
    goc_mutex_lock(&rw->w);   /* first, exclude other writers */
    /* Announce the writer; r is the number of active readers. */
    int32_t r = __atomic_add_fetch(&rw->reader_count, -RW_MAX_READERS, __ATOMIC_ACQ_REL) +
                RW_MAX_READERS;
    if (r != 0 && __atomic_add_fetch(&rw->reader_wait, r, __ATOMIC_ACQ_REL) != 0)
        goc__semacquire(&rw->writer_sem, false, W_SYNC_RWMUTEX_LOCK);
    goc__race_acquire(&rw->writer_sem);
}

void goc_rwmutex_unlock(goc_rwmutex *rw)
{
    goc__race_release(&rw->reader_sem);
    int32_t r = __atomic_add_fetch(&rw->reader_count, RW_MAX_READERS, __ATOMIC_ACQ_REL);
    if (r >= RW_MAX_READERS)
        goc__fatal("sync: Unlock of unlocked RWMutex");
    for (int32_t i = 0; i < r; i++)   /* readers that queued behind us */
        goc__semrelease(&rw->reader_sem, false);
    goc_mutex_unlock(&rw->w);
}

/* ------------------------------------------------------------ waitgroup */

void goc_wg_add(goc_wg *wg, int delta)
{
    if (delta < 0)
        goc__race_release(wg);
    uint64_t state = __atomic_add_fetch(&wg->state, (uint64_t)(int64_t)delta << 32,
                                        __ATOMIC_SEQ_CST);
    int32_t v = (int32_t)(state >> 32);
    uint32_t w = (uint32_t)state;
    if (v < 0)
        goc__fatal("sync: negative WaitGroup counter");
    if (w != 0 && delta > 0 && v == delta)
        goc__fatal("sync: WaitGroup misuse: Add called concurrently with Wait");
    if (v > 0 || w == 0)
        return;
    /* Counter reached 0 with waiters: nobody may Add or Wait now. */
    if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != state)
        goc__fatal("sync: WaitGroup misuse: Add called concurrently with Wait");
    __atomic_store_n(&wg->state, 0, __ATOMIC_SEQ_CST);
    for (; w != 0; w--)
        goc__semrelease(&wg->sema, false);
}

void goc_wg_done(goc_wg *wg)
{
    goc_wg_add(wg, -1);
}

void goc_wg_wait(goc_wg *wg)
{
    uint64_t state = __atomic_load_n(&wg->state, __ATOMIC_SEQ_CST);
    for (;;) {
        if ((int32_t)(state >> 32) == 0) {
            goc__race_acquire(wg);
            return;
        }
        if (__atomic_compare_exchange_n(&wg->state, &state, state + 1, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            goc__semacquire(&wg->sema, false, W_SYNC_WAITGROUP_WAIT);
            if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != 0)
                goc__fatal("sync: WaitGroup is reused before previous Wait has returned");
            goc__race_acquire(wg);
            return;
        }
    }
}

/* ----------------------------------------------------------------- once */

static GOC_NOINLINE void once_slow(goc_once *o, void (*fn)(void *), void *arg)
{
    goc_mutex_lock(&o->m);
    if (__atomic_load_n(&o->done, __ATOMIC_RELAXED) == 0) {
        fn(arg);
        __atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
    }
    goc_mutex_unlock(&o->m);
}

void goc_once_do(goc_once *o, void (*fn)(void *arg), void *arg)
{
    /* done is set only after fn returns, so a caller that sees it also
     * sees fn's effects (acquire pairs with the release store). */
    if (likely(__atomic_load_n(&o->done, __ATOMIC_ACQUIRE) != 0))
        return;
    once_slow(o, fn, arg);
}

/* ----------------------------------------------------------------- cond */

void goc_cond_wait(goc_cond *c, goc_mutex *m)
{
    uint32_t t = goc__notify_add(c);
    goc_mutex_unlock(m);
    goc__notify_wait(c, t);
    goc_mutex_lock(m);
}

void goc_cond_signal(goc_cond *c)    { goc__notify_one(c); }
void goc_cond_broadcast(goc_cond *c) { goc__notify_all(c); }

/* ------------------------------------------------------------ semaphore */

void goc_sem_acquire(uint32_t *addr) { goc__semacquire(addr, false, W_SEMACQUIRE); }
void goc_sem_release(uint32_t *addr) { goc__semrelease(addr, false); }
