/*
 * sched.c — the G/M/P scheduler (Go's proc.go).
 *
 * Design note.  A goroutine (G) runs on an OS thread (M) that holds a
 * processor (P).  Each M runs schedule() on its own thread stack, its g0:
 * a G gives up the CPU by switching to g0 with an action (goc__mcall: park,
 * yield, exit, preempt, syscall exit), g0 runs the action off the G's stack,
 * then findrunnable() picks the next G and g0 switches to it.  Two switches
 * per hand-off, like Go's mcall + gogo; the action runs where the G's stack
 * is no longer in use, which is what makes park-then-unlock safe.
 *
 * Where work is found, in findrunnable's order (Go's findRunnable): this P's
 * timers; every 61st tick one G from the global queue; runnext then the local
 * ring; the global queue; a non-blocking netpoll; stealing from other Ps (4
 * rounds, random coprime order, half a queue, runnext and timers only on the
 * last round).  With nothing found the M gives its P back, re-checks every
 * queue after a full fence, then blocks in netpoll (one M at most, bounded by
 * the next timer) or sleeps on its note.
 *
 * Spinning: an M that looks for work without finding it yet "spins"; at most
 * half the busy Ps have a spinning M.  Whoever submits work (goc_go, ready)
 * calls wakep(), which starts a spinning M only if none spins; the last
 * spinning M to find work wakes another.  Ms never busy-wait otherwise.
 *
 * Rejected alternatives: one global queue with a lock (contention at 2+
 * Ps); work-sharing instead of stealing (wakes threads needlessly); running
 * schedule() on the G's stack (unlocking a channel before the G is off its
 * stack lets a waker resume it on another M while this one still uses it);
 * allocating each stack at spawn (a G that never ran costs a stack: here a
 * G gets its stack when first run, from the P's cache, so a spawn storm at
 * P=1 reuses one warm stack instead of faulting a million pages in).
 *
 * State, and who changes it:
 *   g->status  goc__casgstatus, by the M running or readying it.
 *   m->p / p->m / p->status  acquirep/releasep by the M, pidle* under
 *              sched.lock, syscall.c by CAS on p->status (P_SYSCALL).
 *   sched.*    under sched.lock unless atomic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"


struct goc_sched goc__sched;
P *goc__allp[GOC_MAXPROCS_LIMIT];
_Atomic int32_t goc__gomaxprocs;
M *_Atomic goc__allm;
struct goc_debug goc__debug;

__thread M *goc__tls_m;            /* the M of this thread, NULL if foreign */
#define tls_m goc__tls_m
static __thread G *tls_foreign_g;  /* a foreign thread's stand-in G */
static goc_note main_note;
static _Atomic bool main_started;
static _Atomic bool runtime_up;
static G *main_g;
static sigset_t initsigmask;       /* goc_main's caller's mask: every M's */

/* ------------------------------------------------------------ basics */

M *goc__getm(void) GOC_NOINLINE;
M *goc__getm(void) { return tls_m; }

G *goc__getg(void) GOC_NOINLINE;
G *goc__getg(void)
{
    M *m = tls_m;
    return m ? atomic_load_explicit(&m->curg, memory_order_relaxed) : NULL;
}

/* A foreign thread's stand-in G lives as long as the thread: it is never
 * on a queue once the thread returns from a wait, so the key's destructor
 * frees it when the thread exits. */
static pthread_key_t foreign_key;
static pthread_once_t foreign_key_once = PTHREAD_ONCE_INIT;

static void foreign_g_free(void *p)
{
    G *f = p;
    if (atomic_load(&f->status) == G_WAITING)
        return;          /* cannot happen: the thread is not blocked */
    /* Destructors run on the exiting thread: one that runs after this one
     * and uses goc (a channel send in a thread_local's destructor) gets a
     * fresh stand-in, freed in the next destructor round, not this one. */
    if (tls_foreign_g == f)
        tls_foreign_g = NULL;
    if (f->after != NULL)
        goc__after_gexit(f);
    free(f);
}

static void foreign_key_init(void)
{
    if (pthread_key_create(&foreign_key, foreign_g_free) != 0)
        goc__fatal("pthread_key_create failed (foreign threads)");
}

G *goc__getg_or_foreign(void)
{
    G *gp = goc__getg();
    if (gp)
        return gp;
    if (tls_m)
        goc__fatal("blocking operation on the scheduler stack (g0)");
    if (tls_foreign_g == NULL) {
        G *f = calloc(1, sizeof *f);
        if (f == NULL)
            goc__fatal("out of memory (foreign thread)");
        f->foreign = true;
        atomic_store(&f->status, G_RUNNING);
        tls_foreign_g = f;
        pthread_once(&foreign_key_once, foreign_key_init);
        pthread_setspecific(foreign_key, f);   /* freed at thread exit */
        atomic_store(&goc__sched.foreign_seen, true);
    }
    return tls_foreign_g;
}

int64_t goc__nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* For "waited N ms" in dumps only: the jiffy clock costs a few ns where the
 * precise one costs ~20 on every park. */
int64_t goc__nanotime_coarse(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static __thread uint64_t tls_rand;

uint64_t goc__fastrand64(void)
{
    /* wyrand: per thread, seeded from the clock and the thread's address. */
    if (unlikely(tls_rand == 0))
        tls_rand = (uint64_t)goc__nanotime() ^ (uint64_t)(uintptr_t)&tls_rand ^ 0x9e3779b97f4a7c15ULL;
    tls_rand += 0xa0761d6478bd642fULL;
    __uint128_t t = (__uint128_t)tls_rand * (tls_rand ^ 0xe7037ed1a0b428dbULL);
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

uint32_t goc__fastrand(void)
{
    return (uint32_t)goc__fastrand64();
}

uint32_t goc__fastrandn(uint32_t n)
{
    return (uint32_t)(((uint64_t)goc__fastrand() * n) >> 32);
}

/* Each transition has exactly one party entitled to make it (the M running
 * the G, or the single waker that dequeued its wait record under the
 * object's lock, or won selectdone / the pollDesc CAS).  In a checked build
 * (GOC_CHECKED: sanitizers, Debug) it is a real compare-and-swap, as Go's:
 * when an ownership bug lets two parties race (two Ms pushing one P's
 * queue, F6) exactly one wins and the other dies naming the transition,
 * instead of both going on and running one G twice.  Otherwise a checked
 * load + store-release: it still dies on any transition from the wrong
 * state, but two racing parties can both pass; the locked instruction cost
 * +10 ns a yield and +30-60 ns a ping-pong round trip on every switch. */
bool goc__casgstatus(G *gp, uint32_t from, uint32_t to)
{
#if GOC_CHECKED
    uint32_t old = from;
    return atomic_compare_exchange_strong_explicit(&gp->status, &old, to,
                                                   memory_order_acq_rel,
                                                   memory_order_acquire);
#else
    if (atomic_load_explicit(&gp->status, memory_order_acquire) != from)
        return false;
    atomic_store_explicit(&gp->status, to, memory_order_release);
    return true;
#endif
}

static const char *gstatus_name(uint32_t s)
{
    switch (s) {
    case G_IDLE: return "idle";
    case G_RUNNABLE: return "runnable";
    case G_RUNNING: return "running";
    case G_SYSCALL: return "syscall";
    case G_WAITING: return "waiting";
    case G_DEAD: return "dead";
    case G_PREEMPTED: return "preempted";
    default: return "?";
    }
}

void goc__casgstatus_fail(G *gp, uint32_t from, uint32_t to)
{
    char msg[160];
    uint32_t now = atomic_load(&gp->status);
    snprintf(msg, sizeof msg,
             "casgstatus: bad transition %s -> %s of goroutine %llu (status %s)",
             gstatus_name(from), gstatus_name(to), (unsigned long long)gp->goid,
             gstatus_name(now));
    goc__fatal(msg);
}

static inline void casgstatus(G *gp, uint32_t from, uint32_t to)
{
    if (unlikely(!goc__casgstatus(gp, from, to)))
        goc__casgstatus_fail(gp, from, to);
}

/* errno is thread state; a G keeps its own across switches (DESIGN.md #3).
 * Saved and restored through m->errnop, the &errno of the M's thread, with
 * m read after the switch (goc__getm is out of line), so no caller reuses
 * the previous thread's &errno -- and no __errno_location call per
 * switch. */
static inline void save_errno(M *m, G *gp) { gp->saved_errno = *m->errnop; }
static inline void restore_errno(M *m, G *gp) { *m->errnop = gp->saved_errno; }

/* ------------------------------------------------------------- allgs */

static goc_lock allglock;
G **goc__allgs;
size_t goc__allglen;
static size_t allgcap;

static void allgadd(G *gp)
{
    goc__lock(&allglock);
    if (goc__allglen == allgcap) {
        size_t ncap = allgcap ? allgcap * 2 : 1024;
        G **n = realloc(goc__allgs, ncap * sizeof *n);
        if (n == NULL)
            goc__fatal("out of memory (allgs)");
        /* Stores-release (not fences, which TSan cannot see) for the one
         * reader without allglock: the fatal dump (trace.c). */
        __atomic_store_n(&goc__allgs, n, __ATOMIC_RELEASE);
        allgcap = ncap;
    }
    goc__allgs[goc__allglen] = gp;
    __atomic_store_n(&goc__allglen, goc__allglen + 1, __ATOMIC_RELEASE);
    goc__unlock(&allglock);
}

void goc__allg_lock(void) { goc__lock(&allglock); }
void goc__allg_unlock(void) { goc__unlock(&allglock); }

/* ---------------------------------------------- free Gs (gfput/gfget) */

enum { GFREE_MAX = 64, GFREE_KEEP = 32 };   /* Go's gfput/gfget batches */

/* gflock held; atomic only so gfget may peek without the lock. */
static inline void ngfree_add(int d)
{
    int32_t v = atomic_load_explicit(&goc__sched.ngfree, memory_order_relaxed);
    atomic_store_explicit(&goc__sched.ngfree, v + d, memory_order_relaxed);
}

static void gfput(P *pp, G *gp)
{
    gp->schedlink = pp->gfree;
    pp->gfree = gp;
    if (++pp->gfreecnt < GFREE_MAX)
        return;
    goc__lock(&goc__sched.gflock);
    while (pp->gfreecnt >= GFREE_KEEP) {
        G *g1 = pp->gfree;
        pp->gfree = g1->schedlink;
        pp->gfreecnt--;
        g1->schedlink = goc__sched.gfree;
        goc__sched.gfree = g1;
        ngfree_add(1);
    }
    goc__unlock(&goc__sched.gflock);
}

static G *gfget(P *pp)
{
    if (pp && pp->gfree == NULL &&
        atomic_load_explicit(&goc__sched.ngfree, memory_order_relaxed) > 0) {
        goc__lock(&goc__sched.gflock);
        while (pp->gfreecnt < GFREE_KEEP && goc__sched.gfree) {
            G *g1 = goc__sched.gfree;
            goc__sched.gfree = g1->schedlink;
            ngfree_add(-1);
            g1->schedlink = pp->gfree;
            pp->gfree = g1;
            pp->gfreecnt++;
        }
        goc__unlock(&goc__sched.gflock);
    }
    G *gp = pp ? pp->gfree : NULL;
    if (gp) {
        pp->gfree = gp->schedlink;
        pp->gfreecnt--;
        return gp;
    }
    if (pp == NULL) {
        goc__lock(&goc__sched.gflock);
        gp = goc__sched.gfree;
        if (gp) {
            goc__sched.gfree = gp->schedlink;
            ngfree_add(-1);
        }
        goc__unlock(&goc__sched.gflock);
        if (gp)
            return gp;
    }
    /* Plain calloc, not cache-line aligned: a million parked Gs cost
     * sizeof(G) + 8 each this way, ~60 bytes less than aligned. */
    gp = calloc(1, sizeof *gp);
    if (gp == NULL)
        return NULL;
    atomic_store_explicit(&gp->status, G_DEAD, memory_order_relaxed);
#if GOC_TSAN
    gp->tsan_fiber = __tsan_create_fiber(0);
#endif
    allgadd(gp);
    return gp;
}

/* ------------------------------------------------ sanitizer-aware switch */

/* G -> g0.  The G's errno is saved, the G's stack is left for g0's. */
static inline void switch_to_g0(M *m, G *gp)
{
#if GOC_ASAN
    __sanitizer_start_switch_fiber(
        atomic_load_explicit(&gp->status, memory_order_relaxed) == G_DEAD ? NULL : &gp->asan_fake,
        m->g0lo, m->g0size);
#endif
#if GOC_TSAN
    __tsan_switch_to_fiber(m->tsan_fiber, 0);
#endif
    goc__ctx_switch(&gp->sp, m->g0sp);
#if GOC_ASAN
    __sanitizer_finish_switch_fiber(gp->asan_fake, NULL, NULL);
#endif
}

/* g0 -> G.  Returns when the G switches back. */
static inline void switch_to_g(M *m, G *gp)
{
#if GOC_ASAN
    __sanitizer_start_switch_fiber(&m->asan_fake, gp->stack->lo,
                                   (size_t)(gp->stack->hi - gp->stack->lo));
#endif
#if GOC_TSAN
    __tsan_switch_to_fiber(gp->tsan_fiber, 0);
#endif
    goc__ctx_switch(&m->g0sp, gp->sp);
#if GOC_ASAN
    __sanitizer_finish_switch_fiber(m->asan_fake, NULL, NULL);
#endif
    /* The G that came back may not be gp: gp may have handed the M to
     * another G directly (direct_switch). */
    G *back = m->mcall_g;
    if (unlikely(!goc__stack_check_canary(back->stack)))
        goc__stack_overflow(back);
}

/* A G switched to directly leaves its predecessor's action for whoever
 * resumes next on this M; every resume point runs it first. */
static inline void run_pending(M *m)
{
    void (*fn)(M *, G *) = m->pending_fn;
    if (fn) {
        G *gp = m->pending_g;
        m->pending_fn = NULL;
        m->pending_g = NULL;
        fn(m, gp);
    }
}

/* Go's mcall: switch to g0 and run fn(gp) there.  Returns when gp runs
 * again, possibly on another M. */
static void mcall_entered(M *m, void (*fn)(G *gp))
{
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
    save_errno(m, gp);
    gp->savedlocks = goc__mlocks(m) - 1;   /* less goc__enter's */
    m->mcall_fn = fn;
    m->mcall_g = gp;
    switch_to_g0(m, gp);
    m = goc__getm();
    run_pending(m);
    goc__mlocks_set(m, gp->savedlocks);
    restore_errno(m, gp);
}

/* Enter the runtime with a P (goc__enter): a G whose P sysmon took while
 * it was blocked outside the runtime gets one first (goc__pless_exit; it
 * may resume on another M). */
static M *enter_with_p(void)
{
    for (;;) {
        M *m = goc__getm();
        goc__enter(m);
        if (likely(!m->pless))
            return m;
        goc__leave(m);
        goc__pless_exit();
    }
}

void goc__mcall(void (*fn)(G *gp))
{
    mcall_entered(enter_with_p(), fn);
}

/* gp becomes m's running G (execute and direct_switch). */
static inline void make_curg(M *m, G *gp)
{
    atomic_store_explicit(&m->curg, gp, memory_order_relaxed);
    atomic_store_explicit(&gp->m, m, memory_order_relaxed);
    casgstatus(gp, G_RUNNABLE, G_RUNNING);
    gp->waitsince = 0;
    atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
}

/* G -> G without g0 (a park whose successor is already known): the
 * successor runs fn(gp) first, once gp is off its stack. */
static void direct_switch(M *m, G *gp, G *next, void (*fn)(M *m, G *gp))
{
    save_errno(m, gp);
    m->pending_fn = fn;
    m->pending_g = gp;
    make_curg(m, next);              /* inherits the time slice */
    next->stack->owner = next;
#if GOC_ASAN
    __sanitizer_start_switch_fiber(&gp->asan_fake, next->stack->lo,
                                   (size_t)(next->stack->hi - next->stack->lo));
#endif
#if GOC_TSAN
    __tsan_switch_to_fiber(next->tsan_fiber, 0);
#endif
    gp->savedlocks = goc__mlocks(m) - 1;   /* less the park's goc__enter */
    goc__ctx_switch(&gp->sp, next->sp);
#if GOC_ASAN
    __sanitizer_finish_switch_fiber(gp->asan_fake, NULL, NULL);
#endif
    m = goc__getm();
    run_pending(m);
    goc__mlocks_set(m, gp->savedlocks);
    restore_errno(m, gp);
}

/* ------------------------------------------------------ P and M lists */

static inline int32_t nprocs(void)
{
    return atomic_load_explicit(&goc__gomaxprocs, memory_order_relaxed);
}

/* sched.lock held.  pp's queue must be empty. */
static void pidleput(P *pp)
{
    atomic_store_explicit(&pp->status, P_IDLE, memory_order_relaxed);
    atomic_store_explicit(&pp->m, NULL, memory_order_relaxed);
    pp->link = goc__sched.pidle;
    goc__sched.pidle = pp;
    atomic_fetch_add(&goc__sched.npidle, 1);
}

/* sched.lock held.  A P leaving the idle list ends sysmon's deep sleep
 * (taken while every P was idle): whatever path takes it (startm, an M
 * back from netpoll or a timer wait, a blocking call's exit), its G must
 * be watched for preemption and blocking from now on.  The sleep once
 * lasted 60 s past such a wake-up: a G woken by a timer then blocked in
 * read() or spun unpreempted for a minute. */
static P *pidleget(void)
{
    P *pp = goc__sched.pidle;
    if (pp) {
        goc__sched.pidle = pp->link;
        atomic_fetch_sub(&goc__sched.npidle, 1);
        if (unlikely(atomic_load_explicit(&goc__sched.sysmonwait, memory_order_relaxed))) {
            atomic_store(&goc__sched.sysmonwait, 0);
            goc__notewakeup(&goc__sched.sysmonnote);
        }
    }
    return pp;
}

/* sched.lock held.  No P: remember that a spinning M was wanted. */
static P *pidlegetSpinning(void)
{
    P *pp = pidleget();
    if (pp == NULL)
        atomic_store(&goc__sched.needspinning, 1);
    return pp;
}

static void acquirep(M *m, P *pp)
{
    m->p = pp;
    atomic_store_explicit(&pp->m, m, memory_order_release);   /* sysmon reads */
    atomic_store_explicit(&pp->status, P_RUNNING, memory_order_relaxed);
}

static P *releasep(M *m)
{
    P *pp = m->p;
    m->p = NULL;
    atomic_store_explicit(&pp->m, NULL, memory_order_relaxed);
    atomic_store_explicit(&pp->status, P_IDLE, memory_order_relaxed);
    return pp;
}

/* sched.lock held. */
static void mput(M *m)
{
    m->schedlink = goc__sched.midle;
    goc__sched.midle = m;
    goc__sched.nmidle++;
    goc__checkdead();
}

static M *mget(void)
{
    M *m = goc__sched.midle;
    if (m) {
        goc__sched.midle = m->schedlink;
        goc__sched.nmidle--;
    }
    return m;
}

/* ------------------------------------------------------ spinning Ms */

static void become_spinning(M *m)
{
    m->spinning = true;
    atomic_fetch_add(&goc__sched.nmspinning, 1);
    atomic_store(&goc__sched.needspinning, 0);
}

static void resetspinning(M *m)
{
    m->spinning = false;
    int32_t n = atomic_fetch_sub(&goc__sched.nmspinning, 1) - 1;
    if (n < 0)
        goc__fatal("findrunnable: negative nmspinning");
    /* The last spinning M to find work starts another, so new work
     * submitted meanwhile is not left without a spinner. */
    goc__wakep();
}

static void newm(P *pp, bool spinning, int64_t id);

/* Run some M on pp (or an idle P when pp is NULL). */
static void startm(P *pp, bool spinning)
{
    goc__lock(&goc__sched.lock);
    if (pp == NULL) {
        pp = pidleget();
        if (pp == NULL) {
            goc__unlock(&goc__sched.lock);
            if (spinning)
                atomic_fetch_sub(&goc__sched.nmspinning, 1);
            return;
        }
    }
    if (unlikely(atomic_load_explicit(&goc__sched.sysmonwait, memory_order_relaxed))) {
        /* Ps are getting busy again: sysmon must watch them. */
        atomic_store(&goc__sched.sysmonwait, 0);
        goc__notewakeup(&goc__sched.sysmonnote);
    }
    M *nmp = mget();
    if (nmp == NULL) {
        /* Reserve the id under the lock so checkdead counts the new M. */
        int64_t id = goc__sched.mnext++;
        goc__unlock(&goc__sched.lock);
        newm(pp, spinning, id);
        return;
    }
    goc__unlock(&goc__sched.lock);
    nmp->spinning = spinning;
    nmp->nextp = pp;
    goc__notewakeup(&nmp->park);
}

/* Work went onto the global queue from a thread without a P (a foreign
 * thread, a retiring M), and wakep follows.  sched.lock's unlock is a plain
 * store, so the queue's new size may still sit in this CPU's store buffer
 * while wakep reads nmspinning != 0 and leaves the G to the spinning M; that
 * M meanwhile drops out (fetch_sub, then reads the queue empty) and sleeps:
 * nobody runs the G (chan_foreign hung at P=8, all Ps idle, main on the
 * global queue).  A read-modify-write of nmspinning orders the two sides:
 * the spinner's fetch_sub either comes after it (and sees the queue) or
 * before it (and wakep sees the spinner gone).  A P holder needs none: its
 * own M runs what it queued. */
static inline void globrunq_order(void)
{
    (void)atomic_fetch_add(&goc__sched.nmspinning, 0);
}

void goc__wakep(void)
{
    /* One spinning M at a time is enough to find new work. */
    int32_t zero = 0;
    /* No idle P and an M releasing one is already told to spin: nothing
     * to do (the lock-free form of pidlegetSpinning failing). */
    if (atomic_load(&goc__sched.npidle) == 0 && atomic_load(&goc__sched.needspinning) == 1)
        return;
    if (atomic_load(&goc__sched.nmspinning) != 0 ||
        !atomic_compare_exchange_strong(&goc__sched.nmspinning, &zero, 1))
        return;
    goc__lock(&goc__sched.lock);
    P *pp = pidlegetSpinning();
    goc__unlock(&goc__sched.lock);
    if (pp == NULL) {
        atomic_fetch_sub(&goc__sched.nmspinning, 1);
        return;
    }
    startm(pp, true);
}

/* Park this M until startm hands it a P. */
static void stopm(M *m)
{
    if (m->p)
        goc__fatal("stopm holding p");
    if (m->spinning)
        goc__fatal("stopm spinning");
    /* io_uring operations this M queued go to the kernel before it sleeps:
     * nobody else may enter the ring for a while. */
    goc__uring_flush();
    goc__lock(&goc__sched.lock);
    mput(m);
    goc__unlock(&goc__sched.lock);
    m->blocked = true;
    goc__notesleep(&m->park);
    m->blocked = false;
    goc__noteclear(&m->park);
    acquirep(m, m->nextp);
    m->nextp = NULL;
}

/* Hand off pp from an M that is blocked or leaving (Go's handoffp). */
void goc__handoffp(P *pp)
{
    if (!goc__runqempty(pp) || atomic_load(&goc__sched.runqsize) != 0) {
        startm(pp, false);
        return;
    }
    /* No local work: be sure someone spins if nobody does. */
    if (atomic_load(&goc__sched.nmspinning) + atomic_load(&goc__sched.npidle) == 0) {
        int32_t zero = 0;
        if (atomic_compare_exchange_strong(&goc__sched.nmspinning, &zero, 1)) {
            atomic_store(&goc__sched.needspinning, 0);
            startm(pp, true);
            return;
        }
    }
    goc__lock(&goc__sched.lock);
    if (atomic_load(&goc__sched.runqsize) != 0) {
        goc__unlock(&goc__sched.lock);
        startm(pp, false);
        return;
    }
    /* The last running P and nobody polling: keep polling the network and
     * timers. */
    if (atomic_load(&goc__sched.npidle) == nprocs() - 1 &&
        atomic_load(&goc__sched.lastpoll) != 0) {
        goc__unlock(&goc__sched.lock);
        startm(pp, false);
        return;
    }
    pidleput(pp);
    goc__unlock(&goc__sched.lock);
    int64_t when = goc__timers_next(pp);
    if (when != 0)
        goc__wake_netpoller(when);
}

/* goc_syscall_exit's slow path: any idle P will do. */
bool goc__exitsyscall_pidle(M *m)
{
    if (atomic_load(&goc__sched.npidle) == 0)
        return false;
    goc__lock(&goc__sched.lock);
    P *pp = pidleget();
    goc__unlock(&goc__sched.lock);
    if (pp == NULL)
        return false;
    acquirep(m, pp);
    return true;
}

void goc__wake_netpoller(int64_t when)
{
    if (atomic_load(&goc__sched.lastpoll) == 0) {
        /* An M is blocked in netpoll: break it if it sleeps past when. */
        int64_t pu = atomic_load(&goc__sched.pollUntil);
        if (pu == 0 || pu > when)
            goc__netpoll_break();
    } else {
        goc__wakep();
    }
}

/* ----------------------------------------------------- goroutines */

static void newproc_on(P *pp, G *newg)
{
    if (pp) {
        if (pp->goidcache == pp->goidcacheend) {
            /* Go's _GoidCacheBatch: ids in batches of 16 per P. */
            pp->goidcache = atomic_fetch_add(&goc__sched.goidgen, 16) + 1;
            pp->goidcacheend = pp->goidcache + 16;
        }
        newg->goid = pp->goidcache++;
    } else {
        newg->goid = atomic_fetch_add(&goc__sched.goidgen, 1) + 1;
    }
}

/* Goroutine count: each P's share is written only by the M holding it. */
static inline void gcount_add(P *pp, int d)
{
    if (pp) {
        int64_t v = atomic_load_explicit(&pp->ngo, memory_order_relaxed);
        atomic_store_explicit(&pp->ngo, v + d, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&goc__sched.ngoroutines, d, memory_order_relaxed);
    }
}

enum { SPAWN_YIELD = 64 };   /* half a ring would spill to global at 128 */
static void goyield_m(G *gp);

/* gopc: the caller's PC for the dump's "created by" (goc_go's caller). */
static int newproc(void (*fn)(void *arg), void *arg, bool may_yield,
                   uintptr_t gopc, int stackcls)
{
    if (fn == NULL)
        return -EINVAL;
    if (!atomic_load_explicit(&runtime_up, memory_order_acquire))
        return -EAGAIN;
    goc__preempt_check();
    M *m = goc__getm();
    P *pp = goc__enter(m);
    G *newg = gfget(pp);
    if (newg == NULL) {
        goc__leave(m);
        return -ENOMEM;
    }
    newg->fn = fn;
    newg->arg = arg;
    newg->gopc = gopc;
    G *parent = m ? atomic_load_explicit(&m->curg, memory_order_relaxed) : NULL;
    newg->parentgoid = parent ? parent->goid : 0;
    newg->waitreason = W_ZERO;
    newg->stackcls = (uint8_t)stackcls;
    atomic_store_explicit(&newg->preempt, false, memory_order_relaxed);
    newg->lockedm = NULL;
    newg->saved_errno = 0;
    newproc_on(pp, newg);
    gcount_add(pp, 1);
#if GOC_TSAN
    __tsan_release(newg);        /* go statement happens before fn runs */
#endif
    casgstatus(newg, G_DEAD, G_RUNNABLE);
    if (pp) {
        goc__runqput(pp, newg, true);
        bool crowded = goc__runqlen(pp) >= SPAWN_YIELD;
        goc__leave(m);
        /* A spawner that outruns its children lets the queued ones run
         * (yield to the local tail) before the ring overflows to the global
         * queue: their G structs and the one warm stack they share stay in
         * cache, and a spawn storm keeps O(SPAWN_YIELD) Gs alive instead of
         * millions.  Go lets the spawner run until preempted (10 ms), which
         * piles up tens of thousands (shared/anchors/README.md).  Not while
         * the thread holds a pthread lock (libgoc_lockcheck knows). */
        if (may_yield && crowded && atomic_load_explicit(&main_started, memory_order_relaxed) &&
            !goc__oslock_held())
            goc__mcall(goyield_m);
    } else {
        /* No P (a foreign thread, a blocking call, a G running P-less after
         * preemption): the global queue.  The M's count goes back down here
         * too: leaked, it left m->locks > 0 for good and the signal never
         * again preempted a G on that M (soak: preempt + syscalls, a
         * spinner unpreempted for 10 s, m->locks 257). */
        goc__leave(m);
        goc__lock(&goc__sched.lock);
        goc__globrunqput(newg);
        goc__unlock(&goc__sched.lock);
        globrunq_order();
    }
    if (atomic_load_explicit(&main_started, memory_order_relaxed))
        goc__wakep();
    return 0;
}

int goc_go(void (*fn)(void *arg), void *arg)
{
    return newproc(fn, arg, true, (uintptr_t)__builtin_return_address(0), 0);
}

int goc_go_stack(void (*fn)(void *arg), void *arg, size_t stack_size)
{
    if (!atomic_load_explicit(&runtime_up, memory_order_acquire))
        return -EAGAIN;   /* the classes are sized at start */
    int cls = goc__stack_class(stack_size);
    if (cls < 0)
        return -EINVAL;
    return newproc(fn, arg, true, (uintptr_t)__builtin_return_address(0), cls);
}

/* A timer's f (goc_after_func) runs on g0, where the spawner's courtesy
 * yield above would switch away from the scheduler itself. */
int goc__go_noyield(void (*fn)(void *arg), void *arg)
{
    return newproc(fn, arg, false, (uintptr_t)__builtin_return_address(0), 0);
}

static void goexit0(G *gp);

/* Go's goyield_m: back of the LOCAL queue (not the global one). */
static void goyield_m(G *gp)
{
    M *m = goc__getm();
    casgstatus(gp, G_RUNNING, G_RUNNABLE);
    atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
    atomic_store_explicit(&gp->m, NULL, memory_order_relaxed);
    goc__runqput(m->p, gp, false);
}

/* A G's TSan fiber lives as long as its G struct (gfget makes it once; a
 * dead G keeps it on the free list, so a spawn costs no fiber creation:
 * 4.5 ms and ~850 KB in gcc 12's libtsan, 17 us in clang's).  A fiber's
 * shadow call stack must then be where it started when the goroutine ends,
 * or each life leaves its frames there and the shadow stack (64 K entries)
 * overflows after ~32 K goroutines on one G: TSan then hangs or scribbles.
 * The only frames that never pop are those of the way out, which switches
 * away and never returns: goc__gstart and the final switch.  Neither is
 * instrumented (no __tsan_func_entry), so a G's fiber is empty again when
 * its goroutine exits.  Plain builds: no effect. */
#if GOC_TSAN && defined(__clang__)
#define NO_TSAN_FRAME __attribute__((disable_sanitizer_instrumentation))
#elif GOC_TSAN
#define NO_TSAN_FRAME __attribute__((no_sanitize_thread))
#else
#define NO_TSAN_FRAME
#endif

/* The m->locks stores of the two functions below, kept out of line: in a
 * function TSan does not instrument, their release and acquire would be
 * invisible to it, and the P's data handed on through them would look
 * raced (clang TSan: goc__stack_alloc on a P sysmon took). */
static GOC_NOINLINE M *goexit_enter(void)
{
    return enter_with_p();
}

static GOC_NOINLINE void gstart_leave_runtime(void)
{
    goc__mlocks_set(goc__getm(), 0);   /* out of the runtime: the G's own code */
}

/* The last switch of a goroutine: g0 runs goexit0 and never comes back. */
static GOC_NOINLINE GOC_NORETURN NO_TSAN_FRAME void goexit_switch(void)
{
    /* Into the runtime with a P, as goc__mcall: g0 runs with m->locks > 0
     * (sysmon never takes its P there), and a P taken while the G was
     * blocked outside the runtime is replaced first. */
    M *m = goexit_enter();
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
    m->mcall_fn = goexit0;
    m->mcall_g = gp;
#if GOC_ASAN
    __sanitizer_start_switch_fiber(NULL, m->g0lo, m->g0size);
#endif
#if GOC_TSAN
    __tsan_switch_to_fiber(m->tsan_fiber, 0);
#endif
    goc__ctx_switch(&gp->sp, m->g0sp);
    __builtin_unreachable();
}

/* Every G starts here, on its own stack, entered from goc__ctx_switch. */
NO_TSAN_FRAME void goc__gstart(void)
{
#if GOC_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    M *m = goc__getm();
    run_pending(m);
    gstart_leave_runtime();
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
#if GOC_TSAN
    __tsan_acquire(gp);
#endif
    restore_errno(m, gp);
    gp->fn(gp->arg);
    gp = goc__getg();
    goc__oslock_check(gp, "ended");
    if (unlikely(gp->after != NULL))
        goc__after_gexit(gp);    /* on its own stack: may take locks */
    goc__pless_check(goc__getm());
    gp = goc__getg();
    if (gp == main_g) {
        atomic_store(&goc__sched.main_done, true);
        goc__notewakeup(&main_note);
    }
    goexit_switch();
}

/* -------------------------------------------------- parking, readying */

static void park_m(G *gp);
static void park_pending(M *m, G *gp);

/* The G findrunnable would pick right now when it is simply this P's
 * runnext (a G the parking one just readied, with a stack), taken here so
 * the park can switch to it directly.  NULL sends the park through g0:
 * when anything else may come first (a preempted G, a used-up time slice,
 * the 61st-tick global check, a timer due within the coarse clock's
 * resolution, a retiring P), or when an M is spinning: it was woken to
 * steal this very G, and taking it here leaves it to spin and sleep for
 * nothing (select at P=2 lost 25% that way). */
static G *park_successor(M *m, int64_t coarse_now)
{
    P *pp = m->p;
    G *next = atomic_load_explicit(&pp->runnext, memory_order_relaxed);
    if (next == NULL ||
        atomic_load_explicit(&goc__sched.nlockedq, memory_order_relaxed) != 0 ||
        atomic_load_explicit(&goc__sched.nmspinning, memory_order_relaxed) != 0 ||
        atomic_load_explicit(&pp->preempt, memory_order_relaxed) ||
        pp->id >= atomic_load_explicit(&goc__gomaxprocs, memory_order_relaxed))
        return NULL;
    if (atomic_load_explicit(&pp->schedtick, memory_order_relaxed) % 61 == 0 &&
        atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed) != 0)
        return NULL;
    int64_t w = goc__timers_next(pp);
    if (w != 0 && w <= coarse_now + 8 * 1000 * 1000)
        return NULL;
    if (!atomic_compare_exchange_strong_explicit(&pp->runnext, &next, NULL,
            memory_order_acquire, memory_order_relaxed))
        return NULL;
    /* Ours now (a thief may have run it before, so look only now).  A G
     * that never ran has no stack yet: g0 gives it one. */
    if (next->stack == NULL) {
        /* Release: the thief that takes it back from runnext must see our
         * read of next->stack done before it writes it (execute). */
        atomic_store_explicit(&pp->runnext, next, memory_order_release);
        return NULL;
    }
    return next;
}

static void pless_drop(M *m, G *gp);

void goc__park(bool (*unlockf)(G *gp, void *arg), void *arg, int reason)
{
    G *gp = goc__getg();
    if (gp == NULL) {
        /* A foreign thread blocks itself on its stand-in G's note. */
        gp = goc__getg_or_foreign();
        goc__noteclear(&gp->note);
        gp->waitreason = (uint16_t)reason;
        gp->waitsince = goc__nanotime_coarse();
        atomic_store(&gp->status, G_WAITING);
        atomic_fetch_add(&goc__sched.nforeign_blocked, 1);
        if (unlockf && !unlockf(gp, arg)) {
            atomic_store(&gp->status, G_RUNNING);
            atomic_fetch_sub(&goc__sched.nforeign_blocked, 1);
            return;
        }
        goc__notesleep(&gp->note);
        atomic_fetch_sub(&goc__sched.nforeign_blocked, 1);
        return;
    }
    M *m = goc__getm();
    if (m->syscall_nest > (m->pless ? 1 : 0))
        goc__fatal("goroutine blocked between goc_syscall_enter and goc_syscall_exit");
    if (unlikely(goc_lockcheck_held != NULL)) {
        const void *last;
        int n = goc_lockcheck_held(&last);
        if (unlikely(n > 0)) {
            char doing[64];
            snprintf(doing, sizeof doing, "blocked (%s)", goc__waitreason_str(reason));
            goc__oslock_fatal(gp, doing, n, last);
        }
    }
    goc__enter(m);
    /* A G running P-less (its P taken while it was blocked outside the
     * runtime, or resumed so after preemption) parks without waiting for a
     * P: the caller may hold the lock unlockf releases (a channel's), and
     * the G that would release it may need that very P.  Its M then has
     * no P and stops (schedule). */
    if (unlikely(m->pless))
        pless_drop(m, gp);
    m->waitunlockf = unlockf;
    m->waitlock = arg;
    gp->waitreason = (uint16_t)reason;
    int64_t now = goc__nanotime_coarse();
    gp->waitsince = now;
#if GOC_TSAN
    __tsan_release(gp);
#endif
    G *next = m->p != NULL ? park_successor(m, now) : NULL;
    if (next)
        direct_switch(m, gp, next, park_pending);
    else
        mcall_entered(m, park_m);
#if GOC_TSAN
    __tsan_acquire(gp);
#endif
}

static bool unlock_lock(G *gp, void *l)
{
    (void)gp;
    goc__unlock(l);
    return true;
}

void goc__parkunlock(goc_lock *l, int reason)
{
    goc__park(unlock_lock, l, reason);
}

void goc__ready(G *gp)
{
#if GOC_TSAN
    __tsan_release(gp);
#endif
    if (gp->foreign) {
        atomic_store(&gp->status, G_RUNNING);
        goc__notewakeup(&gp->note);
        return;
    }
    casgstatus(gp, G_WAITING, G_RUNNABLE);
    M *m = goc__getm();
    P *pp = goc__enter(m);
    if (pp) {
        /* sysmon flagged this P's time slice as used up: a chain of Gs
         * readying each other through runnext (and inheriting the slice)
         * must end here, or it starves the rest of the queue. */
        bool next = true;
        if (unlikely(atomic_load_explicit(&pp->preempt, memory_order_relaxed))) {
            atomic_store_explicit(&pp->preempt, false, memory_order_relaxed);
            next = false;
        }
        goc__runqput(pp, gp, next);
    } else {
        goc__lock(&goc__sched.lock);
        goc__globrunqput(gp);
        goc__unlock(&goc__sched.lock);
        globrunq_order();
    }
    goc__leave(m);
    goc__wakep();
}

/* Put a list of Gs (readied by netpoll) to work: one per idle P onto the
 * global queue with an M started for it, the rest on this P's ring (Go's
 * injectglist; no runnext). */
void goc__injectglist(G *list)
{
    if (list == NULL)
        return;
    int32_t n = 0;
    G *tail = NULL;
    for (G *g1 = list; g1; g1 = g1->schedlink) {
        casgstatus(g1, G_WAITING, G_RUNNABLE);
        tail = g1;
        n++;
    }
    M *m = goc__getm();
    P *pp = goc__enter(m);
    if (pp == NULL) {
        goc__leave(m);
        goc__lock(&goc__sched.lock);
        goc__globrunqputbatch(list, tail, n);
        int32_t idle = atomic_load(&goc__sched.npidle);
        goc__unlock(&goc__sched.lock);
        for (; idle > 0 && n > 0; idle--, n--)
            startm(NULL, false);
        return;
    }
    int32_t npidle = atomic_load(&goc__sched.npidle);
    if (npidle > 0) {
        G *head = list, *t = list;
        int32_t k = 1;
        while (k < npidle && t->schedlink) {
            t = t->schedlink;
            k++;
        }
        list = t->schedlink;
        goc__lock(&goc__sched.lock);
        goc__globrunqputbatch(head, t, k);
        goc__unlock(&goc__sched.lock);
        for (int32_t i = 0; i < k; i++)
            startm(NULL, false);
    }
    while (list) {
        G *g1 = list;
        list = g1->schedlink;
        goc__runqput(pp, g1, false);
    }
    goc__leave(m);
    goc__wakep();
}

/* ------------------------------------------------- g0-side actions */

static void park_m(G *gp)
{
    M *m = goc__getm();
    casgstatus(gp, G_RUNNING, G_WAITING);
    atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
    atomic_store_explicit(&gp->m, NULL, memory_order_relaxed);
    bool (*fn)(G *, void *) = m->waitunlockf;
    void *arg = m->waitlock;
    m->waitunlockf = NULL;
    m->waitlock = NULL;
    if (fn && !fn(gp, arg)) {
        casgstatus(gp, G_WAITING, G_RUNNABLE);
        if (likely(m->p != NULL)) {
            m->resume = gp;      /* run it again at once, same slice */
        } else {
            /* A P-less G (its P revoked while it was blocked outside the
             * runtime) whose wait ended before it began: this M has no P
             * to run it and stops next (schedule), so m->resume would
             * strand it -- runnable, on no queue, nobody to wake the M
             * (net_foreign under TSan at P=1 hung so: accept's fd was
             * ready before the park committed).  Any P takes it. */
            goc__lock(&goc__sched.lock);
            goc__globrunqput(gp);
            goc__unlock(&goc__sched.lock);
            globrunq_order();
            goc__wakep();
        }
    }
}

/* The start of a direct switch's pending action (it runs on the
 * successor's stack; the M's curg is the successor): gp, now off its
 * stack, leaves G_RUNNING for to and its M, and its canary is checked.
 * run_pending hands the action the M it runs on (the resume point has just
 * read it), so the action needs no goc__getm of its own. */
static inline void pending_off(G *gp, uint32_t to)
{
    casgstatus(gp, G_RUNNING, to);
    atomic_store_explicit(&gp->m, NULL, memory_order_relaxed);
    if (unlikely(!goc__stack_check_canary(gp->stack)))
        goc__stack_overflow(gp);
}

/* park_m's work for a G that switched directly to its successor. */
static void park_pending(M *m, G *gp)
{
    pending_off(gp, G_WAITING);
    bool (*fn)(G *, void *) = m->waitunlockf;
    void *arg = m->waitlock;
    m->waitunlockf = NULL;
    m->waitlock = NULL;
    if (fn && !fn(gp, arg)) {
        casgstatus(gp, G_WAITING, G_RUNNABLE);
        goc__runqput(m->p, gp, true);   /* it runs right after this one */
    }
}

/* Where a yielding G waits: the back of this P's queue (Go's goyield), so
 * two Gs yielding to each other never touch sched.lock; but the global
 * queue (Go's Gosched) while that holds Gs, or those would wait behind the
 * local ones for the 61st tick every round (a run queue overflowed to it:
 * yield_fair with a 4-slot ring).  Every yielder then cycles through one
 * FIFO, and the local queue is left as soon as the global one is empty. */
static void yield_put(P *pp, G *gp)
{
    if (atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed) != 0) {
        goc__lock(&goc__sched.lock);
        goc__globrunqput(gp);
        goc__unlock(&goc__sched.lock);
    } else if (!goc__runqput_fast(pp, gp)) {
        goc__runqput(pp, gp, false);
    }
}

/* goc_yield through g0 (yield_successor declined): due timers first, as
 * Go's schedule does (a G looping on goc_yield at P=1 must not starve a
 * sleeper, runtime TestYieldProgress), then the back of this P's queue,
 * as on the fast path, and findrunnable chooses (lockedq and the global
 * queue on the 61st tick). */
static void gosched_m(G *gp)
{
    M *m = goc__getm();
    casgstatus(gp, G_RUNNING, G_RUNNABLE);
    atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
    atomic_store_explicit(&gp->m, NULL, memory_order_relaxed);
    P *pp = m->p;
    goc__timers_check(pp, 0, NULL);
    yield_put(pp, gp);
}

static void goexit0(G *gp)
{
    M *m = goc__getm();
    casgstatus(gp, G_RUNNING, G_DEAD);
    atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
    atomic_store_explicit(&gp->m, NULL, memory_order_relaxed);
    gcount_add(m->p, -1);
    gp->fn = NULL;
    gp->arg = NULL;
    gp->waiting = NULL;
    gp->param = NULL;
    goc__stack_free(m->p, gp->stack);
    gp->stack = NULL;
    gfput(m->p, gp);
}

/* yield_successor's verdicts besides a G. */
enum { YIELD_SCHED, YIELD_ALONE };

/* The G findrunnable would pick now in place of a yielding one, taken for
 * a direct switch, when the choice is plain: this P's queue, else the
 * global queue.  NULL with *why: YIELD_ALONE when nothing else is runnable
 * here (the yielder goes on: Go's Gosched would queue it globally and
 * findrunnable would take it straight back), YIELD_SCHED when the
 * scheduler must choose (a preempted G waits on lockedq, a timer is due
 * within the coarse clock's reach, a retiring P).  The 61st tick takes the
 * global queue's head first, as findrunnable does.  A G that never ran gets its stack here, as execute gives it. */
static G *yield_successor(P *pp, int *why)
{
    *why = YIELD_SCHED;
    if (atomic_load_explicit(&goc__sched.nlockedq, memory_order_relaxed) != 0 ||
        pp->id >= atomic_load_explicit(&goc__gomaxprocs, memory_order_relaxed))
        return NULL;
    uint32_t tick = atomic_load_explicit(&pp->schedtick, memory_order_relaxed);
    int32_t globn = atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed);
    int64_t w = goc__timers_next(pp);
    if (w != 0 && w <= goc__nanotime_coarse() + 8 * 1000 * 1000)
        return NULL;
    bool inherit = false;
    G *next = NULL;
    if (tick % 61 == 0 && globn != 0) {
        /* findrunnable's fairness check, done here. */
        goc__lock(&goc__sched.lock);
        next = goc__globrunqget(pp, 1);
        goc__unlock(&goc__sched.lock);
    }
    if (next == NULL)
        next = goc__runqget(pp, &inherit);
    if (next == NULL && globn != 0) {
        goc__lock(&goc__sched.lock);
        next = goc__globrunqget(pp, 0);
        goc__unlock(&goc__sched.lock);
        inherit = false;
    }
    if (!inherit || next == NULL)
        atomic_store_explicit(&pp->schedtick, tick + 1, memory_order_relaxed);
    if (next == NULL) {
        *why = YIELD_ALONE;
        return NULL;
    }
    if (next->stack == NULL) {
        next->stack = goc__stack_alloc(pp, next->stackcls);
        if (next->stack == NULL)
            goc__fatal("out of memory allocating a goroutine stack");
        next->sp = goc__ctx_init(next->stack->lo, next->stack->hi);
    }
    return next;
}

/* The yielder, off its stack (run by its successor), queued (yield_put)
 * where an idle P may take it. */
static void yield_pending(M *m, G *gp)
{
    pending_off(gp, G_RUNNABLE);
    yield_put(m->p, gp);
    if (atomic_load_explicit(&goc__sched.npidle, memory_order_relaxed) != 0)
        goc__wakep();
}

void goc_yield(void)
{
    M *m = goc__getm();
    if (m != NULL && unlikely(m->pless)) {
        goc__pless_exit();
        m = goc__getm();
    }
    G *gp = m ? atomic_load_explicit(&m->curg, memory_order_relaxed) : NULL;
    if (gp == NULL || m->syscall_nest > 0) {
        /* A foreign thread, or inside goc_syscall_enter/exit: the thread
         * holds no P to give up; let the OS run something else. */
        sched_yield();
        return;
    }
    goc__oslock_check(gp, "yielded");
    /* Fast paths: switch straight to the successor, or go on when there
     * is none; a new time slice either way (sysmon's request is met).
     * m is this thread's M already (no second goc__getm on the path). */
    goc__enter(m);
    if (unlikely(m->pless)) {
        goc__leave(m);
        m = enter_with_p();
    }
    P *pp = m->p;
    int why;
    G *next = yield_successor(pp, &why);
    if (next != NULL || why == YIELD_ALONE) {
        atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
        atomic_store_explicit(&pp->preempt, false, memory_order_relaxed);
        if (next == NULL) {
            goc__leave(m);
            return;
        }
        direct_switch(m, gp, next, yield_pending);
        return;
    }
    mcall_entered(m, gosched_m);
}

/* Cooperative preemption point (Go's stack-guard check): a G asked to
 * yield by sysmon does so at its next runtime call. */
void goc__oslock_fatal(G *gp, const char *doing, int n, const void *last)
{
    char msg[400];
    snprintf(msg, sizeof msg,
             "goroutine %llu %s while its thread holds pthread lock %p (%d held): another "
             "goroutine on this thread would block on it or, if it is recursive, enter it, "
             "and this one may resume on a thread that does not own it (unlock first; "
             "reported by libgoc_lockcheck)",
             (unsigned long long)gp->goid, doing, last, n);
    goc__fatal(msg);
}

void goc__preempt_check(void)
{
    M *m = goc__getm();
    G *gp = m ? atomic_load_explicit(&m->curg, memory_order_relaxed) : NULL;
    /* Inside goc_syscall_enter/exit the G holds no P to yield: it yields at
     * goc_syscall_exit.  Nor does a G whose thread holds a pthread lock
     * (libgoc_lockcheck knows): the runtime must not move it off its
     * thread; it yields at its next check without one. */
    if (gp && unlikely(atomic_load_explicit(&gp->preempt, memory_order_relaxed)) &&
        m->syscall_nest == 0 && !goc__oslock_held()) {
        atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
        goc__mcall(gosched_m);
    }
}

uint64_t goc_id(void)
{
    G *gp = goc__getg();
    return gp ? gp->goid : 0;
}

int goc_num_goroutines(void)
{
    /* Per-P counts (a shared counter bounced between cores on every spawn
     * and exit); Ps are never freed, so retired ones still add up. */
    int64_t n = atomic_load_explicit(&goc__sched.ngoroutines, memory_order_relaxed);
    for (int i = 0; i < GOC_MAXPROCS_LIMIT && goc__allp[i]; i++)
        n += atomic_load_explicit(&goc__allp[i]->ngo, memory_order_relaxed);
    return (int)n;
}

/* ------------------------------------------------------- execute */

static void execute(M *m, G *gp, bool inherit)
{
    P *pp = m->p;
    make_curg(m, gp);
    if (!inherit)
        atomic_store_explicit(&pp->schedtick,
            atomic_load_explicit(&pp->schedtick, memory_order_relaxed) + 1,
            memory_order_relaxed);
    if (unlikely(gp->stack == NULL)) {
        gp->stack = goc__stack_alloc(pp, gp->stackcls);
        if (gp->stack == NULL)
            goc__fatal("out of memory allocating a goroutine stack");
        gp->sp = goc__ctx_init(gp->stack->lo, gp->stack->hi);
    }
    gp->stack->owner = gp;
    switch_to_g(m, gp);
}

/* ----------------------------------------------------- findrunnable */

static G *steal_work(M *m, int64_t now, bool *inherit, bool *newwork, int64_t *pollUntil)
{
    P *pp = m->p;
    *newwork = false;
    enum { STEAL_TRIES = 4 };
    for (int i = 0; i < STEAL_TRIES; i++) {
        bool last = i == STEAL_TRIES - 1;
        uint32_t count = (uint32_t)nprocs();
        if (count <= 1 && !last)
            continue;
        uint32_t pos = goc__fastrandn(count), inc;
        /* A random increment coprime to count visits every P once. */
        do {
            inc = 1 + goc__fastrandn(count);
        } while (goc__gcd(inc, count) != 1);
        for (uint32_t k = 0; k < count; k++, pos = (pos + inc) % count) {
            P *p2 = goc__allp[pos];
            if (p2 == pp || p2 == NULL)
                continue;
            if (last) {
                bool ran = false;
                int64_t w = goc__timers_check(p2, now, &ran);
                if (w != 0 && (*pollUntil == 0 || w < *pollUntil))
                    *pollUntil = w;
                if (ran) {
                    G *gp = goc__runqget(pp, inherit);
                    if (gp)
                        return gp;
                    *newwork = true;
                }
            }
            if (atomic_load_explicit(&p2->status, memory_order_relaxed) == P_IDLE)
                continue;
            G *gp = goc__runqsteal(pp, p2, last);
            if (gp) {
                *inherit = false;
                return gp;
            }
        }
    }
    return NULL;
}

/* Give everything pp holds back: its queue to the global one (sched.lock
 * held), then its caches.  The caller owns pp (holds it, or won it from
 * P_SYSCALL); nobody else pushes on its queue. */
static void p_drain_runq(P *pp)
{
    bool inh;
    G *gp;
    while ((gp = goc__runqget(pp, &inh)) != NULL)
        goc__globrunqput(gp);
}

/* No lock held: timers(P) comes before sched.lock in the lock order. */
static void p_drain_caches(P *pp)
{
    goc__timers_move(pp, goc__allp[0]);
    int64_t when = goc__timers_next(goc__allp[0]);
    goc__stack_flush(pp);
    goc__lock(&goc__sched.gflock);
    G *gp;
    while ((gp = pp->gfree) != NULL) {
        pp->gfree = gp->schedlink;
        gp->schedlink = goc__sched.gfree;
        goc__sched.gfree = gp;
        ngfree_add(1);
    }
    pp->gfreecnt = 0;
    goc__unlock(&goc__sched.gflock);
    if (when != 0)
        goc__wake_netpoller(when);   /* P 0's M may sleep past the moved ones */
}

/* Our P was removed by goc_maxprocs: give everything it holds back and
 * kill it.  The decision (pp->id >= gomaxprocs) was read without a lock;
 * it is made again under sched.lock together with P_DEAD, so a goc_maxprocs
 * that grew the count back meanwhile (and skipped pp, not dead yet) keeps
 * pp alive (F4: a P below gomaxprocs left dead).  The caches are drained
 * first, without sched.lock (lock order); draining a P that then stays
 * costs nothing but refills.  False: pp stays ours. */
static bool retire_p(M *m)
{
    P *pp = m->p;
    p_drain_caches(pp);
    goc__lock(&goc__sched.lock);
    if (pp->id < nprocs()) {
        goc__unlock(&goc__sched.lock);
        return false;
    }
    p_drain_runq(pp);
    releasep(m);
    atomic_store(&pp->status, P_DEAD);
    goc__unlock(&goc__sched.lock);
    if (m->spinning) {
        m->spinning = false;
        atomic_fetch_sub(&goc__sched.nmspinning, 1);
    } else {
        globrunq_order();
    }
    goc__wakep();
    return true;
}

/* ------------------------------------------- preempted Gs (preempt.c)
 * sched.lockedq: Gs stopped by SIGURG whose Ms wait in the signal handler
 * for a P (gp->lockedm).  FIFO, under sched.lock; nlockedq is peeked
 * without it.  Whoever takes a G from here runs it by handing its own P to
 * the G's M (startlockedm), never on its own thread. */

/* sched.lock held. */
static void lockedqput(G *gp)
{
    gp->schedlink = NULL;
    if (goc__sched.lockedqtail)
        goc__sched.lockedqtail->schedlink = gp;
    else
        goc__sched.lockedqhead = gp;
    goc__sched.lockedqtail = gp;
    atomic_store(&goc__sched.nlockedq, atomic_load(&goc__sched.nlockedq) + 1);
}

/* sched.lock held. */
static G *lockedqget(void)
{
    G *gp = goc__sched.lockedqhead;
    if (gp == NULL)
        return NULL;
    goc__sched.lockedqhead = gp->schedlink;
    if (goc__sched.lockedqhead == NULL)
        goc__sched.lockedqtail = NULL;
    gp->schedlink = NULL;
    atomic_store(&goc__sched.nlockedq, atomic_load(&goc__sched.nlockedq) - 1);
    return gp;
}

static G *lockedqtake(void)
{
    if (atomic_load_explicit(&goc__sched.nlockedq, memory_order_relaxed) == 0)
        return NULL;
    goc__lock(&goc__sched.lock);
    G *gp = lockedqget();
    goc__unlock(&goc__sched.lock);
    return gp;
}

/* Go's startlockedm: give our P to the M that gp is locked to, wake it,
 * and park this M until someone needs it. */
static void startlockedm(M *m, G *gp)
{
    M *lm = gp->lockedm;
    P *pp = releasep(m);
    lm->nextp = pp;
    goc__notewakeup(&lm->park);
    stopm(m);
}

/* Anything this P should run rather than resume a G it just preempted:
 * its queue, the global queues, a due timer. */
static bool other_work(P *pp)
{
    if (!goc__runqempty(pp) || atomic_load(&goc__sched.runqsize) != 0 ||
        atomic_load(&goc__sched.nlockedq) != 0)
        return true;
    int64_t w = goc__timers_next(pp);
    return w != 0 && w <= goc__nanotime();
}

/* Make gp m's G with no P, as if gp had called goc_syscall_enter and lost
 * its P: runtime calls take the P-less paths (goc__curp), and the next one
 * that blocks, yields or exits gets a P first (goc__pless_exit).  schedule
 * switches to it (no g0 frame nests per such resume). */
static void pless_enter(M *m, G *gp)
{
    m->pless = true;
    m->syscall_nest = 1;
    m->oldp = NULL;
    atomic_fetch_add(&goc__sched.nsyscall, 1);
    atomic_store_explicit(&m->curg, gp, memory_order_relaxed);
    atomic_store_explicit(&gp->m, m, memory_order_relaxed);
    casgstatus(gp, G_RUNNABLE, G_SYSCALL);
    gp->waitsince = 0;
    gp->stack->owner = gp;
}

/* Leave the P-less state without a P (goc__park): gp is about to park. */
static void pless_drop(M *m, G *gp)
{
    m->pless = false;
    m->syscall_nest = 0;
    atomic_fetch_sub(&goc__sched.nsyscall, 1);
    casgstatus(gp, G_SYSCALL, G_RUNNING);
}

/* goc__enter found m->revoke set: sysmon is deciding whether to take this
 * M's P (it saw the thread blocked outside the runtime) or has taken it.
 * The verdict comes within microseconds (a membarrier and a few loads);
 * on REVOKE_DONE the running G goes on without a P, exactly as a G resumed
 * P-less after preemption (pless_enter): the caller's goc__curp is NULL
 * from here, and the next call that blocks, yields or exits gets a P. */
void goc__revoked(M *m)
{
    uint32_t r;
    for (int spins = 0;
         (r = atomic_load_explicit(&m->revoke, memory_order_acquire)) == REVOKE_ASK;
         spins++) {
        if (spins < 64)
            goc__procyield(16);
        else
            goc__osyield();
    }
    if (r != REVOKE_DONE)
        return;
    atomic_store_explicit(&m->revoke, REVOKE_NONE, memory_order_relaxed);
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
    if (gp == NULL || m->p == NULL || m->syscall_nest != 0)
        goc__fatal("revoked P of an M outside a goroutine's own code");
    m->p = NULL;
    m->pless = true;
    m->syscall_nest = 1;
    m->oldp = NULL;
    atomic_fetch_add(&goc__sched.nsyscall, 1);
    casgstatus(gp, G_RUNNING, G_SYSCALL);
    atomic_fetch_add(&goc__sched.nrevoked, 1);
}

/* sysmon, for m (blocked in the kernel outside the runtime, REVOKE_ASK
 * already set and the barrier run): take pp if m is still outside the
 * runtime on pp with the same G and slice.  The P goes to another M
 * (handoffp) as a retaken syscall P does. */
bool goc__revoke_commit(P *pp, M *m, G *gp, uint32_t schedtick)
{
    uint32_t want = P_RUNNING;
    if (atomic_load_explicit(&m->locks, memory_order_acquire) != 0 ||
        atomic_load_explicit(&pp->m, memory_order_acquire) != m ||
        atomic_load_explicit(&m->curg, memory_order_relaxed) != gp ||
        atomic_load_explicit(&pp->schedtick, memory_order_relaxed) != schedtick ||
        pp->id >= nprocs() ||
        !atomic_compare_exchange_strong(&pp->status, &want, P_IDLE)) {
        atomic_store_explicit(&m->revoke, REVOKE_NONE, memory_order_release);
        return false;
    }
    atomic_store_explicit(&pp->m, NULL, memory_order_relaxed);
    atomic_fetch_add(&pp->syscalltick, 1);
    atomic_store_explicit(&m->revoke, REVOKE_DONE, memory_order_release);
    goc__handoffp(pp);
    return true;
}

void goc__pless_exit(void)
{
    M *m = goc__getm();
    m->pless = false;
    if (m->syscall_nest != 1)
        goc__fatal("goc_syscall_enter without goc_syscall_exit before a blocking call");
    goc_syscall_exit();
}

void goc__preempt_park(G *gp)
{
    M *m = goc__getm();
    casgstatus(gp, G_RUNNING, G_RUNNABLE);
    atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
    atomic_store_explicit(&gp->m, NULL, memory_order_relaxed);
    if (m->p->id >= nprocs() && !goc__runqempty(m->p)) {
        /* A P that goc_maxprocs removed: its queue goes global now, so the
         * Ps that remain run it (a G that never parks would otherwise keep
         * it there for good, soak: a spinner waiting for the G it queued).
         * The P is then handed on below, its queue empty as an idle P's. */
        goc__lock(&goc__sched.lock);
        p_drain_runq(m->p);
        goc__unlock(&goc__sched.lock);
        globrunq_order();
    }
    if (!other_work(m->p) && m->p->id < nprocs()) {
        /* Nothing else wants this P: a new time slice at once.  Not so a
         * P that goc_maxprocs removed: it goes to another M, whose
         * findrunnable retires it (retire_p moves its timers, which may
         * malloc, not here), and the G waits for a P that remains (a timer
         * on such a P resumed forever by its spinner never fired: the
         * soak's set_flag slept there while the spinner waited for it). */
        m->resume = gp;
        m->resume_fresh = true;
        return;
    }
    gp->lockedm = m;
    gp->waitsince = goc__nanotime();
    P *pp = releasep(m);
    goc__lock(&goc__sched.lock);
    lockedqput(gp);
    M *nm = mget();
    if (nm == NULL)
        pidleput(pp);
    goc__unlock(&goc__sched.lock);
    if (nm != NULL) {
        nm->spinning = false;
        nm->nextp = pp;
        goc__notewakeup(&nm->park);
    } else {
        /* No idle M.  Making one mallocs, and this thread may have been
         * stopped inside malloc (a static link): sysmon makes it. */
        atomic_store(&goc__sched.needm, true);
        goc__sysmon_wake();
    }
    /* m->park is clear while the M runs (stopm clears it on waking, and
     * so does this): a wake-up left set would let the next stopm return at
     * once with no P. */
    goc__notesleep(&m->park);
    goc__noteclear(&m->park);
    gp->lockedm = NULL;
    if (m->nextp == NULL) {
        m->pless_g = gp;         /* sysmon: run it without a P */
        return;
    }
    acquirep(m, m->nextp);
    m->nextp = NULL;
    m->resume = gp;
    m->resume_fresh = true;
}

/* sysmon, deciding a preempted G may run without a P (preempt.c): take
 * the oldest one off lockedq and wake its M with no P. */
void goc__preempt_unwedge(int64_t now, int64_t ns, bool (*blocked)(M *m))
{
    if (atomic_load(&goc__sched.nlockedq) == 0)
        return;
    goc__lock(&goc__sched.lock);
    G *gp = goc__sched.lockedqhead;
    bool old = gp != NULL && now - gp->waitsince >= ns;
    goc__unlock(&goc__sched.lock);
    if (!old)
        return;
    /* Outside sched.lock: reading /proc takes a while. */
    bool wedged = false;
    int32_t n = nprocs();
    for (int32_t i = 0; i < n && !wedged; i++) {
        P *pp = goc__allp[i];
        if (pp == NULL || atomic_load(&pp->status) != P_RUNNING ||
            now - pp->sm_schedwhen < ns / 2)
            continue;
        M *pm = atomic_load_explicit(&pp->m, memory_order_acquire);
        wedged = pm != NULL && blocked(pm);
    }
    if (!wedged)
        return;
    goc__lock(&goc__sched.lock);
    gp = lockedqget();
    goc__unlock(&goc__sched.lock);
    if (gp == NULL)
        return;
    M *lm = gp->lockedm;
    lm->nextp = NULL;
    goc__notewakeup(&lm->park);
}

/* sched.lock held.  Take an idle P whose local queue is not empty off the
 * idle list (only goc__preempt_park leaves one there). */
static P *pidleget_work(void)
{
    for (P **link = &goc__sched.pidle; *link != NULL; link = &(*link)->link) {
        P *pp = *link;
        if (!goc__runqempty(pp)) {
            *link = pp->link;
            pp->link = NULL;
            atomic_fetch_sub(&goc__sched.npidle, 1);
            return pp;
        }
    }
    return NULL;
}

/* sysmon: start an M for an idle P when the preempt path could not.  Every
 * idle P with local work gets one: needm is a flag, and two preemptions
 * that each idled a P with work before sysmon's round set it once (the
 * soak's preempt workload hung at P=2 with a P idle, its queue holding the
 * G that would end the spin, and an M idle).  Then one M as before for
 * work elsewhere (the global queue, lockedq, a timer). */
void goc__sysmon_startm(void)
{
    if (!atomic_exchange(&goc__sched.needm, false))
        return;
    for (;;) {
        goc__lock(&goc__sched.lock);
        P *pp = pidleget_work();
        goc__unlock(&goc__sched.lock);
        if (pp == NULL)
            break;
        startm(pp, false);
    }
    startm(NULL, false);
}

static G *findrunnable(M *m, bool *inherit)
{
    G *gp;
top:
    if (unlikely(atomic_load(&goc__sched.dying))) {
        for (;;)
            pause();
    }
    P *pp = m->p;
    if (unlikely(pp->id >= nprocs()) && retire_p(m)) {
        stopm(m);
        goto top;
    }
    int64_t now = 0, pollUntil = 0;
    bool ran = false;
    pollUntil = goc__timers_check(pp, 0, &ran);

    /* 61: so the global queues are not starved by two Gs that keep
     * respawning each other on the local queue (proc.go).  A G preempted
     * by signal (lockedq) comes first here: Go queues it on the global
     * queue, FIFO with the rest, and behind the global queue it waited for
     * good while one G looped on goc_yield (the global queue never empty). */
    if (atomic_load_explicit(&pp->schedtick, memory_order_relaxed) % 61 == 0) {
        if ((gp = lockedqtake()) != NULL)
            return gp;
        if (atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed) > 0) {
            goc__lock(&goc__sched.lock);
            gp = goc__globrunqget(pp, 1);
            goc__unlock(&goc__sched.lock);
            if (gp) {
                *inherit = false;
                return gp;
            }
        }
    }

    gp = goc__runqget(pp, inherit);
    if (gp)
        return gp;

    if (atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed) != 0) {
        goc__lock(&goc__sched.lock);
        gp = goc__globrunqget(pp, 0);
        goc__unlock(&goc__sched.lock);
        if (gp) {
            *inherit = false;
            return gp;
        }
    }

    if ((gp = lockedqtake()) != NULL)
        return gp;

    /* Non-blocking netpoll: one M at a time. */
    uint32_t zero = 0;
    if (goc__netpoll_inited() && goc__netpoll_anywaiters() &&
        atomic_load(&goc__sched.lastpoll) != 0 &&
        atomic_compare_exchange_strong(&goc__sched.pollingNet, &zero, 1)) {
        G *list = goc__netpoll(0);
        atomic_store(&goc__sched.pollingNet, 0);
        if (list) {
            gp = list;
            list = gp->schedlink;
            goc__injectglist(list);
            casgstatus(gp, G_WAITING, G_RUNNABLE);
            *inherit = false;
            return gp;
        }
    }

    /* Steal, with at most half the busy Ps spinning. */
    if (m->spinning || 2 * atomic_load(&goc__sched.nmspinning) <
                           nprocs() - atomic_load(&goc__sched.npidle)) {
        if (!m->spinning)
            become_spinning(m);
        bool newwork;
        now = goc__nanotime();
        gp = steal_work(m, now, inherit, &newwork, &pollUntil);
        if (gp)
            return gp;
        if (newwork)
            goto top;
    }

    /* Nothing: give the P back. */
    goc__lock(&goc__sched.lock);
    if (atomic_load(&goc__sched.runqsize) != 0) {
        gp = goc__globrunqget(pp, 0);
        goc__unlock(&goc__sched.lock);
        *inherit = false;
        return gp;
    }
    if ((gp = lockedqget()) != NULL) {
        goc__unlock(&goc__sched.lock);
        return gp;
    }
    if (!m->spinning && atomic_load(&goc__sched.needspinning) == 1) {
        become_spinning(m);
        goc__unlock(&goc__sched.lock);
        goto top;
    }
    releasep(m);
    pidleput(pp);
    goc__unlock(&goc__sched.lock);

    /* The delicate dance (proc.go): stop spinning first, then re-check
     * every source of work after a full fence, so that a submitter who saw
     * nmspinning != 0 and skipped wakep cannot leave work behind. */
    bool was_spinning = m->spinning;
    if (m->spinning) {
        m->spinning = false;
        if (atomic_fetch_sub(&goc__sched.nmspinning, 1) - 1 < 0)
            goc__fatal("findrunnable: negative nmspinning");
        atomic_thread_fence(memory_order_seq_cst);

        if (atomic_load(&goc__sched.runqsize) != 0) {
            goc__lock(&goc__sched.lock);
            P *p2 = pidlegetSpinning();
            goc__unlock(&goc__sched.lock);
            if (p2) {
                acquirep(m, p2);
                become_spinning(m);
                goto top;
            }
        }
        int32_t n = nprocs();
        for (int32_t i = 0; i < n; i++) {
            P *p2 = goc__allp[i];
            if (p2 && !goc__runqempty(p2)) {
                goc__lock(&goc__sched.lock);
                P *p3 = pidlegetSpinning();
                goc__unlock(&goc__sched.lock);
                if (p3) {
                    acquirep(m, p3);
                    become_spinning(m);
                    goto top;
                }
                break;
            }
        }
        for (int32_t i = 0; i < n; i++) {
            P *p2 = goc__allp[i];
            int64_t w = p2 ? goc__timers_next(p2) : 0;
            if (w != 0 && (pollUntil == 0 || w < pollUntil))
                pollUntil = w;
        }
    }

    /* Block in netpoll until I/O or the next timer: one M at most. */
    if (goc__netpoll_inited() && (goc__netpoll_anywaiters() || pollUntil != 0) &&
        atomic_exchange(&goc__sched.lastpoll, 0) != 0) {
        atomic_store(&goc__sched.pollUntil, pollUntil);
        int64_t delay = -1;
        if (pollUntil != 0) {
            now = goc__nanotime();
            delay = pollUntil - now;
            if (delay < 0)
                delay = 0;
        }
        G *list = goc__netpoll(delay);
        now = goc__nanotime();
        atomic_store(&goc__sched.pollUntil, 0);
        atomic_store(&goc__sched.lastpoll, now);
        goc__lock(&goc__sched.lock);
        P *p2 = pidleget();
        goc__unlock(&goc__sched.lock);
        if (p2 == NULL) {
            goc__injectglist(list);
        } else {
            acquirep(m, p2);
            if (list) {
                gp = list;
                list = gp->schedlink;
                goc__injectglist(list);
                casgstatus(gp, G_WAITING, G_RUNNABLE);
                if (was_spinning)
                    become_spinning(m);
                *inherit = false;
                return gp;
            }
            if (was_spinning)
                become_spinning(m);
            goto top;
        }
    } else if (pollUntil != 0 && goc__netpoll_inited()) {
        int64_t pu = atomic_load(&goc__sched.pollUntil);
        if (pu == 0 || pu > pollUntil)
            goc__netpoll_break();
    }
    stopm(m);
    goto top;
}

/* Back on g0 from a G: its successor's pending action, then its own. */
static inline void run_action(M *m)
{
    run_pending(m);
    void (*fn)(G *) = m->mcall_fn;
    m->mcall_fn = NULL;
    fn(m->mcall_g);
}

/* The scheduler loop, on g0, forever. */
static void schedule(M *m) GOC_NORETURN;
static void schedule(M *m)
{
    for (;;) {
        if (unlikely(m->pless_g != NULL)) {
            G *pg = m->pless_g;
            m->pless_g = NULL;
            pless_enter(m, pg);
            switch_to_g(m, pg);
            run_action(m);
            continue;
        }
        if (unlikely(m->p == NULL))
            stopm(m);         /* back from a syscall whose P was taken */
        G *gp = m->resume;
        bool inherit = !m->resume_fresh;
        if (gp) {
            m->resume = NULL;
            m->resume_fresh = false;
        }
        else {
            gp = findrunnable(m, &inherit);
            if (m->spinning)
                resetspinning(m);
            if (unlikely(gp->lockedm != NULL)) {
                startlockedm(m, gp);     /* it runs on its own M */
                continue;
            }
        }
        execute(m, gp, inherit);
        run_action(m);
    }
}

/* ------------------------------------------------------------ Ms */

static void *mstart(void *arg)
{
    M *m = arg;
    tls_m = m;
    m->errnop = &errno;
    m->tid = (pid_t)syscall(SYS_gettid);
    if (pthread_getcpuclockid(pthread_self(), &m->cpuclock) != 0)
        goc__fatal("pthread_getcpuclockid failed");
    goc__preempt_minit(m);
    goc__m_stackbounds(m);
#if GOC_TSAN
    m->tsan_fiber = __tsan_get_current_fiber();
#endif
    goc__signals_thread_init(m);
    /* The creator's mask, plus the signals the runtime needs on Ms. */
    sigdelset(&m->sigmask, SIGURG);
    sigdelset(&m->sigmask, SIGSEGV);
    sigdelset(&m->sigmask, SIGBUS);
    pthread_sigmask(SIG_SETMASK, &m->sigmask, NULL);
    if (m->nextp) {
        acquirep(m, m->nextp);
        m->nextp = NULL;
    }
    schedule(m);
}

static void newm(P *pp, bool spinning, int64_t id)
{
    M *m = calloc(1, sizeof *m);
    if (m == NULL)
        goc__fatal("out of memory (new M)");
    m->id = id;
    m->urgtimer = -1;        /* goc__preempt_minit, on the thread */
    m->nextp = pp;
    m->spinning = spinning;
    goc__mlocks_set(m, 1);   /* g0 is the runtime: its P is never taken */
    M *old = atomic_load(&goc__allm);
    do {
        m->alllink = old;
    } while (!atomic_compare_exchange_weak(&goc__allm, &old, m));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* g0: the thread's own stack runs schedule(), timers and netpoll. */
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old_mask;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old_mask);
    /* Every M gets the program's mask from goc_main (Go's initSigmask),
     * not its creator's: sysmon runs with every signal blocked, and an M
     * it made (a retaken P's) kept them all blocked, so a goroutine's
     * raise(SIGTRAP) there was never delivered (gdb_goroutines under
     * load).  mstart unblocks the runtime's own signals on top. */
    m->sigmask = initsigmask;
    int rc = pthread_create(&m->thread, &attr, mstart, m);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        goc__fatal("newm: cannot create thread (thread exhaustion)");
}

int32_t goc__mcount(void) { return (int32_t)goc__sched.mnext; }

/* ------------------------------------------------------- checkdead */

/* Go's incidlelocked: sysmon counts itself as a running M (v = -1) while
 * it holds Gs on their way to a run queue; back (+1) it checks again. */
void goc__incidlelocked(int32_t v)
{
    goc__lock(&goc__sched.lock);
    goc__sched.nmidlelocked += v;
    if (v > 0)
        goc__checkdead();
    goc__unlock(&goc__sched.lock);
}

/* sched.lock held.  Called when an M goes idle: if no M runs any G and no
 * G can be woken by a timer, the network, a blocking call or a foreign
 * thread, every goroutine is asleep forever. */
void goc__checkdead(void)
{
    if (atomic_load(&goc__sched.main_done) || !atomic_load(&main_started))
        return;
    int32_t run = goc__mcount() - goc__sched.nmidle - goc__sched.nmidlelocked -
                  goc__sched.nmsys;
    if (run > 0)
        return;
    if (run < 0)
        goc__fatal("checkdead: inconsistent counts");
    /* An M is owed (preempt path: a P with work went idle and sysmon
     * starts its M): not dead yet. */
    if (atomic_load(&goc__sched.foreign_seen) || atomic_load(&goc__sched.nsyscall) > 0 ||
        atomic_load(&goc__sched.needm))
        return;
    if (goc__timers_pending() || goc__netpoll_anywaiters())
        return;
    /* allglock: a foreign thread's goc_go may grow (realloc) allgs now.
     * Lock order: sched.lock, then allglock (a leaf). */
    int waiting = 0;
    bool runnable = false;
    goc__lock(&allglock);
    for (size_t i = 0; i < goc__allglen && !runnable; i++) {
        uint32_t s = atomic_load(&goc__allgs[i]->status);
        if (s == G_WAITING || s == G_PREEMPTED)
            waiting++;
        else if (s == G_RUNNABLE || s == G_RUNNING || s == G_SYSCALL)
            runnable = true;
    }
    goc__unlock(&allglock);
    if (runnable)
        goc__fatal("checkdead: runnable g");
    if (waiting == 0)
        goc__fatal("no goroutines - deadlock!");
    goc__fatal("all goroutines are asleep - deadlock!");
}

/* --------------------------------------------------- GOMAXPROCS */

static P *newp(int32_t id)
{
    P *pp = aligned_alloc(64, (sizeof(P) + 63) & ~(size_t)63);
    if (pp == NULL)
        goc__fatal("out of memory (new P)");
    memset(pp, 0, sizeof *pp);
    pp->id = id;
    atomic_store(&pp->status, P_DEAD);
    goc__timers_pinit(pp);
    return pp;
}

/* Serializes goc_maxprocs (and goc_main's first resize): a P procresize
 * kills stays dead until its caches are drained.  Lock order: first of
 * all (runtime.h). */
static goc_lock resizelock;

/* sched.lock held.  Kill pp if its M is in a blocking call (P_SYSCALL), as
 * sysmon's retake takes such a P: goc_syscall_exit's CAS then fails and
 * the M looks for another P.  Its queue goes global; it joins *dead. */
static void kill_syscall_p(P *pp, P **dead)
{
    uint32_t st = P_SYSCALL;
    if (pp == NULL || !atomic_compare_exchange_strong(&pp->status, &st, P_DEAD))
        return;
    atomic_fetch_add(&pp->syscalltick, 1);
    atomic_store_explicit(&pp->m, NULL, memory_order_relaxed);
    p_drain_runq(pp);
    pp->link = *dead;
    *dead = pp;
}

/* sched.lock held.  Kills Ps >= n that no M runs: idle ones, and ones
 * whose M is in a blocking call (won from P_SYSCALL by CAS, as sysmon's
 * retake does; goc_syscall_exit then finds its P gone).  Go's procresize
 * destroys them at once; leaving them alive stranded their timers and
 * queue until the call returned (F5).  Their queues go to the global one
 * here; the killed Ps are listed on *dead (linked by ->link) for the
 * caller to drain their caches after unlocking.  Ps >= n that an M is
 * running are retired by that M at its next schedule (retire_p): running
 * Gs are never stopped mid-flight. */
static void procresize(int32_t n, P **dead)
{
    int32_t old = nprocs();
    for (int32_t i = 0; i < n; i++) {
        if (goc__allp[i] == NULL)   /* release: sysmon scans beyond n */
            __atomic_store_n(&goc__allp[i], newp(i), __ATOMIC_RELEASE);
        P *pp = goc__allp[i];
        if (i >= old && atomic_load(&pp->status) == P_DEAD) {
            atomic_store(&pp->status, P_IDLE);
            pidleput(pp);
        }
    }
    *dead = NULL;
    P **link = &goc__sched.pidle;
    while (*link) {
        P *pp = *link;
        if (pp->id >= n) {
            *link = pp->link;
            atomic_fetch_sub(&goc__sched.npidle, 1);
            atomic_store(&pp->status, P_DEAD);
            pp->link = *dead;
            *dead = pp;
        } else {
            link = &pp->link;
        }
    }
    for (int32_t i = n; i < old; i++)
        kill_syscall_p(goc__allp[i], dead);
    atomic_store(&goc__gomaxprocs, n);
}

/* sysmon, each round: a P beyond gomaxprocs that procresize saw running
 * and that then entered a blocking call (its M never reaches retire_p
 * before the call returns, and retake looks only below gomaxprocs) is
 * killed the same way.  Lock-free scan first: nothing to do is the rule. */
static bool retired_p_in(uint32_t st1, uint32_t st2)
{
    for (int32_t i = nprocs(); i < GOC_MAXPROCS_LIMIT; i++) {
        /* Without sched.lock a grow may be making allp[i] now. */
        P *pp = __atomic_load_n(&goc__allp[i], __ATOMIC_ACQUIRE);
        if (pp == NULL)
            break;
        uint32_t st = atomic_load(&pp->status);
        if (st == st1 || st == st2)
            return true;
    }
    return false;
}

bool goc__retired_syscall_p(void) { return retired_p_in(P_SYSCALL, P_SYSCALL); }

/* sysmon's deep-sleep check: a P beyond gomaxprocs still running a G (or
 * in a blocking call) is not idle: its G must be preempted (retake). */
bool goc__retired_busy_p(void) { return retired_p_in(P_SYSCALL, P_RUNNING); }

void goc__kill_retired_syscall_ps(void)
{
    if (!goc__retired_syscall_p())
        return;
    P *dead = NULL;
    goc__lock(&resizelock);
    goc__lock(&goc__sched.lock);
    for (int32_t i = nprocs(); i < GOC_MAXPROCS_LIMIT && goc__allp[i]; i++)
        kill_syscall_p(goc__allp[i], &dead);
    goc__unlock(&goc__sched.lock);
    while (dead) {
        P *pp = dead;
        dead = pp->link;
        p_drain_caches(pp);
    }
    goc__unlock(&resizelock);
    if (atomic_load(&goc__sched.runqsize) != 0)
        goc__wakep();
}

static void resize(int32_t n)
{
    P *dead;
    goc__lock(&resizelock);
    goc__lock(&goc__sched.lock);
    procresize(n, &dead);
    goc__unlock(&goc__sched.lock);
    while (dead) {
        P *pp = dead;
        dead = pp->link;
        p_drain_caches(pp);
    }
    goc__unlock(&resizelock);
}

int goc_maxprocs(int n)
{
    int32_t old = nprocs();
    if (n <= 0 || !atomic_load(&runtime_up))
        return old ? old : goc__default_procs();
    if (n > GOC_MAXPROCS_LIMIT)
        n = GOC_MAXPROCS_LIMIT;
    resize(n);
    for (int i = old; i < n; i++)
        goc__wakep();
    if (atomic_load(&goc__sched.runqsize) != 0)
        goc__wakep();         /* queues of killed Ps went global */
    M *m = goc__getm();
    P *pp = goc__enter(m);
    bool retire = pp && pp->id >= n;
    goc__leave(m);
    if (retire)
        goc_yield();          /* let our M retire its P now */
    return old;
}

/* ------------------------------------------------------- goc_main */

/* A whole decimal number in [min, max], or false. */
static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != 0 || errno != 0 || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static void parse_env(void)
{
    const char *s = getenv("GOC_DEBUG");
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char item[64];
        if (len >= sizeof item) {
            fprintf(stderr, "goc: GOC_DEBUG: setting \"%.*s\" too long, ignored\n",
                    (int)len, s);
        } else if (len > 0) {
            memcpy(item, s, len);
            item[len] = 0;
            char *eq = strchr(item, '=');
            long v = 1;
            if (eq)
                *eq = 0;
            if (strcmp(item, "netpoll") == 0) {
                if (eq && strcmp(eq + 1, "epoll") == 0)
                    goc__debug.netpoll = GOC_NETPOLL_EPOLL;
                else if (eq && strcmp(eq + 1, "uring") == 0)
                    goc__debug.netpoll = GOC_NETPOLL_URING;
                else
                    fprintf(stderr, "goc: GOC_DEBUG: netpoll=\"%s\" is not epoll "
                            "or uring, ignored\n", eq ? eq + 1 : "");
                s = end ? end + 1 : NULL;
                continue;
            }
            bool known = strcmp(item, "schedtrace") == 0 ||
                         strcmp(item, "scheddetail") == 0 ||
                         strcmp(item, "asyncpreemptoff") == 0 ||
                         strcmp(item, "blockedretakeoff") == 0 ||
                         strcmp(item, "preempttgkill") == 0;
            if (!known)
                fprintf(stderr, "goc: GOC_DEBUG: unknown setting \"%s\" ignored\n", item);
            else if (eq && !parse_long(eq + 1, 0, INT32_MAX, &v))
                fprintf(stderr, "goc: GOC_DEBUG: %s=\"%s\" is not a number >= 0, ignored\n",
                        item, eq + 1);
            else if (strcmp(item, "schedtrace") == 0)
                goc__debug.schedtrace_ms = v;
            else if (strcmp(item, "scheddetail") == 0)
                goc__debug.scheddetail = v != 0;
            else if (strcmp(item, "asyncpreemptoff") == 0)
                goc__debug.asyncpreemptoff = v != 0;
            else if (strcmp(item, "preempttgkill") == 0)
                goc__debug.preempttgkill = v != 0;
            else
                goc__debug.blockedretakeoff = v != 0;
        }
        s = end ? end + 1 : NULL;
    }
}

/* GOC_STACK: bytes with an optional k/m suffix, STACK_MIN..STACK_MAX; 0
 * (the default) with a warning otherwise. */
#define STACK_MIN ((size_t)16 << 10)
#define STACK_MAX ((size_t)64 << 20)

static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    bool ok = end != s && errno == 0 && s[0] != '-';
    if (ok && (*end == 'k' || *end == 'K'))
        v <<= 10, end++;
    else if (ok && (*end == 'm' || *end == 'M'))
        v <<= 20, end++;
    if (!ok || *end != 0 || v < STACK_MIN || v > STACK_MAX) {
        fprintf(stderr, "goc: GOC_STACK=\"%s\" is not a size from 16k to 64m "
                "(bytes, or with a k or m suffix); using the default %zuk\n",
                s, goc__stack_size() >> 10);
        return 0;
    }
    return (size_t)v;
}

int goc_main(void (*fn)(void *arg), void *arg)
{
    static _Atomic bool called;
    if (fn == NULL)
        return -EINVAL;
    if (atomic_exchange(&called, true))
        return -EALREADY;
    pthread_sigmask(SIG_SETMASK, NULL, &initsigmask);
    parse_env();
    int32_t procs = goc__default_procs();
    const char *e = getenv("GOC_MAXPROCS");
    if (e && *e) {
        long v;
        if (parse_long(e, 1, LONG_MAX, &v))
            procs = v > GOC_MAXPROCS_LIMIT ? GOC_MAXPROCS_LIMIT : (int32_t)v;
        else
            fprintf(stderr, "goc: GOC_MAXPROCS=\"%s\" is not a positive number; using %d\n", e, procs);
    }
    e = getenv("GOC_STACK");
    goc__stack_init(e && *e ? parse_size(e) : 0);
    goc__sched.start_time = goc__nanotime();
    atomic_store(&goc__sched.lastpoll, goc__sched.start_time);
    goc__signals_init();
    goc__preempt_init();
    goc__netpoll_init();
    resize(procs);
    atomic_store_explicit(&runtime_up, true, memory_order_release);

    if (goc__debug.schedtrace_ms > 0)
        goc__schedtrace(goc__debug.scheddetail);   /* Go's "SCHED 0ms" line */
    goc__sysmon_start();
    G *mg = gfget(NULL);
    if (mg == NULL)
        return -ENOMEM;
    mg->fn = fn;
    mg->arg = arg;
    mg->goid = atomic_fetch_add(&goc__sched.goidgen, 1) + 1;
    main_g = mg;
    atomic_fetch_add(&goc__sched.ngoroutines, 1);
#if GOC_TSAN
    __tsan_release(mg);
#endif
    casgstatus(mg, G_DEAD, G_RUNNABLE);
    goc__lock(&goc__sched.lock);
    goc__globrunqput(mg);
    goc__unlock(&goc__sched.lock);
    atomic_store(&main_started, true);
    startm(NULL, false);
    /* The program's main thread waits here; it is not an M, so the main
     * goroutine may run on any M and goc_main returns on this thread. */
    goc__notesleep(&main_note);
    goc__schedtrace_stop();   /* a block being printed ends whole, no more */
    return 0;
}

bool goc__main_started(void) { return atomic_load(&main_started); }
