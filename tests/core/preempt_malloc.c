/* preempt_malloc.c — a goroutine preempted inside malloc does not wedge
 * the runtime (F3).  Built -static as well (tests.cmake): there libc is
 * part of the program's text, so the signal can stop a G inside malloc
 * holding its arena's lock.  The next G on that M used to call calloc
 * from goc_go (a new G struct) and wait for that lock forever.  Two
 * goroutines malloc/free in a loop beside one that spawns live goroutines;
 * a plain thread is the watchdog. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <goc.h>
#include "testutil.h"

static _Atomic unsigned long ops, spawned;
static _Atomic int finished, stop_sleepers;
static goc_wg wg, sleepers;

static void mallocer(void *arg)
{
    (void)arg;
    int64_t end = goc_now() + 600LL * 1000 * 1000;
    void *keep[64] = { 0 };
    unsigned k = 0;
    while (goc_now() < end) {
        for (int i = 0; i < 1000; i++, k++) {
            free(keep[k % 64]);
            keep[k % 64] = malloc(1100 + (k * 97) % 3000);
        }
        atomic_fetch_add_explicit(&ops, 1000, memory_order_relaxed);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    goc_wg_done(&wg);
}

static void sleeper(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_sleepers))
        goc_sleep(2 * 1000 * 1000);
    goc_wg_done(&sleepers);
}

static void spawner(void *arg)
{
    (void)arg;
    int64_t end = goc_now() + 600LL * 1000 * 1000;
    while (goc_now() < end && atomic_load(&spawned) < 20000) {
        goc_wg_add(&sleepers, 1);
        CHECK(goc_go(sleeper, NULL) == 0);   /* live: each needs a new G */
        atomic_fetch_add(&spawned, 1);
        goc_yield();
    }
    goc_wg_done(&wg);
}

static void *watchdog(void *arg)
{
    (void)arg;
    struct timespec ts = { 8, 0 };
    nanosleep(&ts, NULL);
    if (!atomic_load(&finished)) {
        fprintf(stderr, "wedged after 8 s: ops=%lu spawned=%lu\n", atomic_load(&ops),
                atomic_load(&spawned));
        _Exit(1);
    }
    return NULL;
}

static void main_g(void *arg)
{
    (void)arg;
    goc_wg_add(&wg, 3);
    goc_go(mallocer, NULL);
    goc_go(mallocer, NULL);
    goc_go(spawner, NULL);
    goc_wg_wait(&wg);
    atomic_store(&stop_sleepers, 1);
    goc_wg_wait(&sleepers);
    atomic_store(&finished, 1);
    printf("ok: ops=%lu spawned=%lu\n", atomic_load(&ops), atomic_load(&spawned));
}

int main(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, watchdog, NULL) == 0);
    pthread_detach(t);
    return goc_main(main_g, NULL) == 0 ? 0 : 1;
}
