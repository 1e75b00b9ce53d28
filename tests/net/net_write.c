/* net_write: partial-write counts and goc_writev.
 *   - goc_write_n that times out after a partial write reports how many
 *     bytes went out, and the peer receives exactly those;
 *   - goc_writev of 3000 iovecs (more than IOV_MAX) of mixed sizes, with a
 *     slow reader forcing partial writes, delivers every byte in order;
 *     one that times out or is closed reports its count;
 *   - goc_read / goc_write / goc_writev on a pipe (an fd goc did not make);
 *   - goc_listen on port 0: goc_local_port / goc_local_addr / remote_addr;
 *   - bad input. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL
#define NIOV 3000

static goc_chan *res;

typedef struct { int fd; size_t total; uint32_t seed; } drain_arg;

/* Read total bytes slowly and check they follow the pattern. */
static void slow_drain(void *arg)
{
    drain_arg *a = arg;
    static char buf[4096];
    size_t got = 0;
    int bad = 0;
    while (got < a->total) {
        ssize_t n = goc_read(a->fd, buf, sizeof buf);
        CHECK(n > 0);
        for (ssize_t i = 0; i < n; i++)
            if ((unsigned char)buf[i] != (unsigned char)((got + (size_t)i) * 7 + 3))
                bad++;
        got += (size_t)n;
        if ((got / 4096) % 16 == 0)
            goc_sleep(1 * MS);
    }
    goc_chan_send(res, &bad);
}

static void closer_later(void *arg)
{
    goc_sleep(20 * MS);
    goc_close((int)(long)arg);
}

/* Read whatever the peer has, until a short deadline: the byte count. */
static size_t drain_all(int fd)
{
    static char buf[65536];
    size_t got = 0;
    for (;;) {
        CHECK(goc_set_deadline(fd, goc_now() + 50 * MS, 0) == 0);
        ssize_t n = goc_read(fd, buf, sizeof buf);
        if (n <= 0) {
            CHECK(n == -ETIMEDOUT);
            CHECK(goc_set_deadline(fd, 0, 0) == 0);
            return got;
        }
        got += (size_t)n;
    }
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(int), 1);
    char addr[64], got[64];

    /* port 0 and addresses */
    int lfd = goc_listen("127.0.0.1:0", 8);
    CHECK(lfd >= 0);
    int port = goc_local_port(lfd);
    CHECK(port > 0);
    test_addr_of(lfd, addr, sizeof addr);
    CHECK(goc_local_addr(lfd, got, sizeof got) > 0 && strcmp(got, addr) == 0);
    CHECK(goc_local_addr(lfd, got, 4) == (int)strlen(addr) && strlen(got) == 3);
    CHECK(goc_remote_addr(lfd, got, sizeof got) == -ENOTCONN);
    CHECK(goc_local_port(-1) == -EBADF);
    int any = goc_listen(":0", 8);
    CHECK(any >= 0 && goc_local_port(any) > 0);
    goc_close(any);
    int c = goc_dial(addr), s = goc_accept(lfd);
    CHECK(c >= 0 && s >= 0);
    CHECK(goc_remote_addr(c, got, sizeof got) > 0 && strcmp(got, addr) == 0);

    /* bad input */
    CHECK(goc_writev(c, NULL, -1, NULL) == -EINVAL);
    CHECK(goc_writev(c, NULL, 1, NULL) == -EINVAL);
    struct iovec huge[2] = { { addr, SSIZE_MAX }, { addr, 2 } };
    CHECK(goc_writev(c, huge, 2, NULL) == -EINVAL);
    CHECK(goc_writev(c, NULL, 0, NULL) == 0);
    CHECK(goc_write_n(-1, "x", 1, NULL) == -EBADF);

    /* a partial write that times out: the count is exact */
    size_t big = 64 << 20, w = 0;
    char *blob = malloc(big);
    CHECK(blob != NULL);
    memset(blob, 'p', big);
    /* 300 ms: wide enough that a loaded (sanitized, 2-core) run still
     * reaches the first send before the deadline passes. */
    int64_t dl = goc_now() + 300 * MS;
    CHECK(goc_set_deadline(c, 0, dl) == 0);
    CHECK(goc_write_n(c, blob, big, &w) == -ETIMEDOUT);
    CHECK(goc_now() >= dl);
    CHECKF(w > 0 && w < big, "wrote %zu", w);
    CHECK(drain_all(s) == w);
    /* goc_write keeps its contract: the error alone */
    CHECK(goc_write(c, blob, 1) == -ETIMEDOUT);
    CHECK(goc_set_deadline(c, 0, 0) == 0);
    CHECK(goc_write_n(c, "ok", 2, &w) == 2 && w == 2);
    CHECK(drain_all(s) == 2);

    /* writev of NIOV entries with a slow reader: all, in order */
    static struct iovec iov[NIOV];
    size_t total = 0;
    for (int i = 0; i < NIOV; i++)
        total += (size_t)(i % 5 == 0 ? 0 : (i * 37) % 700 + 1);
    unsigned char *pat = malloc(total);
    for (size_t i = 0; i < total; i++)
        pat[i] = (unsigned char)(i * 7 + 3);
    size_t off = 0;
    for (int i = 0; i < NIOV; i++) {
        size_t len = (size_t)(i % 5 == 0 ? 0 : (i * 37) % 700 + 1);
        iov[i].iov_base = pat + off;
        iov[i].iov_len = len;
        off += len;
    }
    drain_arg da = { s, total, 0 };
    CHECK(goc_go(slow_drain, &da) == 0);
    CHECK(goc_writev(c, iov, NIOV, &w) == (ssize_t)total && w == total);
    int bad;
    goc_chan_recv(res, &bad);
    CHECK(bad == 0);

    /* writev that times out: count, and exactly that many arrive */
    struct iovec two[2] = { { blob, big / 2 }, { blob + big / 2, big / 2 } };
    CHECK(goc_set_deadline(c, 0, goc_now() + 300 * MS) == 0);
    CHECK(goc_writev(c, two, 2, &w) == -ETIMEDOUT);
    CHECKF(w > 0 && w < big, "wrote %zu", w);
    CHECK(drain_all(s) == w);
    CHECK(goc_set_deadline(c, 0, 0) == 0);

    /* close wakes a writer parked in writev, with its count */
    CHECK(goc_go(closer_later, (void *)(long)c) == 0);
    CHECK(goc_writev(c, two, 2, &w) == -EBADF);
    CHECK(w < big);
    goc_close(s);
    goc_close(lfd);

    /* pipes: goc_write / goc_writev / goc_read on fds goc did not make */
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(goc_write(p[1], "pipe", 4) == 4);
    struct iovec pv[3] = { { "a", 1 }, { "", 0 }, { "bc", 2 } };
    CHECK(goc_writev(p[1], pv, 3, &w) == 3 && w == 3);
    char pb[16];
    CHECK(goc_read(p[0], pb, sizeof pb) == 7 && memcmp(pb, "pipeabc", 7) == 0);
    /* a write larger than the pipe completes as the reader drains it */
    drain_arg pa = { p[0], total, 0 };
    CHECK(goc_go(slow_drain, &pa) == 0);
    CHECK(goc_write_n(p[1], pat, total, &w) == (ssize_t)total && w == total);
    goc_chan_recv(res, &bad);
    CHECK(bad == 0);
    CHECK(goc_close(p[1]) == 0);
    CHECK(goc_read(p[0], pb, 1) == 0);
    CHECK(goc_close(p[0]) == 0);
    CHECK(goc_read(p[0], pb, 1) == -EBADF);

    free(pat);
    free(blob);
    goc_chan_free(res);
    printf("net_write ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
