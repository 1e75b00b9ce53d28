/*
 * preempt.c — preempting a goroutine that has run for 10 ms, safely for C.
 *
 * Cooperative: sysmon sets g->preempt; the G yields at its next runtime
 * entry (goc__preempt_check: goc_go, goc_syscall_exit).  Asynchronous:
 * sysmon also has SIGURG sent to the M (Go's choice of signal: rarely used
 * by programs, harmless when spurious, not real-time), by a timer on the
 * thread's own CPU-time clock, so that it comes only while the thread runs
 * (a thread blocked in usleep, poll or read must not see EINTR; Go never
 * signals a thread in a system call; goc__preempt_m below says how).
 *
 * The problem C adds.  A Go goroutine holds no lock the runtime cannot see;
 * a C goroutine may be stopped holding a pthread mutex, a libc-internal lock
 * (malloc's arena, stdio's FILE lock) or any other library's lock.  If
 * another goroutine then ran on the same thread, or the stopped one had to
 * wait for a thread that waits for its lock, nothing could release it:
 *   F1  the old design queued the G on its M's private asyncq; an M that
 *       lost its P in a blocking call slept with the G stranded there;
 *   F2  the next G on that M blocked on the same pthread mutex: the thread,
 *       and at GOMAXPROCS=1 the whole program, deadlocked;
 *   F3  in a -static link libc counts as the program's text, so a G was
 *       stopped inside malloc and the runtime's own calloc on that thread
 *       waited for it forever.
 *
 * The design: a preempted G keeps its thread, and the thread lends its P.
 *   1. The handler (safe point, below) switches to g0 (goc__mcall) and runs
 *      goc__preempt_park (sched.c).  If nothing else wants the P (empty local
 *      and global queues, no other preempted G, no timer due), the G gets a
 *      new time slice at once.  Otherwise the G goes on sched.lockedq with
 *      gp->lockedm = this M, the P goes to an idle M (or idles, and sysmon
 *      starts an M: this path never mallocs, the thread may be inside
 *      malloc), and the M sleeps in the handler frame on its park note.
 *   2. Any M whose scheduler takes the G from lockedq (findrunnable: every
 *      61st tick, and whenever the local queue and global queue are empty;
 *      like Go's preempted G on the global queue) hands its own P to the G's
 *      M and stops (Go's startlockedm for a locked G).  The G's M wakes with
 *      the P, runs the G, the handler returns and sigreturn restores every
 *      register.
 *   So no other goroutine ever runs on a thread whose stack, thread-locals
 *   or locks a preempted goroutine holds (F1, F2, F3 on their own thread),
 *   and gomaxprocs still bounds the threads running goroutines.
 *   3. One wait remains: the lock holder waits for a P while every P's
 *      thread is blocked in the kernel on that lock (r2, r3 at P=1: the
 *      next G calls pthread_mutex_lock and sleeps holding the P).  sysmon
 *      breaks it (goc__preempt_unwedge): when the oldest preempted G has
 *      waited UNWEDGE_NS (10 ms) and some P's thread is blocked in the
 *      kernel (/proc state not R, schedtick stale), the G's M wakes with no
 *      P and runs the G as if it were in goc_syscall_enter and had lost its
 *      P (m->pless): its runtime calls take the P-less paths (goc__curp),
 *      and the first one that blocks, yields or returns waits for a P as
 *      goc_syscall_exit does (goc__pless_exit).  It runs in the place of a
 *      thread that is blocked, so the threads on a CPU stay within
 *      gomaxprocs until the blocked one wakes.
 * Rejected: restricting "user code" by PC alone (cannot see a pthread
 * mutex held by the program's own code, F2, nor tell libc from the program
 * in a static link, F3); a goc_preempt_disable/enable pair (every library
 * call would need it; it complements, it cannot replace).  Cost: nothing on
 * the switch paths (park_successor reads one more shared counter); a
 * preemption with other work waiting costs two futex wake-ups (the G's M
 * and the taker's) instead of none.
 *
 * Safe point (DESIGN.md #6): the M holds no runtime lock (m->locks == 0),
 * is not in a blocking call and holds a P, the G is running on its own
 * stack with room to spare, and the interrupted PC is in the program's own
 * code — the main executable's text, minus the runtime's (the static
 * library's code is renamed into section goc_text at build time, see
 * CMakeLists.txt) — never in the runtime, libc of a dynamic link, the
 * dynamic loader or another shared object.  The handler path takes only
 * runtime locks (sched.lock: the interrupted code cannot hold one) and
 * futex calls, so a stop inside a static libc is safe too.
 *
 * How: the handler runs WITHOUT SA_ONSTACK, so the kernel saves the whole
 * register file and FPU/vector state (xsave) in the signal frame on the G's
 * own stack.  errno is kept by the handler and by mcall.  SIGURG stays
 * blocked on the thread while it waits (no other G runs there);
 * sigreturn restores the G's own mask.
 *
 * GOC_DEBUG=asyncpreemptoff=1 turns the signal off; under ThreadSanitizer
 * (which delivers signals late, outside the interrupted context) and
 * AddressSanitizer it is off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define GOC_HAVE_VALGRIND 1
#endif
#endif

#include "runtime.h"

extern char __start_goc_text[] __attribute__((weak));
extern char __stop_goc_text[] __attribute__((weak));

#define MAX_RANGES 16
static struct { uintptr_t lo, hi; } user_text[MAX_RANGES];
static int nuser_text;
static struct sigaction old_urg;
#define URG_TIMER_TAG 0x676f6375   /* "gocu": si_value of the M's timer */
static bool enabled;

static int find_exe_text(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    /* The first object is the main executable (empty name). */
    for (int i = 0; i < info->dlpi_phnum && nuser_text < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            user_text[nuser_text].lo = info->dlpi_addr + ph->p_vaddr;
            user_text[nuser_text].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            nuser_text++;
        }
    }
    return 1;   /* stop after the executable */
}

static bool user_pc(uintptr_t pc)
{
    if ((uintptr_t)__start_goc_text <= pc && pc < (uintptr_t)__stop_goc_text)
        return false;
    for (int i = 0; i < nuser_text; i++)
        if (user_text[i].lo <= pc && pc < user_text[i].hi)
            return true;
    return false;
}

static void on_urg(int sig, siginfo_t *si, void *ucv)
{
    int saved = errno;
    M *m = goc__getm();
    bool ours = (si->si_code == SI_TKILL && si->si_pid == getpid()) ||
                (si->si_code == SI_TIMER && si->si_value.sival_int == URG_TIMER_TAG);
    if (m == NULL || !ours) {
        /* Not ours (a foreign thread, or a real out-of-band socket event). */
        if ((old_urg.sa_flags & SA_SIGINFO) && old_urg.sa_sigaction)
            old_urg.sa_sigaction(sig, si, ucv);
        else if (!(old_urg.sa_flags & SA_SIGINFO) && old_urg.sa_handler != SIG_DFL &&
                 old_urg.sa_handler != SIG_IGN)
            old_urg.sa_handler(sig);
        errno = saved;
        return;
    }
    atomic_store(&m->signal_pending, 0);
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
    ucontext_t *uc = ucv;
#if defined(__x86_64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.sp;
#else
    uintptr_t pc = 0, sp = 0;
#endif
    if (gp && atomic_load_explicit(&gp->preempt, memory_order_relaxed) && goc__mlocks(m) == 0 &&
        atomic_load(&gp->status) == G_RUNNING && gp->stack &&
        sp > (uintptr_t)gp->stack->lo + (32 << 10) && sp < (uintptr_t)gp->stack->hi &&
        user_pc(pc)) {
        /* Interrupted in the program's own code: the handler is a runtime
         * section (sysmon may have taken the P while the code was blocked
         * in a call: then it runs P-less and is not preempted). */
        P *pp = goc__enter(m);
        if (pp != NULL) {
            atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
            atomic_store(&pp->preempt, false);
            goc__mcall(goc__preempt_park);
            /* Back on the same M, which waited for a P: return into the
             * interrupted code. */
        }
        goc__leave(m);
    }
    errno = saved;
}

/* The signal's way to the thread.  tgkill from sysmon reaches a thread
 * whatever it is doing, and a thread that has just entered usleep, poll or
 * a library's blocking read gets EINTR: sysmon's look (on a CPU, /proc
 * says running) and the delivery are apart, a few microseconds at best (a
 * /proc read takes ~20 us on this VM), and a goroutine that takes over its
 * thread and calls usleep at once falls in between (sleep_signal_race:
 * 1 round in ~3200 at P=2 under load, with the look and the signal in one
 * step).  So each M has a POSIX timer on its own CPU-time clock that sends
 * it SIGURG (SIGEV_THREAD_ID), and sysmon arms it to expire after 1 ns
 * more of the thread's CPU time.  A thread asleep in the kernel accrues
 * none: nothing is sent while it sleeps.  The kernel notices the expiry at
 * a scheduler tick on which the thread is running (<= 4 ms at HZ=250), and
 * with POSIX_CPU_TIMERS_TASK_WORK (x86 and arm64 since Linux 5.11) sends
 * the signal as the thread returns to user mode, so it never cuts a call
 * short; before that kernel, only a tick that lands in the few
 * microseconds of a call's entry before it sleeps could.  A timer that
 * fires after its G has parked finds another G, or none, not flagged:
 * harmless.  Where timer_create is refused (seccomp, RLIMIT_SIGPENDING),
 * sysmon's tgkill after the look, as before.  Raw system calls: the
 * kernel's timer id, no libc bookkeeping. */
void goc__preempt_minit(M *m)
{
    m->urgtimer = -1;
    if (!enabled || goc__debug.preempttgkill)
        return;
#if GOC_HAVE_VALGRIND
    /* Under valgrind every goroutine overruns its slice (the code runs
     * ~50x slower), so the timer, armed for each, preempted far more often
     * than the look-then-tgkill path, which valgrind's serialized threads
     * rarely pass; valgrind.time_select then once waited 2 s for a send
     * due after 2 ms (CI, quiet machine; not reproduced in 56 reruns).
     * The tested path there, until that is understood. */
    if (RUNNING_ON_VALGRIND)
        return;
#endif
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGURG;
    sev.sigev_value.sival_int = URG_TIMER_TAG;
    sev._sigev_un._tid = m->tid;
    int id;
    if (syscall(SYS_timer_create, m->cpuclock, &sev, &id) == 0)
        m->urgtimer = id;
}

static bool urgtimer_arm(M *m)
{
    struct itimerspec its = { .it_interval = { 0, 0 }, .it_value = { 0, 1 } };
    return syscall(SYS_timer_settime, m->urgtimer, 0, &its, NULL) == 0;
}

void goc__preempt_m(M *m)
{
    if (!enabled)
        return;
    uint32_t zero = 0;
    /* One signal in flight per M (Go issue 37741).  An armed timer stays
     * armed until it fires, however long its thread sleeps, and the
     * handler (or trace.c's drop_preemption, for the SIGSEGV of a frame
     * that did not fit) clears the flag: re-arming one in flight would let
     * that clearing hide the next signal's failed frame (preempt_stack_edge
     * at P=8 on a loaded machine: "stack overflow"). */
    if (!atomic_compare_exchange_strong(&m->signal_pending, &zero, 1))
        return;
    if (m->urgtimer >= 0 && urgtimer_arm(m)) {
        atomic_fetch_add_explicit(&goc__preempt_signals, 1, memory_order_relaxed);
        return;
    }
    bool sent = false;
    goc__os_thread_state_signal((int)m->tid, SIGURG, &sent);
    if (!sent)
        atomic_store(&m->signal_pending, 0);
    else
        atomic_fetch_add_explicit(&goc__preempt_signals, 1, memory_order_relaxed);
}

_Atomic uint64_t goc__preempt_signals;
_Atomic uint64_t goc__preempt_dropped;

void goc__preempt_init(void)
{
#if GOC_TSAN || GOC_ASAN
    /* The sanitizers' runtimes wrap signal delivery (TSan defers it out of
     * the interrupted context; ASan's fiber bookkeeping trips on a switch
     * made from a handler): cooperative preemption only there. */
    return;
#endif
    if (goc__debug.asyncpreemptoff)
        return;
    dl_iterate_phdr(find_exe_text, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    /* No SA_ONSTACK: the frame must be on the G's stack (see above). */
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_urg;
    if (sigaction(SIGURG, &sa, &old_urg) == 0)
        enabled = true;
}
