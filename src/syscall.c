/*
 * syscall.c — blocking calls the runtime cannot see (Go's entersyscall /
 * exitsyscall, Go 1.22 shape with a P_SYSCALL state).
 *
 * goc_syscall_enter marks the G G_SYSCALL and its P P_SYSCALL but keeps the
 * P wired to the M (m->oldp).  If the call is short, goc_syscall_exit finds
 * the P still P_SYSCALL and takes it back with one CAS (fast path).  If it
 * is long, sysmon's retake CASes the P to P_IDLE and hands it to another M
 * (goc__handoffp); exit then tries any idle P, and failing that puts the G
 * on the global queue and parks the M (exitsyscall0).
 */
#include <errno.h>

#include "runtime.h"

void goc_syscall_enter(void)
{
    M *m = goc__getm();
    G *gp = m ? atomic_load_explicit(&m->curg, memory_order_relaxed) : NULL;
    if (gp == NULL)
        return;                       /* foreign thread: nothing to hand off */
    /* A section: sysmon must not take the P between the read and the
     * P_SYSCALL store (a P it took already leaves us P-less: nested). */
    P *pp = goc__enter(m);
    if (m->syscall_nest++ > 0) {
        goc__leave(m);
        return;
    }
    m->syscalltick = atomic_load_explicit(&pp->syscalltick, memory_order_relaxed);
    m->oldp = pp;
    atomic_fetch_add(&goc__sched.nsyscall, 1);
    if (!goc__casgstatus(gp, G_RUNNING, G_SYSCALL))
        goc__casgstatus_fail(gp, G_RUNNING, G_SYSCALL);
    /* No reset of sysmon's sm_syscallwhen here (a data race with retake,
     * TSan): every way out of P_SYSCALL bumps syscalltick (exit's fast
     * path, retake, kill_syscall_p), so sysmon sees a new call by its tick,
     * as Go's does. */
    atomic_store_explicit(&pp->status, P_SYSCALL, memory_order_release);
    /* A P that goc_maxprocs removed while we ran: sysmon kills it now
     * (sched.lock orders this with its deep-sleep check). */
    if (atomic_load(&goc__sched.sysmonwait) ||
        unlikely(pp->id >= atomic_load_explicit(&goc__gomaxprocs, memory_order_relaxed))) {
        goc__leave(m);
        goc__sysmon_wake();
        return;
    }
    goc__leave(m);
}

static void exitsyscall0(G *gp)
{
    M *m = goc__getm();
    if (!goc__casgstatus(gp, G_RUNNING, G_RUNNABLE))
        goc__casgstatus_fail(gp, G_RUNNING, G_RUNNABLE);
    atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
    atomic_store_explicit(&gp->m, NULL, memory_order_relaxed);
    /* No P for us: queue the G globally; g0 then parks this M (it holds
     * no P, findrunnable's caller sees m->p == NULL). */
    goc__lock(&goc__sched.lock);
    goc__globrunqput(gp);
    goc__unlock(&goc__sched.lock);
    goc__wakep();
}

void goc_syscall_exit(void)
{
    M *m = goc__getm();
    G *gp = m ? atomic_load_explicit(&m->curg, memory_order_relaxed) : NULL;
    if (gp == NULL)
        return;
    if (m->syscall_nest == 0 || (m->pless && m->syscall_nest == 1))
        goc__fatal("goc_syscall_exit without goc_syscall_enter");
    if (--m->syscall_nest > 0)
        return;
    P *pp = m->oldp;
    m->oldp = NULL;
    atomic_fetch_sub(&goc__sched.nsyscall, 1);
    if (!goc__casgstatus(gp, G_SYSCALL, G_RUNNING))
        goc__casgstatus_fail(gp, G_SYSCALL, G_RUNNING);
    /* Fast path: nobody retook our P (none: a G that ran P-less after
     * preemption, preempt.c). */
    uint32_t st = P_SYSCALL;
    if (pp != NULL && atomic_compare_exchange_strong(&pp->status, &st, P_RUNNING)) {
        atomic_fetch_add_explicit(&pp->syscalltick, 1, memory_order_relaxed);
        goc__preempt_check();
        return;
    }
    /* Retaken: m->p was handed off.  Try an idle P, else queue and wait. */
    m->p = NULL;
    if (goc__exitsyscall_pidle(m))
        return;
    /* The G waits for a P on the global queue and resumes on whichever M
     * takes it. */
    goc__oslock_check(gp, "must wait for a P in goc_syscall_exit (it resumes on another thread)");
    goc__mcall(exitsyscall0);
}
