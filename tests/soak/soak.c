/*
 * soak.c [SECONDS] — the mixed workload (issue 10, deliverable 5).
 *
 * Runs for SECONDS (argument, else $SOAK_SECONDS, else 60) in epochs of
 * EPOCH_MAX_S at most.  Each epoch starts every workload below, lets them run,
 * then stops them and waits for all: the quiescent point between epochs is
 * where invariants and resources are checked.
 *
 *   pipeline   producer -> 3 relays (unbuffered) -> consumer (buffered):
 *              every value arrives once (count and sum);
 *   fan-in     4 senders on channels of capacity 0, 1, 4, 8, one goroutine
 *              selecting on them and a ticker until all are closed: count;
 *   mutex      goroutines incrementing one counter under goc_mutex, and an
 *              RWMutex whose readers check a pair the writer keeps equal;
 *   echo       a listener, a goroutine per connection echoing, clients that
 *              dial, write 1..32 KiB patterns with deadlines set and check
 *              what comes back, then close (fd churn);
 *   maxprocs   goc_maxprocs changed every 20 ms among 1..4;
 *   syscalls   a goroutine blocked in read(2) on a pipe inside
 *              goc_syscall_enter/exit while another feeds the pipe (at P=1
 *              only the P hand-off lets the feeder run): count; usleep(2)
 *              in enter/exit; the same read and usleep unannotated, where
 *              membarrier(2) lets sysmon take a blocked thread's P;
 *   preempt    a loop with no runtime call that spins until a goroutine it
 *              started sets a flag (at P=1 only preemption lets that one
 *              run); CPU hogs (sanitized builds, which only preempt at
 *              runtime calls, yield in them now and then);
 *   timers     timer new/stop/reset/free (no value after stop), tickers,
 *              sleepers;
 *   abandon    the abandoned results channel (goc_chan_retain/release):
 *              the caller times out, late workers still send;
 *   spawn      bursts of short goroutines.
 *
 * SOAK_SKIP=name,name... leaves workloads out (to bisect a failure; e.g.
 * SOAK_SKIP=preempt with GOC_DEBUG=asyncpreemptoff=1).
 *
 * Checked between epochs: the invariants above; the goroutine count back to
 * 2 (main and the acceptor); the open fd count back to its value after
 * the warm-up; RSS no more than
 * rss_slack_kb() above its value after the warm-up (a quarter of the run).  A
 * watchdog thread (not a goroutine) sends SIGQUIT (goroutine dump, exit 2)
 * if an epoch does not end in time.  Exit 0 and "soak: OK" when all held.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/nettest.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#if defined(__SANITIZE_ADDRESS__)
/* ASan's own quarantine (256 MiB by default) would read as RSS growth. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16"; }
#endif

enum {
    EPOCH_MAX_S = 5,
    MS = 1000000,
    ECHO_CLIENTS = 6,
    ECHO_MAX = 32 << 10,
    HANG_SLACK_S = 60,          /* an epoch past its end by this is a hang */
};

/* RSS growth allowed between the warm-up and the end: allocator and stack
 * caches settle by then, so a leak of a few hundred bytes per operation
 * shows (an epoch makes ~10^5 channel operations and ~10^3 connections).
 * ASan adds its (capped) quarantine and shadow.  TSan's own shadow, sync
 * objects and per-fiber traces keep growing for minutes before they level
 * off (+70% in the first 30 s, measured), so under TSan only a doubling
 * fails; the plain and ASan runs (and LSan) are the leak checks. */
#if defined(__SANITIZE_THREAD__)
#define TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_BUILD 1
#endif
#endif
#ifndef TSAN_BUILD
#define TSAN_BUILD 0
#endif

static long rss_slack_kb(long base)
{
    if (TSAN_BUILD)
        return base;
    return SANITIZED ? 64 * 1024 : 8 * 1024;
}

static _Atomic bool stop;           /* the current epoch is ending */
static _Atomic long failures;
static goc_wg epoch_wg;             /* every workload goroutine of an epoch */

#define FAIL(...) do {                                          \
        fprintf(stderr, "soak: FAIL: " __VA_ARGS__);            \
        fputc('\n', stderr);                                    \
        atomic_fetch_add(&failures, 1);                         \
    } while (0)

static bool running(void) { return !atomic_load_explicit(&stop, memory_order_relaxed); }

static uint64_t rnd(uint64_t *s)    /* xorshift64 */
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void go(void (*fn)(void *), void *arg)
{
    goc_wg_add(&epoch_wg, 1);
    if (goc_go(fn, arg) != 0) {
        FAIL("goc_go failed");
        goc_wg_done(&epoch_wg);
    }
}

/* ------------------------------------------------------------ pipeline */

static goc_chan *p_in, *p_out;
static _Atomic long p_sent, p_sum;  /* the producer's totals, set before close */
static _Atomic int p_relays;
static _Atomic long total_msgs;

static void producer(void *arg)
{
    (void)arg;
    long n = 0, sum = 0;
    for (long v = 1; running(); v++) {
        if (goc_chan_send(p_in, &v) != 0)
            FAIL("pipeline: send failed");
        n++;
        sum += v;
    }
    p_sent = n;
    p_sum = sum;
    goc_chan_close(p_in);
    goc_wg_done(&epoch_wg);
}

static void relay(void *arg)
{
    (void)arg;
    long v;
    while (goc_chan_recv(p_in, &v) == 0)
        if (goc_chan_send(p_out, &v) != 0)
            FAIL("pipeline: relay send failed");
    if (atomic_fetch_sub(&p_relays, 1) == 1)
        goc_chan_close(p_out);
    goc_wg_done(&epoch_wg);
}

static void consumer(void *arg)
{
    (void)arg;
    long v, n = 0, sum = 0;
    while (goc_chan_recv(p_out, &v) == 0) {
        n++;
        sum += v;
    }
    /* the close chain orders the producer's totals before this */
    if (n != atomic_load(&p_sent) || sum != atomic_load(&p_sum))
        FAIL("pipeline: got %ld values (sum %ld), sent %ld (sum %ld)", n, sum,
             atomic_load(&p_sent), atomic_load(&p_sum));
    atomic_fetch_add(&total_msgs, n);
    goc_chan_free(p_in);
    goc_chan_free(p_out);
    goc_wg_done(&epoch_wg);
}

static void pipeline_start(void)
{
    p_in = goc_chan_make(sizeof(long), 0);
    p_out = goc_chan_make(sizeof(long), 16);
    atomic_store(&p_relays, 3);
    go(producer, NULL);
    for (int i = 0; i < 3; i++)
        go(relay, NULL);
    go(consumer, NULL);
}

/* -------------------------------------------------------------- fan-in */

static goc_chan *f_ch[4];
static _Atomic long f_sent;

static void f_sender(void *arg)
{
    long i = (long)arg, n = 0;
    while (running()) {
        if (goc_chan_send(f_ch[i], &n) != 0)
            FAIL("fan-in: send failed");
        n++;
    }
    atomic_fetch_add(&f_sent, n);
    goc_chan_close(f_ch[i]);
    goc_wg_done(&epoch_wg);
}

static void f_selector(void *arg)
{
    (void)arg;
    goc_timer *tick = goc_timer_new(MS, MS);
    goc_case cs[5];
    long v, got = 0, ticks = 0;
    int64_t when;
    for (int i = 0; i < 4; i++)
        cs[i] = (goc_case){ .chan = f_ch[i], .op = GOC_RECV, .elem = &v };
    cs[4] = (goc_case){ .chan = goc_timer_chan(tick), .op = GOC_RECV, .elem = &when };
    for (int open = 4; open > 0;) {
        /* Every other round tries without blocking first (both paths of
         * goc_select), then blocks: never a busy poll. */
        int k = (got & 1) ? goc_select(cs, 5, 0) : -EAGAIN;
        if (k == -EAGAIN)
            k = goc_select(cs, 5, 1);
        if (k < 0 || k > 4) {
            FAIL("fan-in: select returned %d", k);
            break;
        }
        if (k == 4) {
            ticks++;
        } else if (cs[k].result == 0) {
            got++;
        } else {
            cs[k].chan = NULL;      /* closed: never proceeds again */
            open--;
        }
    }
    goc_timer_free(tick);
    if (got != atomic_load(&f_sent))
        FAIL("fan-in: received %ld, sent %ld", got, atomic_load(&f_sent));
    atomic_fetch_add(&total_msgs, got);
    for (int i = 0; i < 4; i++)
        goc_chan_free(f_ch[i]);
    goc_wg_done(&epoch_wg);
}

static void fanin_start(void)
{
    static const size_t caps[4] = { 0, 1, 4, 8 };
    atomic_store(&f_sent, 0);
    for (int i = 0; i < 4; i++)
        f_ch[i] = goc_chan_make(sizeof(long), caps[i]);
    for (long i = 0; i < 4; i++)
        go(f_sender, (void *)i);
    go(f_selector, NULL);
}

/* --------------------------------------------------------------- mutex */

static goc_mutex m_mu;
static long m_counter;              /* under m_mu */
static _Atomic long m_expect;
static goc_rwmutex m_rw;
static long m_a, m_b;               /* under m_rw: always equal outside it */

static void m_incr(void *arg)
{
    (void)arg;
    long mine = 0;
    for (long i = 0; running(); i++) {
        goc_mutex_lock(&m_mu);
        m_counter++;
        goc_mutex_unlock(&m_mu);
        mine++;
        if (i % 128 == 0)
            goc_yield();
    }
    atomic_fetch_add(&m_expect, mine);
    goc_wg_done(&epoch_wg);
}

static void m_writer(void *arg)
{
    (void)arg;
    while (running()) {
        goc_rwmutex_lock(&m_rw);
        m_a++;
        goc_yield();                /* readers must still not see a != b */
        m_b++;
        goc_rwmutex_unlock(&m_rw);
        goc_sleep(100 * 1000);
    }
    goc_wg_done(&epoch_wg);
}

static void m_reader(void *arg)
{
    (void)arg;
    while (running()) {
        goc_rwmutex_rlock(&m_rw);
        if (m_a != m_b)
            FAIL("rwmutex: reader saw %ld != %ld", m_a, m_b);
        goc_rwmutex_runlock(&m_rw);
        goc_yield();
    }
    goc_wg_done(&epoch_wg);
}

static void mutex_start(void)
{
    for (int i = 0; i < 4; i++)
        go(m_incr, NULL);
    go(m_writer, NULL);
    for (int i = 0; i < 3; i++)
        go(m_reader, NULL);
}

static void mutex_check(void)
{
    if (m_counter != atomic_load(&m_expect))
        FAIL("mutex: counter %ld, expected %ld", m_counter, atomic_load(&m_expect));
}

/* ---------------------------------------------------------------- echo */

static int e_lfd;
static char e_addr[64];
static _Atomic int e_active;        /* server connections open */
static _Atomic long e_bytes, e_conns;

static void e_conn(void *arg)
{
    int fd = (int)(long)arg;
    char *buf = malloc(16 << 10);
    ssize_t n;
    while ((n = goc_read(fd, buf, 16 << 10)) > 0)
        if (goc_write(fd, buf, (size_t)n) != n)
            break;
    free(buf);
    goc_close(fd);
    atomic_fetch_sub(&e_active, 1);
}

/* Lives across epochs; ends when the listener is closed. */
static void e_acceptor(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = goc_accept(e_lfd);
        if (fd == -EBADF)
            break;
        if (fd < 0) {
            FAIL("echo: accept: %d", fd);
            goc_sleep(MS);
            continue;
        }
        atomic_fetch_add(&e_active, 1);
        if (goc_go(e_conn, (void *)(long)fd) != 0) {
            FAIL("echo: goc_go");
            goc_close(fd);
            atomic_fetch_sub(&e_active, 1);
        }
    }
}

static void e_client(void *arg)
{
    uint64_t seed = (uint64_t)(long)arg * 0x9e3779b97f4a7c15ull + 1;
    unsigned char *out = malloc(ECHO_MAX), *in = malloc(ECHO_MAX);
    while (running()) {
        int fd = goc_dial(e_addr);
        if (fd < 0) {
            FAIL("echo: dial: %d", fd);
            goc_sleep(MS);
            continue;
        }
        int64_t dl = goc_now() + 20LL * 1000 * MS;   /* a hang bound, not a test */
        if (goc_set_deadline(fd, dl, dl) != 0)
            FAIL("echo: set_deadline");
        int msgs = 1 + (int)(rnd(&seed) % 8);
        for (int k = 0; k < msgs && running(); k++) {
            size_t len = 1 + rnd(&seed) % ECHO_MAX;
            unsigned char b = (unsigned char)rnd(&seed);
            for (size_t i = 0; i < len; i++)
                out[i] = (unsigned char)(b + i * 7);
            ssize_t w = goc_write(fd, out, len);
            if (w != (ssize_t)len) {
                FAIL("echo: write %zu: %zd", len, w);
                break;
            }
            size_t got = 0;
            while (got < len) {
                ssize_t r = goc_read(fd, in + got, len - got);
                if (r <= 0) {
                    FAIL("echo: read after %zu of %zu: %zd", got, len, r);
                    break;
                }
                got += (size_t)r;
            }
            if (got == len && memcmp(in, out, len) != 0)
                FAIL("echo: %zu bytes came back different", len);
            atomic_fetch_add(&e_bytes, (long)len);
        }
        goc_close(fd);
        atomic_fetch_add(&e_conns, 1);
    }
    free(out);
    free(in);
    goc_wg_done(&epoch_wg);
}

static void echo_start(void)
{
    for (long i = 0; i < ECHO_CLIENTS; i++)
        go(e_client, (void *)(i + 1));
}

/* ------------------------------------------------------------ maxprocs */

static int procs0;

static void procs_changer(void *arg)
{
    uint64_t seed = (uint64_t)(long)arg;
    while (running()) {
        goc_maxprocs(1 + (int)(rnd(&seed) % 4));
        goc_sleep(20 * MS);
    }
    goc_maxprocs(procs0);
    goc_wg_done(&epoch_wg);
}

/* ------------------------------------------------------------ syscalls */

static int s_pipe[2], s_plainpipe[2];
static _Atomic long s_fed;          /* the feeder's total, set before 'q' */
static bool s_plain;                /* the unannotated readers run (below) */

/* Reads its pipe to the 'q': inside goc_syscall_enter/exit (s_pipe), or
 * plainly, unannotated (s_plainpipe: at P=1 only sysmon taking the P of
 * the blocked thread lets the feeder run, sysmon.c blocked_retake). */
static void s_reader(void *arg)
{
    int *fds = arg;
    bool annotated = fds == s_pipe;
    long got = 0;
    for (;;) {
        char c;
        if (annotated)
            goc_syscall_enter();
        ssize_t n = read(fds[0], &c, 1);
        if (annotated)
            goc_syscall_exit();
        if (n != 1) {
            FAIL("syscalls: pipe read: %zd", n);
            break;
        }
        if (c == 'q')
            break;
        got++;
    }
    if (got != atomic_load(&s_fed))
        FAIL("syscalls: read %ld bytes, fed %ld (%s)", got, atomic_load(&s_fed),
             annotated ? "annotated" : "plain read");
    close(fds[0]);
    close(fds[1]);
    goc_wg_done(&epoch_wg);
}

static void s_feeder(void *arg)
{
    (void)arg;
    long n = 0;
    while (running()) {
        goc_sleep(200 * 1000);
        if (write(s_pipe[1], "x", 1) != 1 || (s_plain && write(s_plainpipe[1], "x", 1) != 1))
            FAIL("syscalls: pipe write");
        n++;
    }
    s_fed = n;
    if (write(s_pipe[1], "q", 1) != 1 || (s_plain && write(s_plainpipe[1], "q", 1) != 1))
        FAIL("syscalls: pipe write");
    goc_wg_done(&epoch_wg);
}

static void s_napper(void *arg)
{
    bool annotated = arg == NULL;
    while (running()) {
        if (annotated)
            goc_syscall_enter();
        usleep(2000);
        if (annotated)
            goc_syscall_exit();
    }
    goc_wg_done(&epoch_wg);
}

static void syscalls_start(void)
{
    if (pipe(s_pipe) != 0 || (s_plain && pipe(s_plainpipe) != 0)) {
        FAIL("pipe");
        return;
    }
    go(s_reader, s_pipe);
    go(s_feeder, NULL);
    go(s_napper, NULL);
    if (s_plain) {
        go(s_reader, s_plainpipe);
        go(s_napper, "plain");
    }
}

/* ------------------------------------------------------------- preempt */

static _Atomic long p_spins;

static void set_flag(void *arg)
{
    goc_sleep(100 * 1000);
    atomic_store_explicit((_Atomic bool *)arg, true, memory_order_relaxed);
    goc_wg_done(&epoch_wg);
}

static int64_t mono_ns(void)       /* libc, not the runtime */
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sanitized builds preempt only at runtime calls (preempt.c): there the
 * CPU-bound loops below make one now and then, or they would hold a P for
 * good; elsewhere they call nothing and rely on async preemption. */
static inline void coop_point(uint64_t i)
{
    if (SANITIZED && (i & 0xffff) == 0)
        goc_yield();
}

/* Spins, calling nothing, until set_flag ran: at P=1 it needs preemption. */
static void p_spinner(void *arg)
{
    (void)arg;
    static _Atomic bool flag;
    while (running()) {
        atomic_store(&flag, false);
        go(set_flag, &flag);
        int64_t start = mono_ns();
        volatile uint64_t x = 1;
        for (uint64_t i = 1; !atomic_load_explicit(&flag, memory_order_relaxed); i++) {
            x = x * 6364136223846793005ull + i;
            coop_point(i);
            if ((i & 0xfffff) == 0 && mono_ns() - start > 10LL * 1000 * MS) {
                FAIL("preempt: spun 10 s without the flag goroutine running");
                break;
            }
        }
        atomic_fetch_add(&p_spins, 1);
    }
    goc_wg_done(&epoch_wg);
}

/* CPU-bound chunks of ~5 ms with no runtime call. */
static void p_hog(void *arg)
{
    (void)arg;
    volatile double d = 1.0;
    while (running()) {
        int64_t end = mono_ns() + 5 * MS;
        while (mono_ns() < end)
            for (int i = 0; i < 1000; i++)
                d = d * 1.0000001 + 1e-9;
        coop_point(0);
    }
    goc_wg_done(&epoch_wg);
}

/* -------------------------------------------------------------- timers */

static _Atomic long t_fired;

static void t_churn(void *arg)
{
    uint64_t seed = (uint64_t)(long)arg;
    int64_t v;
    while (running()) {
        int64_t after = (int64_t)(rnd(&seed) % (2 * MS));
        int64_t made = goc_now();
        goc_timer *t = goc_timer_new(after, 0);
        if (t == NULL) {
            FAIL("timers: goc_timer_new");
            break;
        }
        goc_chan *c = goc_timer_chan(t);
        switch (rnd(&seed) % 4) {
        case 0:
            if (goc_chan_recv(c, &v) != 0 || v < made + after)
                FAIL("timers: fired at %lld, due %lld", (long long)v, (long long)(made + after));
            atomic_fetch_add(&t_fired, 1);
            break;
        case 1:
            goc_timer_stop(t);
            if (goc_chan_tryrecv(c, &v) != -EAGAIN)
                FAIL("timers: a value after stop");
            break;
        case 2:
            goc_timer_reset(t, (int64_t)(rnd(&seed) % MS));
            if (goc_chan_recv(c, &v) != 0)
                FAIL("timers: recv after reset");
            atomic_fetch_add(&t_fired, 1);
            break;
        default: {
            goc_timer *u = goc_timer_new((int64_t)(rnd(&seed) % (2 * MS)), 0);
            goc_case cs[] = {
                { .chan = c, .op = GOC_RECV, .elem = &v },
                { .chan = goc_timer_chan(u), .op = GOC_RECV, .elem = &v },
            };
            if (goc_select(cs, 2, 1) < 0)
                FAIL("timers: select");
            goc_timer_free(u);
            break;
        }
        }
        goc_timer_free(t);
    }
    goc_wg_done(&epoch_wg);
}

static void t_sleeper(void *arg)
{
    uint64_t seed = (uint64_t)(long)arg;
    while (running()) {
        int64_t d = (int64_t)(rnd(&seed) % (2 * MS));
        int64_t t0 = goc_now();
        goc_sleep(d);
        if (goc_now() - t0 < d)
            FAIL("timers: slept %lld ns of %lld", (long long)(goc_now() - t0), (long long)d);
    }
    goc_wg_done(&epoch_wg);
}

/* ------------------------------------------------------------- abandon */

static _Atomic long a_late;

static void a_worker(void *arg)
{
    goc_chan *results = arg;
    long v = (long)goc_id();
    goc_sleep((int64_t)(v % 3) * MS);
    if (goc_chan_send(results, &v) != 0)
        FAIL("abandon: send");
    goc_chan_release(results);
    goc_wg_done(&epoch_wg);
}

static void a_caller(void *arg)
{
    (void)arg;
    enum { W = 6 };
    while (running()) {
        goc_chan *results = goc_chan_make(sizeof(long), W);
        for (int i = 0; i < W; i++)
            go(a_worker, goc_chan_retain(results));
        goc_timer *t = goc_timer_new(MS, 0);
        int got = 0;
        long v;
        int64_t when;
        while (got < W) {
            goc_case cs[] = {
                { .chan = results, .op = GOC_RECV, .elem = &v },
                { .chan = goc_timer_chan(t), .op = GOC_RECV, .elem = &when },
            };
            if (goc_select(cs, 2, 1) == 1)
                break;
            got++;
        }
        goc_timer_free(t);
        atomic_fetch_add(&a_late, W - got);
        goc_chan_release(results);
    }
    goc_wg_done(&epoch_wg);
}

/* --------------------------------------------------------------- spawn */

static void nop(void *arg)
{
    goc_wg_done(arg);
}

static void spawner(void *arg)
{
    (void)arg;
    while (running()) {
        goc_wg wg = {0};
        goc_wg_add(&wg, 100);
        for (int i = 0; i < 100; i++)
            if (goc_go(nop, &wg) != 0) {
                FAIL("spawn: goc_go");
                goc_wg_done(&wg);
            }
        goc_wg_wait(&wg);
        goc_sleep(MS);
    }
    goc_wg_done(&epoch_wg);
}

/* -------------------------------------------------- resources, watchdog */

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = -1;
    fclose(f);
    return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int threads(void)
{
    char line[128];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static _Atomic int64_t epoch_due;   /* mono_ns by which the epoch must end */

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        sleep(1);
        int64_t due = atomic_load(&epoch_due);
        if (due != 0 && mono_ns() > due) {
            fprintf(stderr, "soak: FAIL: an epoch did not end %d s after its time: hang; "
                    "goroutine dump follows\n", HANG_SLACK_S);
            kill(getpid(), SIGQUIT);
            sleep(10);
            abort();
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- main */

static long seconds;
static int result = 1;

static bool on(const char *name)
{
    const char *skip = getenv("SOAK_SKIP");
    if (skip == NULL)
        return true;
    size_t n = strlen(name);
    for (const char *p = skip; (p = strstr(p, name)) != NULL; p += n)
        if ((p == skip || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return false;
    return true;
}

static void run_epoch(int e, int64_t len_ns)
{
    atomic_store(&stop, false);
    atomic_store(&epoch_due, mono_ns() + len_ns + HANG_SLACK_S * 1000LL * MS);
    if (on("pipeline"))
        pipeline_start();
    if (on("fanin"))
        fanin_start();
    if (on("mutex"))
        mutex_start();
    if (on("echo"))
        echo_start();
    if (on("maxprocs"))
        go(procs_changer, (void *)(long)(e + 1));
    if (on("syscalls"))
        syscalls_start();
    if (on("preempt")) {
        go(p_spinner, NULL);
        go(p_hog, NULL);
    }
    if (on("timers")) {
        for (long i = 0; i < 3; i++)
            go(t_churn, (void *)(long)(e * 16 + i + 1));
        for (long i = 0; i < 8; i++)
            go(t_sleeper, (void *)(long)(e * 16 + i + 1));
    }
    if (on("abandon"))
        go(a_caller, NULL);
    if (on("spawn"))
        go(spawner, NULL);
    goc_sleep(len_ns);
    atomic_store(&stop, true);
    goc_wg_wait(&epoch_wg);
    /* The server side closes once it reads each client's EOF. */
    for (int i = 0; i < 5000 && atomic_load(&e_active) > 0; i++)
        goc_sleep(MS);
    if (atomic_load(&e_active) != 0)
        FAIL("echo: %d server connections still open after the epoch", atomic_load(&e_active));
    /* Goroutines that called goc_wg_done are still exiting: let them. */
    for (int i = 0; i < 2000 && goc_num_goroutines() > 2; i++)
        goc_sleep(MS);
    if (goc_num_goroutines() != 2)
        FAIL("goroutines: %d after the epoch, want 2 (main, acceptor)", goc_num_goroutines());
    atomic_store(&epoch_due, 0);
    mutex_check();
}

static void main_g(void *arg)
{
    (void)arg;
    procs0 = goc_maxprocs(0);
    e_lfd = goc_listen("127.0.0.1:0", 128);
    CHECK(e_lfd >= 0);
    test_addr_of(e_lfd, e_addr, sizeof e_addr);
    CHECK(goc_go(e_acceptor, NULL) == 0);

    int64_t total = (int64_t)seconds * 1000 * MS;
    int64_t len = total / 4 < EPOCH_MAX_S * 1000LL * MS ? total / 4 : EPOCH_MAX_S * 1000LL * MS;
    if (len < 500 * MS)
        len = 500 * MS;
    int epochs = (int)((total + len - 1) / len);
    int warm = epochs / 4 > 0 ? epochs / 4 : 1;     /* baseline after this epoch */
    long base_rss = -1;
    int base_fds = -1;
    long max_rss = 0;
    printf("soak: %ld s, %d epochs of %lld ms, P=%d%s\n", seconds, epochs,
           (long long)(len / MS), procs0, SANITIZED ? ", sanitized" : "");
    fflush(stdout);
    for (int e = 0; e < epochs; e++) {
        run_epoch(e, len);
        long rss = rss_kb();
        int fds = open_fds(), gs = goc_num_goroutines();
        if (rss > max_rss)
            max_rss = rss;
        printf("soak: epoch %d/%d rss=%ld KiB fds=%d goroutines=%d threads=%d msgs=%ld "
               "echo=%ld conns/%ld KiB late=%ld spins=%ld timers=%ld fails=%ld\n",
               e + 1, epochs, rss, fds, gs, threads(),
               atomic_load(&total_msgs), atomic_load(&e_conns), atomic_load(&e_bytes) >> 10,
               atomic_load(&a_late), atomic_load(&p_spins), atomic_load(&t_fired),
               atomic_load(&failures));
        fflush(stdout);
        if (e + 1 == warm) {
            base_rss = rss;
            base_fds = fds;
        } else if (e + 1 > warm) {
            if (fds != base_fds)
                FAIL("fds: %d open after epoch %d, %d after the warm-up", fds, e + 1, base_fds);
        }
    }
    long end_rss = rss_kb();
    if (base_rss > 0 && end_rss > base_rss + rss_slack_kb(base_rss))
        FAIL("rss: %ld KiB at the end, %ld KiB after the warm-up (slack %ld KiB)", end_rss,
             base_rss, rss_slack_kb(base_rss));
    if ((on("pipeline") && atomic_load(&total_msgs) == 0) || (on("echo") && atomic_load(&e_conns) == 0) ||
        (on("preempt") && atomic_load(&p_spins) == 0))
        FAIL("a workload made no progress");
    goc_close(e_lfd);
    long f = atomic_load(&failures);
    printf("soak: %s: %ld failures; rss %ld KiB after the warm-up, %ld at the end (max %ld)\n",
           f ? "FAILED" : "OK", f, base_rss, end_rss, max_rss);
    fflush(stdout);
    result = f ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : getenv("SOAK_SECONDS");
    seconds = s && *s ? atol(s) : 60;
    if (seconds < 1) {
        fprintf(stderr, "usage: soak [SECONDS]  (or SOAK_SECONDS; default 60)\n");
        return 2;
    }
    long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    s_plain = q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
              !(getenv("GOC_DEBUG") && strstr(getenv("GOC_DEBUG"), "blockedretakeoff=1"));
    pthread_t wd;
    CHECK(pthread_create(&wd, NULL, watchdog, NULL) == 0);
    pthread_detach(wd);
    int r = goc_main(main_g, NULL);
    CHECK(r == 0);
    return result;
}
