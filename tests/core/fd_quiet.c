/* fd_quiet.c — the runtime takes no fd numbers behind the program's back.
 *
 * POSIX gives open(2) the lowest free number, and C programs rely on it
 * ("close(1); open(log)" makes the log stdout; a closed number stays closed
 * until the program itself reuses it).  While goroutines run CPU-bound,
 * sysmon reads their threads' state from /proc every few milliseconds; it
 * must not do that with an fd in the program's table, where for a few
 * microseconds it would hold the program's next number.
 *
 * A CPU-bound goroutine keeps sysmon looking at its thread (at P=1 it is
 * preempted to let main run; the sanitizer builds, without async
 * preemption, run this at P >= 2 only); the main goroutine opens and closes
 * /dev/null for a second and checks every open got the same, lowest free
 * number, and that the number reads as closed right after each close. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int stop;
static _Atomic long spun;

static void spin(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        if (++x % 4096 == 0)
            atomic_fetch_add_explicit(&spun, 1, memory_order_relaxed);
}

static void main_g(void *arg)
{
    (void)arg;
    int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(lowest >= 0);
    close(lowest);
    CHECK(goc_go(spin, NULL) == 0);
    long rounds = 0, moved = 0, taken = 0;
    int64_t end = test_now_ms() + 1000;
    while (test_now_ms() < end) {
        for (int i = 0; i < 1000; i++) {
            int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            CHECK(fd >= 0);
            if (fd != lowest)
                moved++;
            close(fd);
            if (fcntl(lowest, F_GETFD) != -1 || errno != EBADF)
                taken++;
            rounds++;
        }
        goc_yield();   /* at P=1, let the spinner have the P at times */
    }
    atomic_store(&stop, 1);
    printf("%ld open/close rounds beside %ld spin units: %ld opens moved off "
           "fd %d, %ld times it was taken after close\n",
           rounds, atomic_load(&spun), moved, lowest, taken);
    CHECK(moved == 0 && taken == 0);
}

int main(void) { return goc_main(main_g, NULL); }
