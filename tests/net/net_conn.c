/* net_conn: goc_conn turns use-after-close into -EBADF.
 *   - after goc_conn_close, a write through the handle fails with -EBADF
 *     even though a new connection now has the same fd number, and that
 *     connection receives nothing (a raw goc_write would have hit it);
 *   - a read parked on the handle is woken by the close with -EBADF;
 *   - deadlines through the handle; the normal echo path; the last release
 *     closes an open handle; bad input (-EINVAL, -ENOTSOCK, double close);
 *   - a race: writers hammer a handle while it is closed and new
 *     connections reuse its number; no byte reaches a new connection.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static char addr[64];
static int lfd;
static goc_chan *res;

static void reader(void *arg)
{
    goc_conn *c = arg;
    char b;
    int r = (int)goc_conn_read(c, &b, 1);
    goc_chan_send(res, &r);
    goc_conn_release(c);
}

/* A connected pair: *cl is the dialed end, the accepted one returned. */
static int pair(int *cl)
{
    *cl = goc_dial(addr);
    CHECK(*cl >= 0);
    int s = goc_accept(lfd);
    CHECK(s >= 0);
    return s;
}

static _Atomic int stop_writers;
static goc_wg wwg;

static void hammer(void *arg)
{
    goc_conn *c = arg;
    while (!atomic_load(&stop_writers)) {
        ssize_t r = goc_conn_write(c, "X", 1);
        if (r == -EBADF)
            break;
        CHECK(r == 1 || r == -EPIPE || r == -ECONNRESET);
        goc_yield();
    }
    goc_conn_release(c);
    goc_wg_done(&wwg);
}

static void race_round(void)
{
    int cl, s = pair(&cl);
    goc_conn *c;
    CHECK(goc_conn_open(cl, &c) == 0);
    goc_wg_add(&wwg, 3);
    for (int i = 0; i < 3; i++)
        CHECK(goc_go(hammer, goc_conn_retain(c)) == 0);
    goc_yield();
    CHECK(goc_conn_close(c) == 0);
    /* New connections, likely reusing cl's number, while writers run on. */
    int nc[4], ns[4];
    for (int i = 0; i < 4; i++)
        ns[i] = pair(&nc[i]);
    goc_wg_wait(&wwg);
    for (int i = 0; i < 4; i++) {
        /* Nothing the writers sent may have reached a new connection. */
        char b;
        CHECK(goc_set_deadline(ns[i], goc_now() + 2 * MS, 0) == 0);
        CHECK(goc_read(ns[i], &b, 1) == -ETIMEDOUT);
        goc_close(nc[i]);
        goc_close(ns[i]);
    }
    goc_conn_release(c);
    goc_close(s);
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(int), 1);
    lfd = goc_listen("127.0.0.1:0", 64);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);

    /* bad input */
    goc_conn *c = NULL;
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(goc_conn_open(p[0], &c) == -ENOTSOCK);
    CHECK(goc_conn_open(lfd, NULL) == -EINVAL);
    CHECK(goc_conn_open(-1, &c) == -EBADF);
    CHECK(goc_conn_read(NULL, p, 1) == -EINVAL);
    CHECK(goc_conn_close(NULL) == -EINVAL);
    close(p[0]);
    close(p[1]);

    /* normal path */
    int cl, s = pair(&cl);
    CHECK(goc_conn_open(cl, &c) == 0);
    CHECK(goc_conn_fd(c) == cl);
    CHECK(goc_conn_write(c, "hello", 5) == 5);
    char buf[16];
    CHECK(goc_read(s, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(goc_write(s, "back", 4) == 4);
    CHECK(goc_conn_read(c, buf, sizeof buf) == 4);
    struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
    size_t w = 0;
    CHECK(goc_conn_writev(c, iov, 2, &w) == 4 && w == 4);
    CHECK(goc_read(s, buf, sizeof buf) == 4 && memcmp(buf, "abcd", 4) == 0);

    /* deadline path through the handle */
    int64_t dl = goc_now() + 20 * MS;
    CHECK(goc_conn_set_deadline(c, dl, 0) == 0);
    CHECK(goc_conn_read(c, buf, 1) == -ETIMEDOUT);
    CHECK(goc_now() >= dl);
    CHECK(goc_conn_set_deadline(c, 0, 0) == 0);

    /* close wakes a parked read */
    CHECK(goc_go(reader, goc_conn_retain(c)) == 0);
    goc_sleep(20 * MS);
    CHECK(goc_conn_close(c) == 0);
    int r;
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    CHECK(goc_conn_close(c) == -EBADF);
    CHECK(goc_conn_fd(c) == -EBADF);
    CHECK(goc_conn_set_deadline(c, 0, 0) == -EBADF);

    /* use after close with the number reused: -EBADF, nothing delivered */
    int nc, ns = -1;
    for (int tries = 0; tries < 8; tries++) {
        ns = pair(&nc);
        if (nc == cl || ns == cl)
            break;
        goc_close(nc);
        goc_close(ns);
        ns = -1;
    }
    CHECK(ns >= 0);                 /* the lowest free number came back */
    int victim_peer = nc == cl ? ns : nc;
    CHECK(goc_conn_write(c, "oops", 4) == -EBADF);
    CHECK(goc_conn_read(c, buf, 1) == -EBADF);
    size_t wn = 99;
    CHECK(goc_conn_write_n(c, "oops", 4, &wn) == -EBADF && wn == 0);
    CHECK(goc_set_deadline(victim_peer, goc_now() + 5 * MS, 0) == 0);
    CHECK(goc_read(victim_peer, buf, 1) == -ETIMEDOUT);
    goc_conn_release(c);           /* the last: frees, closes nothing more */
    CHECK(goc_write(nc, "ok", 2) == 2);   /* the new connection still works */
    CHECK(goc_set_deadline(ns, 0, 0) == 0);
    CHECK(goc_read(ns, buf, 2) == 2);
    goc_close(nc);
    goc_close(ns);
    goc_close(s);

    /* the last release closes an open handle: the peer sees EOF */
    s = pair(&cl);
    CHECK(goc_conn_open(cl, &c) == 0);
    goc_conn_release(c);
    CHECK(goc_read(s, buf, 1) == 0);
    goc_close(s);

    /* a raw goc_close of the handle's fd: calls through it fail, and the
     * handle's close still releases it */
    s = pair(&cl);
    CHECK(goc_conn_open(cl, &c) == 0);
    CHECK(goc_close(cl) == 0);
    CHECK(goc_conn_write(c, "x", 1) == -EBADF);
    goc_conn_release(c);
    CHECK(goc_read(s, buf, 1) == 0);
    goc_close(s);

    long rounds = test_scaled(200);
    for (long i = 0; i < rounds; i++)
        race_round();

    goc_close(lfd);
    goc_chan_free(res);
    printf("net_conn ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
