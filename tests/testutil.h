/* testutil.h — tiny helpers shared by the tests.  A test is a program: exit
 * 0 on success; CHECK prints the failed condition and exits 1. */
#ifndef GOC_TESTUTIL_H
#define GOC_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    exit(1); } } while (0)

#define CHECKF(cond, ...) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } } while (0)

/* Monotonic milliseconds from the clock alone (no runtime call, and only
 * a vDSO call's worth of stack). */
static inline int64_t test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Divide stress sizes by GOC_TEST_SCALE (10 under sanitizers). */
static inline long test_scaled(long n)
{
    const char *s = getenv("GOC_TEST_SCALE");
    long k = s ? atol(s) : 1;
    if (k < 1)
        k = 1;
    long r = n / k;
    return r > 0 ? r : 1;
}

static inline int test_procs(void)
{
    const char *s = getenv("GOC_MAXPROCS");
    return s ? atoi(s) : 0;
}

#endif
