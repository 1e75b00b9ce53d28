/* net_listen_fds: goc_listen_fds, systemd's socket activation protocol.
 * Before goc_main, as a service would: nothing passed (0), passed to
 * another pid (0), malformed (-EINVAL), a TCP and a Unix listener placed
 * at fds 3 and 4 (2, adopted), a pipe at fd 3 (-ENOTSOCK); the variables
 * are gone from the environment after each call.  Then goroutines accept
 * on fds 3 and 4 through the poller, with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static char unix_path[108];

static void set_env(const char *pid, const char *n)
{
    CHECK(setenv("LISTEN_PID", pid, 1) == 0);
    CHECK(setenv("LISTEN_FDS", n, 1) == 0);
    CHECK(setenv("LISTEN_FDNAMES", "web:admin", 1) == 0);
}

static void env_gone(void)
{
    CHECK(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS") && !getenv("LISTEN_FDNAMES"));
}

/* Move fd to number at (as a service manager's exec would have it). */
static void place(int fd, int at)
{
    if (fd != at) {
        CHECK(dup2(fd, at) == at);
        close(fd);
    }
}

static void prepare(void)
{
    char me[32];
    snprintf(me, sizeof me, "%d", (int)getpid());

    unsetenv("LISTEN_PID");
    CHECK(goc_listen_fds() == 0);
    set_env("1", "2");                      /* someone else's */
    CHECK(goc_listen_fds() == 0);
    env_gone();
    set_env(me, "two");
    CHECK(goc_listen_fds() == -EINVAL);
    env_gone();
    set_env(me, "");
    CHECK(goc_listen_fds() == -EINVAL);
    env_gone();

    /* a pipe passed: refused (before anything else is adopted: the
     * poller's own fds would take the numbers after 4) */
    int p[2];
    CHECK(pipe(p) == 0);
    int p0 = fcntl(p[0], F_DUPFD, 10);
    close(p[0]);
    place(p0, 3);
    set_env(me, "1");
    CHECK(goc_listen_fds() == -ENOTSOCK);
    env_gone();
    CHECK(!(fcntl(3, F_GETFL) & O_NONBLOCK));      /* left alone */
    close(3);
    close(p[1]);

    /* fds 3 and 4: listeners made with plain calls, blocking */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(t >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(bind(t, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(t, 16) == 0);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(u >= 0);
    snprintf(unix_path, sizeof unix_path, "/tmp/goc_net_listen_fds_%d.sock", (int)getpid());
    unlink(unix_path);
    struct sockaddr_un su = { .sun_family = AF_UNIX };
    strcpy(su.sun_path, unix_path);
    CHECK(bind(u, (struct sockaddr *)&su, sizeof su) == 0 && listen(u, 16) == 0);
    /* out of the way first, so neither lands on the other's number */
    int t2 = fcntl(t, F_DUPFD, 10), u2 = fcntl(u, F_DUPFD, 10);
    CHECK(t2 >= 10 && u2 >= 10);
    close(t);
    close(u);
    place(t2, 3);
    place(u2, 4);
    set_env(me, "2");
    CHECK(goc_listen_fds() == 2);
    env_gone();
    for (int fd = 3; fd <= 4; fd++)
        CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) && (fcntl(fd, F_GETFD) & FD_CLOEXEC));

}

static void main_g(void *arg)
{
    (void)arg;
    char addr[160];
    test_addr_of(3, addr, sizeof addr);
    for (int fd = 3; fd <= 4; fd++) {
        int64_t dl = goc_now() + 20 * MS;
        CHECK(goc_set_deadline(fd, dl, 0) == 0);
        CHECK(goc_accept(fd) == -ETIMEDOUT && goc_now() >= dl);
        CHECK(goc_set_deadline(fd, goc_now() + 5000 * MS, 0) == 0);
        if (fd == 4)
            snprintf(addr, sizeof addr, "unix:%s", unix_path);
        int c = goc_dial(addr);
        CHECK(c >= 0);
        int s = goc_accept(fd);
        CHECK(s >= 0);
        CHECK(goc_write(c, "hi", 2) == 2);
        char b[2];
        CHECK(goc_read(s, b, 2) == 2 && memcmp(b, "hi", 2) == 0);
        goc_close(c);
        goc_close(s);
        CHECK(goc_close(fd) == 0);
    }
    CHECK(unlink(unix_path) == 0);
    printf("net_listen_fds ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    prepare();
    return goc_main(main_g, NULL);
}
