/*
 * netpoll_epoll.c — the poller's OS layer on Linux epoll (Go's
 * netpoll_epoll.go).
 *
 * Each fd is registered once, edge-triggered, for both directions
 * (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET) and never re-armed: an edge sets the
 * pollDesc's rg/wg to PD_READY when nobody waits, so no edge is lost.  The
 * event's data carries the pollDesc pointer tagged with the low 16 bits of
 * its fdseq in the top 16 bits (user addresses fit in 48 bits): an event for
 * a closed fd whose pollDesc was reused is recognised and ignored.
 *
 * With io_uring on (netpoll_uring.c), the ring waits instead: it polls the
 * epoll fd and calls goc__epoll_drain when it is readable, and fds are
 * added quietly (no events) and given their events only when something
 * waits for an edge (goc__np_os_arm).
 *
 * An eventfd, registered level-triggered with data 0, breaks a blocked
 * epoll_wait (goc__np_os_break).  breaking deduplicates the writes (Go's
 * netpollWakeSig): only a blocking poll reads the eventfd back and clears it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "netpoll.h"

#define TAG_SHIFT 48
#define PTR_MASK  ((UINT64_C(1) << TAG_SHIFT) - 1)
#define NEVENTS   128   /* Go's events[128] */

static int epfd = -1;
static int breakfd = -1;
static _Atomic uint32_t breaking;   /* 1: a break is written and unread */

int goc__np_os_init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return -errno;
    breakfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (breakfd < 0)
        goto close_ep;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, breakfd, &ev) < 0)
        goto close_break;
    /* The ring: by default where the kernel has what it needs. */
    if (goc__debug.netpoll != GOC_NETPOLL_EPOLL) {
        int err = goc__uring_init();
        if (err < 0 && goc__debug.netpoll == GOC_NETPOLL_URING)
            fprintf(stderr, "goc: GOC_DEBUG=netpoll=uring: io_uring is not "
                    "usable here (%s); using epoll\n", strerror(-err));
    }
    return 0;
close_break:
    close(breakfd);
    breakfd = -1;
close_ep: {
        int err = errno;
        close(epfd);
        epfd = -1;
        return -err;
    }
}

/* EPOLL_CTL_ADD / MOD of fd for pd with events, the data tagged with
 * pd's fdseq: 0 or -errno. */
static int ctl(int op, int fd, goc_pd *pd, uint32_t events)
{
    uint64_t tag = atomic_load(&pd->fdseq) & 0xffff;
    struct epoll_event ev = {
        .events = events,
        .data.u64 = (tag << TAG_SHIFT) | ((uint64_t)(uintptr_t)pd & PTR_MASK),
    };
    return epoll_ctl(epfd, op, fd, &ev) < 0 ? -errno : 0;
}

#define FULL_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

int goc__np_os_open(int fd, goc_pd *pd)
{
    return ctl(EPOLL_CTL_ADD, fd, pd, FULL_EVENTS);
}

/* io_uring mode: in epoll, so a second registration of the same file
 * still fails with EEXIST (goc_net_adopt relies on it), but reporting
 * nothing (no event bits, so not even EPOLLHUP) until
 * goc__np_os_open_full. */
int goc__np_os_open_quiet(int fd, goc_pd *pd)
{
    return ctl(EPOLL_CTL_ADD, fd, pd, EPOLLET | EPOLLONESHOT);
}

/* The quiet registration made a full one (goc__np_os_open's events): an fd
 * ready now reports at once (EPOLL_CTL_MOD checks, as ADD does). */
int goc__np_os_open_full(int fd, goc_pd *pd)
{
    return ctl(EPOLL_CTL_MOD, fd, pd, FULL_EVENTS);
}

int goc__np_os_open_once(int fd, goc_pd *pd, int bits)
{
    return ctl(EPOLL_CTL_ADD, fd, pd,
               EPOLLONESHOT | ((bits & 1) ? EPOLLIN | EPOLLRDHUP : 0) |
               ((bits & 2) ? EPOLLOUT : 0));
}

void goc__np_os_close(int fd)
{
    struct epoll_event ev = {0};
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

void goc__np_os_break(void)
{
    if (goc__uring_on) {
        goc__uring_break();
        return;
    }
    uint32_t zero = 0;
    if (!atomic_compare_exchange_strong(&breaking, &zero, 1))
        return;
    uint64_t one = 1;
    for (;;) {
        ssize_t n = write(breakfd, &one, sizeof one);
        if (n == (ssize_t)sizeof one || errno == EAGAIN)
            return;       /* EAGAIN: the counter is full, a wake-up waits */
        if (errno != EINTR)
            goc__fatal("netpoll: eventfd write failed");
    }
}

/* epoll_wait's timeout in ms, rounded up so a wait is never short:
 * a timer must not be found not yet due (that would cost another round). */
static int delay_ms(int64_t delay)
{
    if (delay < 0)
        return -1;
    if (delay == 0)
        return 0;
    if (delay >= INT64_C(1000000000) * 1000000)   /* Go caps at 1e9 ms */
        return 1000000000;
    return (int)((delay + 999999) / 1000000);
}

#ifdef SYS_epoll_pwait2
static _Atomic bool no_pwait2;   /* kernel < 5.11 or a seccomp filter */
#endif

/* A timed wait uses epoll_pwait2's nanosecond timeout where the kernel has
 * it, so a timer is neither found early nor slept past by up to a
 * millisecond; epoll_wait's millisecond timeout otherwise. */
static int wait_events(struct epoll_event *ev, int64_t delay)
{
#ifdef SYS_epoll_pwait2
    if (delay > 0 && !atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts = { .tv_sec = delay / 1000000000,
                               .tv_nsec = delay % 1000000000 };
        int n = (int)syscall(SYS_epoll_pwait2, epfd, ev, NEVENTS, &ts, NULL, 0);
        if (n >= 0 || (errno != ENOSYS && errno != EPERM))
            return n;
        atomic_store(&no_pwait2, true);
    }
#endif
    return epoll_wait(epfd, ev, NEVENTS, delay_ms(delay));
}

/* Hand n events to the poller; delay != 0: a blocking poll, which alone
 * consumes the break eventfd. */
static void dispatch(struct epoll_event *events, int n, int64_t delay, G **list)
{
    for (int i = 0; i < n; i++) {
        struct epoll_event *ev = &events[i];
        if (ev->events == 0)
            continue;
        if (ev->data.u64 == 0) {
            /* The break fd: only a blocking poll consumes it. */
            if (delay != 0) {
                uint64_t v;
                while (read(breakfd, &v, sizeof v) < 0 && errno == EINTR)
                    ;
                atomic_store(&breaking, 0);
            }
            continue;
        }
        int mode = 0;
        if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            mode += 'r';
        if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            mode += 'w';
        if (mode == 0)
            continue;
        goc_pd *pd = (goc_pd *)(uintptr_t)(ev->data.u64 & PTR_MASK);
        uint32_t tag = (uint32_t)(ev->data.u64 >> TAG_SHIFT);
        if ((atomic_load(&pd->fdseq) & 0xffff) != tag)
            continue;   /* stale: the fd was closed and its pd reused */
        if (ev->events & EPOLLERR)
            atomic_store(&pd->everr, true);
        if (ev->events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            atomic_store(&pd->rdhup, true);
        goc__np_ready(list, pd, mode);
    }
}

void goc__np_os_poll(int64_t delay, G **list)
{
    struct epoll_event events[NEVENTS];
    if (epfd < 0)
        return;
    if (goc__uring_on) {
        goc__uring_poll(delay, list);
        return;
    }
    int n = wait_events(events, delay);
    if (n < 0)
        return;   /* EINTR: the caller recomputes its delay */
    dispatch(events, n, delay, list);
}

int goc__epoll_fd(void)
{
    return epfd;
}

void goc__epoll_drain(G **list)
{
    struct epoll_event events[NEVENTS];
    int n;
    do {
        n = epoll_wait(epfd, events, NEVENTS, 0);
        if (n > 0)
            dispatch(events, n, 0, list);
    } while (n == NEVENTS || (n < 0 && errno == EINTR));
}
