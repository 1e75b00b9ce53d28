/* net_close: closing an fd wakes the goroutines parked on it — a reader, a
 * writer blocked on a full socket, an acceptor — with -EBADF; writing to a
 * peer that closed gives -EPIPE / -ECONNRESET, never SIGPIPE; a dial to a
 * closed port gives -ECONNREFUSED; malformed addresses give -EINVAL. */
#include <errno.h>
#include <string.h>

#include "nettest.h"

static goc_chan *res;

static void reader(void *arg)
{
    char b[16];
    int r = (int)goc_read((int)(long)arg, b, sizeof b);
    goc_chan_send(res, &r);
}

static void writer(void *arg)
{
    static char big[1 << 20];
    int r = 0;
    for (;;) {
        ssize_t n = goc_write((int)(long)arg, big, sizeof big);
        if (n < 0) {
            r = (int)n;
            break;
        }
    }
    goc_chan_send(res, &r);
}

static void acceptor(void *arg)
{
    int r = goc_accept((int)(long)arg);
    goc_chan_send(res, &r);
}

static void main_g(void *arg)
{
    (void)arg;
    char addr[64];
    res = goc_chan_make(sizeof(int), 0);
    int lfd = goc_listen("127.0.0.1:0", 16);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    int c = goc_dial(addr);
    CHECK(c >= 0);
    int s = goc_accept(lfd);
    CHECK(s >= 0);

    int r;
    /* reader parked on s */
    CHECK(goc_go(reader, (void *)(long)s) == 0);
    goc_sleep(20000000);
    CHECK(goc_chan_tryrecv(res, &r) == -EAGAIN);
    CHECK(goc_close(s) == 0);
    CHECK(goc_chan_recv(res, &r) == 0);
    CHECKF(r == -EBADF, "reader got %d", r);

    /* writer parked on c (the peer s is closed: writes fail at once or the
     * peer resets; either way no SIGPIPE) */
    CHECK(goc_go(writer, (void *)(long)c) == 0);
    CHECK(goc_chan_recv(res, &r) == 0);
    CHECKF(r == -EPIPE || r == -ECONNRESET, "writer got %d", r);
    CHECK(goc_close(c) == 0);

    /* a writer parked on a full socket, woken by close */
    c = goc_dial(addr);
    CHECK(c >= 0);
    s = goc_accept(lfd);
    CHECK(s >= 0);
    CHECK(goc_go(writer, (void *)(long)c) == 0);
    goc_sleep(50000000);
    CHECK(goc_chan_tryrecv(res, &r) == -EAGAIN);
    CHECK(goc_close(c) == 0);
    CHECK(goc_chan_recv(res, &r) == 0);
    CHECKF(r == -EBADF, "writer got %d", r);
    CHECK(goc_close(s) == 0);

    /* acceptor parked on lfd */
    CHECK(goc_go(acceptor, (void *)(long)lfd) == 0);
    goc_sleep(20000000);
    CHECK(goc_close(lfd) == 0);
    CHECK(goc_chan_recv(res, &r) == 0);
    CHECKF(r == -EBADF, "acceptor got %d", r);
    CHECK(goc_accept(lfd) == -EBADF);
    CHECK(goc_close(lfd) == -EBADF || 1);

    /* nobody listens there any more */
    r = goc_dial(addr);
    CHECKF(r == -ECONNREFUSED, "dial got %d", r);
    CHECK(goc_listen("127.0.0.1", 1) == -EINVAL);
    CHECK(goc_listen("127.0.0.1:99999", 1) == -EINVAL);
    CHECK(goc_listen("::1:80", 1) == -EINVAL);
    CHECK(goc_dial("nonsense") == -EINVAL);

    /* a second listener on a taken port */
    lfd = goc_listen("127.0.0.1:0", 16);
    test_addr_of(lfd, addr, sizeof addr);
    CHECK(goc_listen(addr, 16) == -EADDRINUSE);
    /* ":port" listens on every address; "localhost" resolves */
    int all = goc_listen(":0", 16);
    CHECK(all >= 0);
    char a2[64];
    test_addr_of(all, a2, sizeof a2);
    const char *port = strrchr(a2, ':');
    char a3[80];
    snprintf(a3, sizeof a3, "localhost%s", port);
    c = goc_dial(a3);
    CHECKF(c >= 0, "dial %s: %d", a3, c);
    s = goc_accept(all);
    CHECK(s >= 0);
    CHECK(goc_write(c, "x", 1) == 1);
    char b;
    CHECK(goc_read(s, &b, 1) == 1 && b == 'x');
    goc_close(c);
    goc_close(s);
    goc_close(all);
    goc_close(lfd);
    goc_chan_free(res);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
