/* net_sendfile: goc_sendfile from a file to goc's sockets and to a plain fd.
 *   - 4 MiB over TCP to a reader that pauses, so the sender parks on a full
 *     socket buffer; every byte checked; the file's own offset unmoved;
 *   - a file that ends first: a short count; offset at the end: 0;
 *   - a write deadline on a peer that stops reading: -ETIMEDOUT, with
 *     *written counting what went out; goc_close waking a parked call
 *     (-EBADF);
 *   - a peer that closed: -EPIPE / -ECONNRESET, and no SIGPIPE (this test
 *     leaves SIGPIPE at its default action: a raised one kills it);
 *   - an adopted socketpair, and a pipe (an fd goc does not know) as the
 *     destination;
 *   - bad input: a negative offset (-EINVAL), a pipe as the source
 *     (-ESPIPE, nothing sent).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nettest.h"

#define MS   1000000LL
#define SIZE (4 << 20)

static goc_chan *res;

static unsigned char pat(size_t i)
{
    return (unsigned char)(i * 7 + (i >> 10));
}

static int make_file(void)
{
    char path[] = "/tmp/goc_net_sendfile_XXXXXX";
    int f = mkstemp(path);
    CHECK(f >= 0);
    unlink(path);
    unsigned char *buf = malloc(SIZE);
    CHECK(buf != NULL);
    for (size_t i = 0; i < SIZE; i++)
        buf[i] = pat(i);
    CHECK(write(f, buf, SIZE) == SIZE);
    free(buf);
    return f;
}

typedef struct rd {
    int fd;
    size_t off, want;       /* the bytes expected: file [off, off + want) */
    int pause;              /* sleep 1 ms every 64 KiB */
} rd;

/* Read want bytes and check them against the file; sends the count. */
static void reader(void *arg)
{
    rd *r = arg;
    static char buf[64 << 10];
    size_t got = 0;
    while (got < r->want) {
        size_t n = r->want - got < sizeof buf ? r->want - got : sizeof buf;
        ssize_t k = goc_read(r->fd, buf, n);
        if (k <= 0)
            break;
        for (ssize_t i = 0; i < k; i++)
            CHECKF((unsigned char)buf[i] == pat(r->off + got + (size_t)i),
                   "byte %zu", r->off + got + (size_t)i);
        got += (size_t)k;
        if (r->pause)
            goc_sleep(MS);
    }
    long g = (long)got;
    goc_chan_send(res, &g);
}

typedef struct sf {
    int sock, f;
    size_t count;
} sf;

static void sender(void *arg)
{
    sf *a = arg;
    long r = (long)goc_sendfile(a->sock, a->f, 0, a->count, NULL);
    goc_chan_send(res, &r);
}

static void tcp_pair(int lfd, const char *addr, int *c, int *s)
{
    *c = goc_dial(addr);
    CHECK(*c >= 0);
    *s = goc_accept(lfd);
    CHECK(*s >= 0);
}

static void over_tcp(int f)
{
    int lfd = goc_listen("127.0.0.1:0", 0);
    CHECK(lfd >= 0);
    char addr[64];
    test_addr_of(lfd, addr, sizeof addr);
    int c, s;
    tcp_pair(lfd, addr, &c, &s);

    /* the whole file but its first 1000 bytes, to a slow reader */
    rd r = { c, 1000, SIZE - 1000, 1 };
    CHECK(goc_go(reader, &r) == 0);
    size_t w = 0;
    CHECK(goc_sendfile(s, f, 1000, SIZE - 1000, &w) == SIZE - 1000);
    CHECK(w == SIZE - 1000);
    long got;
    goc_chan_recv(res, &got);
    CHECK(got == SIZE - 1000);
    CHECK(lseek(f, 0, SEEK_CUR) == SIZE);       /* where make_file left it */

    /* the file ends first: a short count */
    r = (rd){ c, SIZE - 10, 10, 0 };
    CHECK(goc_go(reader, &r) == 0);
    CHECK(goc_sendfile(s, f, SIZE - 10, 100, &w) == 10 && w == 10);
    goc_chan_recv(res, &got);
    CHECK(got == 10);
    CHECK(goc_sendfile(s, f, SIZE, 100, &w) == 0 && w == 0);
    CHECK(goc_sendfile(s, f, 0, 0, &w) == 0 && w == 0);

    /* bad input */
    CHECK(goc_sendfile(s, f, -1, 10, &w) == -EINVAL && w == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "abc", 3) == 3);
    ssize_t e = goc_sendfile(s, p[0], 0, 3, &w);
    CHECKF((e == -ESPIPE || e == -EINVAL) && w == 0, "%zd", e);
    close(p[0]);
    close(p[1]);

    /* a peer that stops reading, on a connection whose buffers hold far
     * less than the file (both sides fixed: no autotuning) */
    goc_close(c);
    goc_close(s);
    tcp_pair(lfd, addr, &c, &s);
    int small = 4096, sndbuf = 64 << 10;
    CHECK(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    CHECK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0);
    /* the write deadline ends the call */
    int64_t dl = goc_now() + 100 * MS;
    CHECK(goc_set_deadline(s, 0, dl) == 0);
    e = goc_sendfile(s, f, 0, SIZE, &w);
    CHECKF(e == -ETIMEDOUT && goc_now() >= dl, "%zd", e);
    CHECK(w > 0 && w < SIZE);                   /* some went, not all */
    CHECK(goc_set_deadline(s, 0, 0) == 0);

    /* goc_close wakes a goc_sendfile parked on the full buffer */
    sf a = { s, f, SIZE };
    CHECK(goc_go(sender, &a) == 0);
    goc_sleep(30 * MS);
    CHECK(goc_close(s) == 0);
    goc_chan_recv(res, &got);
    CHECKF(got == -EBADF, "%ld", got);
    goc_close(c);

    /* a peer that is gone: an error, no SIGPIPE */
    tcp_pair(lfd, addr, &c, &s);
    goc_close(c);
    goc_sleep(10 * MS);
    e = goc_sendfile(s, f, 0, SIZE, &w);
    CHECKF(e == -EPIPE || e == -ECONNRESET, "%zd", e);
    e = goc_sendfile(s, f, 0, SIZE, &w);        /* and again, once it knows */
    CHECKF(e == -EPIPE || e == -ECONNRESET, "%zd", e);
    goc_close(s);
    goc_close(lfd);
}

static void over_socketpair(int f)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(goc_net_adopt(sv[0]) == sv[0] && goc_net_adopt(sv[1]) == sv[1]);
    rd r = { sv[1], 0, SIZE, 0 };
    CHECK(goc_go(reader, &r) == 0);
    CHECK(goc_sendfile(sv[0], f, 0, SIZE, NULL) == SIZE);
    long got;
    goc_chan_recv(res, &got);
    CHECK(got == SIZE);
    goc_close(sv[1]);
    ssize_t e = goc_sendfile(sv[0], f, 0, SIZE, NULL);
    CHECKF(e == -EPIPE || e == -ECONNRESET, "%zd", e);   /* no SIGPIPE */
    goc_close(sv[0]);
}

/* A pipe goc does not know: blocking sendfile with the P handed off,
 * while a goroutine reads the other end. */
static void to_pipe(int f)
{
    int p[2];
    CHECK(pipe(p) == 0);
    rd r = { p[0], 5, 300000, 0 };
    CHECK(goc_go(reader, &r) == 0);
    size_t w;
    CHECK(goc_sendfile(p[1], f, 5, 300000, &w) == 300000 && w == 300000);
    long got;
    goc_chan_recv(res, &got);
    CHECK(got == 300000);
    CHECK(!(fcntl(p[1], F_GETFL) & O_NONBLOCK));    /* mode left alone */
    close(p[0]);
    close(p[1]);
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(long), 1);
    int f = make_file();
    over_tcp(f);
    over_socketpair(f);
    to_pipe(f);
    close(f);
    goc_chan_free(res);
    printf("net_sendfile ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    struct sigaction sa;
    CHECK(sigaction(SIGPIPE, NULL, &sa) == 0);
    if (sa.sa_handler != SIG_DFL)
        signal(SIGPIPE, SIG_DFL);               /* so a raised one shows */
    return goc_main(main_g, NULL);
}
