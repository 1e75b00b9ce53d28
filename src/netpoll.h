/*
 * netpoll.h — poll descriptors (Go's pollDesc) and the contract between the
 * OS-independent poller (netpoll.c) and one OS layer per mechanism
 * (netpoll_epoll.c).  Not installed.
 *
 * pollDesc memory is never freed: descriptors are reused through a free
 * list, and fdseq (bumped at every reuse) tags each OS registration so that
 * an event for an old fd never wakes the user of a new one.
 *
 * rg / wg are binary semaphores (Go's netpoll.go):
 *   PD_NIL    nothing pending;
 *   PD_READY  an I/O readiness notification is pending;
 *   PD_WAIT   a G is about to park (it has not committed yet);
 *   a G*      that G is parked, waiting for readiness.
 * Transitions: the waiter does NIL->WAIT->G (commit on g0) and swaps back to
 * NIL when it resumes; the poller, a deadline or a close swaps the value to
 * READY (I/O) or NIL (timeout, close) and readies the G it found.
 */
#ifndef GOC_NETPOLL_H
#define GOC_NETPOLL_H

#include "runtime.h"
#include "timer.h"

#include <sys/socket.h>

#define PD_NIL   ((uintptr_t)0)
#define PD_READY ((uintptr_t)1)
#define PD_WAIT  ((uintptr_t)2)

typedef struct goc_pd {
    struct goc_pd    *link;     /* free list (pd_free lock) */
    int               fd;       /* fd while open (set under pd_free lock) */
    _Atomic uint32_t  fdseq;    /* bumped at each open: tags OS events */
    /* ref: bit 31 closed, bits 0..30 callers inside an operation; the last
     * release after close closes the OS fd (Go's fdMutex, simplified). */
    _Atomic uint32_t  ref;
    _Atomic uintptr_t rg, wg;   /* PD_* or a parked G */
    goc_lock          lock;     /* protects rd/wd writes, rseq, wseq,
                                   the timers' arming */
    _Atomic bool      closing;  /* read unlocked by checkerr */
    _Atomic bool      everr;    /* EPOLLERR seen */
    _Atomic bool      rdhup;    /* peer shut down / hang-up seen: EOF stays
                                   readable without new edges */
    _Atomic int64_t   rd, wd;   /* deadlines: 0 none, -1 expired */
    uintptr_t         rseq, wseq; /* bumped to invalidate armed timers */
    goc_timer_rt      rt, wt;   /* deadline timers */
    /* One reader (read, accept) and one writer (write, connect) at a time,
     * as Go's fdMutex: the rg/wg semaphores hold one parked G each. */
    goc_mutex         rmu, wmu;
    /* The last read was short, so the socket was empty then and any later
     * data raises a fresh edge (rg = PD_READY): goc_read may park without
     * first paying a read(2) that returns EAGAIN.  Not after a hang-up
     * (EOF and errors raise no further edges).  Protected by rmu. */
    bool              rdrained;
    /* A datagram socket (net_udp.c): a short read says nothing about
     * what is queued, so rdrained is never set.  Set once after open,
     * before the fd is returned to the program. */
    bool              dgram;
    /* A goc_wait_fd waiter (waitfd.c), not in the fd table: every report
     * wakes the G parked on rg, and wfready collects what was reported
     * (GOC_WAIT_READ / GOC_WAIT_WRITE bits).  Set before registration,
     * cleared when the pollDesc goes back to the free list. */
    _Atomic bool      waitfd;
    _Atomic int       wfready;
    /* io_uring mode (netpoll_uring.c): rop / wop, the tagged user_data of
     * the read-side (RECV, ACCEPT) / write-side op in flight, 0 if none
     * (set and read under the ring's sq_lock, cleared by its G); osreg:
     * the fd's epoll registration reports edges (with the ring an fd is
     * registered quietly, and reports only once something first waits
     * for an edge on it: goc__np_os_arm); noring: not a socket (RECV said
     * ENOTSOCK), readiness only. */
    _Atomic uint64_t  rop, wop;
    _Atomic bool      osreg;
    _Atomic bool      noring;
} goc_pd;

/* An io_uring operation, in its goroutine's frame while in flight. */
typedef struct goc_uring_op {
    _Atomic uintptr_t w;      /* PD_WAIT, the parked G, then PD_READY */
    int32_t           res;    /* the completion's result */
    uint64_t          ud;     /* tagged user_data */
} goc_uring_op;

/* ---------------------------------------------------- OS layer contract
 * netpoll_<os>.c provides these; all but poll may run on any thread. */
int  goc__np_os_init(void);                    /* 0 or -errno */
int  goc__np_os_open(int fd, goc_pd *pd);      /* register once, edge-trig. */
void goc__np_os_close(int fd);                 /* deregister */
/* io_uring mode: registered but reporting nothing, then in full. */
int  goc__np_os_open_quiet(int fd, goc_pd *pd);
int  goc__np_os_open_full(int fd, goc_pd *pd);
/* Register fd for ONE report (level-triggered: an fd ready now reports at
 * the next poll) of read (bit 1) and/or write (bit 2) readiness. */
int  goc__np_os_open_once(int fd, goc_pd *pd, int bits);
/* Wait up to delay ns (<0 forever, 0 poll); readiness goes through
 * goc__np_ready, which pushes Gs on *list. */
void goc__np_os_poll(int64_t delay, G **list);
void goc__np_os_break(void);

/* netpoll.c: pd reports readiness for 'r', 'w' or both ('r'+'w'). */
void goc__np_ready(G **list, goc_pd *pd, int mode);
/* netpoll.c: a readied G onto the poller's list (a foreign thread's
 * stand-in is woken at once); the count of Gs parked on the poller. */
void goc__np_push_ready(G **list, G *gp);
void goc__np_waiters_add(int32_t d);

/* ------------------------------------------- netpoll_uring.c (io_uring)
 * goc__uring_on is set once, at init, when the ring is used.  The epoll
 * layer then registers fds quietly (goc__np_os_arm gives them their
 * events when something waits for an edge), polls through
 * goc__uring_poll and breaks through goc__uring_break. */
extern bool goc__uring_on;
int     goc__uring_init(void);                 /* 0 or -errno */
void    goc__uring_poll(int64_t delay, G **list);
void    goc__uring_break(void);
bool    goc__uring_flush(void);                /* submit what is queued */
enum { GOC_URING_RECV, GOC_URING_SEND, GOC_URING_SENDMSG, GOC_URING_ACCEPT,
       GOC_URING_CONNECT };
ssize_t goc__uring_io(goc_pd *pd, int kind, int fd, void *p, size_t n);
void    goc__uring_cancel(goc_pd *pd, int mode);
/* netpoll_epoll.c, for the ring: the epoll fd, and every edge it holds now
 * onto list (epoll_wait with no wait, until empty). */
int     goc__epoll_fd(void);
void    goc__epoll_drain(G **list);
/* netpoll.c: before waiting for an edge, give pd's quiet registration its
 * events if it has none yet: 0 or -errno. */
int     goc__np_os_arm(goc_pd *pd);

/* -------------------------------------------- netpoll.c, for net.c
 * goc__pd_open registers fd (made non-blocking by the caller): 0 or -errno.
 * goc__pd_acquire / release bracket every call using fd (NULL: fd is not
 * registered or is closing).  goc__pd_close closes fd (or just close(2)s an
 * unregistered one); Gs parked on it return -EBADF.  mode is 'r' or 'w'. */
int     goc__pd_open(int fd, goc_pd **out);
/* 0 and *out, -EBADF (closing or closed), or -ENOENT (not registered). */
int     goc__pd_get(int fd, goc_pd **out);
goc_pd *goc__pd_acquire(int fd);
/* One more reference to a pollDesc already known (goc_conn): 0, or -EBADF
 * if it is closing or was reopened since its fdseq was seq. */
int     goc__pd_ref(goc_pd *pd, uint32_t seq);
void    goc__pd_release(goc_pd *pd);
int     goc__pd_close(int fd);
int     goc__pd_checkerr(goc_pd *pd, int mode);   /* 0, -EBADF, -ETIMEDOUT */
int     goc__pd_prepare(goc_pd *pd, int mode);    /* before an I/O attempt */
int     goc__pd_wait(goc_pd *pd, int mode);       /* park until ready */
int     goc__pd_set_deadline(goc_pd *pd, int64_t rd, int64_t wd);
/* waitfd.c's pollDescs: a fresh one outside the fd table (fdseq bumped so
 * stale events miss it), wake (as a close: its G returns -EBADF), and back
 * to the free list once deregistered. */
goc_pd *goc__pd_waiter_new(int fd);
void    goc__pd_waiter_wake(goc_pd *pd);
void    goc__pd_waiter_free(goc_pd *pd);

#endif /* GOC_NETPOLL_H */
