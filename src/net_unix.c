/*
 * net_unix.c — Unix stream sockets: "unix:/path" (a filesystem socket) and
 * "unix:@name" (Linux's abstract namespace) for goc_listen and goc_dial.
 * The fds are ordinary poller fds: goc_accept, goc_read, goc_write,
 * deadlines and goc_close work on them unchanged.
 *
 * A filesystem socket's file outlives its listener, as in C (Go's listener
 * unlinks it on Close; goc_close does not know the path): goc_listen fails
 * with -EADDRINUSE while the file exists, and the program unlinks it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include "goc.h"
#include "net.h"

#define UNIX_PREFIX "unix:"

int goc__unix_sockaddr(const char *addr, struct sockaddr_storage *ss,
                       socklen_t *len)
{
    if (addr == NULL || strncmp(addr, UNIX_PREFIX, strlen(UNIX_PREFIX)) != 0)
        return 0;
    const char *path = addr + strlen(UNIX_PREFIX);
    size_t pl = strlen(path);
    struct sockaddr_un *su = (struct sockaddr_un *)ss;
    if (pl == 0 || (path[0] == '@' && pl == 1))
        return -EINVAL;
    /* A path needs its NUL in sun_path; an abstract name has none and
     * takes its '@' as the leading NUL. */
    bool abstract = path[0] == '@';
    if (pl + (abstract ? 0 : 1) > sizeof su->sun_path)
        return -ENAMETOOLONG;
    memset(su, 0, sizeof *su);
    su->sun_family = AF_UNIX;
    memcpy(su->sun_path, path, pl);
    if (abstract)
        su->sun_path[0] = '\0';
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + pl +
                       (abstract ? 0 : 1));
    return 1;
}

int goc__unix_listen(const struct sockaddr_storage *ss, socklen_t len,
                     int backlog)
{
    return goc__net_bind(AF_UNIX, SOCK_STREAM, (const struct sockaddr *)ss,
                         len, backlog, false);
}
