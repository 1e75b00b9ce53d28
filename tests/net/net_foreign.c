/* net_foreign: a thread goc did not make dials, reads (parking its own
 * thread until the poller wakes it), times out on a read deadline and
 * closes; the goroutine side serves it. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "nettest.h"

static char addr[64];

static void *foreign(void *arg)
{
    (void)arg;
    int fd = goc_dial(addr);
    CHECKF(fd >= 0, "foreign dial: %d", fd);
    char b[8] = {0};
    size_t got = 0;
    while (got < 5) {
        ssize_t n = goc_read(fd, b + got, 5 - got);
        CHECK(n > 0);
        got += (size_t)n;
    }
    CHECK(memcmp(b, "hello", 5) == 0);
    int64_t dl = goc_now() + 20000000;
    CHECK(goc_set_deadline(fd, dl, 0) == 0);
    CHECK(goc_read(fd, b, 5) == -ETIMEDOUT);
    CHECK(goc_now() >= dl);
    CHECK(goc_write(fd, "bye", 3) == 3);
    CHECK(goc_close(fd) == 0);
    return NULL;
}

static void main_g(void *arg)
{
    (void)arg;
    int lfd = goc_listen("127.0.0.1:0", 4);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, foreign, NULL) == 0);
    int s = goc_accept(lfd);
    CHECK(s >= 0);
    goc_sleep(10000000);   /* let the foreign thread park in its read */
    CHECK(goc_write(s, "hello", 5) == 5);
    char b[4] = {0};
    size_t got = 0;
    while (got < 3) {
        ssize_t n = goc_read(s, b + got, 3 - got);
        CHECK(n > 0);
        got += (size_t)n;
    }
    CHECK(memcmp(b, "bye", 3) == 0);
    goc_syscall_enter();
    pthread_join(th, NULL);
    goc_syscall_exit();
    goc_close(s);
    goc_close(lfd);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
