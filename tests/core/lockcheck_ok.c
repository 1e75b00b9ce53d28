/* lockcheck_ok.c — with libgoc_lockcheck linked, correct programs run
 * unharmed, and the runtime itself keeps a goroutine that holds a pthread
 * lock on its thread:
 *   1. goroutines take pthread mutexes (lock, trylock, timedlock, a
 *      recursive one twice) and rwlocks around their critical sections and
 *      block, yield and end only with none held: no report, right counts;
 *   2. a foreign thread blocks on a channel while holding a mutex (it
 *      blocks only itself): no report;
 *   3. cooperative preemption (GOC_DEBUG=asyncpreemptoff=1, so goc_go's
 *      check is the only one) does not move a goroutine off its thread
 *      while it holds an error-checking mutex: a goroutine waiting to take
 *      that mutex, run on the same thread, would get EDEADLK. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <goc.h>
#include "testutil.h"

enum { NG = 8 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rmu;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long counter, rcounter, wcounter;
static goc_wg wg;

static void worker(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        switch (i % 5) {
        case 0:
            CHECK(pthread_mutex_lock(&mu) == 0);
            break;
        case 1:
            while (pthread_mutex_trylock(&mu) != 0)
                goc_yield();     /* nothing held while yielding */
            break;
        case 2: {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 5;
            CHECK(pthread_mutex_timedlock(&mu, &ts) == 0);
            break;
        }
        case 3:
            CHECK(pthread_mutex_lock(&rmu) == 0);
            CHECK(pthread_mutex_lock(&rmu) == 0);
            rcounter++;
            CHECK(pthread_mutex_unlock(&rmu) == 0);
            CHECK(pthread_mutex_unlock(&rmu) == 0);
            CHECK(pthread_mutex_lock(&mu) == 0);
            break;
        case 4:
            CHECK(pthread_rwlock_wrlock(&rw) == 0);
            wcounter++;
            CHECK(pthread_rwlock_unlock(&rw) == 0);
            CHECK(pthread_rwlock_rdlock(&rw) == 0);
            CHECK(pthread_rwlock_unlock(&rw) == 0);
            CHECK(pthread_mutex_lock(&mu) == 0);
            break;
        }
        counter++;
        CHECK(pthread_mutex_unlock(&mu) == 0);
        if (i % 7 == 0)
            goc_yield();
        if (i % 97 == 0)
            goc_sleep(10 * 1000);
    }
    goc_wg_done(&wg);
}

/* ---- 2: a foreign thread holding a mutex blocks on a channel */
static pthread_mutex_t fmu = PTHREAD_MUTEX_INITIALIZER;

static void *foreign(void *arg)
{
    goc_chan *c = arg;
    CHECK(pthread_mutex_lock(&fmu) == 0);
    int v;
    CHECK(goc_chan_recv(c, &v) == 0 && v == 42);
    CHECK(pthread_mutex_unlock(&fmu) == 0);
    return NULL;
}

/* ---- 3: cooperative preemption leaves a lock holder on its thread */
static pthread_mutex_t emu;
static _Atomic int holder_done;
static _Atomic int taker_rc = -1;

static void noop(void *arg) { (void)arg; }

static void taker(void *arg)
{
    (void)arg;
    atomic_store(&taker_rc, pthread_mutex_lock(&emu));
    if (atomic_load(&taker_rc) == 0)
        pthread_mutex_unlock(&emu);
    goc_wg_done(&wg);
}

static void holder(void *arg)
{
    (void)arg;
    CHECK(pthread_mutex_lock(&emu) == 0);
    CHECK(goc_go(taker, NULL) == 0);       /* queued on this P */
    /* 40 ms of runtime calls: sysmon asks for preemption after 10. */
    int64_t end = goc_now() + 40LL * 1000 * 1000;
    while (goc_now() < end) {
        CHECK(goc_go(noop, NULL) == 0);
        int64_t t = goc_now();
        while (goc_now() - t < 5000) {
        }
    }
    atomic_store(&holder_done, 1);
    CHECK(pthread_mutex_unlock(&emu) == 0);
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rmu, &a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&emu, &a);

    long n = test_scaled(4000);
    goc_wg_add(&wg, NG);
    for (int i = 0; i < NG; i++)
        CHECK(goc_go(worker, (void *)n) == 0);
    goc_wg_wait(&wg);
    CHECK(counter == NG * n);
    long sections = 0;
    for (long i = 0; i < n; i++)
        sections += i % 5 >= 3;
    CHECK(rcounter + wcounter == NG * sections);

    goc_chan *c = goc_chan_make(sizeof(int), 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, foreign, c) == 0);
    goc_sleep(20 * 1000 * 1000);   /* let it block holding fmu */
    int v = 42;
    CHECK(goc_chan_send(c, &v) == 0);
    pthread_join(t, NULL);
    goc_chan_free(c);

    int old = goc_maxprocs(1);
    goc_wg_add(&wg, 2);
    CHECK(goc_go(holder, NULL) == 0);
    goc_wg_wait(&wg);
    goc_maxprocs(old);
    CHECKF(atomic_load(&taker_rc) == 0,
           "the taker's pthread_mutex_lock returned %d (%s): the holder was moved off its "
           "thread while holding the mutex", atomic_load(&taker_rc),
           atomic_load(&taker_rc) == EDEADLK ? "EDEADLK" : "?");
    printf("ok: %ld locked sections, foreign holder, no move while held\n", counter);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
