/* tsan_racy.c — an unsynchronised write/write on a plain variable from two
 * goroutines.  Registered only in the ThreadSanitizer build, where it must
 * FAIL (TSan reports the race and exits non-zero): proof that the runtime's
 * own synchronisation does not hide user races. */
#include <goc.h>

static long racy;
static _Atomic int finished;

static void writer(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        racy += (long)arg;
        if ((i & 63) == 0)
            goc_yield();
    }
    finished++;
}

static void main_fn(void *arg)
{
    (void)arg;
    goc_go(writer, (void *)1L);
    goc_go(writer, (void *)2L);
    while (finished < 2)
        goc_yield();
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
