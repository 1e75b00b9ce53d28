/* net_close_race: goc_read and goc_write racing with the close of their fd
 * say -EBADF (or succeed before it), never -EAGAIN.  The last reference out
 * destroys the pollDesc; calls arriving while it closes the OS fd must not
 * find the fd number unknown yet still open (non-blocking), which made them
 * take the plain-fd path and get -EAGAIN (issue 10). */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "nettest.h"

enum { SPINS = 300 };

static goc_wg wg;
static _Atomic int bad, bad_err;

static void spinner(void *arg)
{
    int fd = (int)(long)arg;
    char b[16];
    bool closed = false;
    for (int i = 0; i < SPINS || !closed; i++) {
        ssize_t r = (i & 1) ? goc_read(fd, b, sizeof b) : goc_write(fd, "x", 1);
        if (r == -EBADF) {
            closed = true;
        } else if (r < 0 || (closed && r >= 0)) {
            /* after -EBADF nothing may succeed either: the fd number is
             * not reused while the spinners run */
            atomic_fetch_add(&bad, 1);
            atomic_store(&bad_err, (int)r);
        }
    }
    goc_wg_done(&wg);
}

static void main_g(void *arg)
{
    (void)arg;
    char addr[64];
    int lfd = goc_listen("127.0.0.1:0", 16);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    long rounds = test_scaled(400);
    for (long k = 0; k < rounds; k++) {
        int c = goc_dial(addr);
        CHECK(c >= 0);
        int s = goc_accept(lfd);
        CHECK(s >= 0);
        goc_wg_add(&wg, 3);
        for (int i = 0; i < 3; i++)
            goc_go(spinner, (void *)(long)s);
        goc_yield();
        CHECK(goc_close(s) == 0);
        goc_wg_wait(&wg);      /* before s's number can be reused */
        CHECK(goc_close(c) == 0);
        CHECKF(atomic_load(&bad) == 0, "round %ld: %d calls got %d (want -EBADF)",
               k, atomic_load(&bad), atomic_load(&bad_err));
    }
    goc_close(lfd);
}

int main(void) { return goc_main(main_g, NULL); }
