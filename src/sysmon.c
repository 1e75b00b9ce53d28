/*
 * sysmon.c — the monitor thread (Go's sysmon).  It runs without a P and
 * never runs Gs.  Each round, in Go's order:
 *   - poll the network if nobody has for 10 ms, and inject what is ready;
 *   - start an M for an idle P if the preempt path asked (sched.needm: it
 *     may not malloc);
 *   - let a preempted G that has waited 10 ms for a P run without one when
 *     a P's thread is blocked in the kernel (preempt.c, step 3);
 *   - retake: preempt a G that has held its P for 10 ms (same schedtick):
 *     the flag always, the signal only to a thread on a CPU (F8); take
 *     back the P of an M that has been in a blocking call for more than one
 *     sysmon tick when there is other work (handoffp); and, beyond Go, take
 *     the P of a thread asleep in a call nobody annotated (blocked_retake);
 *   - kill a P beyond gomaxprocs whose M entered a blocking call after
 *     goc_maxprocs shrank (sched.c, as procresize does);
 *   - print schedtrace every GOC_DEBUG=schedtrace=MS.
 * It sleeps 20 us, doubling after 1 ms of nothing to do, up to 10 ms; when
 * every P is idle (and no schedtrace) it sleeps deeply on sysmonnote until
 * the next timer or until a blocking call or a new M wakes it.
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

#define FORCE_PREEMPT_NS (10 * 1000 * 1000)   /* Go's forcePreemptNS */
#define POLL_AGE_NS      (10 * 1000 * 1000)
#define UNWEDGE_NS       (10 * 1000 * 1000)   /* a preempted G's wait for a P
                                                 before it may run P-less */

static int64_t thread_cputime(M *m)
{
    struct timespec ts;
    if (clock_gettime(m->cpuclock, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The fallback, where an M has no CPU-time timer (preempt.c: timer_create
 * refused, or GOC_DEBUG=preempttgkill=1).
 * Is m's thread running on a CPU now (F8)?  Go never signals a thread in a
 * system call; in C a goroutine calls usleep, nanosleep, poll, sleep or a
 * library's blocking call without telling us, and SIGURG would cut them
 * short (EINTR, which SA_RESTART does not prevent for the sleeps and poll;
 * sleep(3) returns early).  A thread blocked in the kernel accrues no CPU
 * time.  sysmon reads the thread's CPU clock when it first sees a time
 * slice (slice_begin, from retake); when the slice is over 10 ms it signals
 * only a thread whose CPU clock ran for at least 1/ONCPU_SHARE of the wall
 * time since then, and only if /proc says it is running now
 * (thread_state).  The window is the whole slice (10 ms or more), not a
 * few ms: a CPU-bound thread sharing its CPU with other processes gets a
 * fraction of it in every window and would never pass a "half the wall
 * time of two 2 ms windows" test (the soak's preempt workload spun 10 s
 * unpreempted on a loaded 2-CPU machine); a thread asleep in usleep or
 * poll for the slice accrues only its wake-ups (microseconds, some hundred
 * with steal time), far below 1/8 of 10 ms.  The last look, /proc's
 * state, and the signal are one step (goc__preempt_m: the helper thread
 * that reads /proc sends it at once).  They used to be two futex
 * wake-ups apart, and on a loaded machine a goroutine that had just
 * computed entered usleep in between and got EINTR (sleep_signal_race:
 * 13 of 406 rounds).  A thread that enters a blocking call in the few
 * microseconds between that read and the delivery can still see EINTR,
 * as any program's threads can from a signal.  Costs
 * one clock_gettime per new slice sysmon sees and one per look at a G over
 * its slice. */
#define ONCPU_SHARE   8
#define ONCPU_MIN_NS  (4 * 1000 * 1000)  /* the least window that decides */

static void slice_begin(P *pp)
{
    M *m = atomic_load_explicit(&pp->m, memory_order_acquire);
    pp->sm_cpum = m;
    pp->sm_cpu = m != NULL ? thread_cputime(m) : -1;
    pp->sm_cpuwhen = goc__nanotime();
}

static bool thread_on_cpu(P *pp, M *m)
{
    int64_t c = thread_cputime(m);
    if (c < 0)
        return false;
    if (pp->sm_cpum != m || pp->sm_cpu < 0) {
        /* Another thread holds the P than at the slice's start: measure
         * it from now. */
        pp->sm_cpum = m;
        pp->sm_cpu = c;
        pp->sm_cpuwhen = goc__nanotime();
        return false;
    }
    int64_t wall = goc__nanotime() - pp->sm_cpuwhen;
    return wall >= ONCPU_MIN_NS && ONCPU_SHARE * (c - pp->sm_cpu) >= wall;
}

/* The kernel's word on m's thread right now, from /proc/self/task/TID/stat:
 * 'R' running or runnable, 'S' or 'D' blocked in a call; 0 if unknown (no
 * /proc).  The CPU clock alone is not enough on a loaded virtual machine: a
 * thread going from nanosleep to poll showed 200 us of CPU time over two
 * windows (its wake-up, steal time), and the signal that followed cut the
 * poll short.  Read only when the clock already says "on a CPU", or for
 * the unwedge check (~10 us each). */
static char thread_state(M *m)
{
    return goc__os_thread_state((int)m->tid);   /* os_linux.c: no fd here */
}

/* Without /proc the CPU clock decides alone. */
static bool thread_running(M *m)
{
    char st = thread_state(m);
    return st == 'R' || st == 0;
}

/* Without /proc nothing is known blocked: no P-less resumes (preempt.c). */
static bool thread_blocked(M *m)
{
    char st = thread_state(m);
    return st != 0 && st != 'R';
}

/* The share test fails for a CPU-bound thread on a machine loaded past
 * ONCPU_SHARE runnable threads per CPU (the soak under a loaded 2-CPU CI
 * box: three hogs never preempted, twenty goroutines runnable for a
 * minute).  A G that has held its P for STARVED_NS is signalled anyway
 * when /proc says "running or runnable" at two looks RLOOK_NS apart: a
 * thread asleep in poll or usleep is 'S' nearly all the time, so two 'R'
 * in a row mean it computes and waits for a CPU, as every thread then
 * does. */
#define STARVED_NS (2 * FORCE_PREEMPT_NS)
#define RLOOK_NS   (1000 * 1000)

static bool thread_starved(P *pp, M *m, int64_t now)
{
    if (pp->sm_schedwhen + STARVED_NS > now)
        return false;
    if (!thread_running(m)) {
        pp->sm_rseen = 0;
        return false;
    }
    if (pp->sm_rseen == 0 || pp->sm_rseenm != m || now - pp->sm_rseen > 20 * RLOOK_NS) {
        pp->sm_rseen = now;
        pp->sm_rseenm = m;
        return false;
    }
    return now - pp->sm_rseen >= RLOOK_NS;
}

static void preemptone(P *pp, int64_t now)
{
    M *m = atomic_load_explicit(&pp->m, memory_order_acquire);
    if (m == NULL)
        return;
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
    if (gp == NULL || atomic_load(&gp->status) != G_RUNNING)
        return;
    atomic_store_explicit(&gp->preempt, true, memory_order_relaxed);
    atomic_store(&pp->preempt, true);
    if (goc__debug.asyncpreemptoff || atomic_load(&pp->status) != P_RUNNING)
        return;
    /* The M's CPU-time timer sends the signal only while the thread runs
     * (preempt.c): no look needed. */
    if (m->urgtimer >= 0) {
        goc__preempt_m(m);
        return;
    }
    /* Without it: goc__preempt_m reads /proc once more and signals only a
     * thread it finds running, in the same step. */
    if (thread_on_cpu(pp, m) || thread_starved(pp, m, now))
        goc__preempt_m(m);
}

/* Blocking calls nobody annotated (issue 10).  A goroutine that calls
 * read() on a pipe, sleep(), flock() or a contended pthread_mutex_lock
 * directly holds its P in the kernel: at GOMAXPROCS=1 nothing else runs,
 * not even a ticker.  Go annotates every such call itself; C cannot, so
 * sysmon looks for them.  A P whose G has not changed for a sysmon tick is
 * looked at every BLOCKED_LOOK_NS: its thread is blocked outside the
 * runtime when it was off the CPU for the whole interval (its CPU clock
 * ran under 1/ONCPU_SHARE of the wall time: the cheap test, one
 * clock_gettime), /proc says it sleeps ('S' or 'D', not a thread that
 * merely waits for a CPU) and m->locks is 0 (not in the runtime: a
 * runtime lock's futex or a runtime malloc does not count).  Then, with
 * Go's retake test for a P in a blocking call (other work waits, or no
 * other M looks for it, or it has lasted POLL_AGE_NS), the P is taken by
 * the REVOKE handshake (runtime.h) and handed to another M.  The thread
 * finds it gone at its next runtime call and waits for one as
 * goc_syscall_exit does.  Until then it may run the program's own code
 * without a P, in the place of a thread that was blocked; that is the
 * price of not being told (a G that computes for long after its call is
 * over runs beside gomaxprocs others until its next runtime call). */
#define BLOCKED_LOOK_NS (1000 * 1000)

static bool revoke_ok;     /* membarrier(2) registered (sysmon start) */

static bool blocked_retake(P *pp, uint32_t tick, int64_t now)
{
    M *m = atomic_load_explicit(&pp->m, memory_order_acquire);
    if (m == NULL)
        return false;
    if (pp->sm_blkm != m || pp->sm_blktick != tick) {
        pp->sm_blkm = m;
        pp->sm_blktick = tick;
        pp->sm_blkwhen = now;
        pp->sm_blkcpu = thread_cputime(m);
        return false;
    }
    int64_t wall = now - pp->sm_blkwhen;
    if (wall < BLOCKED_LOOK_NS)
        return false;
    int64_t c = thread_cputime(m);
    bool offcpu = c >= 0 && pp->sm_blkcpu >= 0 && ONCPU_SHARE * (c - pp->sm_blkcpu) < wall;
    pp->sm_blkwhen = now;
    pp->sm_blkcpu = c;
    if (!offcpu || atomic_load_explicit(&m->locks, memory_order_relaxed) != 0)
        return false;
    if (goc__runqempty(pp) &&
        atomic_load(&goc__sched.nmspinning) + atomic_load(&goc__sched.npidle) > 0 &&
        pp->sm_schedwhen + POLL_AGE_NS > now)
        return false;
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
    if (gp == NULL || !thread_blocked(m))
        return false;
    atomic_store(&m->revoke, REVOKE_ASK);
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) {
        atomic_store_explicit(&m->revoke, REVOKE_NONE, memory_order_release);
        revoke_ok = false;
        return false;
    }
    return goc__revoke_commit(pp, m, gp, tick);
}

static uint32_t retake(int64_t now)
{
    uint32_t n = 0;
    int32_t np = atomic_load(&goc__gomaxprocs);
    /* Beyond gomaxprocs too: a P that goc_maxprocs removed while its M ran
     * a G keeps running it until it parks (retire_p), and a G that never
     * parks must still be preempted (soak: maxprocs + preempt, a spinner
     * on a removed P ran 10 s).  Its blocking calls are not retaken here
     * (goc__kill_retired_syscall_ps kills such a P). */
    for (int32_t i = 0; i < GOC_MAXPROCS_LIMIT; i++) {
        /* Without sched.lock a grow may be making allp[i] now. */
        P *pp = __atomic_load_n(&goc__allp[i], __ATOMIC_ACQUIRE);
        if (pp == NULL) {
            if (i >= np)
                break;
            continue;
        }
        uint32_t s = atomic_load(&pp->status);
        if (i >= np && s != P_RUNNING)
            continue;
        bool sysretake = false;
        if (s == P_RUNNING || s == P_SYSCALL) {
            uint32_t t = atomic_load_explicit(&pp->schedtick, memory_order_relaxed);
            if (pp->sm_schedtick != t) {
                pp->sm_schedtick = t;
                pp->sm_schedwhen = now;
                slice_begin(pp);
            } else if (s == P_RUNNING && i < np && revoke_ok &&
                       blocked_retake(pp, t, now)) {
                n++;
                continue;
            } else if (pp->sm_schedwhen + FORCE_PREEMPT_NS <= now) {
                preemptone(pp, now);
                sysretake = true;
            }
        }
        if (s != P_SYSCALL)
            continue;
        /* Retake if it has been in the call for more than one sysmon tick
         * (at least 20 us). */
        uint32_t t = atomic_load_explicit(&pp->syscalltick, memory_order_relaxed);
        int64_t since = pp->sm_syscallwhen;   /* sysmon's own field */
        if (!sysretake && (pp->sm_syscalltick != t || since == 0)) {
            pp->sm_syscalltick = t;
            pp->sm_syscallwhen = now;
            continue;
        }
        /* Keep it if there is nothing else to do and others can look for
         * work, for up to 10 ms. */
        if (goc__runqempty(pp) &&
            atomic_load(&goc__sched.nmspinning) + atomic_load(&goc__sched.npidle) > 0 &&
            since + POLL_AGE_NS > now)
            continue;
        uint32_t want = P_SYSCALL;
        if (atomic_compare_exchange_strong(&pp->status, &want, P_IDLE)) {
            n++;
            atomic_fetch_add(&pp->syscalltick, 1);
            goc__handoffp(pp);
        }
    }
    return n;
}

static void *sysmon(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    int64_t delay = 0, idle = 0, lasttrace = 0;
    int netidle = 0;   /* rounds in a row that found every P idle beside a
                          netpoll wait */
    for (;;) {
        if (idle == 0)
            delay = 20;
        else if (idle > 50)
            delay *= 2;      /* start doubling after 1 ms of nothing */
        if (delay > 10 * 1000 || netidle > 0)
            delay = 10 * 1000;
        goc__usleep(delay);
        goc__sysmon_startm();
        int64_t now = goc__nanotime();
        /* Every P idle while an M waits in netpoll is, under network load,
         * a gap of microseconds between scheduler rounds: a deep sleep
         * there would be ended by the next round's pidleget, a futex wake
         * and two context switches per round (0.03 per request on the
         * pinned HTTP benchmark), and restart the 20 us polling.  So beside
         * a netpoll wait sysmon first looks again every 10 ms (nothing runs
         * for it to watch), and sleeps deeply once 10 looks in a row found
         * every P idle: an idle server, not a gap under load. */
        bool allidle = atomic_load(&goc__sched.npidle) == atomic_load(&goc__gomaxprocs);
        bool netwait = allidle && atomic_load(&goc__sched.lastpoll) == 0 &&
                       netidle < 10;
        netidle = netwait ? netidle + 1 : 0;
        if (goc__debug.schedtrace_ms <= 0 && !netwait && allidle) {
            goc__lock(&goc__sched.lock);
            /* A P beyond gomaxprocs in a blocking call is not idle: it is
             * ours to kill (goc_syscall_enter wakes us for one under this
             * lock, so the scan cannot miss it); nor is one still running a
             * G, ours to preempt (procresize and startm hold this lock). */
            if (atomic_load(&goc__sched.npidle) == atomic_load(&goc__gomaxprocs) &&
                !goc__retired_busy_p()) {
                atomic_store(&goc__sched.sysmonwait, 1);
                goc__noteclear(&goc__sched.sysmonnote);
                goc__unlock(&goc__sched.lock);
                int64_t sleep = 60LL * 1000 * 1000 * 1000;  /* forcegcperiod/2 */
                goc__notetsleep(&goc__sched.sysmonnote, sleep);
                goc__lock(&goc__sched.lock);
                atomic_store(&goc__sched.sysmonwait, 0);
                goc__unlock(&goc__sched.lock);
                idle = 0;
                delay = 20;
            } else {
                goc__unlock(&goc__sched.lock);
            }
            now = goc__nanotime();
        }
        /* io_uring operations queued by an M that has been running
         * goroutines since (it submits only when it runs dry): submit. */
        goc__uring_flush();
        int64_t lastpoll = atomic_load(&goc__sched.lastpoll);
        if (goc__netpoll_inited() && lastpoll != 0 && lastpoll + POLL_AGE_NS < now) {
            if (atomic_compare_exchange_strong(&goc__sched.lastpoll, &lastpoll, now)) {
                G *list = goc__netpoll(0);
                if (list != NULL) {
                    /* Count sysmon as a running M while it holds Gs it
                     * made runnable and has not queued yet (Go's
                     * incidlelocked(-1) around injectglist): the last M
                     * going idle meanwhile must not call them lost
                     * ("checkdead: runnable g", net_idle.p1 under TSan
                     * on a loaded CI run).  The check runs again after. */
                    goc__incidlelocked(-1);
                    goc__injectglist(list);
                    goc__incidlelocked(1);
                }
            }
        }
        goc__preempt_unwedge(now, UNWEDGE_NS, thread_blocked);
        goc__kill_retired_syscall_ps();
        if (retake(now) != 0)
            idle = 0;
        else
            idle++;
        if (goc__debug.schedtrace_ms > 0 &&
            lasttrace + goc__debug.schedtrace_ms * 1000000 <= now) {
            lasttrace = now;
            goc__schedtrace(goc__debug.scheddetail);
        }
    }
    return NULL;
}

void goc__sysmon_wake(void)
{
    goc__lock(&goc__sched.lock);
    if (atomic_load(&goc__sched.sysmonwait)) {
        atomic_store(&goc__sched.sysmonwait, 0);
        goc__notewakeup(&goc__sched.sysmonnote);
    }
    goc__unlock(&goc__sched.lock);
}

void goc__sysmon_start(void)
{
    /* The handshake needs the barrier (runtime.h); without it (an old
     * kernel, qemu-user) a blocked thread keeps its P, as before. */
    revoke_ok = !goc__debug.blockedretakeoff &&
                syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    goc__os_thread_state_init();
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 128 << 10);
    if (pthread_create(&t, &attr, sysmon, NULL) != 0)
        goc__fatal("cannot start sysmon");
    pthread_attr_destroy(&attr);
}
