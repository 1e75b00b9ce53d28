/*
 * runtime.h — the runtime's internal types and the contracts between its
 * files.  Not installed; users read include/goc.h.
 *
 * Naming: public calls are goc_*; calls shared between runtime files are
 * goc__* (two underscores); file-local helpers are static and short.
 *
 * The three objects (Go's runtime2.go):
 *   G  a goroutine: saved context, stack, status, wait reason.  G structs are
 *      never freed: a dead G goes to its P's free list (then the global one)
 *      and is reused; allgs[] lists every G ever made, for dumps and checkdead.
 *   M  an OS thread.  It runs schedule() on its own thread stack, which is its
 *      g0 (scheduler) stack; a G switches to g0 (goc__mcall) to park, yield or
 *      exit, and g0 switches to the next G.  Ms are never freed; idle ones
 *      sleep on their futex note.
 *   P  a processor: the right to run Gs.  It owns a lock-free run queue of
 *      GOC_RUNQ_SIZE (256) plus runnext, a free-G cache, a stack cache and a
 *      timer heap.  An M needs a P to run Gs; gomaxprocs Ps exist.
 *
 * Lock order (take left before right; never the reverse):
 *   resizelock (goc_maxprocs) > chan / select locks (address order) >
 *   sema root > timers(P) > sched.lock > sched.gflock >
 *   stack pool lock > allglock
 *   ctx_lock (context.c) > chan locks; a timer's mu > ctx_lock (a context
 *   deadline fires holding it); trace_lock (schedtrace) > sched.lock,
 *   allglock
 *   (procresize kills Ps under sched.lock and moves their timers after
 *   unlocking it, still under resizelock so a killed P is not revived
 *   before it is drained.)
 *   A G never parks while holding a runtime lock: goc__park releases the lock
 *   it is given only after the G is off its stack (unlockf runs on g0), and
 *   nothing is readied while a channel lock is held (Go's rule).
 *   m->locks > 0 means the M is inside the runtime: on g0, holding a runtime
 *   lock, or in a section that uses its P (goc__enter .. goc__leave).  Async
 *   preemption does not interrupt it there, and sysmon does not take its P
 *   away (below); at 0 the M runs the program's own code.
 *
 * Memory ordering follows Go (proc.go): run queue tail store-release by the
 * owner, head CAS-release by anyone, loads acquire; "submit work; full fence;
 * check nmspinning" against "nmspinning--; full fence; re-check queues".
 */
#ifndef GOC_RUNTIME_H
#define GOC_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "goc.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define GOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GOC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOC_TSAN 1
#endif
#endif

#if GOC_ASAN && !defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif
#if GOC_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#ifndef GOC_RUNQ_SIZE
#define GOC_RUNQ_SIZE 256   /* Go's len(p.runq); tests build a 4-slot copy */
#endif
#define GOC_MAXPROCS_LIMIT 1024

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define GOC_NORETURN __attribute__((noreturn))
#define GOC_NOINLINE __attribute__((noinline))

typedef struct goc_g G;
typedef struct goc_m M;
typedef struct goc_p P;

/* ------------------------------------------------ locks and notes (lock.c)
 * goc_lock: Go 1.22's lock_futex — 0 unlocked, 1 locked, 2 locked with
 * sleepers; spins briefly, then futex-waits.  It blocks the THREAD: hold it
 * only for short critical sections, never across a park.
 * goc_note: one-shot sleep/wake for a thread (Go's note). */
typedef struct { _Atomic uint32_t key; } goc_lock;
typedef struct { _Atomic uint32_t key; } goc_note;

void goc__lock(goc_lock *l);
void goc__unlock(goc_lock *l);
bool goc__trylock(goc_lock *l);   /* true if taken, never waits */
void goc__noteclear(goc_note *n);
void goc__notewakeup(goc_note *n);
void goc__notesleep(goc_note *n);
/* Sleep until woken or ns pass (ns < 0: forever); true if woken. */
bool goc__notetsleep(goc_note *n, int64_t ns);
void goc__futexsleep(_Atomic uint32_t *addr, uint32_t val, int64_t ns);
void goc__futexwakeup(_Atomic uint32_t *addr, int cnt);
void goc__osyield(void);
void goc__procyield(int cycles);
void goc__usleep(int64_t us);

/* -------------------------------------------------- G status and waits */
enum {
    G_IDLE = 0, G_RUNNABLE = 1, G_RUNNING = 2, G_SYSCALL = 3, G_WAITING = 4,
    G_DEAD = 6, G_PREEMPTED = 9,
};

/* Wait reasons, as Go's waitReason strings (trace.c names them). */
enum {
    W_ZERO = 0, W_CHAN_RECV, W_CHAN_SEND, W_CHAN_RECV_NIL, W_CHAN_SEND_NIL,
    W_SELECT, W_SELECT_NO_CASES, W_SLEEP, W_IO_WAIT, W_SEMACQUIRE,
    W_SYNC_MUTEX_LOCK, W_SYNC_RWMUTEX_RLOCK, W_SYNC_RWMUTEX_LOCK,
    W_SYNC_WAITGROUP_WAIT, W_SYNC_COND_WAIT, W_TIMER_GOROUTINE_IDLE,
    W_PREEMPTED, W_SYSCALL_NOP, W_NREASONS
};

/* ------------------------------------------------------------ contexts
 * The saved state of a G not running is its stack pointer; the callee-saved
 * registers and FP control words sit on its stack (context_<arch>.S). */
void goc__ctx_switch(void **save_sp, void *to_sp);
/* Build an initial frame on [lo,hi) so the first switch to it runs
 * goc__gstart(); returns the sp to switch to. */
void *goc__ctx_init(void *lo, void *hi);
void goc__gstart(void) GOC_NORETURN __attribute__((visibility("hidden"))); /* sched.c */

/* --------------------------------------------------------- wait records
 * One record per (G, object) wait, Go's sudog: channels, select, semaphores,
 * timers and the poller all queue these.  Fields are protected by the lock of
 * the object the record is queued on, except g and the per-G links. */
typedef struct goc_sudog {
    G                *g;         /* waiter (a foreign thread has a G too) */
    struct goc_sudog *next, *prev; /* the object's wait queue */
    void             *elem;      /* data element (may point into a stack) */
    void             *c;         /* the channel (or object) waited on */
    struct goc_sudog *waitlink;  /* g->waiting list (select), or sema list */
    struct goc_sudog *waittail;  /* sema: tail of the same-address list */
    struct goc_sudog *parent;    /* sema treap */
    int64_t           acquiretime;
    uint32_t          ticket;    /* sema treap priority / handoff flag */
    int32_t           caseidx;   /* select: index of this case */
    bool              is_select;
    bool              success;   /* woken by a value, not by close */
} goc_sudog;

goc_sudog *goc__acquire_sudog(void);
void       goc__release_sudog(goc_sudog *s);
/* A G's own wait record (G.sudog), zeroed, for a wait that needs one at a
 * time: a plain channel send/receive, a semaphore or Cond wait.  The
 * waker dequeues it before readying the G and never touches it after, so
 * it is free again when the wait returns; select takes pooled ones (one
 * per case). */
#define goc__own_sudog(gp) \
    ((goc_sudog *)memset(&(gp)->sudog, 0, sizeof(goc_sudog)))

/* --------------------------------------------------------------- stacks */
typedef struct goc_stack {
    char             *lo, *hi;   /* usable [lo, hi); guard pages below lo */
    struct goc_stack *next;      /* free-list link while cached */
    G                *owner;     /* G using it (overflow report), or NULL */
    uint32_t          cls;       /* size class: 0 the default (GOC_STACK) */
} goc_stack;

/* Size classes: 0 is the default size (GOC_STACK), cached per P; class k
 * >= 1 is 16 KiB << (k - 1), up to 1 GiB (Go's maximum stack), for
 * goc_go_stack's larger stacks, kept in the global pool only. */
enum { GOC_STACK_CLASSES = 18 };
void       goc__stack_init(size_t size);
size_t     goc__stack_size(void);            /* the default size */
int        goc__stack_class(size_t size);    /* -1: over 1 GiB */
size_t     goc__stack_bytes(const goc_stack *s);
goc_stack *goc__stack_alloc(P *pp, int cls);
void       goc__stack_free(P *pp, goc_stack *s);
void       goc__stack_flush(P *pp);      /* P going away: cache to pool */
bool       goc__stack_check_canary(goc_stack *s); /* false: overflowed */
/* If addr is in a guard region or less than 'above' bytes above one, the
 * G whose stack it guards ((G *)-1: a stack with no owner recorded yet),
 * else NULL.  Async-signal-safe (reads only). */
G         *goc__stack_owner_of(void *addr, size_t above);

/* ------------------------------------------------------------------- G */
struct goc_g {
    void            *sp;          /* saved context while not running */
    goc_stack       *stack;       /* NULL until first run; back to the P's
                                     cache at exit */
    _Atomic uint32_t status;      /* G_*; transitions via goc__casgstatus */
    uint16_t         waitreason;  /* W_*, while G_WAITING */
    uint8_t          stackcls;    /* its stack's size class (goc_go_stack) */
    bool             foreign;     /* stands for a foreign thread */
    _Atomic bool     preempt;     /* cooperative preemption request (sysmon
                                     writes it from its own thread) */
    uint64_t         goid;
    void           (*fn)(void *);
    void            *arg;
    G               *schedlink;   /* run queue / free list link */
    _Atomic(M *)     m;           /* M running it, or NULL */
    int64_t          waitsince;   /* goc_now() when it last parked */
    int              saved_errno; /* errno across switches (DESIGN.md #3) */
    int              savedlocks;  /* its M's locks when it switched out, less
                                     the switch's own: restored on resume */
    void            *param;       /* wake-up argument (winning sudog) */
    _Atomic uint32_t selectdone;  /* select: a waker claimed this G */
    goc_sudog       *waiting;     /* sudogs this G is queued with */
    goc_sudog        sudog;       /* its own (goc__own_sudog) */
    bool             parking_on_chan;
    goc_note         note;        /* foreign: the thread sleeps on this */
    M               *lockedm;     /* async-preempted: its M waits in the signal
                                     handler for a P; set while on sched.lockedq */
    uintptr_t        gopc;        /* return address of the goc_go call that
                                     made it ("created by" in dumps) */
    uint64_t         parentgoid;  /* the G that made it (0: not a goroutine) */
    struct goc_timer_rt *timer;   /* cached timer for goc_sleep (time.c) */
    uint64_t         sleepwhen;
    struct goc_after_g *after;    /* its goc_after channels (after.c), made
                                     on first use, freed at exit */
#if GOC_TSAN
    void            *tsan_fiber;
#endif
#if GOC_ASAN
    void            *asan_fake;
#endif
};

/* ------------------------------------------------------------------- M */
struct goc_m {
    void            *g0sp;        /* g0's saved context while a G runs */
    _Atomic(G *)     curg;        /* G running on this M, or NULL */
    P               *p;           /* P held, or NULL */
    P               *nextp;       /* P handed over by startm */
    P               *oldp;        /* P held before a syscall */
    int64_t          id;
    bool             spinning;    /* looking for work (counted) */
    bool             blocked;     /* parked on its note */
    _Atomic int      locks;       /* >0: inside the runtime (see the lock
                                     order note); written only by the M
                                     (goc__mlocks_*), read by sysmon */
    _Atomic uint32_t revoke;      /* REVOKE_*: sysmon taking the P of a thread
                                     blocked outside the runtime (sysmon.c) */
    goc_note         park;        /* stopm sleeps here */
    M               *schedlink;   /* idle list (sched.midle) */
    M               *alllink;     /* allm list */
    void           (*mcall_fn)(G *gp);  /* action g0 runs after a switch */
    G               *resume;      /* run next, before findrunnable */
    G               *mcall_g;     /* the G that last switched to g0 */
    void           (*pending_fn)(M *m, G *gp); /* direct switch: predecessor's */
    G               *pending_g;   /* action, run by whoever resumes next */
    bool             resume_fresh;/* resume starts a new time slice */
    bool           (*waitunlockf)(G *gp, void *arg);
    void            *waitlock;
    uint32_t         fastrand[2];
    pthread_t        thread;
    sigset_t         sigmask;     /* goc_main's caller's mask, for mstart */
    pid_t            tid;
    clockid_t        cpuclock;    /* the thread's CPU clock (sysmon reads it:
                                     set in mstart before any P is held) */
    void            *altstack;    /* signal stack (overflow report) */
    int             *errnop;      /* this thread's &errno (mstart): a G's
                                     errno is saved and restored through
                                     the M it switches on, never a cached
                                     &errno of another thread */
    _Atomic uint32_t signal_pending;
    int              urgtimer;    /* kernel id of the CPU-time timer that
                                     sends this thread SIGURG (preempt.c);
                                     -1 none: tgkill instead */
    int              syscall_nest;
    G               *pless_g;     /* g0: resume this G without a P next */
    bool             pless;       /* its G, preempted, was resumed without a P
                                     by sysmon (preempt.c): the bottom level of
                                     syscall_nest is the runtime's own */
    uint32_t         syscalltick;
    void            *g0lo;        /* g0 stack bounds (sanitizers) */
    size_t           g0size;
#if GOC_TSAN
    void            *tsan_fiber;  /* the thread's own fiber (g0) */
#endif
#if GOC_ASAN
    void            *asan_fake;
#endif
};

/* The P this M may use for runtime work now, or NULL: on a foreign thread,
 * and between goc_syscall_enter and goc_syscall_exit, where m->p is only
 * remembered (P_SYSCALL) and sysmon may hand it to another M at any moment
 * (retake).  A runtime call made there (goc_go, a send that readies a G, a
 * mutex unlock, wg done: Go's callback during a syscall) takes the P-less
 * paths a foreign thread takes (global queue + wakep, malloc'd sudogs, P 0's
 * timer heap) instead of touching a P another M may own (F6).  Every entry
 * that uses a P reads it through here; the test is one load of the M. */
static inline P *goc__curp(M *m)
{
    return m != NULL && likely(m->syscall_nest == 0) ? m->p : NULL;
}

/* m->locks is written only by its own M, with plain loads and stores (no
 * locked instruction): sysmon reads it.  Going down is a release, so what
 * the M did with its P before leaving the runtime is visible to sysmon
 * when it finds 0 and takes the P (acquire). */
static inline int goc__mlocks(M *m)
{
    return atomic_load_explicit(&m->locks, memory_order_relaxed);
}
static inline void goc__mlocks_inc(M *m)
{
    atomic_store_explicit(&m->locks, goc__mlocks(m) + 1, memory_order_relaxed);
}
static inline void goc__mlocks_dec(M *m)
{
    atomic_store_explicit(&m->locks, goc__mlocks(m) - 1, memory_order_release);
}
static inline void goc__mlocks_set(M *m, int v)
{
    atomic_store_explicit(&m->locks, v, memory_order_release);
}

/* Taking the P of a thread blocked in a call the runtime was not told
 * about (sysmon.c, issue 10's "blocking C calls without annotation").
 * sysmon sets m->revoke to REVOKE_ASK, runs membarrier(2) (a full barrier
 * on every CPU running one of our threads), then looks at m->locks: not 0,
 * and it backs off (0 again); 0, and it takes the P (P_RUNNING -> P_IDLE,
 * handoffp) and sets REVOKE_DONE.  The M side is goc__enter: locks+1, then
 * one plain load of m->revoke.  The barrier makes the two sides meet: either
 * sysmon sees the M's locks+1, or the M's load sees REVOKE_ASK and waits for
 * the verdict (goc__revoked).  So a P is only ever taken from an M that is
 * outside the runtime and cannot enter it before it learns that; on
 * REVOKE_DONE the M turns P-less (as a G resumed by goc__preempt_unwedge:
 * m->pless) and its next blocking, yielding or exiting runtime call waits
 * for a P as goc_syscall_exit does. */
enum { REVOKE_NONE = 0, REVOKE_ASK = 1, REVOKE_DONE = 2 };
void goc__revoked(M *m);             /* slow path of goc__enter (sched.c) */

/* Begin runtime work that may use m's P (NULL on a foreign thread, in a
 * blocking call, or P-less): every read of m->p on a G's stack happens
 * between goc__enter and goc__leave. */
static inline P *goc__enter(M *m)
{
    if (m == NULL)
        return NULL;
    goc__mlocks_inc(m);
    atomic_signal_fence(memory_order_seq_cst);
    if (unlikely(atomic_load_explicit(&m->revoke, memory_order_relaxed) != REVOKE_NONE))
        goc__revoked(m);
    return goc__curp(m);
}
static inline void goc__leave(M *m)
{
    if (m != NULL) {
        atomic_signal_fence(memory_order_seq_cst);
        goc__mlocks_dec(m);
    }
}

/* ------------------------------------------------------------------- P */
enum { P_IDLE = 0, P_RUNNING = 1, P_SYSCALL = 2, P_DEAD = 4 };

struct goc_timers;   /* time.c */

struct goc_p {
    int32_t          id;
    _Atomic uint32_t status;       /* P_* */
    P               *link;         /* idle list */
    _Atomic uint32_t schedtick;    /* ++ per schedule (not inherited) */
    _Atomic uint32_t syscalltick;  /* ++ per syscall exit / retake */
    _Atomic(M *)     m;            /* owner M, or NULL if idle */
    uint64_t         goidcache, goidcacheend;
    /* run queue: tail written by owner only; head CASed by anyone.
     * Thief-written words get cache lines of their own, apart from the
     * owner-only fields below (false sharing cost 75% of gfget at P=2). */
    _Alignas(64) _Atomic uint32_t runqhead;
    _Alignas(64) _Atomic uint32_t runqtail;
    _Atomic(G *)     runq[GOC_RUNQ_SIZE];
    _Alignas(64) _Atomic(G *) runnext;
    _Alignas(64) _Atomic int64_t ngo; /* Gs made here minus Gs exited here */
    G               *gfree;        /* free Gs (without stacks) */
    int32_t          gfreecnt;
    goc_stack       *stackcache;   /* free stacks (touched, warm) */
    int32_t          stackcachecnt;
    goc_sudog       *sudogcache;
    int32_t          sudogcachecnt;
    struct goc_timers *timers;     /* this P's heap (time.c) */
    _Atomic bool     preempt;
    /* sysmon's view (retake) */
    uint32_t         sm_schedtick, sm_syscalltick;
    int64_t          sm_schedwhen, sm_syscallwhen;
    M               *sm_cpum;      /* whose thread CPU clock sm_cpu is (F8) */
    int64_t          sm_cpu, sm_cpuwhen; /* its value at the slice's start, and when */
    M               *sm_rseenm;    /* starved-thread watch: first 'R' seen */
    int64_t          sm_rseen;     /* at this time, on this M (0: none) */
    M               *sm_blkm;      /* blocked-call watch: the M last looked at, */
    uint32_t         sm_blktick;   /* in this slice, */
    int64_t          sm_blkcpu, sm_blkwhen; /* its CPU clock then, and when */
    uint32_t         rand_state;
};

/* --------------------------------------------------------------- sched */
struct goc_sched {
    goc_lock          lock;        /* protects the fields below it marked L */
    _Atomic uint64_t  goidgen;
    _Atomic int64_t   lastpoll;    /* 0: an M is blocked in netpoll */
    _Atomic int64_t   pollUntil;
    _Atomic uint32_t  pollingNet;
    M                *midle;       /* L: idle Ms */
    int32_t           nmidle;      /* L */
    int32_t           nmidlelocked;/* L */
    int64_t           mnext;       /* L: Ms made (ids) */
    int32_t           nmsys;       /* L: Ms not counted by checkdead */
    P                *pidle;       /* L: idle Ps (LIFO) */
    _Atomic int32_t   npidle;
    _Atomic int32_t   nmspinning;
    _Atomic int32_t   needspinning;
    G                *runqhead, *runqtail;  /* L: global run queue */
    G                *lockedqhead, *lockedqtail; /* L: async-preempted Gs
                                      whose Ms wait for a P (preempt.c) */
    _Atomic int32_t   nlockedq;    /* L to write; peeked without it */
    _Atomic bool      needm;       /* a P went idle with work and no idle M:
                                      sysmon starts one (preempt path may not
                                      malloc) */
    _Atomic int32_t   runqsize;
    goc_lock          gflock;      /* global free G list */
    G                *gfree;
    _Atomic int32_t   ngfree;      /* gflock; peeked without it */
    _Atomic int32_t   ngoroutines; /* Gs made/exited with no P (main, foreign); the
                                      rest are counted per P (p->ngo) */
    _Atomic int32_t   nsyscall;    /* Gs between syscall_enter and exit */
    _Atomic uint64_t  nrevoked;    /* Ps taken from threads blocked outside
                                      the runtime (sysmon.c) */
    _Atomic bool      foreign_seen;/* a foreign thread used goc: a G waiting
                                      on it may still be woken */
    _Atomic int32_t   nforeign_blocked;
    _Atomic bool      main_done;
    _Atomic bool      dying;
    _Atomic int32_t   sysmonwait;
    goc_note          sysmonnote;
    int64_t           start_time;
};

extern struct goc_sched goc__sched;
extern P              *goc__allp[GOC_MAXPROCS_LIMIT];
extern _Atomic int32_t goc__gomaxprocs;
extern M             *_Atomic goc__allm;

/* ---------------------------------------------------------- debug knobs */
struct goc_debug {
    int64_t schedtrace_ms;
    bool    scheddetail;
    bool    asyncpreemptoff;
    bool    blockedretakeoff;   /* sysmon never takes the P of a thread
                                   blocked in an unannotated call */
    bool    preempttgkill;      /* SIGURG by tgkill after a look, not by the
                                   M's CPU-time timer (preempt.c) */
    int     netpoll;            /* GOC_NETPOLL_*: netpoll=epoll|uring */
};
enum { GOC_NETPOLL_AUTO, GOC_NETPOLL_EPOLL, GOC_NETPOLL_URING };
extern struct goc_debug goc__debug;

/* ------------------------------------------------------------- sched.c */
extern __thread M *goc__tls_m;  /* this thread's M; runtime-internal use
                                   only where no switch can intervene */
G   *goc__getg(void);      /* current G; NULL on g0 or a foreign thread
                              that never blocked; never cached across a
                              switch (noinline, reads the TLS M) */
M   *goc__getm(void);
G   *goc__getg_or_foreign(void); /* a G for blocking: the foreign thread's
                                    stand-in when not on a goroutine */
int64_t goc__nanotime(void);
int64_t goc__nanotime_coarse(void);   /* ~4 ms resolution, cheap */
uint32_t goc__fastrand(void);
uint64_t goc__fastrand64(void);
uint32_t goc__fastrandn(uint32_t n);

/* gopark: the current G waits.  After it is off its stack, unlockf(gp, arg)
 * runs on g0 (or at once, on a foreign thread); if it returns false the G
 * resumes at once.  Returns when goc__ready(gp) is called. */
void goc__park(bool (*unlockf)(G *gp, void *arg), void *arg, int reason);
/* gopark with unlockf = unlock(l). */
void goc__parkunlock(goc_lock *l, int reason);
/* goready: make gp runnable, into the current P's runnext (or the global
 * queue from a thread with no P); wakes an idle P if one exists. */
void goc__ready(G *gp);
/* netpoll's injectglist: a list (schedlink) of Gs, to idle Ps and the queue. */
void goc__injectglist(G *list);
bool goc__casgstatus(G *gp, uint32_t from, uint32_t to);
/* "fatal error: casgstatus: bad transition ..." naming both states. */
void goc__casgstatus_fail(G *gp, uint32_t from, uint32_t to) GOC_NORETURN;
void goc__wakep(void);
/* Called by sysmon/timers when a new earliest time appears. */
void goc__wake_netpoller(int64_t when);

void goc__mcall(void (*fn)(G *gp));   /* switch to g0, run fn(gp) there */
void goc__handoffp(P *pp);
bool goc__exitsyscall_pidle(M *m);
/* g0 action of an async preemption (preempt.c): the G keeps this M; the M
 * hands its P on and waits for one (see the essay in preempt.c). */
void goc__preempt_park(G *gp);
void goc__sysmon_startm(void);          /* sysmon: act on sched.needm */
void goc__kill_retired_syscall_ps(void);/* sysmon: Ps >= gomaxprocs in a call */
bool goc__retired_syscall_p(void);      /* is there one (lock-free scan) */
bool goc__retired_busy_p(void);         /* or one running a G */
/* sysmon: resume the longest-waiting preempted G without a P if it has
 * waited over ns and some P's thread is blocked in the kernel. */
void goc__preempt_unwedge(int64_t now, int64_t ns, bool (*blocked)(M *m));
void goc__pless_exit(void);             /* leave the P-less state (below) */
/* sysmon: take pp from m, blocked outside the runtime (REVOKE_ASK set and
 * the barrier run); false if m entered the runtime or moved on. */
bool goc__revoke_commit(P *pp, M *m, G *gp, uint32_t schedtick);
/* A G resumed without a P leaves that state at its next runtime call that
 * blocks, yields or exits: it then waits for a P as goc_syscall_exit does. */
static inline void goc__pless_check(M *m)
{
    if (unlikely(m != NULL && m->pless))
        goc__pless_exit();
}
void goc__checkdead(void);              /* sched.lock held */
void goc__incidlelocked(int32_t v);     /* sysmon around injectglist */
int32_t goc__mcount(void);
bool goc__main_started(void);
void goc__preempt_check(void);          /* cooperative preemption point */
/* libgoc_lockcheck.so (lockcheck.c), when the program links it: how many
 * pthread mutexes and rwlocks the calling thread holds (NULL without it). */
extern int goc_lockcheck_held(const void **last) __attribute__((weak));
/* A G about to leave its thread (park, yield, end, or wait for a P at
 * goc_syscall_exit) while the thread holds such a lock: fatal, naming what
 * it was doing.  Nothing without libgoc_lockcheck. */
void goc__oslock_fatal(G *gp, const char *doing, int n, const void *last) GOC_NORETURN;
static inline void goc__oslock_check(G *gp, const char *doing)
{
    if (goc_lockcheck_held != NULL) {
        const void *last;
        int n = goc_lockcheck_held(&last);
        if (unlikely(n > 0))
            goc__oslock_fatal(gp, doing, n, last);
    }
}
/* Whether the calling thread holds one (cooperative preemption waits). */
static inline bool goc__oslock_held(void)
{
    return goc_lockcheck_held != NULL && goc_lockcheck_held(NULL) > 0;
}
void goc__allg_lock(void);
void goc__allg_unlock(void);
extern G    **goc__allgs;               /* every G ever made (allglock) */
extern size_t goc__allglen;

/* os_linux.c */
int32_t  goc__default_procs(void);      /* affinity, capped by cgroup quota */
/* A thread's state letter from /proc ('R' running or runnable, 'S'/'D'
 * blocked; 0 unknown), read without taking an fd number from the
 * program's table (os_linux.c).  Blocks the caller for the read. */
char     goc__os_thread_state(int tid);
/* The same read, and sig sent to the thread at once if it says 'R' (or
 * nothing is known): a thread that enters a blocking call between a look
 * and a later signal would see EINTR (sysmon.c, F8).  *sent: it went. */
char     goc__os_thread_state_signal(int tid, int sig, bool *sent);
void     goc__os_thread_state_init(void);   /* at sysmon's start */
void     goc__m_stackbounds(M *m);      /* g0 stack bounds for sanitizers */
uint32_t goc__gcd(uint32_t a, uint32_t b);

/* run queue (runq.c) */
bool goc__runqempty(P *pp);
void goc__runqput(P *pp, G *gp, bool next);
/* goc__runqput(pp, gp, false)'s common case, inline: the ring has room.
 * False: it is full, call goc__runqput (which spills half globally). */
static inline bool goc__runqput_fast(P *pp, G *gp)
{
    uint32_t head = atomic_load_explicit(&pp->runqhead, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&pp->runqtail, memory_order_relaxed);
    if (tail - head >= GOC_RUNQ_SIZE)
        return false;
    atomic_store_explicit(&pp->runq[tail % GOC_RUNQ_SIZE], gp, memory_order_relaxed);
    atomic_store_explicit(&pp->runqtail, tail + 1, memory_order_release);
    return true;
}
G   *goc__runqget(P *pp, bool *inherit);
G   *goc__runqsteal(P *pp, P *p2, bool stealRunNextG);
uint32_t goc__runqlen(P *pp);
void goc__globrunqput(G *gp);                       /* sched.lock held */
void goc__globrunqputbatch(G *head, G *tail, int32_t n); /* lock held */
G   *goc__globrunqget(P *pp, int32_t max);          /* lock held */

/* ----------------------------------------------------------- trace.c */
void goc__fatal(const char *msg) GOC_NORETURN;      /* dump, exit 2 */
void goc__fatal_nodump(const char *msg) GOC_NORETURN;
void goc__dump_goroutines(int fd);
void goc__schedtrace(bool detailed);
/* At exit: wait for a trace being printed to end, then print no more. */
void goc__schedtrace_stop(void);
const char *goc__waitreason_str(int reason);
void goc__signals_init(void);
void goc__signals_thread_init(M *m);
void goc__stack_overflow(G *gp) GOC_NORETURN;  /* report and exit 2 */

/* -------------------------------------------------------- symbolize.c */
void goc__traceback_init(void);   /* GOC_TRACEBACK, the symbolizer thread */
/* Print frames pcs[0..n) (return addresses, innermost first) and, when
 * gopc != 0, "created by"; Go's format, file:line when libdw is built in.
 * Async-signal-safe on the calling thread (see symbolize.c). */
void goc__traceback(int fd, void *const *pcs, int n, uintptr_t gopc, uint64_t parent);

/* ---------------------------------------------------------- sysmon.c */
void goc__sysmon_start(void);
void goc__sysmon_wake(void);

/* ---------------------------------------------------------- preempt.c */
/* Ask m's thread for SIGURG, to preempt its G; the handler decides
 * whether that is safe.  The signal comes only while the thread runs on a
 * CPU, never into a blocking call (preempt.c). */
void goc__preempt_m(M *m);
/* On m's own thread at its start (mstart): its SIGURG timer. */
void goc__preempt_minit(M *m);
extern _Atomic uint64_t goc__preempt_signals;  /* SIGURGs sent (/debug/goc) */
/* SIGURGs whose frame did not fit below a G near the bottom of its stack
 * (trace.c's SIGSEGV handler drops them; the G is preempted later). */
extern _Atomic uint64_t goc__preempt_dropped;
void goc__preempt_init(void);

/* ------------------------------------------------ time.c / netpoll.c
 * (weak hooks so the scheduler links before these files exist) */
int64_t goc__timers_check(P *pp, int64_t now, bool *ran);
int64_t goc__timers_next(P *pp);           /* earliest when, 0 = none */
bool    goc__timers_pending(void);         /* any P has timers */
void    goc__timers_move(P *from, P *to);  /* P destroyed */
bool    goc__netpoll_inited(void);
bool    goc__netpoll_anywaiters(void);
G      *goc__netpoll(int64_t delay_ns);    /* readied Gs (schedlink list) */
void    goc__netpoll_break(void);
bool    goc__uring_flush(void);            /* netpoll_uring.c: submit */
void    goc__timers_pinit(P *pp);          /* P created: allocate pp->timers */
void    goc__netpoll_init(void);           /* once, at goc_main start */

/* ------------------------------------------------------------ after.c */
void    goc__after_gexit(G *gp);   /* gp exits: free its goc_after channels */
int64_t goc__after_chans(void);    /* goc_after channels allocated now */
int64_t goc__after_funcs(void);    /* goc_after_func timers pending now */
/* goc_go for a timer's f (on g0 or in a goroutine): never yields. */
int     goc__go_noyield(void (*fn)(void *arg), void *arg);

/* ------------------------------------------------------------- errors */
#define GOC_CHECK(cond, msg) do { if (unlikely(!(cond))) goc__fatal(msg); } while (0)

#endif /* GOC_RUNTIME_H */
