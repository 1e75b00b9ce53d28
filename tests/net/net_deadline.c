/* net_deadline: read, write and accept deadlines from 1 ns to 1 s are never
 * early; a passed deadline fails at once even with data waiting; a deadline
 * moved while a call is parked applies to it; clearing it restores I/O. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "nettest.h"

#define MS 1000000LL

static const int64_t ds[] = { 1, 1000, 100000, 1 * MS, 10 * MS, 100 * MS, 1000 * MS };
#define ND (sizeof ds / sizeof ds[0])

static int s_fd;
static goc_chan *res;
static _Atomic long fails;
static goc_wg wg;

static void reader_deadline(void *arg)
{
    long i = (long)arg;
    char b;
    int64_t dl = goc_now() + ds[i % ND];
    /* every goroutine uses its own connection half: a pair per goroutine */
    int fd = (int)(i >> 8);
    CHECK(goc_set_deadline(fd, dl, 0) == 0);
    ssize_t r = goc_read(fd, &b, 1);
    if (r != -ETIMEDOUT || goc_now() < dl)
        atomic_fetch_add(&fails, 1);
    goc_wg_done(&wg);
}

static void mover(void *arg)
{
    (void)arg;
    goc_sleep(20 * MS);
    /* extend the parked reader's deadline; it must hold */
    goc_set_deadline(s_fd, goc_now() + 400 * MS, 0);
}

static void reader(void *arg)
{
    char b;
    int r = (int)goc_read((int)(long)arg, &b, 1);
    goc_chan_send(res, &r);
}

static void main_g(void *arg)
{
    (void)arg;
    char addr[64];
    res = goc_chan_make(sizeof(int), 0);
    int lfd = goc_listen("127.0.0.1:0", 64);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);

    /* accept deadline */
    int64_t t0 = goc_now(), dl = t0 + 15 * MS;
    CHECK(goc_set_deadline(lfd, dl, 0) == 0);
    CHECK(goc_accept(lfd) == -ETIMEDOUT);
    CHECK(goc_now() >= dl);
    CHECK(goc_set_deadline(lfd, 0, 0) == 0);

    /* one connection per duration, read deadlines in parallel */
    int cs[ND], ss[ND];
    for (size_t i = 0; i < ND; i++) {
        cs[i] = goc_dial(addr);
        ss[i] = goc_accept(lfd);
        CHECK(cs[i] >= 0 && ss[i] >= 0);
    }
    goc_wg_add(&wg, ND);
    for (size_t i = 0; i < ND; i++)
        CHECK(goc_go(reader_deadline, (void *)(long)(((long)ss[i] << 8) | (long)i)) == 0);
    goc_wg_wait(&wg);
    CHECK(atomic_load(&fails) == 0);

    /* expired: -ETIMEDOUT at once even though data waits */
    int c = cs[0], s = ss[0];
    CHECK(goc_set_deadline(s, 0, 0) == 0);
    CHECK(goc_write(c, "ab", 2) == 2);
    goc_sleep(5 * MS);
    CHECK(goc_set_deadline(s, goc_now() - 1, 0) == 0);
    char b[2];
    CHECK(goc_read(s, b, 1) == -ETIMEDOUT);
    CHECK(goc_set_deadline(s, 0, 0) == 0);
    CHECK(goc_read(s, b, 2) == 2 && b[0] == 'a');

    /* moved while parked: the later deadline holds */
    s_fd = s;
    t0 = goc_now();
    /* 200 ms first, moved to ~420 ms after 20 ms: wide margins, so a
     * slow (sanitized, loaded) run cannot let the first one fire */
    CHECK(goc_set_deadline(s, t0 + 200 * MS, 0) == 0);
    CHECK(goc_go(mover, NULL) == 0);
    CHECK(goc_go(reader, (void *)(long)s) == 0);
    int r;
    CHECK(goc_chan_recv(res, &r) == 0);
    CHECK(r == -ETIMEDOUT);
    CHECKF(goc_now() - t0 >= 300 * MS, "moved deadline fired after %lld ms",
           (long long)(goc_now() - t0) / MS);

    /* write deadline on a full socket: -ETIMEDOUT, not early */
    CHECK(goc_set_deadline(s, 0, 0) == 0);
    static char big[1 << 16];
    dl = goc_now() + 30 * MS;
    CHECK(goc_set_deadline(c, 0, dl) == 0);
    ssize_t w;
    while ((w = goc_write(c, big, sizeof big)) > 0)
        ;
    CHECK(w == -ETIMEDOUT);
    CHECK(goc_now() >= dl);

    for (size_t i = 0; i < ND; i++) {
        goc_close(cs[i]);
        goc_close(ss[i]);
    }
    goc_close(lfd);
    CHECK(goc_set_deadline(lfd, 1, 1) == -EBADF);
    goc_chan_free(res);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
