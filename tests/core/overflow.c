/* overflow.c — unbounded recursion in a goroutine: the guard catches it and
 * the runtime names the goroutine, "fatal error: stack overflow", exit 2.
 * "big": the goroutine has a 2 MiB goc_go_stack stack. */
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

static int big;

static void main_g(void *arg)
{
    (void)arg;
    if (big)
        goc_go_stack(g, NULL, 2 << 20);
    else
        goc_go(g, NULL);
    for (;;)
        goc_yield();
}

int main(int argc, char **argv)
{
    big = argc > 1 && strcmp(argv[1], "big") == 0;
    return goc_main(main_g, NULL);
}
