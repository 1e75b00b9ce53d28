/* bench_sched.c — spawn, yield and parallel, as goanchors.go does them. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <goc.h>

#include "bench.h"

static int gargc;
static char **gargv;

/* ---------------------------------------------------------------- spawn */

static goc_wg spawn_wg;

static void spawn_child(void *arg)
{
    (void)arg;
    goc_wg_done(&spawn_wg);
}

static int64_t spawn_round(long n)
{
    goc_wg_add(&spawn_wg, (int)n);
    int64_t t = goc_now();
    for (long i = 0; i < n; i++)
        if (goc_go(spawn_child, NULL) != 0) {
            fprintf(stderr, "spawn: goc_go failed\n");
            exit(1);
        }
    goc_wg_wait(&spawn_wg);
    return goc_now() - t;
}

static void spawn_main(void *arg)
{
    (void)arg;
    long n = bench_flag(gargc, gargv, "n", 1000000);
    int64_t cold = spawn_round(n);
    int64_t warm = spawn_round(n);
    printf("spawn gomaxprocs=%d n=%ld ns_per_op=%.1f warm_ns_per_op=%.1f\n",
           goc_maxprocs(0), n, bench_ns_per(cold, n), bench_ns_per(warm, n));
}

int bench_spawn(int argc, char **argv)
{
    gargc = argc, gargv = argv;
    return goc_main(spawn_main, NULL);
}

/* ---------------------------------------------------------------- yield */

static long yield_per;
static goc_wg yield_wg;

static void yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < yield_per; i++)
        goc_yield();
    goc_wg_done(&yield_wg);
}

static void yield_main(void *arg)
{
    (void)arg;
    long n = bench_flag(gargc, gargv, "n", 10000000);
    long g = bench_flag(gargc, gargv, "g", 2);
    yield_per = n / g;
    goc_wg_add(&yield_wg, (int)g);
    int64_t t = goc_now();
    for (long j = 0; j < g; j++)
        goc_go(yielder, NULL);
    goc_wg_wait(&yield_wg);
    int64_t d = goc_now() - t;
    printf("yield gomaxprocs=%d n=%ld goroutines=%ld ns_per_op=%.1f\n", goc_maxprocs(0),
           yield_per * g, g, bench_ns_per(d, yield_per * g));
}

int bench_yield(int argc, char **argv)
{
    gargc = argc, gargv = argv;
    return goc_main(yield_main, NULL);
}

/* ------------------------------------------------------------- parallel */

/* splitmix64 finalizer chain, as goanchors.go hashWork. */
static uint64_t hash_work(uint64_t seed, long iters)
{
    uint64_t x = seed, acc = 0;
    for (long i = 0; i < iters; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        acc ^= z ^ (z >> 31);
    }
    return acc;
}

struct par { uint64_t res; long iters; uint64_t seed; goc_wg *wg; char pad[32]; };
static volatile uint64_t sink;

static void par_worker(void *arg)
{
    struct par *p = arg;
    p->res = hash_work(p->seed, p->iters);
    goc_wg_done(p->wg);
}

static int64_t par_run(int g, long iters)
{
    struct par ps[2];
    goc_wg wg = {0};
    goc_wg_add(&wg, g);
    int64_t t = goc_now();
    for (int j = 0; j < g; j++) {
        ps[j] = (struct par){ .iters = iters / g, .seed = (uint64_t)j + 1, .wg = &wg };
        goc_go(par_worker, &ps[j]);
    }
    goc_wg_wait(&wg);
    int64_t d = goc_now() - t;
    for (int j = 0; j < g; j++)
        sink ^= ps[j].res;
    return d;
}

static void parallel_main(void *arg)
{
    (void)arg;
    long iters = bench_flag(gargc, gargv, "iters", 600000000);
    int64_t t1 = par_run(1, iters);
    int64_t t2 = par_run(2, iters);
    printf("parallel gomaxprocs=%d iters=%ld t1_ms=%.1f t2_ms=%.1f speedup=%.3f\n",
           goc_maxprocs(0), iters, t1 / 1e6, t2 / 1e6, (double)t1 / (double)t2);
}

int bench_parallel(int argc, char **argv)
{
    gargc = argc, gargv = argv;
    return goc_main(parallel_main, NULL);
}
