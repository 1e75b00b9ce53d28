/* million.c — one million goroutines alive at once, each with its own
 * (touched) stack, on a default vm.max_map_count. */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static _Atomic long started;
static _Atomic int release_all;

static void g(void *arg)
{
    (void)arg;
    volatile char buf[512];          /* touch this G's own stack */
    buf[0] = 1;
    atomic_fetch_add(&started, 1);
    while (!atomic_load_explicit(&release_all, memory_order_relaxed))
        goc_yield();
    (void)buf[0];
}

static void main_g(void *arg)
{
    (void)arg;
    long n = test_scaled(1000000);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(g, NULL) == 0);
    while (atomic_load(&started) < n)
        goc_yield();
    CHECKF(goc_num_goroutines() == n + 1, "%d", goc_num_goroutines());
    atomic_store(&release_all, 1);
    while (goc_num_goroutines() > 1)
        goc_yield();
    printf("%ld goroutines alive at once\n", n);
}

int main(void) { return goc_main(main_g, NULL); }
