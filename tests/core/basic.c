/* basic.c — the runtime calls of goc.h behave as the contract says. */
#include <errno.h>
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int ran;
static _Atomic uint64_t child_id;

static void child(void *arg)
{
    child_id = goc_id();
    atomic_fetch_add(&ran, *(int *)arg);
}

static void main_g(void *arg)
{
    (void)arg;
    CHECK(goc_id() == 1);
    CHECKF(goc_num_goroutines() == 1, "%d", goc_num_goroutines());
    CHECK(goc_maxprocs(0) >= 1);
    if (test_procs() > 0)
        CHECK(goc_maxprocs(0) == test_procs());
    CHECK(goc_go(NULL, NULL) == -EINVAL);
    static int one = 1;
    CHECK(goc_go(child, &one) == 0);
    while (atomic_load(&ran) == 0)
        goc_yield();
    CHECK(child_id > 1);
    /* the child may still be exiting on another M (slow under TSan) */
    for (int64_t end = goc_now() + 5000000000LL; goc_num_goroutines() != 1 && goc_now() < end;)
        goc_yield();
    CHECK(goc_num_goroutines() == 1);
    CHECK(goc_main(main_g, NULL) == -EALREADY);
}

int main(void)
{
    CHECK(goc_id() == 0);
    CHECK(goc_go(child, NULL) == -EAGAIN);      /* before goc_main */
    CHECK(goc_main(NULL, NULL) == -EINVAL);
    CHECK(goc_main(main_g, NULL) == 0);
    CHECK(goc_main(main_g, NULL) == -EALREADY);
    CHECK(goc_id() == 0);
    puts("ok");
    return 0;
}
