/* fiber_reuse.c — one G struct serves 40,000 goroutines in a row (each
 * exits before the next starts, at P=1).  Under TSan the G keeps its fiber,
 * and each goroutine's life must leave the fiber's shadow call stack as it
 * found it: before goc__gstart and the final switch were kept out of TSan's
 * instrumentation, each life left two frames there and the 64 K-entry
 * shadow stack overflowed after ~32,700 goroutines (the program hung). */
#include <goc.h>
#include "testutil.h"

enum { N = 40000 };
static goc_wg wg;
static long ran;

static void one(void *arg)
{
    (void)arg;
    ran++;
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++) {
        goc_wg_add(&wg, 1);
        CHECK(goc_go(one, NULL) == 0);
        goc_wg_wait(&wg);
    }
    CHECKF(ran == N, "%ld of %d goroutines ran", ran, N);
}

int main(void) { return goc_main(main_g, NULL); }
