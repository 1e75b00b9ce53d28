/*
 * os_linux.c — what the scheduler asks of the OS: how many CPUs the process
 * may use (Go 1.25's defaultGOMAXPROCS), each thread's stack bounds, and a
 * thread's run state from /proc (for sysmon).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

uint32_t goc__gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* ceil(quota/period) from cgroup v2 cpu.max ("max 100000" = no limit) or
 * v1 cfs_quota_us/cfs_period_us; 0 when there is no limit.  Like Go, a
 * limit is never below 2. */
static int32_t cgroup_cpus(void)
{
    char path[512] = "/sys/fs/cgroup/cpu.max", line[256];
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "0::", 3) == 0) {
                line[strcspn(line, "\n")] = 0;
                snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", line + 3);
                break;
            }
        }
        fclose(f);
    }
    long long quota = -1, period = 0;
    f = fopen(path, "r");
    if (f == NULL)
        f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (f) {
        char q[32];
        if (fscanf(f, "%31s %lld", q, &period) == 2 && strcmp(q, "max") != 0)
            quota = atoll(q);
        fclose(f);
    } else {
        f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
        if (f) {
            if (fscanf(f, "%lld", &quota) != 1)
                quota = -1;
            fclose(f);
        }
        f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
        if (f) {
            if (fscanf(f, "%lld", &period) != 1)
                period = 0;
            fclose(f);
        }
    }
    if (quota <= 0 || period <= 0)
        return 0;
    long long n = (quota + period - 1) / period;
    return n < 2 ? 2 : (int32_t)n;
}

int32_t goc__default_procs(void)
{
    cpu_set_t set;
    int32_t n = 1;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n < 1)
        n = 1;
    int32_t q = cgroup_cpus();
    if (q > 0 && q < n)
        n = q;
    return n > GOC_MAXPROCS_LIMIT ? GOC_MAXPROCS_LIMIT : n;
}

void goc__m_stackbounds(M *m)
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &m->g0lo, &m->g0size);
        pthread_attr_destroy(&attr);
    }
}

/* ------------------------------------------------------- thread state
 * sysmon asks the kernel whether a thread runs or sleeps in a call
 * (/proc/self/task/TID/stat), at any moment.  An open(2) there would take
 * the process's lowest free fd number for a few microseconds: a program
 * that closes fd N and then opens a file (or checks that N is closed,
 * or relies on "close(1); open(log)" making the log stdout) would now and
 * then find N taken by the runtime, or its new file on another number.
 * Go's runtime opens nothing in the background; neither may goc.
 *
 * So the reads are done by a helper thread with a file table of its own:
 * it starts with close_range(0, ~0, CLOSE_RANGE_UNSHARE) (Linux 5.9),
 * which gives it a private, empty table (no copy of the program's fds,
 * so none is held open by it), and then only opens, reads and closes
 * /proc files there, by raw system calls (no sanitizer fd bookkeeping: its
 * fd numbers are not the process's).  sysmon hands it a tid and sleeps on
 * a note until the answer is back (two futex wake-ups a look, a few
 * microseconds).  Where the kernel refuses close_range's unshare, the read
 * is done in place, as before (the window above remains there).  Started
 * with sysmon; requests are serialized by ts.lock.  Nothing here may
 * malloc: sysmon must get through while a G preempted inside malloc holds
 * its lock (raw system calls, snprintf of an int). */
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

static struct {
    goc_lock          lock;        /* one request at a time */
    _Atomic int       mode;        /* 0 not started or refused: in place; 1 helper */
    goc_note          req, done;
    _Atomic int       tid;
    _Atomic int       sig;         /* to send if it runs; 0 none */
    _Atomic int       state;
    _Atomic bool      sent;
} ts;

/* Context switches of the calling thread so far, voluntary or not; -1 if
 * unknown. */
static long switches(void)
{
    struct rusage ru;
    if (syscall(SYS_getrusage, RUSAGE_THREAD, &ru) != 0)
        return -1;
    return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* 'R', 'S', 'D', ...; 0 if unknown.  Raw system calls only.  sig != 0:
 * also send sig to the thread when it runs ('R', or unknown: without /proc
 * the caller's CPU-clock test decided), at once after the read, so the
 * look and the signal are one step (*sent says whether it went).  If this
 * thread was switched out between the read and the signal, the look is
 * stale: it is taken again, up to three times, then no signal this time
 * (sysmon asks again next round).  This is the fallback path (preempt.c:
 * an M without its CPU-time timer); even one step leaves the window of
 * the read itself (~20 us here) and the delivery, and the retry did not
 * measurably narrow it (sleep_signal_race at P=2 under load failed 1 run
 * in 15 before it and 2 in 15 after), which is why the timer replaced it. */
static char read_state(int tid, int sig, bool *sent)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    for (int tries = 0;; tries++) {
        long sw = sig != 0 ? switches() : 0;
        long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        long n = fd < 0 ? 0 : syscall(SYS_read, fd, buf, sizeof buf - 1);
        char st = 0;
        if (n > 0) {
            buf[n] = 0;
            const char *paren = strrchr(buf, ')');   /* the name may hold spaces */
            st = paren != NULL && paren[1] == ' ' ? paren[2] : 0;
        }
        bool go = sig != 0 && (st == 'R' || st == 0);
        if (go && switches() == sw) {
            *sent = syscall(SYS_tgkill, getpid(), tid, sig) == 0;
            go = false;
        }
        if (fd >= 0)
            syscall(SYS_close, fd);
        if (!go || tries == 2)
            return st;
    }
}

static void *state_reader(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    bool own = syscall(SYS_close_range, 0U, ~0U, CLOSE_RANGE_UNSHARE) == 0;
    atomic_store(&ts.mode, own ? 1 : 0);
    goc__notewakeup(&ts.done);
    if (!own)
        return NULL;
    for (;;) {
        goc__notesleep(&ts.req);
        goc__noteclear(&ts.req);
        bool sent = false;
        atomic_store(&ts.state, read_state(atomic_load(&ts.tid), atomic_load(&ts.sig), &sent));
        atomic_store(&ts.sent, sent);
        goc__notewakeup(&ts.done);
    }
}

/* At init, before any goroutine runs (sysmon's start): sysmon itself must
 * not start a thread, since pthread_create may call malloc, and a G
 * preempted inside malloc can hold its lock (preempt.c, F3). */
void goc__os_thread_state_init(void)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 << 10);
    goc__noteclear(&ts.done);
    if (pthread_create(&t, &attr, state_reader, NULL) == 0)
        goc__notesleep(&ts.done);
    pthread_attr_destroy(&attr);
}

char goc__os_thread_state_signal(int tid, int sig, bool *sent)
{
    bool ok = false;
    goc__lock(&ts.lock);
    char st;
    if (atomic_load(&ts.mode) == 1) {
        atomic_store(&ts.tid, tid);
        atomic_store(&ts.sig, sig);
        goc__noteclear(&ts.done);
        goc__notewakeup(&ts.req);
        goc__notesleep(&ts.done);
        st = (char)atomic_load(&ts.state);
        ok = atomic_load(&ts.sent);
    } else {
        st = read_state(tid, sig, &ok);
    }
    goc__unlock(&ts.lock);
    if (sent)
        *sent = ok;
    return st;
}

char goc__os_thread_state(int tid)
{
    return goc__os_thread_state_signal(tid, 0, NULL);
}
