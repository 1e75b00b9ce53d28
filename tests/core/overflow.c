/* overflow.c — unbounded recursion in a goroutine: the guard catches it and
 * the runtime names the goroutine, "fatal error: stack overflow", exit 2. */
#include <string.h>
#include <goc.h>
#include "testutil.h"

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int deep(int n)
{
    volatile char frame[1024];
    memset((char *)frame, n, sizeof frame);
    return deep(n + 1) + frame[n % 1024];
}

static void g(void *arg)
{
    (void)arg;
    printf("%d\n", deep(0));
}

static void main_g(void *arg)
{
    (void)arg;
    goc_go(g, NULL);
    for (;;)
        goc_yield();
}

int main(void) { return goc_main(main_g, NULL); }
