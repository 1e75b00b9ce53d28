/*
 * sysmon.c — the monitor thread (Go's sysmon).  It runs without a P and
 * never runs Gs.  Each round, in Go's order:
 *   - poll the network if nobody has for 10 ms, and inject what is ready;
 *   - retake: preempt a G that has held its P for 10 ms (same schedtick),
 *     and take back the P of an M that has been in a blocking call for more
 *     than one sysmon tick when there is other work (handoffp);
 *   - print schedtrace every GOC_DEBUG=schedtrace=MS.
 * It sleeps 20 us, doubling after 1 ms of nothing to do, up to 10 ms; when
 * every P is idle (and no schedtrace) it sleeps deeply on sysmonnote until
 * the next timer or until a blocking call or a new M wakes it.
 */
#include <pthread.h>
#include <signal.h>

#include "runtime.h"

#define FORCE_PREEMPT_NS (10 * 1000 * 1000)   /* Go's forcePreemptNS */
#define POLL_AGE_NS      (10 * 1000 * 1000)

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
    if (!goc__debug.asyncpreemptoff)
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
        if (!sysretake && (pp->sm_syscalltick != t || pp->sm_syscallwhen == 0)) {
            pp->sm_syscalltick = t;
            pp->sm_syscallwhen = now;
            continue;
        }
        /* Keep it if there is nothing else to do and others can look for
         * work, for up to 10 ms. */
        if (goc__runqempty(pp) &&
            atomic_load(&goc__sched.nmspinning) + atomic_load(&goc__sched.npidle) > 0 &&
            pp->sm_syscallwhen + POLL_AGE_NS > now)
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
        if (idle == 0)
            delay = 20;
        else if (idle > 50)
            delay *= 2;      /* start doubling after 1 ms of nothing */
        if (delay > 10 * 1000)
            delay = 10 * 1000;
        goc__usleep(delay);
        int64_t now = goc__nanotime();
        if (goc__debug.schedtrace_ms <= 0 &&
            atomic_load(&goc__sched.npidle) == atomic_load(&goc__gomaxprocs)) {
            goc__lock(&goc__sched.lock);
            if (atomic_load(&goc__sched.npidle) == atomic_load(&goc__gomaxprocs)) {
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
