/* preempt_maxprocs.c — a goroutine that never parks, on a P that
 * goc_maxprocs removes, is still preempted, and the work it left on that P
 * (its queue, a timer) runs on the Ps that remain.  sysmon's retake looked
 * only below gomaxprocs, and a preempted G on a removed P got a new slice
 * at once: the soak's spinner waited 10 s for a goroutine it had started,
 * whose 100 us sleep was a timer on the removed P. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int done, rounds;

static void set_flag(void *arg)
{
    goc_sleep(100 * 1000);
    atomic_store_explicit((_Atomic bool *)arg, true, memory_order_relaxed);
}

static void spinner(void *arg)
{
    goc_chan *fin = arg;
    static _Atomic bool flag;
    for (int i = 0; i < 20; i++) {
        atomic_store(&flag, false);
        goc_go(set_flag, &flag);
        volatile uint64_t x = 0;
        while (!atomic_load_explicit(&flag, memory_order_relaxed))
            x++;
        atomic_fetch_add(&rounds, 1);
    }
    int one = 1;
    goc_chan_send(fin, &one);
}

static void changer(void *arg)
{
    (void)arg;
    for (int i = 0; !atomic_load(&done); i++) {
        goc_maxprocs(1 + i % 3);
        goc_sleep(7 * 1000 * 1000);
    }
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300 && !atomic_load(&done); i++)
        usleep(50 * 1000);
    if (!atomic_load(&done)) {
        fprintf(stderr, "FAIL: spinner stuck after %d of 40 rounds while "
                        "goc_maxprocs changes\n", atomic_load(&rounds));
        _exit(1);
    }
    return NULL;
}

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *fin = goc_chan_make(sizeof(int), 2);
    goc_go(changer, NULL);
    goc_go(spinner, fin);
    goc_go(spinner, fin);
    int v;
    goc_chan_recv(fin, &v);
    goc_chan_recv(fin, &v);
    atomic_store(&done, 1);
    goc_maxprocs(2);
    goc_chan_free(fin);
    printf("ok: %d spins ended while goc_maxprocs changed\n", atomic_load(&rounds));
}

int main(void)
{
    pthread_t w;
    CHECK(pthread_create(&w, NULL, watchdog, NULL) == 0);
    int rc = goc_main(main_g, NULL);
    pthread_join(w, NULL);
    return rc;
}
