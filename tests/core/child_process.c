/* child_process.c — goroutines that start programs the way C code does:
 * system(3) and popen(3)/pclose(3), nothing wrapped in goc_syscall_enter.
 * glibc forks (clone with CLONE_VFORK) and execs from whatever M runs the
 * goroutine, then blocks the thread in waitpid; system() also ignores
 * SIGINT/SIGQUIT and blocks SIGCHLD in the caller for the call.
 *
 *  1. Many goroutines at once, each running system("exit K") and
 *     popen("echo ...") in turn: every exit status and every line comes
 *     back exact, and nothing hangs (the M that forked may be preempted by
 *     SIGURG, its P taken by sysmon while it waits, and it may come back
 *     P-less).
 *  2. A child sees a clean signal state: nothing blocked (the runtime's
 *     threads carry goc_main's caller's mask, empty here), and the same
 *     signals ignored as a child the program started before goc_main
 *     (exec keeps "ignore"; SIGPIPE stays default: goc writes sockets with
 *     MSG_NOSIGNAL rather than ignoring it), so a child killed by SIGTERM
 *     dies of it.
 *  3. While one goroutine waits 300 ms in system("sleep 0.3"), a ticker
 *     goroutine keeps ticking at P=1: sysmon hands the waiting thread's P
 *     on (skipped without membarrier(2), as blocked_call.c explains). */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

#define MS (1000 * 1000LL)

static goc_wg wg;
static _Atomic long failures;

static void runner(void *arg)
{
    long id = (long)arg;
    int rounds = (int)test_scaled(20);
    for (int i = 0; i < rounds; i++) {
        int want = (int)((id + i) % 7);
        char cmd[96];
        snprintf(cmd, sizeof cmd, "exit %d", want);
        int r = system(cmd);
        if (!(r != -1 && WIFEXITED(r) && WEXITSTATUS(r) == want)) {
            fprintf(stderr, "runner %ld: system(\"%s\") = %d\n", id, cmd, r);
            atomic_fetch_add(&failures, 1);
        }
        snprintf(cmd, sizeof cmd, "echo out-%ld-%d", id, i);
        FILE *f = popen(cmd, "r");
        CHECK(f != NULL);
        char line[128] = {0}, exp[64];
        snprintf(exp, sizeof exp, "out-%ld-%d\n", id, i);
        if (fgets(line, sizeof line, f) == NULL || strcmp(line, exp) != 0) {
            fprintf(stderr, "runner %ld: popen read '%s', want '%s'\n", id, line, exp);
            atomic_fetch_add(&failures, 1);
        }
        int pr = pclose(f);
        if (!(pr != -1 && WIFEXITED(pr) && WEXITSTATUS(pr) == 0)) {
            fprintf(stderr, "runner %ld: pclose = %d\n", id, pr);
            atomic_fetch_add(&failures, 1);
        }
        /* Runtime calls between the blocking ones: the goroutine may be
         * back P-less here. */
        if (i % 3 == 0)
            goc_yield();
        else if (i % 3 == 1)
            goc_sleep(100 * 1000);
    }
    goc_wg_done(&wg);
}

/* SigBlk and SigIgn of /proc/self/status as f shows them. */
static void read_sigs(FILE *f, unsigned long long *blk, unsigned long long *ign)
{
    char line[128];
    *blk = *ign = ~0ULL;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "SigBlk:", 7) == 0)
            *blk = strtoull(line + 7, NULL, 16);
        else if (strncmp(line, "SigIgn:", 7) == 0)
            *ign = strtoull(line + 7, NULL, 16);
    }
}

/* A child's view of its signals, read from its /proc. */
static void child_sigs(unsigned long long *blk, unsigned long long *ign)
{
    FILE *f = popen("grep -E '^Sig(Blk|Ign):' /proc/self/status", "r");
    CHECK(f != NULL);
    read_sigs(f, blk, ign);
    CHECK(pclose(f) == 0);
}

/* A child started before goc_main (the shell itself ignores glibc's two
 * internal signals, 32 and 33, here). */
static unsigned long long base_blk, base_ign;

static void child_signals(void *arg)
{
    (void)arg;
    unsigned long long blk, ign;
    child_sigs(&blk, &ign);
    printf("child: SigBlk %016llx SigIgn %016llx (before goc_main: %016llx %016llx)\n",
           blk, ign, base_blk, base_ign);
    CHECKF(blk == base_blk, "the child has blocked signals %llx", blk);
    CHECKF(ign == base_ign, "the child ignores signals %llx", ign);

    /* A child that signals itself dies of it, and system() says so. */
    int r = system("kill -TERM $$; sleep 5");
    CHECKF(r != -1 && WIFSIGNALED(r) && WTERMSIG(r) == SIGTERM,
           "system: a child killed by SIGTERM gave status %d", r);
    goc_wg_done(&wg);
}

static _Atomic int stop;
static _Atomic long ticks;

static void ticker(void *arg)
{
    (void)arg;
    goc_timer *t = goc_timer_new(10 * MS, 10 * MS);
    CHECK(t != NULL);
    goc_chan *c = goc_timer_chan(t);
    int64_t v;
    while (!atomic_load(&stop)) {
        CHECK(goc_chan_recv(c, &v) == 0);
        atomic_fetch_add(&ticks, 1);
    }
    goc_timer_free(t);
    goc_wg_done(&wg);
}

static void sleeper(void *arg)
{
    goc_chan *done = arg;
    int64_t t0 = goc_now();
    int r = system("sleep 0.3");
    CHECKF(r != -1 && WIFEXITED(r) && WEXITSTATUS(r) == 0, "system(sleep) = %d", r);
    int64_t took = goc_now() - t0;
    CHECKF(took >= 290 * MS, "system(\"sleep 0.3\") returned after %lld ms",
           (long long)(took / MS));
    int one = 1;
    CHECK(goc_chan_send(done, &one) == 0);
}

static bool have_membarrier(void)
{
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}

static void main_g(void *arg)
{
    (void)arg;
    /* 2 first, alone: while any thread is inside system(), glibc ignores
     * SIGINT and SIGQUIT process-wide, and a child started meanwhile
     * inherits that (any threaded C program's, not the runtime's). */
    goc_wg_add(&wg, 1);
    CHECK(goc_go(child_signals, NULL) == 0);
    goc_wg_wait(&wg);

    /* 1. */
    long n = test_scaled(8) < 2 ? 2 : 8;
    goc_wg_add(&wg, (int)n);
    for (long i = 0; i < n; i++)
        CHECK(goc_go(runner, (void *)i) == 0);
    goc_wg_wait(&wg);
    CHECKF(atomic_load(&failures) == 0, "%ld wrong results", (long)atomic_load(&failures));
    printf("%ld goroutines: system and popen results exact\n", n);

    /* 3. */
    goc_wg_add(&wg, 1);
    CHECK(goc_go(ticker, NULL) == 0);
    goc_sleep(30 * MS);                     /* the ticker is running */
    goc_chan *done = goc_chan_make(sizeof(int), 0);
    long t0 = atomic_load(&ticks);
    CHECK(goc_go(sleeper, done) == 0);
    int v;
    CHECK(goc_chan_recv(done, &v) == 0);
    long got = atomic_load(&ticks) - t0;
    printf("ticker during system(\"sleep 0.3\"): %ld ticks\n", got);
    if (have_membarrier())
        /* 30 in a quiet 300 ms; sysmon notices within a few of its ticks,
         * and a loaded 2-CPU machine delays timers by tens of ms. */
        CHECKF(got >= 8, "the ticker stopped while a goroutine waited in system() "
               "(%ld ticks)", got);
    else
        printf("no membarrier(2): the P is not taken from a blocked thread; "
               "tick count not checked\n");
    atomic_store(&stop, 1);
    goc_wg_wait(&wg);
    goc_chan_free(done);
}

int main(void)
{
    /* The mask the runtime's threads inherit (and children with them):
     * start from an empty one, whatever ctest's shell left. */
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    child_sigs(&base_blk, &base_ign);
    return goc_main(main_g, NULL);
}
