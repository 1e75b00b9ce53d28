/* net_waitfd: goc_wait_fd on fds goc did not make (pipes, an eventfd) and on
 * one it did: readiness parks and wakes, a ready fd returns at once (even
 * with a past deadline), deadlines are never early, goc_close wakes a
 * parked waiter with -EBADF (plain and registered fds), bad input gives
 * -EINVAL / -EBADF, and many goroutines wait at once without losing a
 * wake-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static goc_chan *res;

typedef struct { int fd; int events; int64_t deadline; } wait_arg;

static void waiter(void *arg)
{
    wait_arg *a = arg;
    int r = goc_wait_fd(a->fd, a->events, a->deadline);
    goc_chan_send(res, &r);
}

static void writer_later(void *arg)
{
    goc_sleep(30 * MS);
    CHECK(write((int)(long)arg, "x", 1) == 1);
}

static void closer_later(void *arg)
{
    goc_sleep(30 * MS);
    CHECK(goc_close((int)(long)arg) == 0);
}

/* Pairs of pipes, each waited on by one goroutine and written by another. */
enum { NPAIR = 50 };
static int pr[NPAIR][2];
static _Atomic int woke;
static goc_wg wg;

static void many_wait(void *arg)
{
    long i = (long)arg;
    int r = goc_wait_fd(pr[i][0], GOC_WAIT_READ, goc_now() + 10000 * MS);
    if (r == GOC_WAIT_READ)
        atomic_fetch_add(&woke, 1);
    goc_wg_done(&wg);
}

static void many_write(void *arg)
{
    long i = (long)arg;
    goc_sleep((i % 5) * MS);
    CHECK(write(pr[i][1], "y", 1) == 1);
    goc_wg_done(&wg);   /* the fd is closed only after every writer is done */
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(int), 4);
    int p[2];
    CHECK(pipe(p) == 0);

    /* bad input */
    CHECK(goc_wait_fd(p[0], 0, 0) == -EINVAL);
    CHECK(goc_wait_fd(p[0], 4, 0) == -EINVAL);
    CHECK(goc_wait_fd(-1, GOC_WAIT_READ, 0) == -EBADF);
    int spare = dup(p[0]);
    close(spare);
    CHECK(goc_wait_fd(spare, GOC_WAIT_READ, 0) == -EBADF);

    /* a pipe's write end is ready at once; a past deadline still reports it */
    CHECK(goc_wait_fd(p[1], GOC_WAIT_WRITE, -1) == GOC_WAIT_WRITE);
    CHECK(goc_wait_fd(p[1], GOC_WAIT_READ | GOC_WAIT_WRITE, 0) == GOC_WAIT_WRITE);
    /* empty read end, past deadline: -ETIMEDOUT at once */
    CHECK(goc_wait_fd(p[0], GOC_WAIT_READ, -1) == -ETIMEDOUT);

    /* deadline path: never early */
    for (int64_t d = 1; d <= 40 * MS; d *= 40) {
        int64_t dl = goc_now() + d;
        CHECK(goc_wait_fd(p[0], GOC_WAIT_READ, dl) == -ETIMEDOUT);
        CHECK(goc_now() >= dl);
    }

    /* normal path: parks until another goroutine writes */
    int64_t t0 = goc_now();
    CHECK(goc_go(writer_later, (void *)(long)p[1]) == 0);
    CHECK(goc_wait_fd(p[0], GOC_WAIT_READ, 0) == GOC_WAIT_READ);
    CHECK(goc_now() - t0 >= 20 * MS);
    char c;
    CHECK(goc_read(p[0], &c, 1) == 1 && c == 'x');   /* goc_read on a pipe */

    /* eventfd */
    int efd = eventfd(0, EFD_CLOEXEC);
    CHECK(efd >= 0);
    wait_arg ea = { efd, GOC_WAIT_READ, 0 };
    CHECK(goc_go(waiter, &ea) == 0);
    goc_sleep(10 * MS);
    uint64_t one = 1;
    CHECK(write(efd, &one, sizeof one) == sizeof one);
    int r;
    goc_chan_recv(res, &r);
    CHECK(r == GOC_WAIT_READ);

    /* a hang-up counts as ready: close the write end, the read end wakes */
    wait_arg ha = { p[0], GOC_WAIT_READ, 0 };
    CHECK(goc_go(waiter, &ha) == 0);
    goc_sleep(10 * MS);
    CHECK(goc_close(p[1]) == 0);
    goc_chan_recv(res, &r);
    CHECK(r == GOC_WAIT_READ);
    CHECK(goc_read(p[0], &c, 1) == 0);               /* EOF */
    CHECK(goc_close(p[0]) == 0);

    /* goc_close wakes a parked waiter on a plain fd */
    CHECK(pipe(p) == 0);
    wait_arg ca = { p[0], GOC_WAIT_READ, goc_now() + 5000 * MS };
    t0 = goc_now();
    CHECK(goc_go(waiter, &ca) == 0);
    CHECK(goc_go(closer_later, (void *)(long)p[0]) == 0);
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    CHECK(goc_now() - t0 < 4000 * MS);
    close(p[1]);

    /* and on a socket goc made: waiting beside goc_read's registration */
    char addr[64];
    int lfd = goc_listen("127.0.0.1:0", 8);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    int cfd = goc_dial(addr), sfd = goc_accept(lfd);
    CHECK(cfd >= 0 && sfd >= 0);
    CHECK(goc_wait_fd(sfd, GOC_WAIT_READ, -1) == -ETIMEDOUT);
    CHECK(goc_write(cfd, "z", 1) == 1);
    CHECK(goc_wait_fd(sfd, GOC_WAIT_READ, goc_now() + 5000 * MS) == GOC_WAIT_READ);
    CHECK(goc_read(sfd, &c, 1) == 1 && c == 'z');
    wait_arg sa = { sfd, GOC_WAIT_READ, goc_now() + 5000 * MS };
    CHECK(goc_go(waiter, &sa) == 0);
    CHECK(goc_go(closer_later, (void *)(long)sfd) == 0);
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    CHECK(goc_wait_fd(sfd, GOC_WAIT_READ, 0) == -EBADF);   /* closed */
    goc_close(cfd);
    goc_close(lfd);

    /* a full pipe: wait for write readiness until the reader drains it */
    CHECK(pipe(p) == 0);
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
    char buf[4096];
    memset(buf, 'f', sizeof buf);
    while (write(p[1], buf, sizeof buf) > 0)
        ;
    CHECK(goc_wait_fd(p[1], GOC_WAIT_WRITE, goc_now() + 20 * MS) == -ETIMEDOUT);
    wait_arg wa = { p[1], GOC_WAIT_WRITE, goc_now() + 5000 * MS };
    CHECK(goc_go(waiter, &wa) == 0);
    goc_sleep(10 * MS);
    for (int i = 0; i < 4; i++)          /* 16 KiB of the 64 KiB: PIPE_BUF free */
        CHECK(read(p[0], buf, sizeof buf) > 0);
    goc_chan_recv(res, &r);
    CHECK(r == GOC_WAIT_WRITE);
    close(p[0]);
    close(p[1]);

    /* many waiters at once, none loses its wake-up */
    int n = (int)test_scaled(NPAIR) < 5 ? 5 : NPAIR;
    for (int i = 0; i < n; i++)
        CHECK(pipe(pr[i]) == 0);
    goc_wg_add(&wg, 2 * n);
    for (long i = 0; i < n; i++) {
        CHECK(goc_go(many_wait, (void *)i) == 0);
        CHECK(goc_go(many_write, (void *)i) == 0);
    }
    goc_wg_wait(&wg);
    CHECK(atomic_load(&woke) == n);
    for (int i = 0; i < n; i++) {
        close(pr[i][0]);
        close(pr[i][1]);
    }
    close(efd);
    goc_chan_free(res);
    printf("net_waitfd ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
