/* syscall_callback.c — runtime calls made between goc_syscall_enter and
 * goc_syscall_exit (a library callback during a blocking call: Go's
 * cgocallback) while sysmon has handed the P to another M (F6).  They used
 * the P another M owned: two producers on one run queue, Gs lost or run
 * twice, "casgstatus: bad transition", SIGSEGV.  Here goc_go, a send that
 * readies a receiver, trysend, close with waiters, mutex unlock with a
 * waiter and wg done all run inside the call, beside a ping-pong pair that
 * keeps the P's new owner spawning too; every child must run exactly once. */
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>
#include <goc.h>
#include "chan.h"
#include "testutil.h"

enum { WAITERS = 8 };
static _Atomic long ran, pingspawn;
static _Atomic int stop;
static goc_chan *a, *b, *work, *closing;
static goc_mutex mu;
static goc_wg wg, wdone;

static void child(void *arg) { (void)arg; atomic_fetch_add(&ran, 1); }

static void ping(void *arg)
{
    (void)arg;
    int v = 0;
    while (!atomic_load(&stop)) {
        goc_chan_send(a, &v);
        goc_chan_recv(b, &v);
        goc_go(child, NULL);
        atomic_fetch_add(&pingspawn, 1);
    }
    v = -1;
    goc_chan_send(a, &v);
}

static void pong(void *arg)
{
    (void)arg;
    int v;
    while (goc_chan_recv(a, &v) == 0 && v >= 0)
        goc_chan_send(b, &v);
}

static void receiver(void *arg)
{
    (void)arg;
    int v;
    CHECK(goc_chan_recv(work, &v) == 0);
    CHECK(goc_chan_recv(closing, &v) == -EPIPE);
    goc_mutex_lock(&mu);
    goc_mutex_unlock(&mu);
    goc_wg_wait(&wg);
    goc_wg_done(&wdone);
}

/* Receivers parked on c now (its wait queue, under its lock). */
static int queued(goc_chan *c)
{
    int n = 0;
    goc__lock(&c->lock);
    for (goc_sudog *sg = c->recvq.first; sg != NULL; sg = sg->next)
        n++;
    goc__unlock(&c->lock);
    return n;
}

static void main_g(void *arg)
{
    (void)arg;
    a = goc_chan_make(sizeof(int), 0);
    b = goc_chan_make(sizeof(int), 0);
    work = goc_chan_make(sizeof(int), 0);
    closing = goc_chan_make(sizeof(int), 0);
    goc_go(ping, NULL);
    goc_go(pong, NULL);
    goc_mutex_lock(&mu);
    goc_wg_add(&wg, 1);
    goc_wg_add(&wdone, WAITERS);
    for (int i = 0; i < WAITERS; i++)
        goc_go(receiver, NULL);
    /* Every receiver parked on work before the call: a send inside it
     * must find one waiting (a blocking one there is a fatal error).  At
     * P=1 the ping-pong pair can keep them off the P for a time slice or
     * more on a loaded machine (5 ms of sleep was once not enough). */
    int64_t tp = goc_now();
    while (queued(work) < WAITERS && goc_now() - tp < 20 * GOC_SECOND)
        goc_sleep(1000 * 1000);
    CHECKF(queued(work) == WAITERS, "%d of %d receivers parked", queued(work), WAITERS);

    long mine = 0;
    long n = test_scaled(4000);
    goc_syscall_enter();
    usleep(3000);                 /* sysmon hands the P to another M */
    for (long i = 0; i < n; i++) {
        if (goc_go(child, NULL) == 0)
            mine++;
        if (i % 64 == 0)
            usleep(10);           /* let sysmon and the new owner run */
    }
    int v = 1;
    for (int i = 0; i < WAITERS / 2; i++)
        CHECK(goc_chan_send(work, &v) == 0);   /* receivers wait: no block */
    int sent = 0;
    for (int tries = 0; sent < WAITERS / 2 && tries < 100000; tries++) {
        if (goc_chan_trysend(work, &v) == 0)
            sent++;
        else
            usleep(10);
    }
    goc_chan_close(closing);
    goc_mutex_unlock(&mu);
    goc_wg_done(&wg);
    goc_yield();                  /* the thread's, not the G's: no P held */
    goc_syscall_exit();

    CHECKF(sent == WAITERS / 2, "trysend reached %d of %d receivers", sent, WAITERS / 2);
    goc_wg_wait(&wdone);
    atomic_store(&stop, 1);
    int64_t t0 = goc_now();
    while (atomic_load(&ran) != mine + atomic_load(&pingspawn)) {
        CHECKF(goc_now() - t0 < 5000LL * 1000 * 1000,
               "children ran %ld, spawned %ld in the call + %ld by ping",
               atomic_load(&ran), mine, atomic_load(&pingspawn));
        goc_sleep(1000 * 1000);
    }
    goc_sleep(20 * 1000 * 1000);
    CHECKF(atomic_load(&ran) == mine + atomic_load(&pingspawn),
           "a child ran twice: %ld ran, %ld spawned", atomic_load(&ran),
           mine + atomic_load(&pingspawn));
    printf("ok: %ld spawned in the call, %ld by ping\n", mine, atomic_load(&pingspawn));
}

int main(void) { return goc_main(main_g, NULL); }
