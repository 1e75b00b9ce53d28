/*
 * sysmon.c — the monitor thread (Go's sysmon).  It runs without a P and
 * never runs Gs.  Each round, in Go's order:
 *   - poll the network if nobody has for 10 ms, and inject what is ready;
 *   - start an M for an idle P if the preempt path asked (sched.needm: it
 *     may not malloc);
 *   - let a preempted G that has waited 10 ms for a P run without one when
 *     a P's thread is blocked in the kernel (preempt.c, step 3);
 *   - retake: preempt a G that has held its P for 10 ms (same schedtick):
 *     the flag always, the signal only to a thread on a CPU (F8); and take
 *     back the P of an M that has been in a blocking call for more than one
 *     sysmon tick when there is other work (handoffp);
 *   - kill a P beyond gomaxprocs whose M entered a blocking call after
 *     goc_maxprocs shrank (sched.c, as procresize does);
 *   - print schedtrace every GOC_DEBUG=schedtrace=MS.
 * It sleeps 20 us, doubling after 1 ms of nothing to do, up to 10 ms; when
 * every P is idle (and no schedtrace) it sleeps deeply on sysmonnote until
 * the next timer or until a blocking call or a new M wakes it.
 */
#include <pthread.h>
#include <signal.h>
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

/* Set by a look that could not yet tell whether a thread is on a CPU: the
 * next round comes after the shortest sleep, so the two looks are close. */
static bool look_again_soon;

static int64_t thread_cputime(M *m)
{
    struct timespec ts;
    if (clock_gettime(m->cpuclock, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Is m's thread running on a CPU now (F8)?  Go never signals a thread in a
 * system call; in C a goroutine calls usleep, nanosleep, poll, sleep or a
 * library's blocking call without telling us, and SIGURG would cut them
 * short (EINTR, which SA_RESTART does not prevent for the sleeps and poll;
 * sleep(3) returns early).  A thread blocked in the kernel accrues no CPU
 * time: signal only one whose CPU clock ran for at least half the wall time
 * of each of ONCPU_LOOKS consecutive windows, each at most ONCPU_WINDOW_NS
 * long (sysmon rounds at the shortest sleep): a thread going from one sleep
 * to the next runs some microseconds in between, which must not count.
 * Then /proc must agree (thread_state).  A thread that enters a blocking
 * call between the last look and the signal's delivery (microseconds) can
 * still see
 * EINTR, as any program's threads can from a signal; one descheduled by
 * the OS for the whole window is not signalled this round and gets the
 * cooperative flag alone.  Costs one clock_gettime per look, made only for
 * a G already over its 10 ms slice. */
#define ONCPU_WINDOW_NS (2 * 1000 * 1000)
#define ONCPU_LOOKS     2     /* windows in a row before the /proc check below:
                                 a thread between two calls rarely fills two */

static bool thread_on_cpu(P *pp, M *m)
{
    int64_t c = thread_cputime(m);
    if (c < 0)
        return false;
    /* The wall time of this very read: sysmon itself may have been
     * descheduled since its round began. */
    int64_t now = goc__nanotime();
    int64_t wall = now - pp->sm_cpuwhen;
    bool fresh = pp->sm_cpum == m && wall > 0 && wall <= ONCPU_WINDOW_NS;
    bool moved = fresh && 2 * (c - pp->sm_cpu) >= wall;
    pp->sm_cpum = m;
    pp->sm_cpu = c;
    pp->sm_cpuwhen = now;
    pp->sm_oncpu = moved ? pp->sm_oncpu + 1 : 0;
    /* Hurry the next look only while it can decide something: not for a
     * thread seen blocked (sysmon backs off as usual; a thread asleep in
     * sleep(1) must not keep it waking every 20 us). */
    if (!fresh || (moved && pp->sm_oncpu < ONCPU_LOOKS))
        look_again_soon = true;
    return pp->sm_oncpu >= ONCPU_LOOKS;
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
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)m->tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *paren = strrchr(buf, ')');   /* the name may hold spaces */
    return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
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

static void preemptone(P *pp)
{
    M *m = atomic_load_explicit(&pp->m, memory_order_acquire);
    if (m == NULL)
        return;
    G *gp = atomic_load_explicit(&m->curg, memory_order_relaxed);
    if (gp == NULL || atomic_load(&gp->status) != G_RUNNING)
        return;
    atomic_store_explicit(&gp->preempt, true, memory_order_relaxed);
    atomic_store(&pp->preempt, true);
    if (!goc__debug.asyncpreemptoff &&
        atomic_load(&pp->status) == P_RUNNING && thread_on_cpu(pp, m) &&
        thread_running(m))
        goc__preempt_m(m);
}

static uint32_t retake(int64_t now)
{
    uint32_t n = 0;
    int32_t np = atomic_load(&goc__gomaxprocs);
    for (int32_t i = 0; i < np; i++) {
        P *pp = goc__allp[i];
        if (pp == NULL)
            continue;
        uint32_t s = atomic_load(&pp->status);
        bool sysretake = false;
        if (s == P_RUNNING || s == P_SYSCALL) {
            uint32_t t = atomic_load_explicit(&pp->schedtick, memory_order_relaxed);
            if (pp->sm_schedtick != t) {
                pp->sm_schedtick = t;
                pp->sm_schedwhen = now;
            } else if (pp->sm_schedwhen + FORCE_PREEMPT_NS <= now) {
                preemptone(pp);
                sysretake = true;
            }
        }
        if (s != P_SYSCALL)
            continue;
        /* Retake if it has been in the call for more than one sysmon tick
         * (at least 20 us). */
        uint32_t t = atomic_load_explicit(&pp->syscalltick, memory_order_relaxed);
        int64_t since = atomic_load_explicit(&pp->sm_syscallwhen, memory_order_relaxed);
        if (!sysretake && (pp->sm_syscalltick != t || since == 0)) {
            pp->sm_syscalltick = t;
            atomic_store_explicit(&pp->sm_syscallwhen, now, memory_order_relaxed);
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
    for (;;) {
        if (idle == 0 || look_again_soon)
            delay = 20;
        else if (idle > 50)
            delay *= 2;      /* start doubling after 1 ms of nothing */
        if (delay > 10 * 1000)
            delay = 10 * 1000;
        look_again_soon = false;
        goc__usleep(delay);
        goc__sysmon_startm();
        int64_t now = goc__nanotime();
        if (goc__debug.schedtrace_ms <= 0 &&
            atomic_load(&goc__sched.npidle) == atomic_load(&goc__gomaxprocs)) {
            goc__lock(&goc__sched.lock);
            /* A P beyond gomaxprocs in a blocking call is not idle: it is
             * ours to kill (goc_syscall_enter wakes us for one under this
             * lock, so the scan cannot miss it). */
            if (atomic_load(&goc__sched.npidle) == atomic_load(&goc__gomaxprocs) &&
                !goc__retired_syscall_p()) {
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
        int64_t lastpoll = atomic_load(&goc__sched.lastpoll);
        if (goc__netpoll_inited() && lastpoll != 0 && lastpoll + POLL_AGE_NS < now) {
            if (atomic_compare_exchange_strong(&goc__sched.lastpoll, &lastpoll, now)) {
                G *list = goc__netpoll(0);
                goc__injectglist(list);
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
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 128 << 10);
    if (pthread_create(&t, &attr, sysmon, NULL) != 0)
        goc__fatal("cannot start sysmon");
    pthread_attr_destroy(&attr);
}
