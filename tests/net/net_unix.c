/* net_unix: Unix stream sockets through goc_listen / goc_dial on
 * "unix:/path" and "unix:@abstract": echo through goc_accept / goc_read /
 * goc_write, goc_dial_timeout on a path, addresses (goc_local_addr), an
 * accept deadline, goc_close waking a parked accept, and bad input (a path
 * in use, too long, empty, missing). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static goc_chan *res;

static void acceptor(void *arg)
{
    int r = goc_accept((int)(long)arg);
    goc_chan_send(res, &r);
}

static void echo(void *arg)
{
    int s = (int)(long)arg;
    char buf[256];
    ssize_t n;
    while ((n = goc_read(s, buf, sizeof buf)) > 0)
        CHECK(goc_write(s, buf, (size_t)n) == n);
    goc_close(s);
}

static goc_chan *closed;   /* closer_later's goc_close has returned */

static void closer_later(void *arg)
{
    goc_sleep(20 * MS);
    goc_close((int)(long)arg);
    int one = 1;
    goc_chan_send(closed, &one);
}

static void round_trip(const char *addr, int lfd, int n)
{
    for (int i = 0; i < n; i++) {
        int c = i & 1 ? goc_dial(addr) : goc_dial_timeout(addr, 2000 * MS);
        CHECK(c >= 0);
        int s = goc_accept(lfd);
        CHECK(s >= 0);
        CHECK(goc_go(echo, (void *)(long)s) == 0);
        char msg[64], back[64];
        int len = snprintf(msg, sizeof msg, "hello %d", i);
        CHECK(goc_write(c, msg, (size_t)len) == len);
        CHECK(goc_read(c, back, sizeof back) == len && memcmp(back, msg, (size_t)len) == 0);
        goc_close(c);
    }
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(int), 1);
    closed = goc_chan_make(sizeof(int), 1);
    char path[108], addr[128], got[160];
    snprintf(path, sizeof path, "/tmp/goc_net_unix_%d_%d.sock", (int)getpid(),
             goc_maxprocs(0));
    snprintf(addr, sizeof addr, "unix:%s", path);
    unlink(path);

    /* bad input */
    char longp[200];
    memset(longp, 'a', sizeof longp);
    memcpy(longp, "unix:/", 6);
    longp[sizeof longp - 1] = '\0';
    CHECK(goc_listen(longp, 0) == -ENAMETOOLONG);
    CHECK(goc_dial(longp) == -ENAMETOOLONG);
    CHECK(goc_listen("unix:", 0) == -EINVAL);
    CHECK(goc_dial("unix:@") == -EINVAL);
    CHECK(goc_dial("unix:/nonexistent/goc.sock") == -ENOENT);

    /* a filesystem socket */
    int lfd = goc_listen(addr, 16);
    CHECK(lfd >= 0);
    CHECK(goc_listen(addr, 16) == -EADDRINUSE);
    CHECK(goc_local_addr(lfd, got, sizeof got) > 0 && strcmp(got, addr) == 0);
    CHECK(goc_local_port(lfd) == -EAFNOSUPPORT);
    round_trip(addr, lfd, (int)test_scaled(100));
    int c = goc_dial(addr), s = goc_accept(lfd);
    CHECK(c >= 0 && s >= 0);
    CHECK(goc_remote_addr(c, got, sizeof got) > 0 && strcmp(got, addr) == 0);
    CHECK(goc_remote_addr(s, got, sizeof got) > 0 && strcmp(got, "unix:") == 0);
    /* read deadline on a Unix connection */
    int64_t dl = goc_now() + 10 * MS;
    CHECK(goc_set_deadline(s, dl, 0) == 0);
    char b;
    CHECK(goc_read(s, &b, 1) == -ETIMEDOUT && goc_now() >= dl);
    goc_close(c);
    goc_close(s);

    /* accept deadline, then goc_close waking a parked accept */
    dl = goc_now() + 10 * MS;
    CHECK(goc_set_deadline(lfd, dl, 0) == 0);
    CHECK(goc_accept(lfd) == -ETIMEDOUT && goc_now() >= dl);
    CHECK(goc_set_deadline(lfd, 0, 0) == 0);
    CHECK(goc_go(acceptor, (void *)(long)lfd) == 0);
    CHECK(goc_go(closer_later, (void *)(long)lfd) == 0);
    int r;
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    /* The parked accept may wake before goc_close has closed the socket
     * (a loaded CI run dialled in between): wait for the close itself. */
    goc_chan_recv(closed, &r);
    /* the file stays after the close, as documented */
    CHECK(access(path, F_OK) == 0);
    CHECK(goc_dial(addr) == -ECONNREFUSED);
    CHECK(unlink(path) == 0);

    /* the abstract namespace: no file to clean up */
    snprintf(addr, sizeof addr, "unix:@goc_net_unix_%d_%d", (int)getpid(),
             goc_maxprocs(0));
    lfd = goc_listen(addr, 16);
    CHECK(lfd >= 0);
    CHECK(goc_local_addr(lfd, got, sizeof got) > 0 && strcmp(got, addr) == 0);
    round_trip(addr, lfd, 3);
    goc_close(lfd);
    CHECK(goc_dial(addr) == -ECONNREFUSED);

    goc_chan_free(res);
    printf("net_unix ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
