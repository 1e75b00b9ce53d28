/*
 * net.c — sockets on the poller: goc_listen, goc_accept, goc_read,
 * goc_write (goc_write_n, goc_writev), goc_close, goc_set_deadline (Go's net
 * and internal/poll).  Dialing is in dial.c, addresses in net_addr.c, Unix
 * sockets in net_unix.c, UDP in net_udp.c (net.h lists the files).
 *
 * Every fd made here is non-blocking, close-on-exec and registered with the
 * poller once (netpoll.c).  A call tries the system call first and parks
 * only on EAGAIN, so a ready fd costs no poller round trip; each call holds
 * a reference to the fd's pollDesc so a concurrent goc_close never closes
 * the fd under it, and one reader and one writer run at a time (pd->rmu,
 * pd->wmu, as Go's fdMutex): several goroutines may accept on one listener.
 *
 * An fd the runtime did not create (a pipe, a file, stdin) is not put in
 * non-blocking mode behind its owner's back: read and write on it block the
 * thread inside goc_syscall_enter/exit, so the P goes to other goroutines.
 * goc_wait_fd (waitfd.c) waits for such an fd through the poller instead.
 *
 * SIGPIPE: socket writes use send(MSG_NOSIGNAL) / sendmsg, so a peer's close
 * gives -EPIPE and never kills the process (a pipe write is a write(2): it
 * raises SIGPIPE unless the program ignores it, as C programs expect).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "goc.h"
#include "net.h"

/* ---------------------------------------------------- system calls
 * Each returns the result or -errno from a function of its own.  A goroutine
 * may resume on another thread after any park, and glibc declares
 * __errno_location const, so a function that parks must never read errno:
 * the compiler may reuse &errno computed before the park, which is another
 * thread's errno now (DESIGN.md point 3).  noinline keeps each read fresh. */
static GOC_NOINLINE ssize_t sys_read(int fd, void *b, size_t n)
{
    ssize_t r;
    do
        r = read(fd, b, n);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

static GOC_NOINLINE ssize_t sys_write(int fd, const void *b, size_t n, bool *sock)
{
    for (;;) {
        ssize_t r = *sock ? send(fd, b, n, MSG_NOSIGNAL) : write(fd, b, n);
        if (r >= 0)
            return r;
        if (errno == ENOTSOCK && *sock)
            *sock = false;
        else if (errno != EINTR)
            return -errno;
    }
}

static GOC_NOINLINE int sys_accept(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* sendmsg on a socket, writev otherwise (*sock learns which, as sys_write). */
static GOC_NOINLINE ssize_t sys_writev(int fd, const struct iovec *iov, int cnt,
                                       bool *sock)
{
    for (;;) {
        struct msghdr mh = { .msg_iov = (struct iovec *)iov,
                             .msg_iovlen = (size_t)cnt };
        ssize_t r = *sock ? sendmsg(fd, &mh, MSG_NOSIGNAL) : writev(fd, iov, cnt);
        if (r >= 0)
            return r;
        if (errno == ENOTSOCK && *sock)
            *sock = false;
        else if (errno != EINTR)
            return -errno;
    }
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  /* ENOTSUP
                                               on a Unix socket: harmless */
}

/* ---------------------------------------------------------------- listen */

int goc__net_bind(int family, int socktype, const struct sockaddr *sa,
                  socklen_t len, int backlog, bool dual)
{
    int fd = socket(family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, zero = 0, err;
    /* TCP listeners only, as Go: on UDP, SO_REUSEADDR would let a second
     * socket bind the same port and steal datagrams. */
    if (family != AF_UNIX && socktype == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one,
                   sizeof one);
    if (bind(fd, sa, len) < 0 || (backlog > 0 && listen(fd, backlog) < 0)) {
        err = -errno;
        goto close_fd;
    }
    err = goc__pd_open(fd, NULL);
    if (err < 0)
        goto close_fd;
    return fd;
close_fd:
    close(fd);
    return err;
}

int goc_listen(const char *addr, int backlog)
{
    if (backlog <= 0)
        backlog = SOMAXCONN;
    struct sockaddr_storage su;
    socklen_t sulen;
    int err = goc__unix_sockaddr(addr, &su, &sulen);
    if (err != 0)
        return err < 0 ? err : goc__unix_listen(&su, sulen, backlog);
    goc_addr_spec a;
    err = goc__net_parse(addr, &a);
    if (err < 0)
        return err;
    if (a.host[0] == '\0') {
        /* ":port": every address, IPv6 and IPv4 on one socket when the
         * host has IPv6, as Go does; IPv4 only otherwise. */
        uint16_t port = (uint16_t)atoi(a.port);
        struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
                                   .sin6_port = htons(port),
                                   .sin6_addr = IN6ADDR_ANY_INIT };
        err = goc__net_bind(AF_INET6, SOCK_STREAM, (struct sockaddr *)&s6,
                            sizeof s6, backlog, true);
        if (err != -EAFNOSUPPORT && err != -EADDRNOTAVAIL)
            return err;
        struct sockaddr_in s4 = { .sin_family = AF_INET,
                                  .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_ANY) };
        return goc__net_bind(AF_INET, SOCK_STREAM, (struct sockaddr *)&s4,
                             sizeof s4, backlog, false);
    }
    struct addrinfo *res;
    err = goc__net_resolve(&a, SOCK_STREAM, AI_PASSIVE, &res);
    if (err < 0)
        return err;
    err = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        err = goc__net_bind(ai->ai_family, SOCK_STREAM, ai->ai_addr,
                            ai->ai_addrlen, backlog, false);
        if (err >= 0 || err == -EADDRINUSE)
            break;
    }
    freeaddrinfo(res);
    return err;
}

/* ---------------------------------------------------------------- accept */

int goc__net_accept(goc_pd *pd, int listen_fd)
{
    goc_mutex_lock(&pd->rmu);
    int r = goc__pd_prepare(pd, 'r');
    bool ring = false;   /* accept4 said EAGAIN: an ACCEPT in the ring next */
    while (r == 0) {
        int fd = ring ? (int)goc__uring_io(pd, GOC_URING_ACCEPT, listen_fd, NULL, 0)
                      : sys_accept(listen_fd);
        if (fd >= 0) {
            set_nodelay(fd);
            r = goc__pd_open(fd, NULL);
            if (r < 0) {
                close(fd);
                break;
            }
            r = fd;
            break;
        }
        switch (-fd) {
        case EINTR:
        case ECONNABORTED:      /* the peer gave up: take the next one */
            continue;
        case EAGAIN:
            if (goc__net_use_ring(pd)) {
                ring = true;
                continue;
            }
            r = goc__pd_wait(pd, 'r');
            continue;
        default:
            /* EMFILE / ENFILE included: reported at once, never retried
             * here (the connection stays queued for a later accept). */
            r = fd;
            break;
        }
        break;
    }
    goc_mutex_unlock(&pd->rmu);
    return r;
}

int goc_accept(int listen_fd)
{
    goc_pd *pd;
    if (goc__pd_get(listen_fd, &pd) < 0)
        return -EBADF;
    int r = goc__net_accept(pd, listen_fd);
    goc__pd_release(pd);
    return r;
}

/* ----------------------------------------------------------- read, write */

/* Blocking I/O on an fd the poller does not know, with the P handed off. */
static ssize_t blocking_io(int fd, void *buf, size_t n, bool rd)
{
    if (fcntl(fd, F_GETFD) < 0)
        return -EBADF;
    bool handoff = goc__getg() != NULL, sock = false;
    if (handoff)
        goc_syscall_enter();
    ssize_t r = rd ? sys_read(fd, buf, n) : sys_write(fd, buf, n, &sock);
    if (handoff)
        goc_syscall_exit();
    return r;
}

ssize_t goc__net_read(goc_pd *pd, int fd, void *buf, size_t n)
{
    goc_mutex_lock(&pd->rmu);
    /* goc__pd_prepare inlined, to learn whether it dropped a pending edge
     * (Go's pollReset): an edge that comes after this CAS stays in rg. */
    ssize_t r = goc__pd_checkerr(pd, 'r');
    uintptr_t ready = PD_READY;
    bool edge = r == 0 && atomic_compare_exchange_strong(&pd->rg, &ready, PD_NIL);
    /* Drained by the last short read and no edge since: nothing to read,
     * wait for the edge instead of a read(2) that would say EAGAIN (one
     * syscall less per keep-alive request). */
    bool skip = r == 0 && pd->rdrained && n > 0 && !edge &&
                !atomic_load(&pd->rdhup);
    while (r == 0) {
        if (!skip) {
            r = sys_read(fd, buf, n);
            if (r != -EAGAIN)
                break;
        }
        skip = false;
        if (goc__net_use_ring(pd)) {
            /* The read completes in the ring (the data, EOF or an error). */
            r = goc__uring_io(pd, GOC_URING_RECV, fd, buf, n);
            if (r != -ENOTSOCK)
                break;
            atomic_store(&pd->noring, true);
            r = 0;
            continue;
        }
        r = goc__pd_wait(pd, 'r');
    }
    pd->rdrained = !pd->dgram && r > 0 && (size_t)r < n;
    goc_mutex_unlock(&pd->rmu);
    return r;
}

ssize_t goc_read(int fd, void *buf, size_t n)
{
    goc_pd *pd;
    int err = goc__pd_get(fd, &pd);
    if (err == -ENOENT)
        return blocking_io(fd, buf, n, true);
    if (err < 0)
        return err;
    ssize_t r = goc__net_read(pd, fd, buf, n);
    goc__pd_release(pd);
    return r;
}

ssize_t goc__net_write(goc_pd *pd, int fd, const void *buf, size_t n,
                       size_t *done)
{
    const char *p = buf;
    bool sock = true;
    *done = 0;
    goc_mutex_lock(&pd->wmu);
    ssize_t err = goc__pd_prepare(pd, 'w');
    bool ring = goc__net_use_ring(pd);
    while (err == 0 && *done < n) {
        ssize_t r = ring ? goc__uring_io(pd, GOC_URING_SEND, fd,
                                         (char *)p + *done, n - *done)
                         : sys_write(fd, p + *done, n - *done, &sock);
        if (r == -ENOTSOCK && ring) {
            atomic_store(&pd->noring, true);
            ring = false;
            continue;
        }
        if (r >= 0) {
            *done += (size_t)r;
            continue;
        }
        if (r != -EAGAIN) {
            err = r;
            break;
        }
        err = goc__pd_wait(pd, 'w');
    }
    goc_mutex_unlock(&pd->wmu);
    return err < 0 ? err : (ssize_t)n;
}

/* The plain-fd path: every byte, blocking the thread with the P handed off
 * (blocking_io per chunk). */
static ssize_t blocking_write_all(int fd, const void *buf, size_t n, size_t *done)
{
    while (*done < n) {
        ssize_t r = blocking_io(fd, (char *)buf + *done, n - *done, false);
        if (r < 0)
            return r;
        *done += (size_t)r;
    }
    return (ssize_t)n;
}

ssize_t goc_write_n(int fd, const void *buf, size_t n, size_t *written)
{
    size_t done = 0;
    goc_pd *pd;
    ssize_t r = goc__pd_get(fd, &pd);
    if (r == -ENOENT) {
        r = blocking_write_all(fd, buf, n, &done);
    } else if (r == 0) {
        r = goc__net_write(pd, fd, buf, n, &done);
        goc__pd_release(pd);
    }
    if (written)
        *written = done;
    return r;
}

ssize_t goc_write(int fd, const void *buf, size_t n)
{
    return goc_write_n(fd, buf, n, NULL);
}

/* ------------------------------------------------------------------ writev
 * The caller's iovec array is const: each round copies a window of at most
 * WV_WINDOW entries, trims the first by the bytes already written, and
 * hands the window to one sendmsg/writev.  64 entries keep the copy on the
 * stack small (1 KiB); longer arrays take more rounds. */
#define WV_WINDOW 64

/* Fill win from iov starting at byte offset skip of entry *i (entries
 * before *i are done); returns the count, 0 when nothing is left. */
static int wv_window(struct iovec *win, const struct iovec *iov, int iovcnt,
                     int i, size_t skip)
{
    int k = 0;
    for (; i < iovcnt && k < WV_WINDOW; i++) {
        if (iov[i].iov_len <= skip) {   /* done, or empty */
            skip -= iov[i].iov_len;
            continue;
        }
        win[k].iov_base = (char *)iov[i].iov_base + skip;
        win[k].iov_len = iov[i].iov_len - skip;
        skip = 0;
        k++;
    }
    return k;
}

/* Advance (*i, *off) past r bytes. */
static void wv_advance(const struct iovec *iov, int iovcnt, int *i,
                       size_t *off, size_t r)
{
    while (*i < iovcnt && r > 0) {
        size_t left = iov[*i].iov_len - *off;
        if (r < left) {
            *off += r;
            return;
        }
        r -= left;
        (*i)++;
        *off = 0;
    }
}

static ssize_t iov_total(const struct iovec *iov, int iovcnt)
{
    size_t t = 0;
    if (iovcnt < 0 || (iovcnt > 0 && iov == NULL))
        return -EINVAL;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > (size_t)SSIZE_MAX - t)
            return -EINVAL;
        t += iov[i].iov_len;
    }
    return (ssize_t)t;
}

/* One round of writev on either path, or as a SENDMSG in the ring (pd
 * given); r bytes or -errno. */
static ssize_t wv_round(goc_pd *pd, int fd, const struct iovec *iov, int iovcnt,
                        int i, size_t off, bool *sock, bool handoff)
{
    struct iovec win[WV_WINDOW];
    int k = wv_window(win, iov, iovcnt, i, off);
    if (pd) {
        struct msghdr mh = { .msg_iov = win, .msg_iovlen = (size_t)k };
        return goc__uring_io(pd, GOC_URING_SENDMSG, fd, &mh, 0);
    }
    if (handoff && goc__getg() != NULL) {
        goc_syscall_enter();
        ssize_t r = sys_writev(fd, win, k, sock);
        goc_syscall_exit();
        return r;
    }
    return sys_writev(fd, win, k, sock);
}

ssize_t goc__net_writev(goc_pd *pd, int fd, const struct iovec *iov,
                        int iovcnt, size_t *done)
{
    ssize_t total = iov_total(iov, iovcnt);
    *done = 0;
    if (total < 0)
        return total;
    int i = 0;
    size_t off = 0;
    bool sock = true;
    goc_mutex_lock(&pd->wmu);
    ssize_t err = goc__pd_prepare(pd, 'w');
    bool ring = goc__net_use_ring(pd);
    while (err == 0 && *done < (size_t)total) {
        ssize_t r = wv_round(ring ? pd : NULL, fd, iov, iovcnt, i, off, &sock,
                             false);
        if (r == -ENOTSOCK && ring) {
            atomic_store(&pd->noring, true);
            ring = false;
            continue;
        }
        if (r >= 0) {
            *done += (size_t)r;
            wv_advance(iov, iovcnt, &i, &off, (size_t)r);
            continue;
        }
        if (r != -EAGAIN) {
            err = r;
            break;
        }
        err = goc__pd_wait(pd, 'w');
    }
    goc_mutex_unlock(&pd->wmu);
    return err < 0 ? err : total;
}

static ssize_t blocking_writev(int fd, const struct iovec *iov, int iovcnt,
                               size_t *done)
{
    ssize_t total = iov_total(iov, iovcnt);
    if (total < 0)
        return total;
    if (fcntl(fd, F_GETFD) < 0)
        return -EBADF;
    int i = 0;
    size_t off = 0;
    bool sock = false;
    while (*done < (size_t)total) {
        ssize_t r = wv_round(NULL, fd, iov, iovcnt, i, off, &sock, true);
        if (r < 0)
            return r;
        *done += (size_t)r;
        wv_advance(iov, iovcnt, &i, &off, (size_t)r);
    }
    return total;
}

ssize_t goc_writev(int fd, const struct iovec *iov, int iovcnt, size_t *written)
{
    size_t done = 0;
    goc_pd *pd;
    ssize_t r = goc__pd_get(fd, &pd);
    if (r == -ENOENT) {
        r = blocking_writev(fd, iov, iovcnt, &done);
    } else if (r == 0) {
        r = goc__net_writev(pd, fd, iov, iovcnt, &done);
        goc__pd_release(pd);
    }
    if (written)
        *written = done;
    return r;
}

/* ------------------------------------------------------ close, deadlines */

int goc_close(int fd)
{
    return goc__waitfd_close(fd, goc__pd_close);
}

int goc_set_deadline(int fd, int64_t read_deadline, int64_t write_deadline)
{
    goc_pd *pd = goc__pd_acquire(fd);
    if (pd == NULL)
        return -EBADF;
    int r = goc__pd_set_deadline(pd, read_deadline, write_deadline);
    goc__pd_release(pd);
    return r;
}
