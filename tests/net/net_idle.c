/* net_idle: 10k idle TCP connections (bounded by RLIMIT_NOFILE), a reader
 * parked on each server end, cost no CPU: under 30 ms per second; then all
 * wake on data. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nettest.h"

static goc_wg wg;
static _Atomic long got;

static void reader(void *arg)
{
    char b;
    if (goc_read((int)(long)arg, &b, 1) == 1)
        atomic_fetch_add(&got, 1);
    goc_close((int)(long)arg);
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    char addr[64];
    long lim = test_raise_nofile();
    long n = test_scaled(10000);
    if (n > (lim - 64) / 2)
        n = (lim - 64) / 2;
    int lfd = goc_listen("127.0.0.1:0", 4096);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    int *cs = calloc((size_t)n, sizeof *cs);
    goc_wg_add(&wg, (int)n);
    for (long i = 0; i < n; i++) {
        cs[i] = goc_dial(addr);
        CHECKF(cs[i] >= 0, "dial %ld: %d", i, cs[i]);
        int s = goc_accept(lfd);
        CHECK(s >= 0);
        CHECK(goc_go(reader, (void *)(long)s) == 0);
    }
    goc_sleep(300 * 1000000LL);
    long c0 = test_cpu_ms();
    goc_sleep(1000 * 1000000LL);
    long used = test_cpu_ms() - c0;
    printf("%ld idle connections: %ld ms CPU in 1 s\n", n, used);
    CHECKF(used <= 30, "idle connections used %ld ms of CPU", used);
    for (long i = 0; i < n; i++)
        CHECK(goc_write(cs[i], "z", 1) == 1);
    goc_wg_wait(&wg);
    CHECK(atomic_load(&got) == n);
    for (long i = 0; i < n; i++)
        goc_close(cs[i]);
    free(cs);
    goc_close(lfd);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
