/*
 * trace.c — what the runtime tells the user: fatal errors, the goroutine
 * dump, schedtrace/scheddetail lines, and the signal handlers behind them
 * (stack overflow on SIGSEGV, dump on SIGQUIT).
 *
 * Fatal paths allocate nothing: messages are constant or formatted into
 * stack buffers and written with write(2); backtrace() is warmed up at init
 * so its first use does not call malloc.
 *
 * Before the message, a fatal path flushes stdout and stderr, so the
 * program's last printf lines reach a pipe or a file (`| tee log`).  The
 * dying thread cannot flush them itself: it may be a signal handler that
 * interrupted printf on this very thread (stdio's lock is recursive, so a
 * trylock would succeed and flush a half-updated buffer), or another thread
 * may hold the stream's lock, and _exit must still come.  So a thread made
 * at init for this alone (all signals blocked, never in stdio otherwise)
 * does it: it trylocks each stream for up to FLUSH_LOCK_WAIT_MS (a lock
 * held that long belongs to the dying thread or to a thread that is not
 * coming back; the stream is then left unflushed), and the dying thread
 * waits for it at most FLUSH_WAIT_MS (a write to a full pipe may block).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51     /* Linux 4.18 (arm64), 5.14 (x86) */
#endif

static const char *const reasons[W_NREASONS] = {
    [W_ZERO] = "",
    [W_CHAN_RECV] = "chan receive",
    [W_CHAN_SEND] = "chan send",
    [W_CHAN_RECV_NIL] = "chan receive (nil chan)",
    [W_CHAN_SEND_NIL] = "chan send (nil chan)",
    [W_SELECT] = "select",
    [W_SELECT_NO_CASES] = "select (no cases)",
    [W_SLEEP] = "sleep",
    [W_IO_WAIT] = "IO wait",
    [W_SEMACQUIRE] = "semacquire",
    [W_SYNC_MUTEX_LOCK] = "sync.Mutex.Lock",
    [W_SYNC_RWMUTEX_RLOCK] = "sync.RWMutex.RLock",
    [W_SYNC_RWMUTEX_LOCK] = "sync.RWMutex.Lock",
    [W_SYNC_WAITGROUP_WAIT] = "sync.WaitGroup.Wait",
    [W_SYNC_COND_WAIT] = "sync.Cond.Wait",
    [W_TIMER_GOROUTINE_IDLE] = "timer goroutine (idle)",
    [W_PREEMPTED] = "preempted",
    [W_SYSCALL_NOP] = "syscall",
};

const char *goc__waitreason_str(int r)
{
    return r >= 0 && r < W_NREASONS && reasons[r] ? reasons[r] : "waiting";
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (n > 0 && write(fd, buf, (size_t)n) < 0) {
        /* nothing more to do on a fatal path */
    }
}

static const char *status_str(G *gp)
{
    switch (atomic_load(&gp->status)) {
    case G_RUNNABLE: return "runnable";
    case G_RUNNING: return "running";
    case G_SYSCALL: return "syscall";
    case G_WAITING: return goc__waitreason_str(gp->waitreason);
    case G_PREEMPTED: return "preempted";
    case G_DEAD: return "dead";
    default: return "idle";
    }
}

/* Walk a parked G's frame-pointer chain from the frame goc__ctx_switch
 * left (context_<arch>.S gives the offsets). */
static int parked_pcs(G *gp, void **pcs, int max)
{
    if (gp->stack == NULL || gp->sp == NULL)
        return 0;
    uintptr_t lo = (uintptr_t)gp->stack->lo, hi = (uintptr_t)gp->stack->hi;
    uintptr_t sp = (uintptr_t)gp->sp, fp, pc;
#if defined(__x86_64__)
    fp = *(uintptr_t *)(sp + 48);
    pc = *(uintptr_t *)(sp + 56);
#elif defined(__aarch64__)
    fp = *(uintptr_t *)(sp + 80);
    pc = *(uintptr_t *)(sp + 88);
#else
    return 0;
#endif
    int n = 0;
    while (n < max && pc != 0) {
        pcs[n++] = (void *)pc;
        if (fp < lo || fp + 16 > hi || (fp & 7))
            break;
        uintptr_t next = ((uintptr_t *)fp)[0];
        pc = ((uintptr_t *)fp)[1];
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

/* In a signal handler, the current G's frames start with the handler's
 * own and the kernel's return trampoline: drop everything before the
 * interrupted PC (backtrace unwinds through the signal frame and reports
 * that PC exactly; +1 makes it look like the return addresses the others
 * are, which the symbolizer looks up at pc - 1). */
static uintptr_t sig_pc;   /* the interrupted PC during on_quit, else 0 */

static int trim_signal_frames(void **pcs, int n)
{
    if (sig_pc == 0)
        return n;
    for (int i = 0; i < n; i++) {
        if ((uintptr_t)pcs[i] == sig_pc) {
            pcs[i] = (void *)(sig_pc + 1);
            memmove(pcs, pcs + i, (size_t)(n - i) * sizeof pcs[0]);
            return n - i;
        }
    }
    return n;
}

static void dump_one(int fd, G *gp, bool current)
{
    int64_t waited = 0;
    if (atomic_load(&gp->status) == G_WAITING && gp->waitsince)
        waited = (goc__nanotime_coarse() - gp->waitsince) / 1000000;
    if (waited > 0)
        say(fd, "goroutine %llu [%s, %lld ms]:\n", (unsigned long long)gp->goid,
            status_str(gp), (long long)waited);
    else
        say(fd, "goroutine %llu [%s]:\n", (unsigned long long)gp->goid, status_str(gp));
    void *pcs[64];
    int n = 0;
    if (current)
        n = trim_signal_frames(pcs, backtrace(pcs, 64));
    else if (atomic_load(&gp->status) != G_RUNNING)
        n = parked_pcs(gp, pcs, 64);
    if (n == 0 && !current && atomic_load(&gp->status) == G_RUNNING)
        say(fd, "\t(running on another thread)\n");
    goc__traceback(fd, pcs, n, gp->gopc, gp->parentgoid);
    say(fd, "\n");
}

void goc__dump_goroutines(int fd)
{
    G *self = goc__getg();
    if (self)
        dump_one(fd, self, true);
    /* No allglock (a fatal error may hold it): allgadd publishes with
     * stores-release. */
    size_t n = __atomic_load_n(&goc__allglen, __ATOMIC_ACQUIRE);
    G **allgs = __atomic_load_n(&goc__allgs, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < n; i++) {
        G *gp = allgs[i];
        if (gp == self || atomic_load(&gp->status) == G_DEAD)
            continue;
        dump_one(fd, gp, false);
    }
}

/* ------------------------------------------------- stdio on fatal paths */

enum {
    FLUSH_LOCK_WAIT_MS = 250,   /* how long a stream's lock may stay busy */
    FLUSH_WAIT_MS = 1000,       /* how long a fatal path waits for the flush */
};

enum { FLUSH_IDLE, FLUSH_ASKED, FLUSH_DONE };

static _Atomic uint32_t flush_state;   /* FLUSH_*: set once, by the first fatal */
static _Atomic bool     flusher_up;    /* the flusher thread exists */

static void flush_stream(FILE *f)
{
    int64_t deadline = goc__nanotime() + FLUSH_LOCK_WAIT_MS * 1000000LL;
    while (ftrylockfile(f) != 0) {
        if (goc__nanotime() > deadline)
            return;
        goc__usleep(1000);
    }
    fflush_unlocked(f);
    funlockfile(f);
}

static void *flusher(void *arg)
{
    (void)arg;
    while (atomic_load(&flush_state) == FLUSH_IDLE)
        goc__futexsleep(&flush_state, FLUSH_IDLE, -1);
    flush_stream(stdout);
    flush_stream(stderr);
    atomic_store(&flush_state, FLUSH_DONE);
    goc__futexwakeup(&flush_state, INT_MAX);
    return NULL;
}

static void flusher_start(void)
{
    pthread_attr_t attr;
    sigset_t all, old;
    pthread_t th;
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* the thread inherits it */
    if (pthread_create(&th, &attr, flusher, NULL) == 0)
        atomic_store(&flusher_up, true);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

/* Flush stdout and stderr without ever blocking past FLUSH_WAIT_MS.
 * Async-signal-safe on this side: atomics and futex calls only.  Before the
 * runtime started (no flusher, and no runtime signal handler that could
 * have interrupted stdio) the caller trylocks the streams itself. */
static void flush_stdio(void)
{
    uint32_t idle = FLUSH_IDLE;
    if (!atomic_compare_exchange_strong(&flush_state, &idle, FLUSH_ASKED))
        return;
    if (!atomic_load(&flusher_up)) {
        FILE *fs[2] = { stdout, stderr };
        for (int i = 0; i < 2; i++) {
            if (ftrylockfile(fs[i]) == 0) {
                fflush_unlocked(fs[i]);
                funlockfile(fs[i]);
            }
        }
        return;
    }
    goc__futexwakeup(&flush_state, 1);
    int64_t deadline = goc__nanotime() + FLUSH_WAIT_MS * 1000000LL;
    for (;;) {
        uint32_t st = atomic_load(&flush_state);
        int64_t left = deadline - goc__nanotime();
        if (st == FLUSH_DONE || left <= 0)
            return;
        goc__futexsleep(&flush_state, st, left);
    }
}

/* ------------------------------------------------------------- fatal */

static _Atomic int fatal_entered;

static void die(const char *msg, bool dump) GOC_NORETURN;
static void die(const char *msg, bool dump)
{
    if (atomic_fetch_add(&fatal_entered, 1) > 0) {
        /* Another thread is already reporting: let it finish. */
        for (;;)
            pause();
    }
    atomic_store(&goc__sched.dying, true);
    flush_stdio();
    say(2, "fatal error: %s\n\n", msg);
    if (dump)
        goc__dump_goroutines(2);
    _exit(2);
}

void goc__fatal(const char *msg) { die(msg, true); }
void goc__fatal_nodump(const char *msg) { die(msg, false); }

void goc__stack_overflow(G *gp)
{
    size_t size = gp && gp->stack ? goc__stack_bytes(gp->stack)
                                  : goc__stack_size();
    say(2, "runtime: goroutine %llu stack overflow (stack %zu bytes; "
        "GOC_STACK=size sets every goroutine's stack, e.g. GOC_STACK=1m, "
        "goc_go_stack one goroutine's)\n",
        gp ? (unsigned long long)gp->goid : 0ULL, size);
    die("stack overflow", true);
}

/* ---------------------------------------------------------- schedtrace */

/* The M counts live under sched.lock (plain ints): read them there, the
 * others are atomics. */
struct mcounts { int32_t threads, idle, idlelocked; };

static struct mcounts mcounts(void)
{
    struct mcounts c;
    goc__lock(&goc__sched.lock);
    c.threads = goc__mcount() + 1;
    c.idle = goc__sched.nmidle;
    c.idlelocked = goc__sched.nmidlelocked;
    goc__unlock(&goc__sched.lock);
    return c;
}

/* scheddetail prints a snapshot of other threads' Ms, Ps and Gs read without
 * their owners' cooperation, as Go's schedtrace does (stale or torn values
 * only misprint a debug line).  TSan is told to overlook these reads, and
 * only these: writes, and every other read, stay checked. */
#if GOC_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define RACY_READS_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define RACY_READS_END()   AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define RACY_READS_BEGIN() ((void)0)
#define RACY_READS_END()   ((void)0)
#endif

/* One trace block at a time, and none once goc_main returns: the process
 * exits then, and would cut a block short.  Lock order: trace_lock comes
 * before sched.lock and allglock (a block reads under both). */
static goc_lock trace_lock;
static bool trace_stopped;

void goc__schedtrace_stop(void)
{
    goc__lock(&trace_lock);
    trace_stopped = true;
    goc__unlock(&trace_lock);
}

static void schedtrace_locked(bool detailed);

void goc__schedtrace(bool detailed)
{
    goc__lock(&trace_lock);
    if (!trace_stopped)
        schedtrace_locked(detailed);
    goc__unlock(&trace_lock);
}

static void schedtrace_locked(bool detailed)
{
    int64_t start = goc__sched.start_time;
    int64_t now = goc__nanotime();
    int32_t np = atomic_load(&goc__gomaxprocs);
    struct mcounts mc = mcounts();
    char line[4096];
    int off = snprintf(line, sizeof line,
        "SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%d spinningthreads=%d "
        "needspinning=%d idlethreads=%d runqueue=%d",
        (long long)((now - start) / 1000000), np, atomic_load(&goc__sched.npidle),
        mc.threads, atomic_load(&goc__sched.nmspinning),
        atomic_load(&goc__sched.needspinning), mc.idle,
        atomic_load(&goc__sched.runqsize));
    if (detailed) {
        off += snprintf(line + off, sizeof line - (size_t)off,
            " gcwaiting=false nmidlelocked=%d stopwait=0 sysmonwait=%s\n",
            mc.idlelocked, atomic_load(&goc__sched.sysmonwait) ? "true" : "false");
        say(1, "%s", line);
        RACY_READS_BEGIN();
        for (int32_t i = 0; i < np; i++) {
            P *pp = goc__allp[i];
            if (!pp)
                continue;
            M *m = atomic_load(&pp->m);
            char mid[24] = "nil";
            if (m)
                snprintf(mid, sizeof mid, "%lld", (long long)m->id);
            say(1, "  P%d: status=%u schedtick=%u syscalltick=%u m=%s runqsize=%u gfreecnt=%d timerslen=%lld\n",
                i, atomic_load(&pp->status), atomic_load(&pp->schedtick),
                atomic_load(&pp->syscalltick), mid, goc__runqlen(pp), pp->gfreecnt,
                (long long)(goc__timers_next(pp) != 0));
        }
        for (M *m = atomic_load(&goc__allm); m; m = m->alllink) {
            G *cg = atomic_load(&m->curg);
            P *pp = m->p;
            char pid[24] = "nil", gid[24] = "nil";
            if (pp)
                snprintf(pid, sizeof pid, "%d", pp->id);
            if (cg)
                snprintf(gid, sizeof gid, "%llu", (unsigned long long)cg->goid);
            say(1, "  M%lld: p=%s curg=%s mallocing=0 throwing=0 preemptoff= locks=%d dying=0 spinning=%s blocked=%s lockedg=nil\n",
                (long long)m->id, pid, gid, goc__mlocks(m), m->spinning ? "true" : "false",
                m->blocked ? "true" : "false");
        }
        goc__allg_lock();
        size_t n = goc__allglen;
        for (size_t i = 0; i < n; i++) {
            G *gp = goc__allgs[i];
            uint32_t st = atomic_load(&gp->status);
            if (st == G_DEAD)
                continue;
            M *m = atomic_load(&gp->m);
            char mid[24] = "nil";
            if (m)
                snprintf(mid, sizeof mid, "%lld", (long long)m->id);
            say(1, "  G%llu: status=%u(%s) m=%s lockedm=nil\n", (unsigned long long)gp->goid,
                st, st == G_WAITING ? goc__waitreason_str(gp->waitreason) : "", mid);
        }
        goc__allg_unlock();
        RACY_READS_END();
        return;
    }
    off += snprintf(line + off, sizeof line - (size_t)off, " [");
    for (int32_t i = 0; i < np && off < (int)sizeof line - 32; i++)
        off += snprintf(line + off, sizeof line - (size_t)off, i ? " %u" : "%u",
                        goc__allp[i] ? goc__runqlen(goc__allp[i]) : 0);
    off += snprintf(line + off, sizeof line - (size_t)off, "] schedticks=[");
    for (int32_t i = 0; i < np && off < (int)sizeof line - 32; i++)
        off += snprintf(line + off, sizeof line - (size_t)off, i ? " %u" : "%u",
                        goc__allp[i] ? atomic_load(&goc__allp[i]->schedtick) : 0);
    snprintf(line + off, sizeof line - (size_t)off, "]\n");
    say(1, "%s", line);
}

/* ------------------------------------------------------------- signals */

static struct sigaction old_segv, old_bus, old_quit;

static void chain(int sig, siginfo_t *si, void *uc, struct sigaction *old)
{
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    /* A signal that no instruction will raise again: sent by kill, or the
     * kernel's report of a signal it could not deliver. */
    bool sent = si->si_code <= 0 || si->si_code == SI_KERNEL;
    if (sent && !(old->sa_flags & SA_SIGINFO) && old->sa_handler == SIG_IGN)
        return;   /* the program ignores it: so do we */
    /* Default action: restore it and let the fault happen again; one that
     * will not happen again is raised here (blocked until this handler
     * returns, then it kills). */
    signal(sig, SIG_DFL);
    if (sent)
        raise(sig);
}

/* Room a signal frame needs below the interrupted stack pointer: the
 * kernel's AT_MINSIGSTKSZ (the saved register file and siginfo; 3.4 KiB
 * with AVX-512), twice over for the red zone, alignment and margin.  Set
 * by goc__signals_init. */
static size_t sigframe_room = 2 * 2048;

static uintptr_t interrupted_sp(void *ucv)
{
    ucontext_t *uc = ucv;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.sp;
#else
    (void)uc;
    return 0;
#endif
}

/* The preemption signal runs on the G's own stack (preempt.c).  With the
 * stack pointer less than a frame above the guard, the kernel cannot write
 * that frame; it drops the signal and sends the thread a SIGSEGV of its
 * own instead (SI_KERNEL, no fault address).  The program is within its
 * stack, so the preemption is dropped: the M's one-signal-in-flight flag
 * is cleared and sysmon asks again in 10 ms, when the G has likely climbed
 * back up.  True if that is what happened. */
static bool drop_preemption(void)
{
    M *m = goc__getm();
    if (m == NULL || atomic_exchange(&m->signal_pending, 0) == 0)
        return false;
    atomic_fetch_add_explicit(&goc__preempt_dropped, 1, memory_order_relaxed);
    return true;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    /* A fault in a guard, or in the page above it (the canary fallback). */
    G *owner = goc__stack_owner_of(si->si_addr, 4096);
    if (owner == NULL && sig == SIGSEGV && si->si_code == SI_KERNEL) {
        /* No fault address: perhaps a signal whose frame did not fit. */
        owner = goc__stack_owner_of((void *)interrupted_sp(uc), sigframe_room);
        if (owner != NULL && drop_preemption())
            return;
        /* Another signal (a program's handler without SA_ONSTACK) cannot
         * run on this G's stack at all: it has overflowed. */
        if (owner != NULL)
            say(2, "runtime: a signal's frame does not fit on the goroutine's stack\n");
    }
    if (owner != NULL) {
        if (owner == (G *)-1)
            owner = goc__getg();
        goc__stack_overflow(owner);
    }
    chain(sig, si, uc, sig == SIGSEGV ? &old_segv : &old_bus);
}

static void on_quit(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)sig;
    if (atomic_fetch_add(&fatal_entered, 1) > 0)
        for (;;)
            pause();
    mcontext_t *mc = &((ucontext_t *)uc)->uc_mcontext;
#if defined(__x86_64__)
    sig_pc = (uintptr_t)mc->gregs[REG_RIP];
#elif defined(__aarch64__)
    sig_pc = (uintptr_t)mc->pc;
#else
    (void)mc;
#endif
    flush_stdio();
    say(2, "SIGQUIT: quit\n\n");
    goc__dump_goroutines(2);
    _exit(2);
}

void goc__signals_thread_init(M *m)
{
    size_t sz = 64 << 10;
    m->altstack = malloc(sz);
    if (m->altstack) {
        stack_t ss = { .ss_sp = m->altstack, .ss_size = sz, .ss_flags = 0 };
        sigaltstack(&ss, NULL);
    }
}

void goc__signals_init(void)
{
    void *warm[2];
    backtrace(warm, 2);        /* loads libgcc now, not on a fatal path */
    flusher_start();
    goc__traceback_init();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_segv;
    unsigned long minsig = getauxval(AT_MINSIGSTKSZ);
    if (minsig > 2048)
        sigframe_room = 2 * minsig;
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    /* SIGQUIT dumps, as Go, unless the program already handles it.  An
     * ignored SIGQUIT is taken over too, as Go does: a program started in
     * the background by a shell inherits it ignored, and kill -QUIT must
     * still dump it. */
    sigaction(SIGQUIT, NULL, &old_quit);
    if (old_quit.sa_handler == SIG_DFL || old_quit.sa_handler == SIG_IGN) {
        sa.sa_sigaction = on_quit;
        sigaction(SIGQUIT, &sa, NULL);
    }
}

/* ------------------------------------------------------- debug stats */

struct sbuf { char *buf; size_t n, len; };

static void sput(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sput(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->len < b->n ? b->n - b->len : 0;
    int k = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        b->len += (size_t)k;
}

/* Gs parked on the poller (W_IO_WAIT: a read, write, accept or
 * goc_wait_fd) and the stack bytes reserved by live Gs (a stack's size, as
 * Go's stack_inuse; only touched pages are resident).  Read as scheddetail
 * reads other Gs: without their owners, a value may be a moment stale. */
struct gcounts { long long iowait; unsigned long long stack_bytes; };

static struct gcounts gcounts(void)
{
    struct gcounts c = { 0, 0 };
    goc__allg_lock();
    RACY_READS_BEGIN();
    for (size_t i = 0; i < goc__allglen; i++) {
        G *gp = goc__allgs[i];
        uint32_t st = atomic_load(&gp->status);
        if (st == G_DEAD)
            continue;
        if (st == G_WAITING && gp->waitreason == W_IO_WAIT)
            c.iowait++;
        if (gp->stack)
            c.stack_bytes += goc__stack_bytes(gp->stack);
    }
    RACY_READS_END();
    goc__allg_unlock();
    return c;
}

int goc_debug_stats(char *buf, size_t n)
{
    struct sbuf b = { buf, n, 0 };
    if (n > 0)
        buf[0] = 0;
    int32_t np = atomic_load(&goc__gomaxprocs);
    struct mcounts mc = mcounts();
    sput(&b, "# HELP goc_sched_gomaxprocs Ps (GOC_MAXPROCS).\n# TYPE goc_sched_gomaxprocs gauge\n"
             "goc_sched_gomaxprocs %d\n", np);
    sput(&b, "# HELP goc_sched_idle_procs Ps with no M.\n# TYPE goc_sched_idle_procs gauge\n"
             "goc_sched_idle_procs %d\n", atomic_load(&goc__sched.npidle));
    sput(&b, "# HELP goc_sched_threads Ms created (plus sysmon).\n# TYPE goc_sched_threads gauge\n"
             "goc_sched_threads %d\n", mc.threads);
    sput(&b, "# HELP goc_sched_idle_threads Ms parked on their note.\n# TYPE goc_sched_idle_threads gauge\n"
             "goc_sched_idle_threads %d\n", mc.idle);
    sput(&b, "# HELP goc_sched_spinning_threads Ms looking for work.\n# TYPE goc_sched_spinning_threads gauge\n"
             "goc_sched_spinning_threads %d\n", atomic_load(&goc__sched.nmspinning));
    sput(&b, "# HELP goc_sched_global_runqueue Gs on the global run queue.\n# TYPE goc_sched_global_runqueue gauge\n"
             "goc_sched_global_runqueue %d\n", atomic_load(&goc__sched.runqsize));
    sput(&b, "# HELP goc_sched_syscall_goroutines Gs between goc_syscall_enter and exit.\n"
             "# TYPE goc_sched_syscall_goroutines gauge\ngoc_sched_syscall_goroutines %d\n",
         atomic_load(&goc__sched.nsyscall));
    struct gcounts gc = gcounts();
    sput(&b, "# HELP goc_netpoll_waiting_goroutines Gs parked on the poller (socket I/O, goc_wait_fd).\n"
             "# TYPE goc_netpoll_waiting_goroutines gauge\ngoc_netpoll_waiting_goroutines %lld\n",
         gc.iowait);
    sput(&b, "# HELP goc_stack_inuse_bytes Stack bytes reserved by live goroutines (touched pages are resident).\n"
             "# TYPE goc_stack_inuse_bytes gauge\ngoc_stack_inuse_bytes %llu\n", gc.stack_bytes);
    sput(&b, "# HELP goc_sched_preempt_signals_total Asynchronous preemptions: SIGURG sent to a thread whose goroutine ran 10 ms.\n"
             "# TYPE goc_sched_preempt_signals_total counter\ngoc_sched_preempt_signals_total %llu\n",
         (unsigned long long)atomic_load_explicit(&goc__preempt_signals, memory_order_relaxed));
    sput(&b, "# HELP goc_sched_preempt_dropped_total Preemption signals dropped: the goroutine ran too near the bottom of its stack for the signal's frame.\n"
             "# TYPE goc_sched_preempt_dropped_total counter\ngoc_sched_preempt_dropped_total %llu\n",
         (unsigned long long)atomic_load_explicit(&goc__preempt_dropped, memory_order_relaxed));
    sput(&b, "# HELP goc_sched_revoked_total Ps taken from threads blocked in a call nobody annotated.\n"
             "# TYPE goc_sched_revoked_total counter\ngoc_sched_revoked_total %llu\n",
         (unsigned long long)atomic_load(&goc__sched.nrevoked));
    sput(&b, "# HELP goc_after_chans goc_after channels allocated (pending, or cached for reuse).\n"
             "# TYPE goc_after_chans gauge\ngoc_after_chans %lld\n", (long long)goc__after_chans());
    sput(&b, "# HELP goc_after_funcs goc_after_func timers not yet fired or stopped.\n"
             "# TYPE goc_after_funcs gauge\ngoc_after_funcs %lld\n", (long long)goc__after_funcs());
    sput(&b, "# HELP goc_sched_p_runqueue Gs on each P's local run queue.\n# TYPE goc_sched_p_runqueue gauge\n");
    for (int32_t i = 0; i < np; i++)
        if (goc__allp[i])
            sput(&b, "goc_sched_p_runqueue{p=\"%d\"} %u\n", i, goc__runqlen(goc__allp[i]));
    sput(&b, "# HELP goc_sched_p_status P status (0 idle, 1 running, 2 syscall, 4 dead).\n"
             "# TYPE goc_sched_p_status gauge\n");
    for (int32_t i = 0; i < np; i++)
        if (goc__allp[i])
            sput(&b, "goc_sched_p_status{p=\"%d\"} %u\n", i, atomic_load(&goc__allp[i]->status));
    sput(&b, "# HELP goc_sched_p_schedticks_total Scheduling rounds of each P.\n"
             "# TYPE goc_sched_p_schedticks_total counter\n");
    for (int32_t i = 0; i < np; i++)
        if (goc__allp[i])
            sput(&b, "goc_sched_p_schedticks_total{p=\"%d\"} %u\n", i,
                 atomic_load(&goc__allp[i]->schedtick));
    return b.len > INT32_MAX ? -EOVERFLOW : (int)b.len;
}
