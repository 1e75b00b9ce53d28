/* pless_park.c — a goroutine whose P sysmon revoked while it sat in a plain
 * blocking read() (so it came back P-less) parks with a commit that fails:
 * its wait is over before it began, as when a socket turns ready between
 * EAGAIN and the park.  It must run on.  park_m used to set it as its M's
 * next G while that M, having no P, stopped: the goroutine was runnable on
 * no queue with nobody to wake the M (net_foreign hung so under TSan, P=1).
 * Uses runtime internals (goc__park), as runq_unit does. */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "runtime.h"
#include "testutil.h"

#define MS (1000 * 1000LL)

static int pfd[2];
static _Atomic int stop;
static _Atomic long spins;

/* Another runnable goroutine, so sysmon has a reason to take the P. */
static _Atomic int masked;

/* No M may run goroutines with the program's signals blocked: an M that
 * sysmon made (for the revoked P) once inherited sysmon's all-blocked
 * mask, and a raise() there was never delivered. */
static void check_mask(void)
{
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    if (sigismember(&cur, SIGUSR1) || sigismember(&cur, SIGTRAP) ||
        sigismember(&cur, SIGINT))
        atomic_fetch_add(&masked, 1);
}

static void spinner(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&spins, 1);
        check_mask();
        goc_sleep(1 * MS);
    }
}

static void *writer(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 30 * MS };
    for (int i = 0; i < 40; i++) {
        nanosleep(&ts, NULL);
        if (write(pfd[1], "x", 1) != 1)
            break;
    }
    return NULL;
}

static bool already_over(G *gp, void *arg)
{
    (void)gp;
    (void)arg;
    return false;
}

static void main_g(void *arg)
{
    (void)arg;
    bool revoke = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) > 0;
    CHECK(pipe(pfd) == 0);
    CHECK(goc_go(spinner, NULL) == 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, writer, NULL) == 0);
    uint64_t r0 = atomic_load(&goc__sched.nrevoked);
    for (int i = 0; i < 40; i++) {
        char c;
        CHECK(read(pfd[0], &c, 1) == 1);       /* plain: ~30 ms blocked */
        goc__park(already_over, NULL, W_SLEEP); /* must come back */
        goc_yield();
        check_mask();
    }
    uint64_t revoked = atomic_load(&goc__sched.nrevoked) - r0;
    atomic_store(&stop, 1);
    goc_syscall_enter();
    pthread_join(th, NULL);
    goc_syscall_exit();
    CHECKF(atomic_load(&masked) == 0, "%d looks found the program's signals "
           "blocked on a goroutine's thread", atomic_load(&masked));
    /* Loaded machines may miss some looks; most reads must be revoked. */
    if (revoke && getenv("GOC_DEBUG") == NULL)
        CHECKF(revoked >= 10, "only %llu reads revoked", (unsigned long long)revoked);
    printf("pless_park ok (procs=%d, %llu of 40 reads revoked%s)\n",
           goc_maxprocs(0), (unsigned long long)revoked,
           revoke ? "" : "; no membarrier: nothing to revoke");
}

int main(void) { return goc_main(main_g, NULL); }
