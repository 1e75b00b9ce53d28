/* net_emfile: running out of fds at accept returns -EMFILE at once (no
 * spinning, no crash); once fds are freed the queued connection is taken. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "nettest.h"

static void main_g(void *arg)
{
    (void)arg;
    char addr[64];
    int lfd = goc_listen("127.0.0.1:0", 64);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    int c = goc_dial(addr);
    CHECK(c >= 0);
    /* Fill the fd table with placeholders up to a low limit. */
    struct rlimit old, rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    int fill[256], nfill = 0;
    rl = old;
    rl.rlim_cur = (rlim_t)(lfd > c ? lfd : c) + 40;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    int fd;
    while (nfill < 256 && (fd = dup(0)) >= 0)
        fill[nfill++] = fd;
    CHECK(nfill < 256);
    long cpu0 = test_cpu_ms();
    int64_t t0 = goc_now();
    int r = goc_accept(lfd);
    CHECKF(r == -EMFILE || r == -ENFILE, "accept got %d", r);
    CHECK(goc_now() - t0 < 100000000);
    r = goc_accept(lfd);
    CHECK(r == -EMFILE || r == -ENFILE);
    CHECK(test_cpu_ms() - cpu0 < 100);
    /* free some fds: the queued connection is accepted */
    for (int i = 0; i < 4; i++)
        close(fill[--nfill]);
    int s = goc_accept(lfd);
    CHECKF(s >= 0, "accept after freeing: %d", s);
    CHECK(goc_write(c, "k", 1) == 1);
    char b;
    CHECK(goc_read(s, &b, 1) == 1 && b == 'k');
    while (nfill > 0)
        close(fill[--nfill]);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
    goc_close(s);
    goc_close(c);
    goc_close(lfd);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
