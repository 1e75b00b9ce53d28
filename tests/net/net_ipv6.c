/* net_ipv6: listen on [::1], dial it, echo; skipped (passes) where the host
 * has no IPv6 loopback. */
#include <errno.h>
#include <string.h>

#include "nettest.h"

static void main_g(void *arg)
{
    (void)arg;
    char addr[64];
    int lfd = goc_listen("[::1]:0", 16);
    if (lfd == -EADDRNOTAVAIL || lfd == -EAFNOSUPPORT) {
        printf("no IPv6 loopback: skipped\n");
        return;
    }
    CHECKF(lfd >= 0, "listen: %d", lfd);
    test_addr_of(lfd, addr, sizeof addr);
    CHECK(strncmp(addr, "[::1]:", 6) == 0);
    int c = goc_dial(addr);
    CHECKF(c >= 0, "dial %s: %d", addr, c);
    int s = goc_accept(lfd);
    CHECK(s >= 0);
    CHECK(goc_write(c, "hello6", 6) == 6);
    char b[8];
    size_t got = 0;
    while (got < 6) {
        ssize_t n = goc_read(s, b + got, 6 - got);
        CHECK(n > 0);
        got += (size_t)n;
    }
    CHECK(memcmp(b, "hello6", 6) == 0);
    CHECK(goc_close(c) == 0);
    CHECK(goc_read(s, b, 1) == 0);   /* EOF */
    goc_close(s);
    goc_close(lfd);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
