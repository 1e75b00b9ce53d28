/* idle_cpu.c — a program whose goroutines all wait uses no CPU: the main
 * goroutine waits 1 s for a foreign thread to wake it; meanwhile every M
 * must sleep (futex), not spin. */
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include "runtime.h"
#include "testutil.h"

static G *waiter;
static _Atomic int parked;

static bool mark_parked(G *gp, void *arg)
{
    (void)arg;
    waiter = gp;
    atomic_store(&parked, 1);
    return true;
}

static void *waker(void *arg)
{
    (void)arg;
    goc__getg_or_foreign();       /* register as a foreign thread */
    while (!atomic_load(&parked))
        usleep(1000);
    usleep(1000 * 1000);
    goc__ready(waiter);
    return NULL;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void main_g(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, waker, NULL);
    while (!atomic_load(&goc__sched.foreign_seen))
        goc_yield();
    double c0 = cpu_seconds();
    int64_t t0 = goc_now();
    goc__park(mark_parked, NULL, W_SEMACQUIRE);
    double used = cpu_seconds() - c0;
    double wall = (goc_now() - t0) / 1e9;
    pthread_join(t, NULL);
    printf("idle for %.2f s used %.4f s of CPU\n", wall, used);
    CHECKF(used < 0.05 * wall + 0.01, "%.4f s of CPU while idle", used);
}

int main(void) { return goc_main(main_g, NULL); }
