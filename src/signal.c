/*
 * signal.c — goc_signal_notify / goc_signal_stop: Go's os/signal.Notify and
 * Stop.  A signal's arrival becomes an int sent on the channels that asked
 * for it.
 *
 * How (Go's sigsend / signal_recv, with a pipe where Go has a note):
 *   - the handler, on any thread and at any moment, only sets the signal's
 *     bit in `pending` and writes 1 to an eventfd (both async-signal-safe;
 *     errno kept).  It runs on the alternate stack where the thread has one
 *     (every M does), never on a goroutine's stack near its guard;
 *   - one goroutine, started by the first goc_signal_notify, reads the
 *     eventfd (goc_read, parked), then takes the pending bits and sends each
 *     signal number to every channel registered for it with a non-blocking
 *     send (a full channel misses that arrival, as in Go).
 * Standard signals coalesce in the kernel: two arrivals before the handler
 * runs are one, as in Go.
 *
 * Stop.  The relay sends under `mu`, and goc_signal_stop removes a channel
 * under `mu`: once stop returns, the channel gets nothing more.  When the
 * last channel of a signal goes, the signal's disposition from before the
 * first notify is put back (the program's handler, default or ignore;
 * SIGQUIT's goroutine dump).
 *
 * The relay goroutine lives for the rest of the process once started (as
 * Go's signal loop): it is one more goroutine in goc_num_goroutines and in
 * dumps, and, waiting on the poller, it means "all goroutines are asleep"
 * is not reported from then on (a signal may still come: a program blocked
 * in a receive on its signal channel is waiting, not deadlocked).
 *
 * Lock order: mu (a goc_mutex) > a channel's lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "runtime.h"
#include "chan.h"
#include "netpoll.h"

#define NSIGS 65                         /* 1..64: standard and real-time */
#define NWORDS ((NSIGS + 63) / 64)

struct sigreg {
    goc_chan       **chans;              /* registered channels */
    int              n, cap;
    struct sigaction old;                /* disposition before the first */
};

static goc_mutex        mu;              /* regs, started, wakefd */
static struct sigreg    regs[NSIGS];
static bool             started;
static _Atomic int      wakefd = -1;
static _Atomic uint64_t pending[NWORDS];

static void on_signal(int sig)
{
    int e = errno;
    if (sig > 0 && sig < NSIGS) {
        atomic_fetch_or(&pending[sig / 64], UINT64_C(1) << (sig % 64));
        uint64_t one = 1;
        ssize_t r = write(atomic_load_explicit(&wakefd, memory_order_relaxed), &one, sizeof one);
        (void)r;   /* EAGAIN: the counter is full, a wake-up is pending */
    }
    errno = e;
}

/* The signals the runtime keeps: faults it must see (stack overflow), the
 * preemption signal, and the two no process can catch. */
static bool reserved(int sig)
{
    switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
    case SIGURG: case SIGKILL: case SIGSTOP:
        return true;
    default:
        return false;
    }
}

static void deliver(int sig)
{
    goc_mutex_lock(&mu);
    struct sigreg *r = &regs[sig];
    for (int i = 0; i < r->n; i++)
        (void)goc_chan_trysend(r->chans[i], &sig);
    goc_mutex_unlock(&mu);
}

static void relay(void *arg)
{
    (void)arg;
    int fd = atomic_load(&wakefd);
    for (;;) {
        /* Parks until a handler has written; the read resets the count. */
        uint64_t v;
        if (goc_read(fd, &v, sizeof v) < 0)
            goc_sleep(10 * GOC_MILLISECOND);   /* cannot happen: no spin */
        for (int k = 0; k < NWORDS; k++) {
            uint64_t bits = atomic_exchange(&pending[k], 0);
            while (bits != 0) {
                int b = __builtin_ctzll(bits);
                bits &= bits - 1;
                deliver(k * 64 + b);
            }
        }
    }
}

/* The eventfd, registered with the poller as goc's sockets are (a wait
 * on it takes no fd: goc_wait_fd would dup it at every wait, and a dup
 * made at any moment may take a number the program just closed), and the
 * relay goroutine, once.  mu held. */
static int start(void)
{
    if (started)
        return 0;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    int err = goc__pd_open(fd, NULL);
    if (err < 0) {
        close(fd);
        return err;
    }
    atomic_store(&wakefd, fd);
    err = goc_go(relay, NULL);
    if (err < 0) {
        atomic_store(&wakefd, -1);
        goc_close(fd);
        return err;
    }
    started = true;
    return 0;
}

int goc_signal_notify(goc_chan *c, int sig)
{
    if (c == NULL || c->elemsize != sizeof(int) || sig <= 0 || sig >= NSIGS ||
        reserved(sig))
        return -EINVAL;
    if (!goc__main_started())
        return -EAGAIN;
    goc_mutex_lock(&mu);
    int err = start();
    struct sigreg *r = &regs[sig];
    for (int i = 0; err == 0 && i < r->n; i++)
        if (r->chans[i] == c)
            goto out;                    /* already: one send per arrival */
    if (err == 0 && r->n == r->cap) {
        int ncap = r->cap ? 2 * r->cap : 4;
        goc_chan **nc = realloc(r->chans, (size_t)ncap * sizeof *nc);
        if (nc == NULL)
            err = -ENOMEM;
        else {
            r->chans = nc;
            r->cap = ncap;
        }
    }
    if (err == 0 && r->n == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sig, &sa, &r->old) != 0)
            err = -errno;
    }
    if (err == 0)
        r->chans[r->n++] = c;
out:
    goc_mutex_unlock(&mu);
    return err;
}

int goc_signal_stop(goc_chan *c)
{
    if (c == NULL)
        return -EINVAL;
    int found = 0;
    goc_mutex_lock(&mu);
    for (int sig = 1; sig < NSIGS; sig++) {
        struct sigreg *r = &regs[sig];
        for (int i = 0; i < r->n; i++) {
            if (r->chans[i] != c)
                continue;
            r->chans[i] = r->chans[--r->n];
            found = 1;
            if (r->n == 0)
                sigaction(sig, &r->old, NULL);
            break;
        }
    }
    goc_mutex_unlock(&mu);
    return found ? 0 : -ENOENT;
}
