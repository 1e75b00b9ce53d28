/* maxprocs_syscall.c — shrinking goc_maxprocs while the M of a P beyond the
 * new count is in a blocking call does not strand that P's timers and run
 * queue (F5).  The P used to stay alive, P_SYSCALL, out of sysmon's and the
 * stealers' sight: its 50 ms timer fired when the 1.5 s call returned.  Go's
 * procresize destroys such a P at once, and so does ours now. */
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>
#include <goc.h>
#include "runtime.h"
#include "testutil.h"

static goc_chan *info;
static goc_timer *tm;
static _Atomic int ran;
static _Atomic int late, shrunk;   /* enter the call only after the shrink */

static int my_p(void)
{
    M *m = goc__getm();
    return m && m->p ? m->p->id : -1;
}

static void queued(void *arg) { (void)arg; atomic_store(&ran, 1); }

static void w(void *arg)
{
    (void)arg;
    int id = my_p();
    if (id == 1) {
        tm = goc_timer_new(50LL * 1000 * 1000, 0);   /* into P1's heap */
        atomic_store(&ran, 0);
    }
    goc_chan_trysend(info, &id);
    if (id != 1)
        return;
    goc_go(queued, NULL);                 /* P1's runnext */
    if (atomic_load(&late)) {
        /* procresize sees P1 running and leaves it to its M, which then
         * blocks before it ever schedules: sysmon must kill P1. */
        int64_t t0 = goc_now();
        while (!atomic_load(&shrunk) && goc_now() - t0 < 1000LL * 1000 * 1000)
            ;
    }
    goc_syscall_enter();
    usleep(1500 * 1000);
    goc_syscall_exit();
}

static void one(void)
{
    for (int attempt = 0; attempt < 200; attempt++) {
        atomic_store(&shrunk, 0);
        if (goc_maxprocs(0) != 2)
            goc_maxprocs(2);
        if (my_p() != 0) {
            goc_sleep(1000 * 1000);
            continue;
        }
        goc_go(w, NULL);
        int id;
        while (goc_chan_tryrecv(info, &id) == -EAGAIN)
            ;                             /* spin: stay on P0 */
        if (id != 1 || my_p() != 0) {
            goc_sleep(2 * 1000 * 1000);
            continue;
        }
        int64_t t0 = goc_now();
        goc_maxprocs(1);                  /* P1 is in the blocking call */
        atomic_store(&shrunk, 1);
        int64_t when;
        goc_chan_recv(goc_timer_chan(tm), &when);
        int64_t ms = (goc_now() - t0) / 1000000;
        CHECKF(ms < 700, "50 ms timer of the blocked P fired after %lld ms", (long long)ms);
        while (!atomic_load(&ran)) {
            CHECKF((goc_now() - t0) / 1000000 < 700, "the blocked P's queued G did not run");
            goc_sleep(1000 * 1000);
        }
        goc_timer_free(tm);
        printf("ok: %s the shrink: attempt %d, timer after %lld ms\n",
               atomic_load(&late) ? "call after" : "call before", attempt, (long long)ms);
        /* Let the blocked call return before the next round. */
        goc_sleep(1600LL * 1000 * 1000);
        return;
    }
    printf("ok: could not arrange the schedule (machine too loaded); nothing checked\n");
}

static void main_g(void *arg)
{
    (void)arg;
    info = goc_chan_make(sizeof(int), 1);
    one();
    atomic_store(&late, 1);
    one();
}

int main(void) { return goc_main(main_g, NULL); }
