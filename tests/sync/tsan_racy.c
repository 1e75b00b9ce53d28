/* tsan_racy.c — an unsynchronised write/write on a plain variable from two
 * goroutines running at the same time on two Ps.  Registered only in the
 * ThreadSanitizer build, at GOC_MAXPROCS >= 2, where it must FAIL (TSan
 * reports the race and exits non-zero): the runtime's own synchronisation
 * must not hide user races.  The writers do not yield, so nothing in the
 * scheduler orders their accesses. */
#include <goc.h>

static volatile long racy;
static _Atomic int started, finished;

static void writer(void *arg)
{
    started++;
    while (started < 2)
        ;   /* both run in parallel from here */
    for (long i = 0; i < 2000000; i++)
        racy += (long)arg;
    finished++;
}

static void main_fn(void *arg)
{
    (void)arg;
    goc_go(writer, (void *)1L);
    goc_go(writer, (void *)2L);
    while (finished < 2)
        goc_sleep(1000000);   /* leave the P: no async preemption under TSan */
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
