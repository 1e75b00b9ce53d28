/*
 * dial.c — goc_dial, goc_dial_timeout, goc_dial_ctx (Go's net.Dialer).
 *
 * A dial resolves the address, then tries each resolved address in turn
 * with a non-blocking connect, parking on the fd's write readiness.  The
 * bound on the whole dial is the fd's write deadline (the pollDesc's timer),
 * set on each attempt's fd before its connect and cleared before the fd is
 * returned, so a timed-out dial costs no timer of its own and no goroutine.
 *
 * A context's cancellation has no timer to ride on: a watcher goroutine
 * (Go's Dialer spawns the same) selects on the context's done channel and a
 * stop channel, and on cancellation expires the write deadline of the fd
 * being tried.  Invariant: the watcher touches an fd only under w->mu while
 * w->fd names it, and the dialer clears w->fd (under w->mu) before it
 * closes or returns that fd, then waits for the watcher to exit, so the
 * watcher never sets a deadline on a closed or reused fd number.
 *
 * Name resolution is not interruptible (getaddrinfo blocks its thread); the
 * deadline and the context are checked once it returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "goc.h"
#include "net.h"

/* The watcher's shared state (dial_ctx).  mu protects fd and cancelled. */
typedef struct dial_watch {
    goc_ctx  *ctx;
    goc_chan *stop;      /* closed by the dialer when it is done */
    goc_wg    exited;
    goc_mutex mu;
    int       fd;        /* the attempt in flight, -1 between attempts */
    bool      cancelled; /* the watcher saw ctx done */
} dial_watch;

static GOC_NOINLINE int sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    int r;
    do
        r = connect(fd, sa, len);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

/* After a connect became writable: 0, -error, or -EINPROGRESS (not yet). */
static GOC_NOINLINE int sys_connect_result(int fd)
{
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        return -errno;
    if (soerr)
        return -soerr;
    struct sockaddr_storage ss;
    socklen_t pl = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &pl) < 0 && errno == ENOTCONN)
        return -EINPROGRESS;   /* woken early: wait again */
    return 0;
}

/* Publish (or clear, fd -1) the attempt in flight; false if the watcher
 * has already seen the context cancelled. */
static bool watch_set(dial_watch *w, int fd)
{
    if (w == NULL)
        return true;
    goc_mutex_lock(&w->mu);
    w->fd = fd;
    bool ok = !w->cancelled;
    goc_mutex_unlock(&w->mu);
    return ok;
}

/* One attempt: the connected fd or -errno.  deadline 0: none. */
static int connect_one(int family, int socktype, const struct sockaddr *sa,
                       socklen_t len, int64_t deadline, dial_watch *w)
{
    int fd = socket(family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    goc_pd *pd;
    int err = goc__pd_open(fd, NULL);
    if (err < 0) {
        close(fd);
        return err;
    }
    if (goc__pd_get(fd, &pd) < 0) {
        goc__pd_close(fd);
        return -EBADF;
    }
    err = deadline ? goc__pd_set_deadline(pd, 0, deadline) : 0;
    if (err == 0 && !watch_set(w, fd))
        err = -ECANCELED;
    if (err == 0 && goc__net_use_ring(pd)) {
        /* The connect completes in the ring (netpoll_uring.c); a ring that
         * cannot (-EINVAL, -EOPNOTSUPP) leaves it to connect(2). */
        err = (int)goc__uring_io(pd, GOC_URING_CONNECT, fd, (void *)sa, len);
        if (err == -EINVAL || err == -EOPNOTSUPP)
            err = sys_connect(fd, sa, len);
    } else if (err == 0) {
        err = sys_connect(fd, sa, len);
    }
    while (err == -EINPROGRESS || err == -EALREADY || err == -EAGAIN) {
        err = goc__pd_wait(pd, 'w');
        if (err == 0)
            err = sys_connect_result(fd);
    }
    watch_set(w, -1);
    if (err == 0 && (deadline || w))
        err = goc__pd_set_deadline(pd, 0, 0);
    goc__pd_release(pd);
    if (err < 0) {
        goc__pd_close(fd);
        return err;
    }
    if (family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* The whole dial; ECANCELED from an attempt means the watcher fired. */
static int dial(const char *addr, int64_t deadline, dial_watch *w)
{
    struct sockaddr_storage su;
    socklen_t sulen;
    int err = goc__unix_sockaddr(addr, &su, &sulen);
    if (err < 0)
        return err;
    if (err > 0)
        return connect_one(AF_UNIX, SOCK_STREAM, (struct sockaddr *)&su, sulen,
                           deadline, w);
    goc_addr_spec a;
    err = goc__net_parse(addr, &a);
    if (err < 0)
        return err;
    if (a.host[0] == '\0')
        strcpy(a.host, "127.0.0.1");   /* Go dials the local system */
    struct addrinfo *res;
    err = goc__net_resolve(&a, SOCK_STREAM, 0, &res);
    if (err < 0)
        return err;
    err = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (deadline && goc_now() >= deadline) {
            err = -ETIMEDOUT;
            break;
        }
        err = connect_one(ai->ai_family, SOCK_STREAM, ai->ai_addr,
                          ai->ai_addrlen, deadline, w);
        if (err >= 0 || err == -ETIMEDOUT || err == -ECANCELED)
            break;
    }
    freeaddrinfo(res);
    return err;
}

int goc_dial(const char *addr)
{
    return dial(addr, 0, NULL);
}

int goc_dial_timeout(const char *addr, int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return -EINVAL;
    if (timeout_ns == 0)
        return dial(addr, 0, NULL);
    return dial(addr, goc_now() + timeout_ns, NULL);
}

/* ------------------------------------------------------------- context */

static void watcher(void *arg)
{
    dial_watch *w = arg;
    goc_case cs[] = {
        { .chan = goc_ctx_done(w->ctx), .op = GOC_RECV },
        { .chan = w->stop, .op = GOC_RECV },
    };
    if (goc_select(cs, 2, 1) == 0) {
        goc_mutex_lock(&w->mu);
        w->cancelled = true;
        if (w->fd >= 0)
            goc_set_deadline(w->fd, 0, -1);   /* wakes the parked connect */
        goc_mutex_unlock(&w->mu);
    }
    goc_wg_done(&w->exited);
}

int goc_dial_ctx(goc_ctx *ctx, const char *addr)
{
    if (ctx == NULL)
        ctx = goc_ctx_background();
    int err = goc_ctx_err(ctx);
    if (err)
        return err;
    int64_t deadline = goc_ctx_deadline(ctx);
    goc_chan *done = goc_ctx_done(ctx);
    if (done == NULL)                   /* never cancelled: no watcher */
        return dial(addr, deadline, NULL);
    dial_watch w = { .ctx = ctx, .fd = -1 };
    w.stop = goc_chan_make(0, 0);
    if (w.stop == NULL)
        return -ENOMEM;
    goc_wg_add(&w.exited, 1);
    err = goc_go(watcher, &w);
    if (err < 0) {
        goc_chan_free(w.stop);
        return err;
    }
    int fd = dial(addr, deadline, &w);
    goc_chan_close(w.stop);
    goc_wg_wait(&w.exited);
    goc_chan_free(w.stop);
    /* A deadline or cancellation, whichever cut the dial short, is
     * reported as the context's reason (Go's ctx.Err()). */
    if (fd < 0 && (fd == -ETIMEDOUT || fd == -ECANCELED) && goc_ctx_err(ctx))
        return goc_ctx_err(ctx);
    if (fd < 0 && fd == -ETIMEDOUT && deadline && goc_now() >= deadline)
        return -ETIMEDOUT;
    return fd;
}
