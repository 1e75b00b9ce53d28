/* preempt_oslock.c — a goroutine preempted inside a pthread mutex section
 * does not deadlock the program (F2).  Only computation happens under the
 * lock, no goroutine blocks while holding it, as goc.h asks; the signal
 * may still stop one inside.  It used to be resumable only on its own M,
 * whose next goroutine then slept on the same mutex: the thread, and at P=1
 * every goroutine and timer, stopped for good.  A plain thread is the
 * watchdog (goroutine timers stopped too). */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <goc.h>
#include "testutil.h"

enum { WORKERS = 3 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long counter;
static _Atomic unsigned long sections;
static goc_chan *done;
static _Atomic int finished;

static void worker(void *arg)
{
    (void)arg;
    int64_t end = goc_now() + 400LL * 1000 * 1000;
    while (goc_now() < end) {
        pthread_mutex_lock(&mu);
        for (int i = 0; i < 20000; i++)      /* ~10-20 us under the lock */
            counter++;
        pthread_mutex_unlock(&mu);
        atomic_fetch_add_explicit(&sections, 1, memory_order_relaxed);
    }
    int v = 1;
    goc_chan_send(done, &v);
}

static void *watchdog(void *arg)
{
    (void)arg;
    struct timespec ts = { 8, 0 };
    nanosleep(&ts, NULL);
    if (!atomic_load(&finished)) {
        fprintf(stderr, "deadlock: workers not done after 8 s (%lu sections)\n",
                atomic_load(&sections));
        _Exit(1);
    }
    return NULL;
}

static void ticker(void *arg)
{
    _Atomic long *ticks = arg;
    while (!atomic_load(&finished)) {
        goc_sleep(5 * 1000 * 1000);
        atomic_fetch_add(ticks, 1);
    }
}

static void main_g(void *arg)
{
    (void)arg;
    static _Atomic long ticks;
    done = goc_chan_make(sizeof(int), WORKERS);
    goc_go(ticker, &ticks);
    for (int i = 0; i < WORKERS; i++)
        goc_go(worker, NULL);
    for (int i = 0; i < WORKERS; i++) {
        int v;
        goc_chan_recv(done, &v);
    }
    atomic_store(&finished, 1);
    CHECK(counter == 20000UL * atomic_load(&sections));
    printf("ok: %lu sections, %ld ticks\n", atomic_load(&sections), atomic_load(&ticks));
    goc_chan_free(done);
}

int main(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, watchdog, NULL) == 0);
    pthread_detach(t);
    return goc_main(main_g, NULL) == 0 ? 0 : 1;
}
