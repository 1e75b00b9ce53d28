/*
 * waitfd.c — goc_wait_fd: park a goroutine until ANY fd (a pipe, an eventfd,
 * inotify, a library's socket, or one of goc's own) is ready, its deadline
 * passes, or goc_close closes it (Go's RawConn.Read/Write waiting, for fds
 * Go would wrap with os.NewFile).
 *
 * How.  A ready fd costs one poll(2) with a zero timeout.  Otherwise the
 * waiter dup()s the fd and registers the DUP with the poller's epoll
 * instance, level-triggered and one-shot, with a pollDesc of its own that is
 * not in the fd table (netpoll.c, goc__pd_waiter_*); it parks on that
 * pollDesc's rg with the deadline on its read timer.  The dup is why this is
 * safe for every fd:
 *   - epoll keys registrations by (fd number, open file), so a dup of a
 *     socket goc already registered (edge-triggered, for goc_read) can be
 *     registered again beside it;
 *   - the waiter deregisters and closes only its own dup, so a caller who
 *     close(2)s the original and gets the number reused never has someone
 *     else's registration removed.
 * Cost of a wait that parks: dup, epoll_ctl ADD and DEL, close (four system
 * calls).  Go avoids them for its own fds by waiting on the fd's pollDesc;
 * doing that here would serialise with goc_read (one G per direction).
 *
 * Close.  Waiters sit in a table of buckets keyed by the ORIGINAL fd number.
 * goc_close(fd) runs, under fd's bucket lock, first the wake of every waiter
 * on fd (they return -EBADF) and then the close itself; a waiter dups fd and
 * joins the bucket under the same lock.  So a wait either starts before the
 * close (and is woken by it) or after (dup fails: -EBADF, or goc's pollDesc
 * for fd is closing: -EBADF); none sleeps on a file that goc_close closed.
 * A close(2) that bypasses goc_close wakes nobody (the dup keeps the file
 * open): the waiter returns at readiness or its deadline only.
 *
 * Lock order: bucket lock > pd->lock > timers > sched.lock.  The bucket
 * lock is held across the close (goc_close's close(2)): bounded, since the
 * sockets and pipes here close without lingering.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "goc.h"
#include "net.h"

#define WF_BUCKETS 64   /* a power of two; waits are rare next to I/O */

typedef struct wf_waiter {
    struct wf_waiter *next;   /* bucket list (bucket lock) */
    int               fd;     /* the caller's fd */
    goc_pd           *pd;     /* registered for the dup */
} wf_waiter;

static struct {
    goc_lock   lock;          /* protects head and the waiters' links */
    wf_waiter *head;
} buckets[WF_BUCKETS];

static unsigned bucket_of(int fd)
{
    return (unsigned)fd & (WF_BUCKETS - 1);
}

static GOC_NOINLINE int sys_poll1(int fd, short events, short *revents)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    *revents = p.revents;
    return r < 0 ? -errno : r;
}

static GOC_NOINLINE int sys_dup(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return d < 0 ? -errno : d;
}

/* revents from poll(2) (or the poller's bits) as the GOC_WAIT_* bits asked
 * for: a hang-up or an error is readiness for both (the next I/O call
 * reports it). */
static int poll_bits(short rev, int want)
{
    int got = 0;
    if (rev & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))
        got |= GOC_WAIT_READ;
    if (rev & (POLLOUT | POLLHUP | POLLERR))
        got |= GOC_WAIT_WRITE;
    return got & want;
}

/* The fast path: ready bits, 0 (not ready) or -errno. */
static int probe(int fd, int events)
{
    short rev = 0;
    short ask = (short)(((events & GOC_WAIT_READ) ? POLLIN | POLLRDHUP : 0) |
                        ((events & GOC_WAIT_WRITE) ? POLLOUT : 0));
    int r = sys_poll1(fd, ask, &rev);
    if (r < 0)
        return r;
    if (rev & POLLNVAL)
        return -EBADF;
    return poll_bits(rev, events);
}

static void unlink_waiter(wf_waiter *w)
{
    unsigned b = bucket_of(w->fd);
    goc__lock(&buckets[b].lock);
    for (wf_waiter **pp = &buckets[b].head; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    goc__unlock(&buckets[b].lock);
}

/* Dup fd and join its bucket, unless goc_close got there first.  The dup's
 * fd or -errno. */
static int join(wf_waiter *w)
{
    unsigned b = bucket_of(w->fd);
    goc_pd *own;
    goc__lock(&buckets[b].lock);
    int err = goc__pd_get(w->fd, &own);
    if (err == 0)
        goc__pd_release(own);
    int d = err == -EBADF ? err : sys_dup(w->fd);
    if (d >= 0) {
        w->pd = goc__pd_waiter_new(d);
        if (w->pd == NULL) {
            close(d);
            d = -ENOMEM;
        } else {
            w->next = buckets[b].head;
            buckets[b].head = w;
        }
    }
    goc__unlock(&buckets[b].lock);
    return d;
}

/* Registered and parked: bits, -ETIMEDOUT or -EBADF. */
static int park(wf_waiter *w, int dup, int events, int64_t deadline)
{
    /* EPERM (a regular file: epoll refuses it) cannot happen: poll(2)
     * finds such a file always ready, so probe returned first. */
    int err = goc__np_os_open_once(dup, w->pd, events);
    if (err < 0)
        return err;
    if (deadline > 0)
        err = goc__pd_set_deadline(w->pd, deadline, 0);
    if (err == 0)
        err = goc__pd_wait(w->pd, 'r');
    goc__np_os_close(dup);
    if (err < 0)
        return err;
    /* Only the directions asked for were registered; a hang-up or error
     * reports both, so the masked result is never empty. */
    int bits = atomic_load(&w->pd->wfready);
    return (((bits & 1) ? GOC_WAIT_READ : 0) | ((bits & 2) ? GOC_WAIT_WRITE : 0)) &
           events;
}

int goc_wait_fd(int fd, int events, int64_t deadline)
{
    if (events == 0 || (events & ~(GOC_WAIT_READ | GOC_WAIT_WRITE)) != 0)
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    int r = probe(fd, events);
    if (r != 0)
        return r;
    if (deadline < 0 || (deadline > 0 && goc_now() >= deadline))
        return -ETIMEDOUT;
    goc__netpoll_init();
    wf_waiter w = { .fd = fd };
    int dup = join(&w);
    if (dup < 0)
        return dup;
    r = park(&w, dup, events, deadline);
    unlink_waiter(&w);
    close(dup);
    goc__pd_waiter_free(w.pd);
    return r;
}

int goc__waitfd_close(int fd, int (*close_fn)(int fd))
{
    if (fd < 0)
        return close_fn(fd);
    unsigned b = bucket_of(fd);
    goc__lock(&buckets[b].lock);
    for (wf_waiter *w = buckets[b].head; w; w = w->next)
        if (w->fd == fd)
            goc__pd_waiter_wake(w->pd);
    int r = close_fn(fd);
    goc__unlock(&buckets[b].lock);
    return r;
}
