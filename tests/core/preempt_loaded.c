/* preempt_loaded.c — async preemption works on a loaded machine, and still
 * spares threads blocked in plain sleeps (F8 both ways).  The whole process
 * is pinned to one CPU beside three pthreads (not goroutines) that spin
 * 600 us and sleep 400 us, so a goroutine thread gets the CPU in short
 * pieces, a quarter of it or less.  sysmon used to
 * signal only a thread whose CPU clock ran half the wall time of two
 * consecutive 2 ms windows: a hog sharing its CPU never qualified and the
 * soak's preempt workload spun 10 s unpreempted.  Now the share is taken
 * over the whole 10 ms slice.  Meanwhile a goroutine's usleep(200 ms) must
 * not be cut short. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

#define SPINNERS 3

static _Atomic int stop, spin_stop;
static _Atomic long progress;

static void hog(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        x++;
}

/* Spins 600 us, sleeps 400 us: the goroutine threads get the CPU in short
 * pieces, as on a machine busy with other processes. */
static void *spinner(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&spin_stop, memory_order_relaxed)) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do
            clock_gettime(CLOCK_MONOTONIC, &t);
        while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 600000);
        usleep(400);
    }
    return NULL;
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200 && !atomic_load(&stop); i++)
        usleep(50 * 1000);
    if (!atomic_load(&stop)) {
        fprintf(stderr, "FAIL: hogs not preempted in 10 s on a loaded CPU "
                        "(main yielded %ld of 20 times)\n", atomic_load(&progress));
        _exit(1);
    }
    return NULL;
}

static void sleeper(void *arg)
{
    goc_chan *done = arg;
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        int64_t t0 = goc_now();
        int rc = usleep(200 * 1000);
        int64_t ms = (goc_now() - t0) / 1000000;
        if (rc != 0 || ms < 199) {
            fprintf(stderr, "usleep(200 ms): rc %d (%s) after %lld ms\n", rc,
                    rc ? strerror(errno) : "-", (long long)ms);
            bad++;
        }
    }
    goc_chan_send(done, &bad);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *done = goc_chan_make(sizeof(int), 1);
    goc_go(sleeper, done);
    int hogs = goc_maxprocs(0) + 1;
    for (int i = 0; i < hogs; i++)
        goc_go(hog, NULL);
    for (int i = 0; i < 20; i++) {
        goc_yield();
        atomic_fetch_add(&progress, 1);
    }
    int bad;
    goc_chan_recv(done, &bad);
    atomic_store(&stop, 1);
    goc_chan_free(done);
    CHECKF(bad == 0, "%d of 3 plain sleeps cut short by the preemption signal", bad);
    printf("ok: hogs preempted on a loaded CPU, sleeps whole\n");
}

int main(void)
{
    /* One CPU for every thread made from here on (Ms, sysmon, spinners). */
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpu = sched_getcpu();
    CPU_SET(cpu >= 0 ? cpu : 0, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        perror("sched_setaffinity (test runs unpinned)");
    pthread_t t[SPINNERS], w;
    for (int i = 0; i < SPINNERS; i++)
        CHECK(pthread_create(&t[i], NULL, spinner, NULL) == 0);
    CHECK(pthread_create(&w, NULL, watchdog, NULL) == 0);
    int rc = goc_main(main_g, NULL);
    atomic_store(&spin_stop, 1);
    for (int i = 0; i < SPINNERS; i++)
        pthread_join(t[i], NULL);
    pthread_join(w, NULL);
    return rc;
}
