/*
 * net_udp.c — UDP on the poller: goc_listen_udp, goc_dial_udp, goc_sendto,
 * goc_recvfrom (Go's net.ListenUDP, DialUDP, WriteTo, ReadFrom).
 *
 * The fds are ordinary poller fds (non-blocking, registered once,
 * edge-triggered), so goc_set_deadline, goc_close, goc_wait_fd apply, and on
 * a dialed (connected) socket goc_read / goc_write send and receive single
 * datagrams.  The pollDesc is marked dgram: a datagram shorter than the
 * buffer does not mean the queue is empty, so goc_read never skips its
 * read(2) on that guess (net.c's rdrained).
 *
 * recvfrom / sendto hold the fd's reader / writer lock (pd->rmu / wmu) as
 * goc_read / goc_write do, so one goroutine per direction parks at a time;
 * others queue on the lock, and all of them are bounded by the deadlines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goc.h"
#include "net.h"

static GOC_NOINLINE ssize_t sys_recvfrom(int fd, void *b, size_t n,
                                         struct sockaddr *from, socklen_t *fl)
{
    ssize_t r;
    do
        r = recvfrom(fd, b, n, 0, from, fl);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

static GOC_NOINLINE ssize_t sys_sendto(int fd, const void *b, size_t n,
                                       const struct sockaddr *to, socklen_t tl)
{
    ssize_t r;
    do
        r = sendto(fd, b, n, MSG_NOSIGNAL, to, tl);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

/* Mark a fresh UDP fd's pollDesc (see the top of the file). */
static int mark_dgram(int fd)
{
    goc_pd *pd;
    if (fd < 0 || goc__pd_get(fd, &pd) < 0)
        return fd;
    pd->dgram = true;
    goc__pd_release(pd);
    return fd;
}

static int listen_udp(const char *addr)
{
    goc_addr_spec a;
    int err = goc__net_parse(addr, &a);
    if (err < 0)
        return err;
    if (a.host[0] == '\0') {
        /* ":port": IPv6 and IPv4 on one socket, as goc_listen. */
        uint16_t port = (uint16_t)atoi(a.port);
        struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
                                   .sin6_port = htons(port),
                                   .sin6_addr = IN6ADDR_ANY_INIT };
        err = goc__net_bind(AF_INET6, SOCK_DGRAM, (struct sockaddr *)&s6,
                            sizeof s6, 0, true);
        if (err != -EAFNOSUPPORT && err != -EADDRNOTAVAIL)
            return err;
        struct sockaddr_in s4 = { .sin_family = AF_INET,
                                  .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_ANY) };
        return goc__net_bind(AF_INET, SOCK_DGRAM, (struct sockaddr *)&s4,
                             sizeof s4, 0, false);
    }
    struct addrinfo *res;
    err = goc__net_resolve(&a, SOCK_DGRAM, AI_PASSIVE, &res);
    if (err < 0)
        return err;
    err = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        err = goc__net_bind(ai->ai_family, SOCK_DGRAM, ai->ai_addr,
                            ai->ai_addrlen, 0, false);
        if (err >= 0 || err == -EADDRINUSE)
            break;
    }
    freeaddrinfo(res);
    return err;
}

int goc_listen_udp(const char *addr)
{
    return mark_dgram(listen_udp(addr));
}

/* A UDP socket connected to ai: the fd or -errno (a UDP connect only sets
 * the peer; it never waits). */
static int connect_udp(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int err = connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ? -errno : 0;
    if (err == 0)
        err = goc__pd_open(fd, NULL);
    if (err < 0) {
        close(fd);
        return err;
    }
    return fd;
}

int goc_dial_udp(const char *addr)
{
    goc_addr_spec a;
    int err = goc__net_parse(addr, &a);
    if (err < 0)
        return err;
    if (a.host[0] == '\0')
        strcpy(a.host, "127.0.0.1");
    struct addrinfo *res;
    err = goc__net_resolve(&a, SOCK_DGRAM, 0, &res);
    if (err < 0)
        return err;
    err = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        err = connect_udp(ai);
        if (err >= 0)
            break;
    }
    freeaddrinfo(res);
    return mark_dgram(err);
}

ssize_t goc_recvfrom(int fd, void *buf, size_t n, struct sockaddr *from,
                     socklen_t *fromlen)
{
    if ((from == NULL) != (fromlen == NULL) || (buf == NULL && n > 0))
        return -EINVAL;
    goc_pd *pd;
    ssize_t r = goc__pd_get(fd, &pd);
    if (r < 0)
        return r == -ENOENT ? -ENOTSOCK : r;
    goc_mutex_lock(&pd->rmu);
    r = goc__pd_prepare(pd, 'r');
    while (r == 0) {
        r = sys_recvfrom(fd, buf, n, from, fromlen);
        if (r != -EAGAIN)
            break;
        r = goc__pd_wait(pd, 'r');
    }
    goc_mutex_unlock(&pd->rmu);
    goc__pd_release(pd);
    return r;
}

ssize_t goc_sendto(int fd, const void *buf, size_t n, const struct sockaddr *to,
                   socklen_t tolen)
{
    if ((to == NULL && tolen != 0) || (buf == NULL && n > 0))
        return -EINVAL;
    goc_pd *pd;
    ssize_t r = goc__pd_get(fd, &pd);
    if (r < 0)
        return r == -ENOENT ? -ENOTSOCK : r;
    goc_mutex_lock(&pd->wmu);
    r = goc__pd_prepare(pd, 'w');
    while (r == 0) {
        r = sys_sendto(fd, buf, n, to, tolen);
        if (r != -EAGAIN)
            break;
        r = goc__pd_wait(pd, 'w');
    }
    goc_mutex_unlock(&pd->wmu);
    goc__pd_release(pd);
    return r;
}
