/* preempt_go_syscall.c — goc_go called between goc_syscall_enter and
 * goc_syscall_exit (no P: the global queue) left its M's lock count raised
 * for good (m->locks++ without the matching --), and the signal handler
 * never again preempted a G on that M: the soak's preempt + syscalls
 * workloads had a spinner run 10 s unpreempted.  Here main starts the flag
 * setter from inside a blocking-call section, then spins calling nothing
 * until the flag is set: at GOC_MAXPROCS=1 only async preemption lets the
 * setter run. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static _Atomic bool flag;
static _Atomic int done;

static void set_flag(void *arg)
{
    (void)arg;
    atomic_store_explicit(&flag, true, memory_order_relaxed);
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200 && !atomic_load(&done); i++)
        usleep(50 * 1000);
    if (!atomic_load(&done)) {
        fprintf(stderr, "FAIL: spinner not preempted in 10 s after goc_go in a "
                        "blocking-call section\n");
        _exit(1);
    }
    return NULL;
}

static void main_g(void *arg)
{
    (void)arg;
    for (int round = 0; round < 20; round++) {
        atomic_store(&flag, false);
        goc_syscall_enter();
        CHECK(goc_go(set_flag, NULL) == 0);
        goc_syscall_exit();
        volatile uint64_t x = 0;
        while (!atomic_load_explicit(&flag, memory_order_relaxed))
            x++;
    }
    atomic_store(&done, 1);
    printf("ok: 20 spins preempted after goc_go in a blocking-call section\n");
}

int main(void)
{
    pthread_t w;
    CHECK(pthread_create(&w, NULL, watchdog, NULL) == 0);
    int rc = goc_main(main_g, NULL);
    pthread_join(w, NULL);
    return rc;
}
