/*
 * net.c — TCP on the poller: goc_listen, goc_accept, goc_dial, goc_read,
 * goc_write, goc_close, goc_set_deadline (Go's net and internal/poll).
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
 *
 * SIGPIPE: writes use send(MSG_NOSIGNAL), so a peer's close gives -EPIPE and
 * never kills the process.  Name resolution (getaddrinfo) blocks the thread,
 * so goc_dial and goc_listen wrap it in goc_syscall_enter/exit.
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
#include <sys/socket.h>
#include <unistd.h>

#include "runtime.h"
#include "netpoll.h"

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

/* getaddrinfo, returning EAI_SYSTEM's errno through *err. */
static GOC_NOINLINE int sys_getaddrinfo(const char *host, const char *port,
                                        const struct addrinfo *hints,
                                        struct addrinfo **res, int *err)
{
    int r = getaddrinfo(host, port, hints, res);
    *err = errno;
    return r;
}

/* ------------------------------------------------------------ addresses */

typedef struct addr_spec {
    char host[256];
    char port[8];
    bool bracketed;    /* "[v6]:port" */
} addr_spec;

/* "host:port", "[v6]:port" or ":port"; the port is numeric (0..65535). */
static int parse_addr(const char *addr, addr_spec *a)
{
    if (addr == NULL)
        return -EINVAL;
    const char *colon, *hend;
    memset(a, 0, sizeof *a);
    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (rb == NULL || rb[1] != ':')
            return -EINVAL;
        a->bracketed = true;
        addr++;
        hend = rb;
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)))
            return -EINVAL;   /* a bare IPv6 address needs brackets */
        hend = colon;
    }
    size_t hl = (size_t)(hend - addr);
    if (hl >= sizeof a->host)
        return -EINVAL;
    memcpy(a->host, addr, hl);
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl || atoi(p) > 65535)
        return -EINVAL;
    memcpy(a->port, p, pl);
    return 0;
}

/* getaddrinfo off the scheduler.  EAI_* map to negative errno values. */
static int resolve(const addr_spec *a, int flags, struct addrinfo **res)
{
    struct addrinfo hints = {
        .ai_family = a->bracketed ? AF_INET6 : AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = flags | AI_NUMERICSERV,
    };
    const char *host = a->host[0] ? a->host : NULL;
    /* Numeric hosts need no hand-off: getaddrinfo does no I/O for them. */
    unsigned char buf[sizeof(struct in6_addr)];
    bool numeric = host == NULL || inet_pton(AF_INET, host, buf) == 1 ||
                   inet_pton(AF_INET6, host, buf) == 1;
    if (numeric)
        hints.ai_flags |= AI_NUMERICHOST;
    bool handoff = !numeric && goc__getg() != NULL;
    int saved = 0;
    if (handoff)
        goc_syscall_enter();
    int r = sys_getaddrinfo(host, a->port, &hints, res, &saved);
    if (handoff)
        goc_syscall_exit();
    switch (r) {
    case 0:          return 0;
    case EAI_NONAME: return -ENOENT;
#ifdef EAI_NODATA
    case EAI_NODATA: return -ENOENT;
#endif
    case EAI_AGAIN:  return -EAGAIN;
    case EAI_MEMORY: return -ENOMEM;
    case EAI_FAMILY: return -EAFNOSUPPORT;
    case EAI_SYSTEM: return saved ? -saved : -EIO;
    default:         return -EINVAL;
    }
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---------------------------------------------------------------- listen */

static int listen_on(int family, const struct sockaddr *sa, socklen_t len,
                     int backlog, bool dual)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, zero = 0, err;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one,
                   sizeof one);
    if (bind(fd, sa, len) < 0 || listen(fd, backlog) < 0) {
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
    addr_spec a;
    int err = parse_addr(addr, &a);
    if (err < 0)
        return err;
    if (backlog <= 0)
        backlog = SOMAXCONN;
    if (a.host[0] == '\0') {
        /* ":port": every address, IPv6 and IPv4 on one socket when the
         * host has IPv6, as Go does; IPv4 only otherwise. */
        uint16_t port = (uint16_t)atoi(a.port);
        struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
                                   .sin6_port = htons(port),
                                   .sin6_addr = IN6ADDR_ANY_INIT };
        err = listen_on(AF_INET6, (struct sockaddr *)&s6, sizeof s6, backlog, true);
        if (err != -EAFNOSUPPORT && err != -EADDRNOTAVAIL)
            return err;
        struct sockaddr_in s4 = { .sin_family = AF_INET,
                                  .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_ANY) };
        return listen_on(AF_INET, (struct sockaddr *)&s4, sizeof s4, backlog, false);
    }
    struct addrinfo *res;
    err = resolve(&a, AI_PASSIVE, &res);
    if (err < 0)
        return err;
    err = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        err = listen_on(ai->ai_family, ai->ai_addr, ai->ai_addrlen, backlog, false);
        if (err >= 0 || err == -EADDRINUSE)
            break;
    }
    freeaddrinfo(res);
    return err;
}

/* ---------------------------------------------------------------- accept */

int goc_accept(int listen_fd)
{
    goc_pd *pd;
    int r = goc__pd_get(listen_fd, &pd);
    if (r < 0)
        return -EBADF;
    goc_mutex_lock(&pd->rmu);
    r = goc__pd_prepare(pd, 'r');
    while (r == 0) {
        int fd = sys_accept(listen_fd);
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
    goc__pd_release(pd);
    return r;
}

/* ------------------------------------------------------------------ dial */

static int connect_one(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int err = goc__pd_open(fd, NULL);
    if (err < 0) {
        close(fd);
        return err;
    }
    goc_pd *pd = goc__pd_acquire(fd);
    if (pd == NULL) {
        goc__pd_close(fd);
        return -EBADF;
    }
    err = sys_connect(fd, ai->ai_addr, ai->ai_addrlen);
    while (err == -EINPROGRESS || err == -EALREADY) {
        err = goc__pd_wait(pd, 'w');
        if (err == 0)
            err = sys_connect_result(fd);
    }
    goc__pd_release(pd);
    if (err < 0) {
        goc__pd_close(fd);
        return err;
    }
    set_nodelay(fd);
    return fd;
}

int goc_dial(const char *addr)
{
    addr_spec a;
    int err = parse_addr(addr, &a);
    if (err < 0)
        return err;
    if (a.host[0] == '\0')
        strcpy(a.host, "127.0.0.1");   /* Go dials the local system */
    struct addrinfo *res;
    err = resolve(&a, 0, &res);
    if (err < 0)
        return err;
    err = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        err = connect_one(ai);
        if (err >= 0)
            break;
    }
    freeaddrinfo(res);
    return err;
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

ssize_t goc_read(int fd, void *buf, size_t n)
{
    goc_pd *pd;
    int err = goc__pd_get(fd, &pd);
    if (err == -ENOENT)
        return blocking_io(fd, buf, n, true);
    if (err < 0)
        return err;
    goc_mutex_lock(&pd->rmu);
    /* goc__pd_prepare inlined, to learn whether it dropped a pending edge
     * (Go's pollReset): an edge that comes after this CAS stays in rg. */
    ssize_t r = goc__pd_checkerr(pd, 'r');
    uintptr_t ready = PD_READY;
    bool edge = r == 0 && atomic_compare_exchange_strong(&pd->rg, &ready, PD_NIL);
    /* Drained by the last short read and no edge since: nothing to read,
     * wait for the edge instead of a read(2) that would say EAGAIN (one
     * syscall less per keep-alive request). */
    if (r == 0 && pd->rdrained && n > 0 && !edge && !atomic_load(&pd->rdhup))
        r = goc__pd_wait(pd, 'r');
    while (r == 0) {
        r = sys_read(fd, buf, n);
        if (r != -EAGAIN)
            break;
        r = goc__pd_wait(pd, 'r');
    }
    pd->rdrained = r > 0 && (size_t)r < n;
    goc_mutex_unlock(&pd->rmu);
    goc__pd_release(pd);
    return r;
}

ssize_t goc_write(int fd, const void *buf, size_t n)
{
    goc_pd *pd;
    int gerr = goc__pd_get(fd, &pd);
    if (gerr == -EBADF)
        return gerr;
    if (gerr < 0) {
        size_t done = 0;
        while (done < n) {
            ssize_t r = blocking_io(fd, (char *)buf + done, n - done, false);
            if (r < 0)
                return r;
            done += (size_t)r;
        }
        return (ssize_t)n;
    }
    const char *p = buf;
    size_t done = 0;
    bool sock = true;
    goc_mutex_lock(&pd->wmu);
    ssize_t err = goc__pd_prepare(pd, 'w');
    while (err == 0 && done < n) {
        ssize_t r = sys_write(fd, p + done, n - done, &sock);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        if (r != -EAGAIN) {
            err = r;
            break;
        }
        err = goc__pd_wait(pd, 'w');
    }
    goc_mutex_unlock(&pd->wmu);
    goc__pd_release(pd);
    if (err < 0)
        return err;
    return (ssize_t)n;
}

/* ------------------------------------------------------ close, deadlines */

int goc_close(int fd)
{
    return goc__pd_close(fd);
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
