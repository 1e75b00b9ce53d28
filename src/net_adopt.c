/*
 * net_adopt.c — goc_net_adopt: take over a socket goc did not make (one
 * inherited from a parent process or from systemd's socket activation, an
 * end of a socketpair(), a library's), as Go's net.FileListener and
 * net.FileConn do with an *os.File.
 *
 * Adopting gives the fd what net.c gives the fds it makes: O_NONBLOCK,
 * FD_CLOEXEC, TCP_NODELAY on a TCP stream socket (as goc_dial and
 * goc_accept), and a pollDesc registered with the poller (goc__pd_open),
 * marked dgram for anything but a stream socket (a short read of a
 * datagram or a SOCK_SEQPACKET message says nothing about what is queued:
 * net_udp.c).  From then on goc_accept, goc_read, goc_write, deadlines,
 * goc_conn_open and goc_close's wake-up treat it as one of goc's own.
 *
 * The fd itself is taken over, not a dup of it (Go dups, and the program
 * must then close both): one number, one owner, closed by goc_close.
 *
 * Adopting twice.  The poller's registration decides, not the fd table:
 * epoll refuses a second EPOLL_CTL_ADD of the same (fd, open file) with
 * EEXIST, which goc_net_adopt returns.  So an fd goc made, or adopted
 * before, gives -EEXIST; and an fd number whose table entry is stale (a
 * goc fd closed with a plain close(2), the number then reused by socket())
 * is adopted correctly, its stale pollDesc abandoned as goc__pd_open does
 * for any new fd.  Two goroutines adopting one fd at once: one wins, the
 * other gets -EEXIST.
 *
 * On failure the fd is left as it was (its flags restored) and stays the
 * caller's.
 *
 * goc_listen_fds is systemd's sd_listen_fds(1) over goc_net_adopt: the
 * sockets a service manager passed from fd 3 on, for this process
 * (LISTEN_PID), LISTEN_FDS of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goc.h"
#include "net.h"

/* The fd's file status and descriptor flags, to restore after a failure. */
typedef struct fd_flags {
    int fl, fd;
} fd_flags;

static int set_flags(int fd, fd_flags *old)
{
    old->fl = fcntl(fd, F_GETFL);
    old->fd = fcntl(fd, F_GETFD);
    if (old->fl < 0 || old->fd < 0)
        return -errno;
    if (!(old->fl & O_NONBLOCK) && fcntl(fd, F_SETFL, old->fl | O_NONBLOCK) < 0)
        return -errno;
    if (!(old->fd & FD_CLOEXEC) && fcntl(fd, F_SETFD, old->fd | FD_CLOEXEC) < 0) {
        int err = -errno;
        fcntl(fd, F_SETFL, old->fl);
        return err;
    }
    return 0;
}

static void restore_flags(int fd, const fd_flags *old)
{
    fcntl(fd, F_SETFL, old->fl);
    fcntl(fd, F_SETFD, old->fd);
}

int goc_net_adopt(int fd)
{
    if (fd < 0)
        return -EBADF;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISSOCK(st.st_mode))
        return -ENOTSOCK;
    int type, family;
    socklen_t tl = sizeof type, fl = sizeof family;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &fl) < 0)
        return -errno;
    fd_flags old;
    int err = set_flags(fd, &old);
    if (err < 0)
        return err;
    /* Callable before goc_main (a program adopting what systemd passed
     * it): the poller must exist for the registration. */
    goc__netpoll_init();
    goc_pd *pd;
    err = goc__pd_open(fd, &pd);
    if (err < 0) {
        restore_flags(fd, &old);
        return err;
    }
    /* The fd is in the table already, but it is not the program's to
     * use until this returns (a use racing the adoption is misuse). */
    pd->dgram = type != SOCK_STREAM;
    if (type == SOCK_STREAM && (family == AF_INET || family == AF_INET6)) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* sd-daemon.h's SD_LISTEN_FDS_START: passed sockets start after stdio. */
#define LISTEN_FDS_START 3

/* A decimal number that fills s: 0 and *v, or -EINVAL. */
static int parse_num(const char *s, long *v)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    *v = strtol(s, &end, 10);
    return errno || *end ? -EINVAL : 0;
}

int goc_listen_fds(void)
{
    long pid, n;
    const char *ep = getenv("LISTEN_PID"), *en = getenv("LISTEN_FDS");
    int r = 0;
    if (ep == NULL)
        return 0;
    if (parse_num(ep, &pid) < 0 || parse_num(en, &n) < 0 || n > INT32_MAX - LISTEN_FDS_START)
        r = -EINVAL;
    else if (pid != (long)getpid())
        r = 0;                          /* for a parent or a sibling */
    else
        r = (int)n;
    /* as sd_listen_fds(1): whatever they said, children must not see
     * them (their pid would not match, but it could be reused) */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    for (int i = 0; i < r; i++) {
        int err = goc_net_adopt(LISTEN_FDS_START + i);
        if (err < 0 && err != -EEXIST)
            return err;
    }
    return r;
}
