/* steal.c — a P loaded with work is drained by the others: goroutines all
 * queued on the main goroutine's P end up running on several threads. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <goc.h>
#include "testutil.h"

enum { N = 2000 };
static _Atomic long tids[N];
static _Atomic int finished;

static void work(void *arg)
{
    long i = (long)(intptr_t)arg;
    tids[i] = syscall(SYS_gettid);
    volatile uint64_t x = 0;
    for (int k = 0; k < 200000; k++)
        x += (uint64_t)k * k;
    (void)x;
    atomic_fetch_add(&finished, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++)
        goc_go(work, (void *)(intptr_t)i);
    while (atomic_load(&finished) < N)
        goc_yield();
    long first = tids[0];
    int distinct = 0;
    for (int i = 1; i < N; i++)
        if (tids[i] != first) {
            distinct = 1;
            break;
        }
    if (goc_maxprocs(0) >= 2)
        CHECKF(distinct, "all %d goroutines ran on one thread", N);
}

int main(void) { return goc_main(main_g, NULL); }
