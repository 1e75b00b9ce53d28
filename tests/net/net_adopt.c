/* net_adopt: goc_net_adopt on sockets goc did not make.
 *   - a TCP listener made with plain socket/bind/listen (blocking mode):
 *     adopted, it gets O_NONBLOCK and FD_CLOEXEC; goc_accept honours a read
 *     deadline (-ETIMEDOUT), serves goc_dial clients, and a goc_accept
 *     parked on it returns -EBADF when goc_close closes it;
 *   - a socketpair adopted on both ends, one end before goc_main: goroutines
 *     ping-pong through goc_read / goc_write, a read deadline fires, and
 *     goc_close wakes a parked goc_read;
 *   - datagram and seqpacket socketpairs: two messages queued before the
 *     first read are both read (a short read of a message must not be taken
 *     for an empty socket);
 *   - bad input: -EBADF (negative, closed), -ENOTSOCK (pipe, regular file,
 *     left blocking), -EEXIST (adopted twice, or made by goc).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static goc_chan *res;
static int early_pair[2];          /* one end adopted before goc_main */

static void acceptor(void *arg)
{
    int r = goc_accept((int)(long)arg);
    goc_chan_send(res, &r);
}

static void reader(void *arg)
{
    char b;
    int r = (int)goc_read((int)(long)arg, &b, 1);
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

static void check_flags(int fd)
{
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void tcp_listener(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);      /* blocking, no CLOEXEC */
    CHECK(lfd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(lfd, 16) == 0);
    CHECK(!(fcntl(lfd, F_GETFL) & O_NONBLOCK));
    CHECK(goc_net_adopt(lfd) == lfd);
    check_flags(lfd);
    CHECK(goc_net_adopt(lfd) == -EEXIST);
    check_flags(lfd);
    char addr[64];
    test_addr_of(lfd, addr, sizeof addr);
    CHECK(goc_local_port(lfd) > 0);

    /* a deadline bounds the accept: it parks (a blocking fd would hang the
     * thread here instead) */
    int64_t t0 = goc_now(), dl = t0 + 50 * MS;
    CHECK(goc_set_deadline(lfd, dl, 0) == 0);
    CHECK(goc_accept(lfd) == -ETIMEDOUT);
    CHECK(goc_now() >= dl);
    CHECK(goc_set_deadline(lfd, 0, 0) == 0);

    /* clients through goc_dial; a parked accept wakes for each */
    for (int i = 0; i < (int)test_scaled(50); i++) {
        CHECK(goc_go(acceptor, (void *)(long)lfd) == 0);
        if (i & 1)
            goc_yield();                   /* sometimes parked first */
        int c = goc_dial(addr);
        CHECK(c >= 0);
        int s;
        goc_chan_recv(res, &s);
        CHECK(s >= 0);
        CHECK(goc_net_adopt(s) == -EEXIST);   /* goc made it */
        CHECK(goc_go(echo, (void *)(long)s) == 0);
        char msg[64], back[64];
        int len = snprintf(msg, sizeof msg, "adopted %d", i);
        CHECK(goc_write(c, msg, (size_t)len) == len);
        CHECK(goc_read(c, back, sizeof back) == len && memcmp(back, msg, (size_t)len) == 0);
        goc_close(c);
    }

    /* goc_close wakes an accept parked on the adopted listener */
    CHECK(goc_go(acceptor, (void *)(long)lfd) == 0);
    goc_sleep(20 * MS);
    CHECK(goc_close(lfd) == 0);
    int r;
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    CHECK(goc_dial(addr) == -ECONNREFUSED);
}

/* ---- socketpair ping-pong */

typedef struct pp {
    int fd, rounds, first;
    goc_wg *wg;
} pp;

static void pinger(void *arg)
{
    pp *p = arg;
    int v = 0;
    if (p->first)
        CHECK(goc_write(p->fd, &v, sizeof v) == sizeof v);
    for (;;) {
        CHECK(goc_read(p->fd, &v, sizeof v) == sizeof v);
        if (v >= p->rounds)
            break;
        v++;
        CHECK(goc_write(p->fd, &v, sizeof v) == sizeof v);
        if (v >= p->rounds)
            break;
    }
    goc_wg_done(p->wg);
}

static void pair_pingpong(void)
{
    int *sv = early_pair;
    CHECK(goc_net_adopt(sv[0]) == -EEXIST);   /* adopted before goc_main */
    CHECK(goc_net_adopt(sv[1]) == sv[1]);
    check_flags(sv[0]);
    check_flags(sv[1]);
    goc_wg wg = {0};
    int rounds = (int)test_scaled(20000);
    pp a = { sv[0], rounds, 1, &wg }, b = { sv[1], rounds, 0, &wg };
    goc_wg_add(&wg, 2);
    CHECK(goc_go(pinger, &a) == 0);
    CHECK(goc_go(pinger, &b) == 0);
    goc_wg_wait(&wg);

    /* a read deadline, then goc_close waking a parked read */
    int64_t dl = goc_now() + 20 * MS;
    CHECK(goc_set_deadline(sv[0], dl, 0) == 0);
    char c;
    CHECK(goc_read(sv[0], &c, 1) == -ETIMEDOUT && goc_now() >= dl);
    CHECK(goc_set_deadline(sv[0], 0, 0) == 0);
    CHECK(goc_go(reader, (void *)(long)sv[0]) == 0);
    goc_sleep(20 * MS);
    CHECK(goc_close(sv[0]) == 0);
    int r;
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    CHECK(goc_read(sv[1], &c, 1) == 0);       /* the peer sees EOF */
    CHECK(goc_close(sv[1]) == 0);
}

/* ---- message sockets: each read takes one message */

static void pair_messages(int type)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
    CHECK(goc_net_adopt(sv[0]) == sv[0] && goc_net_adopt(sv[1]) == sv[1]);
    goc_conn *cn;                          /* a handle takes adopted fds */
    CHECK(goc_conn_open(sv[1], &cn) == 0);
    CHECK(goc_conn_write(cn, "one", 3) == 3);
    CHECK(goc_conn_write(cn, "two", 3) == 3);
    char buf[64];
    CHECK(goc_set_deadline(sv[0], goc_now() + 2000 * MS, 0) == 0);
    CHECK(goc_read(sv[0], buf, sizeof buf) == 3 && memcmp(buf, "one", 3) == 0);
    /* the first read was short, yet "two" is queued: no edge will come
     * for it, so a stream socket's shortcut would time out here */
    CHECK(goc_read(sv[0], buf, sizeof buf) == 3 && memcmp(buf, "two", 3) == 0);
    goc_close(sv[0]);
    CHECK(goc_conn_close(cn) == 0);
    goc_conn_release(cn);
}

/* ---- bad input */

static void bad_input(void)
{
    CHECK(goc_net_adopt(-1) == -EBADF);
    int d = open("/dev/null", O_RDONLY);
    CHECK(d >= 0);
    close(d);
    CHECK(goc_net_adopt(d) == -EBADF);           /* closed */

    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(goc_net_adopt(p[0]) == -ENOTSOCK);
    CHECK(goc_net_adopt(p[1]) == -ENOTSOCK);
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));  /* left as it was */
    close(p[0]);
    close(p[1]);

    char path[] = "/tmp/goc_net_adopt_XXXXXX";
    int f = mkstemp(path);
    CHECK(f >= 0);
    unlink(path);
    CHECK(goc_net_adopt(f) == -ENOTSOCK);
    CHECK(!(fcntl(f, F_GETFL) & O_NONBLOCK));
    close(f);

    int l = goc_listen("127.0.0.1:0", 0);          /* goc made it */
    CHECK(l >= 0);
    CHECK(goc_net_adopt(l) == -EEXIST);
    goc_close(l);
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(int), 1);
    bad_input();
    tcp_listener();
    pair_pingpong();
    pair_messages(SOCK_DGRAM);
    pair_messages(SOCK_SEQPACKET);
    goc_chan_free(res);
    printf("net_adopt ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    /* systemd-style: a socket adopted before the runtime starts */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, early_pair) == 0);
    CHECK(goc_net_adopt(early_pair[0]) == early_pair[0]);
    return goc_main(main_g, NULL);
}
