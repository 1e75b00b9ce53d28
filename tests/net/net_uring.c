/* net_uring.c — what the io_uring poller (netpoll_uring.c) must keep of
 * the poller's contract, where a read or write is an operation in flight
 * in the kernel rather than a wait for an edge:
 *   - the poller in use is the one GOC_DEBUG asked for (uring wherever this
 *     kernel lets a process set up a ring; the test's own probe decides);
 *   - a read deadline cancels a parked RECV, and the data sent after it is
 *     all read later: a cancelled RECV consumed nothing;
 *   - goc_close and a deadline moved into the past wake a parked reader;
 *   - a write parked on a full socket times out with goc_write_n counting
 *     exactly the bytes the peer then receives;
 *   - 8 MiB through goc_write and 200 iovecs through goc_writev arrive
 *     intact (short SENDs resubmitted);
 *   - a goroutine-per-connection echo with many connections at once;
 *   - a foreign thread's goc_read (no M to submit for it: readiness). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nettest.h"
#include "netpoll.h"

static int lfd;
static char addr[64];

/* A connected pair: *c dialled, *s accepted. */
static void pair(int *c, int *s)
{
    *c = goc_dial(addr);
    CHECK(*c >= 0);
    *s = goc_accept(lfd);
    CHECK(*s >= 0);
}

static bool kernel_has_uring(void)
{
#ifdef SYS_io_uring_setup
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int fd = (int)syscall(SYS_io_uring_setup, 4, &p);
    if (fd < 0)
        return false;
    close(fd);
    return (p.features & IORING_FEAT_EXT_ARG) != 0;
#else
    return false;
#endif
}

static void check_mode(void)
{
    const char *d = getenv("GOC_DEBUG");
    bool want_epoll = d && strstr(d, "netpoll=epoll");
    bool want = !want_epoll && kernel_has_uring();
    CHECKF(goc__uring_on == want, "uring on %d, expected %d (GOC_DEBUG=%s)",
           goc__uring_on, want, d ? d : "");
}

/* ------------------------------------------------ read deadline, no loss */

static void read_deadline_keeps_data(void)
{
    int c, s;
    pair(&c, &s);
    char buf[64];
    int64_t t0 = goc_now();
    CHECK(goc_set_deadline(s, t0 + 50 * 1000000LL, 0) == 0);
    ssize_t r = goc_read(s, buf, sizeof buf);       /* parks, then cancelled */
    CHECKF(r == -ETIMEDOUT, "read gave %zd", r);
    CHECK(goc_now() - t0 >= 50 * 1000000LL);
    CHECK(goc_set_deadline(s, 0, 0) == 0);
    CHECK(goc_write(c, "after", 5) == 5);
    r = goc_read(s, buf, sizeof buf);
    CHECKF(r == 5 && memcmp(buf, "after", 5) == 0, "read after timeout: %zd", r);
    /* Many rounds of a deadline racing data that arrives at about the
     * same moment: every byte sent is read exactly once. */
    int rounds = (int)test_scaled(200);
    long sent = 0, got = 0;
    for (int i = 0; i < rounds; i++) {
        CHECK(goc_set_deadline(s, goc_now() + (i % 3) * 100000LL + 1, 0) == 0);
        if (i % 2 == 0) {
            CHECK(goc_write(c, "0123456789", 10) == 10);
            sent += 10;
        }
        r = goc_read(s, buf, sizeof buf);
        CHECK(r == -ETIMEDOUT || r > 0);
        if (r > 0)
            got += r;
    }
    CHECK(goc_set_deadline(s, 0, 0) == 0);
    while (got < sent) {
        r = goc_read(s, buf, sizeof buf);
        CHECK(r > 0);
        got += r;
    }
    CHECKF(got == sent, "got %ld of %ld bytes", got, sent);
    goc_close(c);
    goc_close(s);
}

/* ------------------------------------------------ close / past deadline */

struct waiter {
    int fd;
    ssize_t r;
    goc_wg *wg;
};

static void reader(void *arg)
{
    struct waiter *w = arg;
    char b[16];
    w->r = goc_read(w->fd, b, sizeof b);
    goc_wg_done(w->wg);
}

static void wakes_parked_reader(void)
{
    int c, s;
    goc_wg wg = {0};

    pair(&c, &s);
    struct waiter w = { .fd = s, .r = 1, .wg = &wg };
    goc_wg_add(&wg, 1);
    goc_go(reader, &w);
    goc_sleep(20 * 1000000LL);                      /* parked in a RECV */
    CHECK(goc_close(s) == 0);
    goc_wg_wait(&wg);
    CHECKF(w.r == -EBADF, "reader after close: %zd", w.r);
    goc_close(c);

    pair(&c, &s);
    w = (struct waiter){ .fd = s, .r = 1, .wg = &wg };
    goc_wg_add(&wg, 1);
    goc_go(reader, &w);
    goc_sleep(20 * 1000000LL);
    CHECK(goc_set_deadline(s, -1, 0) == 0);
    goc_wg_wait(&wg);
    CHECKF(w.r == -ETIMEDOUT, "reader after past deadline: %zd", w.r);
    goc_close(c);
    goc_close(s);
}

/* --------------------------------------------- write timeout accounting */

static void write_timeout_counts(void)
{
    int c, s;
    pair(&c, &s);
    size_t n = 64 << 20;                            /* far past the buffers */
    char *big = malloc(n);
    CHECK(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i * 7);
    CHECK(goc_set_deadline(c, 0, goc_now() + 100 * 1000000LL) == 0);
    size_t done = 0;
    ssize_t r = goc_write_n(c, big, n, &done);
    CHECKF(r == -ETIMEDOUT, "write gave %zd", r);
    CHECK(done > 0 && done < n);
    goc_close(c);                                   /* EOF after done bytes */
    size_t got = 0;
    char buf[65536];
    for (;;) {
        ssize_t k = goc_read(s, buf, sizeof buf);
        CHECK(k >= 0);
        if (k == 0)
            break;
        for (ssize_t i = 0; i < k; i++)
            CHECK(buf[i] == (char)((got + (size_t)i) * 7));
        got += (size_t)k;
    }
    CHECKF(got == done, "peer read %zu, writer counted %zu", got, done);
    goc_close(s);
    free(big);
}

/* ------------------------------------------------- big writes, writev */

struct sink {
    int fd;
    size_t want;
    uint64_t sum;
    goc_wg *wg;
};

static void sink_main(void *arg)
{
    struct sink *k = arg;
    char buf[7000];                                 /* odd size: short reads */
    size_t got = 0;
    while (got < k->want) {
        ssize_t r = goc_read(k->fd, buf, sizeof buf);
        CHECK(r > 0);
        for (ssize_t i = 0; i < r; i++)
            k->sum = k->sum * 31 + (unsigned char)buf[i];
        got += (size_t)r;
        if ((got / sizeof buf) % 64 == 0)
            goc_sleep(100000);                      /* let the writer park */
    }
    goc_wg_done(k->wg);
}

static void big_writes(void)
{
    int c, s;
    goc_wg wg = {0};
    pair(&c, &s);
    size_t n = (size_t)test_scaled(8 << 20);
    unsigned char *big = malloc(n);
    CHECK(big);
    uint64_t want = 0;
    for (size_t i = 0; i < n; i++) {
        big[i] = (unsigned char)(i * 131 + (i >> 9));
        want = want * 31 + big[i];
    }
    struct sink k = { .fd = s, .want = n, .wg = &wg };
    goc_wg_add(&wg, 1);
    goc_go(sink_main, &k);
    CHECK(goc_write(c, big, n) == (ssize_t)n);
    goc_wg_wait(&wg);
    CHECK(k.sum == want);

    /* writev: 200 pieces of uneven sizes (more than one SENDMSG window). */
    enum { PIECES = 200 };
    struct iovec iov[PIECES];
    size_t off = 0, total = 0;
    for (int i = 0; i < PIECES; i++) {
        size_t len = (size_t)(i * 977 % 20000) + 1;
        if (off + len > n)
            off = 0;
        iov[i].iov_base = big + off;
        iov[i].iov_len = len;
        off += len;
        total += len;
    }
    want = 0;
    for (int i = 0; i < PIECES; i++)
        for (size_t j = 0; j < iov[i].iov_len; j++)
            want = want * 31 + ((unsigned char *)iov[i].iov_base)[j];
    k = (struct sink){ .fd = s, .want = total, .wg = &wg };
    goc_wg_add(&wg, 1);
    goc_go(sink_main, &k);
    size_t done = 0;
    CHECK(goc_writev(c, iov, PIECES, &done) == (ssize_t)total && done == total);
    goc_wg_wait(&wg);
    CHECK(k.sum == want);
    goc_close(c);
    goc_close(s);
    free(big);
}

/* ------------------------------------------------------ many connections */

static void echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[512];
    for (;;) {
        ssize_t r = goc_read(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        if (goc_write(fd, buf, (size_t)r) != r)
            break;
    }
    goc_close(fd);
}

struct client {
    int id, rounds;
    goc_wg *wg;
};

static void client_main(void *arg)
{
    struct client *cl = arg;
    int fd = goc_dial(addr);
    CHECK(fd >= 0);
    char out[64], in[64];
    for (int i = 0; i < cl->rounds; i++) {
        int len = snprintf(out, sizeof out, "client %d round %d", cl->id, i);
        CHECK(goc_write(fd, out, (size_t)len) == len);
        int got = 0;
        while (got < len) {
            ssize_t r = goc_read(fd, in + got, (size_t)(len - got));
            CHECK(r > 0);
            got += (int)r;
        }
        CHECK(memcmp(in, out, (size_t)len) == 0);
    }
    goc_close(fd);
    goc_wg_done(cl->wg);
}

static void acceptor(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        int fd = goc_accept(lfd);
        CHECK(fd >= 0);
        goc_go(echo_conn, (void *)(intptr_t)fd);
    }
}

static void many_connections(void)
{
    long lim = test_raise_nofile();
    int n = (int)test_scaled(500);
    if (2 * n + 64 > lim)
        n = (int)(lim - 64) / 2;
    goc_wg wg = {0};
    struct client *cl = calloc((size_t)n, sizeof *cl);
    CHECK(cl);
    goc_go(acceptor, (void *)(intptr_t)n);
    for (int i = 0; i < n; i++) {
        cl[i] = (struct client){ .id = i, .rounds = 20, .wg = &wg };
        goc_wg_add(&wg, 1);
        goc_go(client_main, &cl[i]);
    }
    goc_wg_wait(&wg);
    free(cl);
}

/* ------------------------------------------------------- foreign thread */

static int foreign_fd;

static void *foreign_main(void *arg)
{
    (void)arg;
    char b[8];
    ssize_t r = goc_read(foreign_fd, b, sizeof b);
    return (void *)(intptr_t)(r == 3 && memcmp(b, "abc", 3) == 0);
}

static void foreign_reader(void)
{
    int c, s;
    pair(&c, &s);
    foreign_fd = s;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, foreign_main, NULL) == 0);
    goc_sleep(20 * 1000000LL);
    CHECK(goc_write(c, "abc", 3) == 3);
    void *ok;
    goc_syscall_enter();
    pthread_join(t, &ok);
    goc_syscall_exit();
    CHECK(ok == (void *)1);
    goc_close(c);
    goc_close(s);
}

static void main_g(void *arg)
{
    (void)arg;
    lfd = goc_listen("127.0.0.1:0", 0);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    check_mode();
    read_deadline_keeps_data();
    wakes_parked_reader();
    write_timeout_counts();
    big_writes();
    many_connections();
    foreign_reader();
    goc_close(lfd);
}

int main(void)
{
    CHECK(goc_main(main_g, NULL) == 0);
    printf("net_uring: ok (%s)\n", goc__uring_on ? "uring" : "epoll");
    return 0;
}
