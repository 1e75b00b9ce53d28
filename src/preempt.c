/*
 * preempt.c — preempting a goroutine that has run for 10 ms.
 *
 * Cooperative: sysmon sets g->preempt; the G yields at its next runtime
 * entry (goc__preempt_check: goc_go, goc_syscall_exit, channel and sync
 * calls).  Asynchronous: sysmon also sends SIGURG to the M (Go's choice of
 * signal: rarely used by programs, harmless when spurious, not real-time).
 *
 * The SIGURG handler preempts only at a safe point (DESIGN.md #6): the M
 * holds no runtime lock (m->locks == 0) and is not in a blocking call, the
 * thread is on the G's stack with room to spare, and the interrupted PC is in
 * the program's own code — the main executable's text, minus the runtime's
 * (the static library's code is renamed into section goc_text at build time,
 * see CMakeLists.txt) — never in libc, the dynamic loader or another shared
 * object, any of which may hold a lock the next G would need.
 *
 * How: the handler runs WITHOUT SA_ONSTACK, so the kernel saves the whole
 * register file and FPU/vector state (xsave) in the signal frame on the G's
 * own stack.  The handler then switches to g0 (goc__mcall) with the G marked
 * runnable on this M's asyncq; g0 runs other Gs and later resumes this one
 * on the SAME M (its thread-locals and any OS lock it holds stay valid), the
 * handler returns, and sigreturn restores every register exactly.  errno is
 * kept by the handler and by mcall.  SIGURG is unblocked on g0 so other Gs
 * on this M stay preemptible; sigreturn restores the G's own mask.
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
#include <ucontext.h>
#include <unistd.h>

#include "runtime.h"

extern char __start_goc_text[] __attribute__((weak));
extern char __stop_goc_text[] __attribute__((weak));

#define MAX_RANGES 16
static struct { uintptr_t lo, hi; } user_text[MAX_RANGES];
static int nuser_text;
static struct sigaction old_urg;
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
    if (m == NULL || si->si_code != SI_TKILL || si->si_pid != getpid()) {
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
    if (gp && atomic_load_explicit(&gp->preempt, memory_order_relaxed) && m->locks == 0 && m->syscall_nest == 0 && m->p &&
        atomic_load(&gp->status) == G_RUNNING && gp->stack &&
        sp > (uintptr_t)gp->stack->lo + (32 << 10) && sp < (uintptr_t)gp->stack->hi &&
        user_pc(pc)) {
        atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
        atomic_store(&m->p->preempt, false);
        goc__mcall(goc__preempt_park);
        /* Back on the same M, which waited for a P: return into the
         * interrupted code. */
    }
    errno = saved;
}

void goc__preempt_m(M *m)
{
    if (!enabled)
        return;
    uint32_t zero = 0;
    /* One signal in flight per M (Go issue 37741). */
    if (!atomic_compare_exchange_strong(&m->signal_pending, &zero, 1))
        return;
    if (syscall(SYS_tgkill, getpid(), m->tid, SIGURG) != 0)
        atomic_store(&m->signal_pending, 0);
}

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
