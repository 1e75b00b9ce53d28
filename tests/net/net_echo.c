/* net_echo: accept / read / write / close with up to 10k connections open
 * at once on loopback (bounded by RLIMIT_NOFILE): every client dials, waits
 * until all are connected, sends a message in pieces and reads the echo. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "nettest.h"

static goc_wg conns_up, done;
static _Atomic long served, ok;
static uint32_t gate;   /* released once all are connected */
static long nconn;
static char addr[64];

static void serve(void *arg)
{
    int fd = (int)(long)arg;
    char buf[512];
    ssize_t n;
    while ((n = goc_read(fd, buf, sizeof buf)) > 0)
        CHECK(goc_write(fd, buf, (size_t)n) == n);
    CHECK(n == 0);
    CHECK(goc_close(fd) == 0);
    atomic_fetch_add(&served, 1);
}

static void acceptor(void *arg)
{
    int lfd = (int)(long)arg;
    for (long i = 0; i < nconn; i++) {
        int fd = goc_accept(lfd);
        CHECKF(fd >= 0, "accept: %s", strerror(-fd));
        CHECK(goc_go(serve, (void *)(long)fd) == 0);
    }
}

static void client(void *arg)
{
    long id = (long)arg;
    int fd = goc_dial(addr);
    CHECKF(fd >= 0, "dial: %s", strerror(-fd));
    goc_wg_done(&conns_up);
    goc_sem_acquire(&gate);
    goc_sem_release(&gate);
    char msg[1200], back[1200];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char)(id * 31 + i);
    CHECK(goc_write(fd, msg, 600) == 600);
    goc_yield();
    CHECK(goc_write(fd, msg + 600, 600) == 600);
    size_t got = 0;
    while (got < sizeof back) {
        ssize_t n = goc_read(fd, back + got, sizeof back - got);
        CHECKF(n > 0, "read: %zd", n);
        got += (size_t)n;
    }
    if (memcmp(msg, back, sizeof msg) == 0)
        atomic_fetch_add(&ok, 1);
    CHECK(goc_close(fd) == 0);
    goc_wg_done(&done);
}

static void main_g(void *arg)
{
    (void)arg;
    long lim = test_raise_nofile();
    nconn = test_scaled(10000);
    if (nconn > (lim - 64) / 2)
        nconn = (lim - 64) / 2;
    int lfd = goc_listen("127.0.0.1:0", 4096);
    CHECKF(lfd >= 0, "listen: %s", strerror(-lfd));
    test_addr_of(lfd, addr, sizeof addr);
    CHECK(goc_go(acceptor, (void *)(long)lfd) == 0);
    int64_t t0 = goc_now();
    goc_wg_add(&conns_up, (int)nconn);
    goc_wg_add(&done, (int)nconn);
    for (long i = 0; i < nconn; i++)
        CHECK(goc_go(client, (void *)i) == 0);
    goc_wg_wait(&conns_up);
    goc_sem_release(&gate);
    goc_wg_wait(&done);
    while (atomic_load(&served) < nconn)
        goc_sleep(1000000);
    printf("%ld connections in %lld ms\n", nconn, (long long)(goc_now() - t0) / 1000000);
    CHECK(atomic_load(&ok) == nconn);
    CHECK(goc_close(lfd) == 0);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
