/*
 * net_addr.c — addresses: "host:port" parsing and resolution for the TCP,
 * UDP and dial paths, and the calls that tell a socket's own address
 * (goc_local_port, goc_local_addr, goc_sockaddr; Go's Listener.Addr and
 * net.ResolveUDPAddr).
 *
 * Name resolution (getaddrinfo) blocks the thread on DNS, so it runs inside
 * goc_syscall_enter/exit; numeric hosts skip the hand-off, since getaddrinfo
 * does no I/O for them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "goc.h"
#include "net.h"

/* getaddrinfo, returning EAI_SYSTEM's errno through *err (noinline: errno
 * is read on the thread that set it, see net.c). */
static GOC_NOINLINE int sys_getaddrinfo(const char *host, const char *port,
                                        const struct addrinfo *hints,
                                        struct addrinfo **res, int *err)
{
    int r = getaddrinfo(host, port, hints, res);
    *err = errno;
    return r;
}

/* "host:port", "[v6]:port" or ":port"; the port is numeric (0..65535). */
int goc__net_parse(const char *addr, goc_addr_spec *a)
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

static int eai_errno(int r, int saved)
{
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

int goc__net_resolve(const goc_addr_spec *a, int socktype, int flags,
                     struct addrinfo **res)
{
    struct addrinfo hints = {
        .ai_family = a->bracketed ? AF_INET6 : AF_UNSPEC,
        .ai_socktype = socktype,
        .ai_flags = flags | AI_NUMERICSERV,
    };
    const char *host = a->host[0] ? a->host : NULL;
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
    return eai_errno(r, saved);
}

/* ------------------------------------------------------ public calls */

int goc_sockaddr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
    if (ss == NULL || len == NULL)
        return -EINVAL;
    int u = goc__unix_sockaddr(addr, ss, len);
    if (u != 0)
        return u < 0 ? u : 0;
    goc_addr_spec a;
    int err = goc__net_parse(addr, &a);
    if (err < 0)
        return err;
    if (a.host[0] == '\0')
        strcpy(a.host, "127.0.0.1");   /* as goc_dial: the local system */
    struct addrinfo *res;
    err = goc__net_resolve(&a, SOCK_DGRAM, 0, &res);
    if (err < 0)
        return err;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int goc_sockaddr_string(const struct sockaddr *sa, socklen_t len,
                        char *buf, size_t n)
{
    char host[INET6_ADDRSTRLEN];
    if (sa == NULL || buf == NULL || len < (socklen_t)sizeof(sa_family_t))
        return -EINVAL;
    switch (sa->sa_family) {
    case AF_INET: {
        const struct sockaddr_in *s4 = (const void *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        return snprintf(buf, n, "%s:%u", host, ntohs(s4->sin_port));
    }
    case AF_INET6: {
        const struct sockaddr_in6 *s6 = (const void *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
            inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof host);
        else
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        bool v6 = !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
        return snprintf(buf, n, v6 ? "[%s]:%u" : "%s:%u", host,
                        ntohs(s6->sin6_port));
    }
    case AF_UNIX: {
        const struct sockaddr_un *su = (const void *)sa;
        size_t pl = len - offsetof(struct sockaddr_un, sun_path);
        if (pl == 0)
            return snprintf(buf, n, "unix:");         /* unnamed (a client) */
        if (su->sun_path[0] == '\0')                   /* abstract */
            return snprintf(buf, n, "unix:@%.*s", (int)(pl - 1), su->sun_path + 1);
        return snprintf(buf, n, "unix:%.*s", (int)strnlen(su->sun_path, pl),
                        su->sun_path);
    }
    default:
        return -EAFNOSUPPORT;
    }
}

static GOC_NOINLINE int sys_sockname(int fd, struct sockaddr_storage *ss,
                                     socklen_t *len, bool peer)
{
    *len = sizeof *ss;
    int r = peer ? getpeername(fd, (struct sockaddr *)ss, len)
                 : getsockname(fd, (struct sockaddr *)ss, len);
    return r < 0 ? -errno : 0;
}

int goc_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err = sys_sockname(fd, &ss, &len, false);
    if (err < 0)
        return err;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

int goc_local_addr(int fd, char *buf, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err = sys_sockname(fd, &ss, &len, false);
    return err < 0 ? err : goc_sockaddr_string((struct sockaddr *)&ss, len, buf, n);
}

int goc_remote_addr(int fd, char *buf, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err = sys_sockname(fd, &ss, &len, true);
    return err < 0 ? err : goc_sockaddr_string((struct sockaddr *)&ss, len, buf, n);
}
