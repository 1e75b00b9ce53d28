/* errno_keep.c — each goroutine's errno survives its switches, even when it
 * resumes on another thread. */
#include <errno.h>
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int finished;

/* errno is read and written in functions of their own: a compiler may
 * keep &errno (glibc declares __errno_location const) across goc_yield in
 * the same function, and after a switch that is another thread's errno —
 * the header tells users the same. */
static __attribute__((noinline)) void set_errno(int v) { errno = v; }
static __attribute__((noinline)) int get_errno(void) { return errno; }

static void g(void *arg)
{
    int mine = 1000 + (int)(intptr_t)arg;
    set_errno(mine);
    for (int i = 0; i < 2000; i++) {
        goc_yield();
        int e = get_errno();
        CHECKF(e == mine, "errno %d, want %d", e, mine);
    }
    atomic_fetch_add(&finished, 1);
}

static void main_g(void *arg)
{
    (void)arg;
    for (int i = 0; i < 64; i++)
        goc_go(g, (void *)(intptr_t)i);
    while (atomic_load(&finished) < 64)
        goc_yield();
}

int main(void) { return goc_main(main_g, NULL); }
