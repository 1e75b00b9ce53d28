/*
 * lock.c — the runtime's thread-level locks and notes, on Linux futexes.
 *
 * goc_lock is Go 1.22's lock_futex: key 0 = unlocked, 1 = locked, 2 = locked
 * and some thread may be sleeping.  A contended locker spins 4 rounds of
 * procyield(30), yields once, then sleeps; unlock swaps to 0 and wakes one
 * sleeper only if the old value was 2.  These locks block the OS thread,
 * so they guard short runtime sections only and are never held across a
 * park.
 *
 * goc_note is a one-shot event: key 0 = clear, 1 = woken.  One thread sleeps
 * on it (an M in stopm, a foreign thread in a channel wait), any may wake it.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

enum { UNLOCKED = 0, LOCKED = 1, SLEEPING = 2 };
enum { ACTIVE_SPIN = 4, ACTIVE_SPIN_CNT = 30 };   /* Go's lock_futex.go */

void goc__futexsleep(_Atomic uint32_t *addr, uint32_t val, int64_t ns)
{
    struct timespec ts, *tsp = NULL;
    if (ns >= 0) {
        ts.tv_sec = ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        tsp = &ts;
    }
    /* EAGAIN (value changed), EINTR and timeouts all just return: callers
     * re-check their condition in a loop.  errno is the caller's: a
     * contended runtime lock taken on a goroutine's stack (goc_yield's
     * sched.lock) must not hand the goroutine EAGAIN (errno_keep at P=8
     * under TSan). */
    int saved = errno;
#if GOC_TSAN
    /* ThreadSanitizer runs a signal's handler only when the thread next
     * enters one of its interceptors: an idle M asleep here in a raw futex
     * call would hold a process-directed signal (goc_signal_notify's) for
     * as long as it sleeps.  So under TSan a sleep lasts at most 100 ms and
     * then passes through one (usleep(0)); callers loop anyway.  (At 10 ms,
     * eight idle Ms cost an idle TSan program 40 ms of CPU a second.) */
    const int64_t cap = 100 * 1000 * 1000;
    bool capped = ns < 0 || ns > cap;
    if (capped) {
        ts.tv_sec = 0;
        ts.tv_nsec = cap;
        tsp = &ts;
    }
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
    if (capped)
        usleep(0);
#else
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
#endif
    errno = saved;
}

void goc__futexwakeup(_Atomic uint32_t *addr, int cnt)
{
    int saved = errno;
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, cnt, NULL, NULL, 0);
    errno = saved;
}

void goc__procyield(int cycles)
{
    while (cycles-- > 0) {
#if defined(__x86_64__)
        __asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
        __asm__ __volatile__("yield" ::: "memory");
#else
        atomic_signal_fence(memory_order_seq_cst);
#endif
    }
}

void goc__osyield(void) { sched_yield(); }

void goc__usleep(int64_t us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    int saved = errno;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    errno = saved;
}

/* The contended path, apart so that the uncontended one (a swap and a
 * counter) needs no callee-saved registers: the pair is on every channel
 * operation, and the prologue and epilogue this kept out were a third of
 * its instructions. */
static GOC_NOINLINE void lock_slow(goc_lock *l, uint32_t v)
{
    /* v is LOCKED or SLEEPING; whatever we do, we must leave SLEEPING behind
     * if it was there, so the eventual unlock still wakes a sleeper. */
    uint32_t wait = v;
    for (;;) {
        for (int i = 0; i < ACTIVE_SPIN; i++) {
            for (;;) {
                uint32_t cur = atomic_load_explicit(&l->key, memory_order_relaxed);
                if (cur != UNLOCKED)
                    break;
                if (atomic_compare_exchange_weak_explicit(&l->key, &cur, wait,
                        memory_order_acquire, memory_order_relaxed))
                    return;
            }
            goc__procyield(ACTIVE_SPIN_CNT);
        }
        uint32_t cur = atomic_load_explicit(&l->key, memory_order_relaxed);
        if (cur == UNLOCKED && atomic_compare_exchange_strong_explicit(&l->key,
                &cur, wait, memory_order_acquire, memory_order_relaxed))
            return;
        goc__osyield();
        v = atomic_exchange_explicit(&l->key, SLEEPING, memory_order_acquire);
        if (v == UNLOCKED)
            return;
        wait = SLEEPING;
        goc__futexsleep(&l->key, SLEEPING, -1);
    }
}

void goc__lock(goc_lock *l)
{
    M *m = goc__tls_m;
    if (m)
        goc__mlocks_inc(m);  /* inside the runtime while a lock is held */
    uint32_t v = atomic_exchange_explicit(&l->key, LOCKED, memory_order_acquire);
    if (unlikely(v != UNLOCKED))
        lock_slow(l, v);
}

/* The lock if it is free now, without waiting: true if taken. */
bool goc__trylock(goc_lock *l)
{
    uint32_t v = UNLOCKED;
    if (!atomic_compare_exchange_strong_explicit(&l->key, &v, LOCKED,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
        return false;
    M *m = goc__tls_m;
    if (m)
        goc__mlocks_inc(m);
    return true;
}

static GOC_NOINLINE void unlock_slow(goc_lock *l, uint32_t v)
{
    if (v == UNLOCKED)
        goc__fatal("unlock of unlocked lock");
    goc__futexwakeup(&l->key, 1);   /* v == SLEEPING */
}

void goc__unlock(goc_lock *l)
{
    /* Always a swap, as Go's lock_futex.  (A plain store-release when the
     * key is 1 halved the cost of a lock/unlock pair, but chan_foreign hung
     * about one run in ten with it: unlock must stay a full barrier.) */
    uint32_t v = atomic_exchange_explicit(&l->key, UNLOCKED, memory_order_release);
    if (unlikely(v != LOCKED))
        unlock_slow(l, v);
    M *m = goc__tls_m;
    if (m)
        goc__mlocks_dec(m);
}

void goc__noteclear(goc_note *n)
{
    atomic_store_explicit(&n->key, 0, memory_order_relaxed);
}

void goc__notewakeup(goc_note *n)
{
    uint32_t old = atomic_exchange_explicit(&n->key, 1, memory_order_release);
    if (unlikely(old != 0))
        goc__fatal("notewakeup - double wakeup");
    goc__futexwakeup(&n->key, 1);
}

void goc__notesleep(goc_note *n)
{
    while (atomic_load_explicit(&n->key, memory_order_acquire) == 0)
        goc__futexsleep(&n->key, 0, -1);
}

bool goc__notetsleep(goc_note *n, int64_t ns)
{
    if (ns < 0) {
        goc__notesleep(n);
        return true;
    }
    int64_t deadline = goc__nanotime() + ns;
    while (atomic_load_explicit(&n->key, memory_order_acquire) == 0) {
        int64_t left = deadline - goc__nanotime();
        if (left <= 0)
            return false;
        goc__futexsleep(&n->key, 0, left);
    }
    return true;
}
