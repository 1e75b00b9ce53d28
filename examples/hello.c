/* hello.c — the source document's program: the main goroutine prints
 * "hello, world".  Run it with GOC_DEBUG=schedtrace=1 to see the
 * scheduler's lines. */
#include <stdio.h>
#include <goc.h>

static void main_goroutine(void *arg)
{
    (void)arg;
    printf("hello, world\n");
}

int main(void)
{
    return goc_main(main_goroutine, NULL);
}
