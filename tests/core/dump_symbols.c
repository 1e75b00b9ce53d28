/* dump_symbols.c — a deadlock dump shows the program's own functions with
 * file:line, and the "created by" line of each goroutine (Go's format).
 * Built -O2 with the flags `pkg-config --cflags goc` gives; checked by
 * dump_symbols.sh, which finds the expected lines by the LINE_ markers. */
#include <stdio.h>
#include <goc.h>

static goc_chan *never;

/* Inlined: the dump shows it as a frame of its own, "(inlined)". */
static inline __attribute__((always_inline)) long recv_long(goc_chan *c)
{
    long v = 0;
    goc_chan_recv(c, &v);                         /* LINE_RECV */
    return v;
}

static __attribute__((noinline)) long wait_for_job(void)
{
    return recv_long(never) + 1;                  /* LINE_INLINED_AT */
}

static void worker(void *arg)
{
    (void)arg;
    printf("job %ld\n", wait_for_job());          /* LINE_WORKER */
}

static void main_goroutine(void *arg)
{
    (void)arg;
    goc_wg wg = {0};
    never = goc_chan_make(sizeof(long), 0);
    goc_go(worker, NULL);                          /* LINE_GO */
    goc_wg_add(&wg, 1);
    goc_wg_wait(&wg);                              /* LINE_WAIT */
    goc_chan_free(never);
}

int main(void) { return goc_main(main_goroutine, NULL); }
