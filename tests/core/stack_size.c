/* stack_size.c — goc_go_stack: a goroutine given a larger stack recurses
 * past the default's depth; many such goroutines live at once; freed large
 * stacks are reused and, past the few kept warm, their pages go back to the
 * kernel; bad sizes are refused. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* Recurse until depth frames of ~4 KiB; record the lowest frame. */
static int dive(int depth, goc_chan *gate, uintptr_t *deepest)
{
    volatile char frame[4096];
    memset((char *)frame, depth, sizeof frame);
    if ((uintptr_t)frame < *deepest)
        *deepest = (uintptr_t)frame;
    if (depth == 0) {
        if (gate != NULL) {      /* stay at the bottom until released */
            int v;
            goc_chan_recv(gate, &v);
        }
        return frame[7];
    }
    return dive(depth - 1, gate, deepest) + frame[depth % 4096];
}

typedef struct job {
    int depth;
    goc_chan *gate;
    goc_chan *done;
    uintptr_t used;     /* bytes of stack the dive took */
} job;

static void diver(void *arg)
{
    job *j = arg;
    volatile char top;
    uintptr_t deepest = UINTPTR_MAX;
    uintptr_t start = (uintptr_t)&top;
    (void)dive(j->depth, j->gate, &deepest);
    j->used = start - deepest;
    int one = 1;
    goc_chan_send(j->done, &one);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2)
        res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void nothing(void *arg) { (void)arg; }

static void main_g(void *arg)
{
    (void)arg;
    /* Bad input. */
    CHECK(goc_go_stack(NULL, NULL, MiB) == -EINVAL);
    CHECK(goc_go_stack(nothing, NULL, (size_t)1 << 30 << 1) == -EINVAL);
    CHECK(goc_go_stack(nothing, NULL, ((size_t)1 << 30) + 1) == -EINVAL);
    CHECK(goc_go_stack(nothing, NULL, SIZE_MAX) == -EINVAL);
    /* The default and the largest class both start. */
    CHECK(goc_go_stack(nothing, NULL, 0) == 0);
    CHECK(goc_go_stack(nothing, NULL, 100 * KiB) == 0);
    CHECK(goc_go_stack(nothing, NULL, (size_t)1 << 30) == 0);

    goc_chan *done = goc_chan_make(sizeof(int), 0);
    int v;

    /* One goroutine, 8 MiB: 6 MiB of frames, far past the default 256 KiB
     * (GOC_STACK is not set by the test runner). */
    job big = { .depth = 1536, .done = done };
    CHECK(goc_go_stack(diver, &big, 8 * MiB) == 0);
    goc_chan_recv(done, &v);
    CHECKF(big.used >= 5 * MiB, "used %zu bytes", (size_t)big.used);

    /* Many at once, each 600 KiB deep on a 1 MiB stack, all parked at the
     * bottom together; three rounds reuse the freed stacks. */
    int n = (int)test_scaled(200);
    goc_chan *gate = goc_chan_make(sizeof(int), 0);
    job *jobs = calloc((size_t)n, sizeof *jobs);
    CHECK(jobs != NULL);
    long peak = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < n; i++) {
            jobs[i] = (job){ .depth = 150, .gate = gate, .done = done };
            CHECK(goc_go_stack(diver, &jobs[i], 1 * MiB) == 0);
        }
        goc_sleep(20 * 1000 * 1000);
        long r = rss_kib();
        if (r > peak)
            peak = r;
        for (int i = 0; i < n; i++)
            goc_chan_send(gate, &i);
        for (int i = 0; i < n; i++)
            goc_chan_recv(done, &v);
    }
    /* Every stack but the 16 kept warm gave its ~600 KiB back, once the
     * divers have exited (each signalled done just before). */
    for (int i = 0; i < 500 && goc_num_goroutines() > 1; i++)
        goc_sleep(10 * 1000 * 1000);
    CHECKF(goc_num_goroutines() == 1, "%d goroutines left", goc_num_goroutines());
    long after = rss_kib();
    printf("rss: peak %ld KiB with %d deep goroutines, %ld KiB after\n",
           peak, n, after);
    if (n == 200 && peak > 0) {
        CHECKF(peak >= 60 * 1024, "peak %ld KiB: the dives did not commit", peak);
        CHECKF(after < peak - 50 * 1024, "peak %ld KiB, after %ld KiB", peak, after);
    }
    free(jobs);
    goc_chan_free(gate);
    goc_chan_free(done);
    printf("stack_size ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void) { return goc_main(main_g, NULL); }
