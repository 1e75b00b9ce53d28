/*
 * net.h — what the network files share (not installed): address parsing
 * and resolution (net_addr.c), sockets made non-blocking and registered with
 * the poller, and the read/write/accept loops on a held pollDesc (net.c),
 * which goc_conn (conn.c) calls with the reference it keeps.
 *
 * Files: net.c (TCP listen/accept, read/write/writev, close, deadlines),
 * net_addr.c (addresses), dial.c (dial, timeouts, contexts), net_unix.c
 * (Unix stream sockets), net_udp.c (UDP), net_adopt.c (sockets goc did
 * not make), net_sendfile.c (sendfile to a socket), waitfd.c (readiness
 * of any fd), conn.c (connection handles), bufio.c (buffered reader).
 */
#ifndef GOC_NET_H
#define GOC_NET_H

#include <netdb.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "runtime.h"
#include "netpoll.h"

/* The io_uring poller serves this call (netpoll_uring.c): a socket's
 * read that would wait, every socket write, an accept that would wait and
 * a connect go through the ring.  Not for a foreign thread (no M of its
 * own would submit for it), nor once a RECV said the fd is no socket. */
static inline bool goc__net_use_ring(goc_pd *pd)
{
    return goc__uring_on && !atomic_load_explicit(&pd->noring, memory_order_relaxed) &&
           !pd->dgram && goc__getg() != NULL;
}

/* "host:port", "[v6]:port" or ":port" split; the port is numeric. */
typedef struct goc_addr_spec {
    char host[256];
    char port[8];
    bool bracketed;    /* "[v6]:port" */
} goc_addr_spec;

/* net_addr.c.  parse: 0 or -EINVAL.  resolve: getaddrinfo for socktype
 * (SOCK_STREAM, SOCK_DGRAM), off the scheduler unless the host is numeric;
 * EAI_* errors as negative errno values.  Free *res with freeaddrinfo. */
int goc__net_parse(const char *addr, goc_addr_spec *a);
int goc__net_resolve(const goc_addr_spec *a, int socktype, int flags,
                     struct addrinfo **res);

/* net_unix.c.  addr starts with "unix:": 1 and the sockaddr ("unix:@name"
 * is Linux's abstract namespace); 0 when it is not a Unix address;
 * -EINVAL (empty path) or -ENAMETOOLONG. */
int goc__unix_sockaddr(const char *addr, struct sockaddr_storage *ss,
                       socklen_t *len);
int goc__unix_listen(const struct sockaddr_storage *ss, socklen_t len,
                     int backlog);

/* net.c.  A socket bound to sa (listening when backlog > 0), non-blocking,
 * close-on-exec and registered: the fd or -errno.  dual: an IPv6 socket
 * also takes IPv4. */
int goc__net_bind(int family, int socktype, const struct sockaddr *sa,
                  socklen_t len, int backlog, bool dual);
/* The loops behind goc_read / goc_write / goc_writev / goc_accept, on a
 * pollDesc the caller holds a reference to.  write: *done counts the bytes
 * that went out, also on error. */
ssize_t goc__net_read(goc_pd *pd, int fd, void *buf, size_t n);
ssize_t goc__net_write(goc_pd *pd, int fd, const void *buf, size_t n,
                       size_t *done);
ssize_t goc__net_writev(goc_pd *pd, int fd, const struct iovec *iov,
                        int iovcnt, size_t *done);
int     goc__net_accept(goc_pd *pd, int lfd);

/* waitfd.c: wake goroutines in goc_wait_fd on fd, which goc_close is
 * closing; runs close_fn(fd) (the close itself) under the same lock so a
 * wait that starts meanwhile sees either the open fd or -EBADF. */
int goc__waitfd_close(int fd, int (*close_fn)(int fd));

#endif /* GOC_NET_H */
