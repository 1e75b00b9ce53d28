/* lockcheck.c — with libgoc_lockcheck linked, a goroutine that leaves its
 * thread while the thread holds a pthread lock is a fatal error that names
 * it (DESIGN.md #4).  One way per argument:
 *   park       a mutex held across goc_chan_recv (which must park: a
 *              receive with a timeout may find its timer fired already)
 *   yield      a mutex held across goc_yield
 *   end        a goroutine returns with a mutex locked
 *   recursive  a recursive mutex locked twice, unlocked once, then goc_sleep
 *              (the silent case without the check: another goroutine on the
 *              thread would enter it)
 *   rwlock     a read lock held across goc_sleep
 *   syscall    a mutex held across a goc_syscall_enter/exit section whose P
 *              was handed on while another goroutine kept it: the exit would
 *              resume the goroutine on another thread
 * Each must exit with status 2 (expect_fatal.sh checks the message). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static const char *mode;
static _Atomic int stop;

static void ender(void *arg)
{
    goc_chan *done = arg;
    pthread_mutex_lock(&mu);
    (void)done;   /* returns holding mu */
}

static void spinner(void *arg)
{
    (void)arg;
    int64_t end = goc_now() + 2000LL * 1000 * 1000;
    while (!atomic_load(&stop) && goc_now() < end) {
    }
}

static void main_g(void *arg)
{
    (void)arg;
    if (strcmp(mode, "park") == 0) {
        goc_chan *c = goc_chan_make(sizeof(int), 0);
        pthread_mutex_lock(&mu);
        int v;
        goc_chan_recv(c, &v);   /* nobody sends: it parks (or, unchecked,
                                   is reported as a deadlock: wrong text) */
    } else if (strcmp(mode, "yield") == 0) {
        pthread_mutex_lock(&mu);
        goc_yield();
    } else if (strcmp(mode, "end") == 0) {
        CHECK(goc_go(ender, NULL) == 0);
        goc_sleep(2000LL * 1000 * 1000);
    } else if (strcmp(mode, "recursive") == 0) {
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_t r;
        pthread_mutex_init(&r, &a);
        pthread_mutex_lock(&r);
        pthread_mutex_lock(&r);
        pthread_mutex_unlock(&r);
        goc_sleep(1000 * 1000);
    } else if (strcmp(mode, "rwlock") == 0) {
        pthread_rwlock_rdlock(&rw);
        goc_sleep(1000 * 1000);
    } else if (strcmp(mode, "syscall") == 0) {
        CHECK(goc_maxprocs(1) >= 1);
        CHECK(goc_go(spinner, NULL) == 0);
        pthread_mutex_lock(&mu);
        goc_syscall_enter();
        usleep(100 * 1000);    /* sysmon hands the P to the spinner */
        goc_syscall_exit();
        atomic_store(&stop, 1);
        pthread_mutex_unlock(&mu);
        fprintf(stderr, "syscall: the exit found a P (the spinner did not keep it)\n");
        exit(3);
    }
    fprintf(stderr, "%s: not reported\n", mode);
    exit(1);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    mode = argv[1];
    return goc_main(main_g, NULL);
}
