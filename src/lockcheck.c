/*
 * lockcheck.c — libgoc_lockcheck.so: the debug-build check of DESIGN.md #4,
 * "a goroutine that blocks while holding an OS lock".
 *
 * A goroutine shares its thread with every other goroutine.  If it parks
 * (channel, sync, sleep, network), yields or ends while its thread holds a
 * pthread mutex or rwlock, the next goroutine on that thread that takes the
 * same lock
 *   - blocks the thread on a lock whose holder cannot run there (a normal
 *     mutex: sysmon hands the P on after a few ms, the program stutters);
 *   - is told EDEADLK (an error-checking mutex), or
 *   - walks in (a recursive mutex: its owner is the thread, so two
 *     goroutines are inside one critical section at once, silently),
 * and the holder, resumed on another thread, unlocks a mutex that thread
 * does not own (EPERM for error-checking and recursive mutexes: the lock
 * is never released).
 *
 * Linking this library (`-lgoc_lockcheck`, before libc: pkg-config
 * goc_lockcheck) puts its definitions of the pthread mutex and rwlock
 * calls in front of libc's, for the program and every shared library it
 * loads.  Each call goes on to libc's (dlsym RTLD_NEXT) and records, per
 * thread, which locks the thread holds.  The runtime asks through
 * goc_lockcheck_held (a weak reference: without this library it is NULL
 * and nothing is checked) and reports "fatal error: goroutine N <blocked
 * on / yielded / ended> while its thread holds pthread lock 0x..." with
 * the goroutine dump, at the point of the mistake rather than at the
 * deadlock it leads to.  Cooperative preemption (goc_go, goc_syscall_exit)
 * does not move a goroutine that holds one; asynchronous preemption never
 * moves a goroutine off its thread (preempt.c).
 *
 * Not seen: locks taken inside libc itself (stdio, malloc: internal calls
 * that do not go through the public symbols; the runtime already copes
 * with those, preempt.c), spinlocks, semaphores, and any lock in a program
 * linked with -static (no interposition there).  A lock unlocked by a
 * thread that did not take it (undefined behaviour for every pthread mutex
 * type) stays counted on the thread that took it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { HELD_MAX = 64 };

/* The locks this thread holds, in the order taken; past HELD_MAX only a
 * count.  A recursive mutex taken twice is here twice. */
static __thread struct {
    const void *lock[HELD_MAX];
    int n;
    int extra;
} held;

static void note_taken(const void *l)
{
    if (held.n < HELD_MAX)
        held.lock[held.n++] = l;
    else
        held.extra++;
}

static void note_released(const void *l)
{
    for (int i = held.n; i-- > 0;) {
        if (held.lock[i] == l) {
            for (int j = i; j + 1 < held.n; j++)
                held.lock[j] = held.lock[j + 1];
            held.n--;
            return;
        }
    }
    if (held.extra > 0)
        held.extra--;   /* one of those only counted */
    /* Otherwise taken before this thread was watched, or by another
     * thread: nothing to forget. */
}

/* For the runtime (sched.c): how many locks the calling thread holds, and
 * the most recently taken one in *last. */
int goc_lockcheck_held(const void **last)
{
    int n = held.n + held.extra;
    if (last != NULL)
        *last = held.n > 0 ? held.lock[held.n - 1] : NULL;
    return n;
}

/* libc's functions, found once, at load (the constructor below), before
 * the program runs; a call that comes earlier still (another library's
 * constructor) finds them then.  dlsym may itself take locks, through
 * internal calls that do not come back here. */
static struct {
    int (*mutex_lock)(pthread_mutex_t *);
    int (*mutex_trylock)(pthread_mutex_t *);
    int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
    int (*mutex_unlock)(pthread_mutex_t *);
    int (*rw_rdlock)(pthread_rwlock_t *);
    int (*rw_wrlock)(pthread_rwlock_t *);
    int (*rw_tryrdlock)(pthread_rwlock_t *);
    int (*rw_trywrlock)(pthread_rwlock_t *);
    int (*rw_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
    int (*rw_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
    int (*rw_unlock)(pthread_rwlock_t *);
    _Atomic int ready;
} libc;

static void *real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (f == NULL) {
        static const char msg[] = "libgoc_lockcheck: a pthread function is missing from libc\n";
        (void)!write(2, msg, sizeof msg - 1);
        abort();
    }
    return f;
}

__attribute__((constructor)) static void resolve(void)
{
    if (atomic_load_explicit(&libc.ready, memory_order_acquire))
        return;
    /* Racing first calls resolve the same values: harmless. */
    *(void **)&libc.mutex_lock = real("pthread_mutex_lock");
    *(void **)&libc.mutex_trylock = real("pthread_mutex_trylock");
    *(void **)&libc.mutex_timedlock = real("pthread_mutex_timedlock");
    *(void **)&libc.mutex_unlock = real("pthread_mutex_unlock");
    *(void **)&libc.rw_rdlock = real("pthread_rwlock_rdlock");
    *(void **)&libc.rw_wrlock = real("pthread_rwlock_wrlock");
    *(void **)&libc.rw_tryrdlock = real("pthread_rwlock_tryrdlock");
    *(void **)&libc.rw_trywrlock = real("pthread_rwlock_trywrlock");
    *(void **)&libc.rw_timedrdlock = real("pthread_rwlock_timedrdlock");
    *(void **)&libc.rw_timedwrlock = real("pthread_rwlock_timedwrlock");
    *(void **)&libc.rw_unlock = real("pthread_rwlock_unlock");
    atomic_store_explicit(&libc.ready, 1, memory_order_release);
}

#define LIBC(f) (atomic_load_explicit(&libc.ready, memory_order_acquire) ? 0 : (resolve(), 0), libc.f)

/* A lock taken: r == 0 records it. */
#define TAKEN(r, l) do { if ((r) == 0) note_taken(l); } while (0)

int pthread_mutex_lock(pthread_mutex_t *m)
{
    int r = LIBC(mutex_lock)(m);
    TAKEN(r, m);
    return r;
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    int r = LIBC(mutex_trylock)(m);
    TAKEN(r, m);
    return r;
}

int pthread_mutex_timedlock(pthread_mutex_t *restrict m, const struct timespec *restrict t)
{
    int r = LIBC(mutex_timedlock)(m, t);
    TAKEN(r, m);
    return r;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    int r = LIBC(mutex_unlock)(m);
    if (r == 0)
        note_released(m);
    return r;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    int r = LIBC(rw_rdlock)(l);
    TAKEN(r, l);
    return r;
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    int r = LIBC(rw_wrlock)(l);
    TAKEN(r, l);
    return r;
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    int r = LIBC(rw_tryrdlock)(l);
    TAKEN(r, l);
    return r;
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    int r = LIBC(rw_trywrlock)(l);
    TAKEN(r, l);
    return r;
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict l, const struct timespec *restrict t)
{
    int r = LIBC(rw_timedrdlock)(l, t);
    TAKEN(r, l);
    return r;
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict l, const struct timespec *restrict t)
{
    int r = LIBC(rw_timedwrlock)(l, t);
    TAKEN(r, l);
    return r;
}

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    int r = LIBC(rw_unlock)(l);
    if (r == 0)
        note_released(l);
    return r;
}
