/* net_udp: goc_listen_udp / goc_dial_udp / goc_sendto / goc_recvfrom: an
 * echo over port 0 (goc_local_port), the sender's address, a burst of
 * datagrams queued behind one edge all received (goc_read on a dialed
 * socket as well), read deadlines (-ETIMEDOUT, never early), goc_close
 * waking a parked recvfrom, and bad input. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static goc_chan *res;

static void echo_server(void *arg)
{
    int fd = (int)(long)arg;
    char buf[2048];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = goc_recvfrom(fd, buf, sizeof buf, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            int r = (int)n;
            goc_chan_send(res, &r);
            return;
        }
        CHECK(goc_sendto(fd, buf, (size_t)n, (struct sockaddr *)&from, fl) == n);
    }
}

static void closer_later(void *arg)
{
    goc_sleep(20 * MS);
    goc_close((int)(long)arg);
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(int), 1);
    char buf[2048], addr[64], got[64];

    /* bad input */
    CHECK(goc_listen_udp("nope") == -EINVAL);
    CHECK(goc_dial_udp("1.2.3.4") == -EINVAL);
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(goc_recvfrom(p[0], buf, 1, NULL, NULL) == -ENOTSOCK);
    CHECK(goc_sendto(p[1], "x", 1, NULL, 0) == -ENOTSOCK);
    close(p[0]);
    close(p[1]);

    int srv = goc_listen_udp("127.0.0.1:0");
    CHECK(srv >= 0);
    int port = goc_local_port(srv);
    CHECK(port > 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    CHECK(goc_local_addr(srv, got, sizeof got) > 0 && strcmp(got, addr) == 0);
    CHECK(goc_listen_udp(addr) == -EADDRINUSE);
    socklen_t bad = 4;
    CHECK(goc_recvfrom(srv, buf, 1, NULL, &bad) == -EINVAL);

    /* read deadline, never early */
    int64_t dl = goc_now() + 15 * MS;
    CHECK(goc_set_deadline(srv, dl, 0) == 0);
    CHECK(goc_recvfrom(srv, buf, sizeof buf, NULL, NULL) == -ETIMEDOUT);
    CHECK(goc_now() >= dl);
    CHECK(goc_set_deadline(srv, 0, 0) == 0);

    /* a burst queued behind one edge: every datagram is received */
    int cli = goc_listen_udp("127.0.0.1:0");
    CHECK(cli >= 0);
    struct sockaddr_storage to;
    socklen_t tl;
    CHECK(goc_sockaddr(addr, &to, &tl) == 0);
    for (int i = 0; i < 20; i++)
        CHECK(goc_sendto(cli, &i, sizeof i, (struct sockaddr *)&to, tl) == sizeof i);
    for (int i = 0; i < 20; i++) {
        int v = -1;
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        CHECK(goc_recvfrom(srv, &v, sizeof v,
                           (struct sockaddr *)&from, &fl) == sizeof v && v == i);
        CHECK(goc_sockaddr_string((struct sockaddr *)&from, fl, got, sizeof got) > 0);
        CHECK(goc_local_port(cli) == ntohs(((struct sockaddr_in *)&from)->sin_port));
    }
    goc_close(cli);

    /* echo through a dialed socket: goc_write / goc_read are datagrams */
    CHECK(goc_go(echo_server, (void *)(long)srv) == 0);
    int d = goc_dial_udp(addr);
    CHECK(d >= 0);
    for (int i = 0; i < 10; i++) {
        int len = snprintf(buf, sizeof buf, "ping %d", i);
        CHECK(goc_write(d, buf, (size_t)len) == len);
    }
    for (int i = 0; i < 10; i++) {
        char want[32];
        int len = snprintf(want, sizeof want, "ping %d", i);
        CHECK(goc_set_deadline(d, goc_now() + 5000 * MS, 0) == 0);
        CHECK(goc_read(d, buf, sizeof buf) == len && memcmp(buf, want, (size_t)len) == 0);
    }
    CHECK(goc_sendto(d, "solo", 4, NULL, 0) == 4);
    CHECK(goc_recvfrom(d, buf, 2, NULL, NULL) == 2);   /* truncated */

    /* goc_close wakes the server parked in recvfrom */
    CHECK(goc_go(closer_later, (void *)(long)srv) == 0);
    int r;
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    /* the peer is gone: a connected send learns it (ICMP), or the next one */
    goc_sleep(5 * MS);
    ssize_t sr = goc_sendto(d, "x", 1, NULL, 0);
    CHECK(sr == 1 || sr == -ECONNREFUSED);
    goc_close(d);

    /* ":port" listens on every address */
    int any = goc_listen_udp(":0");
    CHECK(any >= 0 && goc_local_port(any) > 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", goc_local_port(any));
    d = goc_dial_udp(addr);
    CHECK(d >= 0);
    CHECK(goc_write(d, "v4", 2) == 2);
    CHECK(goc_set_deadline(any, goc_now() + 5000 * MS, 0) == 0);
    CHECK(goc_recvfrom(any, buf, sizeof buf, NULL, NULL) == 2);
    goc_close(d);
    goc_close(any);

    goc_chan_free(res);
    printf("net_udp ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
