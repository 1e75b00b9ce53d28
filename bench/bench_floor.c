/* bench_floor.c — what the hardware charges for the steps a hand-off is made
 * of, so the hand-off benchmarks can be read against it (issue 13).  No Go
 * twin: these are machine figures, not runtime ones.
 *
 *   xchg_ns       one locked exchange on a line this core owns (the cost of
 *                 goc_lock, goc_unlock, a runnext CAS: every lock-prefixed
 *                 x86 instruction costs about the same when uncontended);
 *   cas_ns        one lock cmpxchg, likewise;
 *   plain_ns      one dependent load+add+store on the same line (what the
 *                 same step costs without the lock prefix);
 *   yield_ns      one goc_yield between two goroutines at P=1 (a runq put,
 *                 a runq get and a context switch: the runtime's own floor);
 *   bounce_ns     one one-way hand-off of a cache line between two threads
 *                 (a store seen by a spinning reader on the other core: what
 *                 every cross-P wake-up or contended lock pays at least);
 *                 0 when there is one CPU.
 *
 * Each figure is the best of -reps runs of -n steps (the floor, not the
 * mean: a VM's noise only ever adds). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <goc.h>

#include "bench.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Alignas(64) _Atomic long cell;
static _Alignas(64) volatile long plain_cell;

static double time_xchg(long n)
{
    int64_t t = now_ns();
    for (long i = 0; i < n; i++)
        atomic_exchange_explicit(&cell, i, memory_order_acq_rel);
    return (double)(now_ns() - t) / (double)n;
}

static double time_cas(long n)
{
    int64_t t = now_ns();
    for (long i = 0; i < n; i++) {
        long v = i;
        atomic_compare_exchange_strong_explicit(&cell, &v, i + 1,
            memory_order_acq_rel, memory_order_relaxed);
    }
    return (double)(now_ns() - t) / (double)n;
}

static double time_plain(long n)
{
    int64_t t = now_ns();
    for (long i = 0; i < n; i++)
        plain_cell = plain_cell + 1;
    return (double)(now_ns() - t) / (double)n;
}

/* ---------------------------------------------------------- bounce */
static struct {
    _Alignas(64) _Atomic long turn;
    long n;
} bo;

/* Spin until the turn is v; on a loaded machine the peer may be off its
 * core for a whole time slice, so after a while give the core up (the
 * figure is the best of the runs, so a loaded run only ever loses). */
static void wait_turn(long v)
{
    for (unsigned spins = 0;
         atomic_load_explicit(&bo.turn, memory_order_acquire) != v; spins++)
        if (spins > 4096)
            sched_yield();
}

static void *bounce_peer(void *arg)
{
    (void)arg;
    for (long i = 1; i < 2 * bo.n; i += 2) {
        wait_turn(i);
        atomic_store_explicit(&bo.turn, i + 1, memory_order_release);
    }
    return NULL;
}

static double time_bounce(long n)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return 0;
    bo.n = n;
    atomic_store(&bo.turn, 0);
    pthread_t th;
    if (pthread_create(&th, NULL, bounce_peer, NULL) != 0)
        return 0;
    int64_t t = now_ns();
    for (long i = 0; i < 2 * n; i += 2) {
        atomic_store_explicit(&bo.turn, i + 1, memory_order_release);
        wait_turn(i + 2);
    }
    double ns = (double)(now_ns() - t) / (double)(2 * n);
    pthread_join(th, NULL);
    return ns;
}

/* ----------------------------------------------------------- yield */
static struct {
    long n;
    double ns;
    goc_wg wg;
} yl;

static void yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < yl.n; i++)
        goc_yield();
    goc_wg_done(&yl.wg);
}

static void yield_main(void *arg)
{
    (void)arg;
    goc_wg_add(&yl.wg, 2);
    int64_t t = now_ns();
    goc_go(yielder, NULL);
    goc_go(yielder, NULL);
    goc_wg_wait(&yl.wg);
    yl.ns = (double)(now_ns() - t) / (double)(2 * yl.n);
}

static double best(double a, double b) { return a < b || b <= 0 ? a : b; }

int bench_floor(int argc, char **argv)
{
    long n = bench_flag(argc, argv, "n", 20000000);
    long reps = bench_flag(argc, argv, "reps", 5);
    if (n < 1000)
        n = 1000;
    if (reps < 1)
        reps = 1;
    double x = 0, c = 0, p = 0, b = 0;
    for (long r = 0; r < reps; r++) {
        x = best(time_xchg(n), x);
        c = best(time_cas(n), c);
        p = best(time_plain(n), p);
        b = best(time_bounce(n / 100), b);
    }
    /* One goroutine pair, at P=1, whatever GOC_MAXPROCS says. */
    setenv("GOC_MAXPROCS", "1", 1);
    yl.n = n / 20;
    double y = 0;
    if (goc_main(yield_main, NULL) != 0)
        return 1;
    y = yl.ns;
    printf("floor n=%ld xchg_ns=%.2f cas_ns=%.2f plain_ns=%.2f yield_ns=%.1f bounce_ns=%.1f\n",
           n, x, c, p, y, b);
    return 0;
}
