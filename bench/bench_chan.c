/* bench_chan.c — pingpong, buffered, select and mutex, as goanchors.go does
 * them (same flags, same result line). */
#include <stdio.h>
#include <stdlib.h>
#include <goc.h>

#include "bench.h"

static int gargc;
static char **gargv;

static void die(const char *what)
{
    fprintf(stderr, "%s\n", what);
    exit(1);
}

/* ------------------------------------------------------------- pingpong */

static goc_chan *pp_a, *pp_b;

static void pp_echo(void *arg)
{
    (void)arg;
    long v;
    while (goc_chan_recv(pp_a, &v) == 0)
        goc_chan_send(pp_b, &v);
}

static void pingpong_main(void *arg)
{
    (void)arg;
    long n = bench_flag(gargc, gargv, "n", 1000000);
    pp_a = goc_chan_make(sizeof(long), 0);
    pp_b = goc_chan_make(sizeof(long), 0);
    goc_go(pp_echo, NULL);
    int64_t t = goc_now();
    for (long i = 0; i < n; i++) {
        long v;
        goc_chan_send(pp_a, &i);
        if (goc_chan_recv(pp_b, &v) != 0 || v != i)
            die("pingpong: bad echo");
    }
    int64_t d = goc_now() - t;
    goc_chan_close(pp_a);
    printf("pingpong gomaxprocs=%d n=%ld ns_per_op=%.1f\n", goc_maxprocs(0), n,
           bench_ns_per(d, n));
}

int bench_pingpong(int argc, char **argv)
{
    gargc = argc, gargv = argv;
    return goc_main(pingpong_main, NULL);
}

/* ------------------------------------------------------------- buffered */

static goc_chan *buf_c;
static long buf_n;

static void buf_producer(void *arg)
{
    (void)arg;
    for (long i = 0; i < buf_n; i++)
        goc_chan_send(buf_c, &i);
    goc_chan_close(buf_c);
}

static void buffered_main(void *arg)
{
    (void)arg;
    buf_n = bench_flag(gargc, gargv, "n", 10000000);
    long cap = bench_flag(gargc, gargv, "cap", 128);
    buf_c = goc_chan_make(sizeof(long), (size_t)cap);
    int64_t t = goc_now();
    goc_go(buf_producer, NULL);
    long v, sum = 0;
    while (goc_chan_recv(buf_c, &v) == 0)
        sum += v;
    int64_t d = goc_now() - t;
    if (sum != buf_n * (buf_n - 1) / 2)
        die("buffered: bad sum");
    printf("buffered gomaxprocs=%d n=%ld cap=%ld ns_per_op=%.2f\n", goc_maxprocs(0), buf_n,
           cap, bench_ns_per(d, buf_n));
}

int bench_buffered(int argc, char **argv)
{
    gargc = argc, gargv = argv;
    return goc_main(buffered_main, NULL);
}

/* --------------------------------------------------------------- select */

enum { SEL_P = 4 };
static long sel_per;

static void sel_producer(void *arg)
{
    goc_chan *c = arg;
    for (long k = 0; k < sel_per; k++)
        goc_chan_send(c, &k);
}

static void select_main(void *arg)
{
    (void)arg;
    long n = bench_flag(gargc, gargv, "n", 4000000);
    long p = bench_flag(gargc, gargv, "producers", 4);
    long cap = bench_flag(gargc, gargv, "cap", 0);
    if (p != SEL_P) {
        fprintf(stderr, "select: only -producers=4 is implemented\n");
        exit(2);
    }
    sel_per = n / p;
    long total = sel_per * p;
    goc_chan *cs[SEL_P];
    for (int i = 0; i < SEL_P; i++)
        cs[i] = goc_chan_make(sizeof(long), (size_t)cap);
    int64_t t = goc_now();
    for (int i = 0; i < SEL_P; i++)
        goc_go(sel_producer, cs[i]);
    long got[SEL_P] = { 0 }, v;
    goc_case cases[SEL_P];
    for (int i = 0; i < SEL_P; i++)
        cases[i] = (goc_case){ cs[i], GOC_RECV, &v, 0 };
    for (long k = 0; k < total; k++) {
        int i = goc_select(cases, SEL_P, 1);
        got[i]++;
    }
    int64_t d = goc_now() - t;
    for (int i = 0; i < SEL_P; i++)
        if (got[i] != sel_per)
            die("select: lost messages");
    printf("select gomaxprocs=%d n=%ld producers=%ld cap=%ld ns_per_op=%.1f\n",
           goc_maxprocs(0), total, p, cap, bench_ns_per(d, total));
}

int bench_select(int argc, char **argv)
{
    gargc = argc, gargv = argv;
    return goc_main(select_main, NULL);
}

/* ---------------------------------------------------------------- mutex */

/* The layout is the twin's: its closure captures mu and counter by
 * reference, so both escape to the heap, and Go's tiny allocator puts the
 * two 8-byte objects in one 16-byte block (one cache line); per is captured
 * by value and only read.  (As plain adjacent globals, counter shared a line
 * with mu_per, read every iteration, and not with mu.) */
static struct {
    _Alignas(64) goc_mutex mu;
    long counter;
} mx;
static long mu_per;
static goc_wg mu_wg;

static void mu_worker(void *arg)
{
    (void)arg;
    long per = mu_per;
    for (long i = 0; i < per; i++) {
        goc_mutex_lock(&mx.mu);
        mx.counter++;
        goc_mutex_unlock(&mx.mu);
    }
    goc_wg_done(&mu_wg);
}

static void mutex_main(void *arg)
{
    (void)arg;
    long n = bench_flag(gargc, gargv, "n", 10000000);
    long g = bench_flag(gargc, gargv, "g", 2);
    mu_per = n / g;
    goc_wg_add(&mu_wg, (int)g);
    int64_t t = goc_now();
    for (long j = 0; j < g; j++)
        goc_go(mu_worker, NULL);
    goc_wg_wait(&mu_wg);
    int64_t d = goc_now() - t;
    if (mx.counter != mu_per * g)
        die("mutex: bad counter");
    printf("mutex gomaxprocs=%d n=%ld goroutines=%ld ns_per_op=%.1f\n", goc_maxprocs(0),
           mu_per * g, g, bench_ns_per(d, mu_per * g));
}

int bench_mutex(int argc, char **argv)
{
    gargc = argc, gargv = argv;
    return goc_main(mutex_main, NULL);
}
