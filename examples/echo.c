/* echo.c — a TCP echo server: one goroutine per connection, each parked in
 * goc_read while idle (the poller, not a thread, waits for it).
 *
 *   echo server [ADDR]        serve on ADDR (default 127.0.0.1:7000)
 *   echo client ADDR MSG...   send each MSG, print the echo
 *   echo selftest             serve on a free port, dial it from 100
 *                             goroutines, check every echo, exit 0
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <goc.h>

static void serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t n;
    /* An idle client costs nothing but its goroutine; drop it after 60 s. */
    goc_set_deadline(fd, goc_now() + 60000000000LL, 0);
    while ((n = goc_read(fd, buf, sizeof buf)) > 0) {
        if (goc_write(fd, buf, (size_t)n) < 0)
            break;
        goc_set_deadline(fd, goc_now() + 60000000000LL, 0);
    }
    goc_close(fd);
}

static void accept_loop(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = goc_accept(lfd);
        if (fd == -EMFILE || fd == -ENFILE) {
            goc_sleep(10000000);     /* out of fds: back off, don't spin */
            continue;
        }
        if (fd < 0)
            return;                  /* listener closed */
        if (goc_go(serve_conn, (void *)(intptr_t)fd) != 0)
            goc_close(fd);
    }
}

/* Send msg on fd and read the same number of bytes back into out. */
static int roundtrip(int fd, const char *msg, char *out)
{
    size_t len = strlen(msg), got = 0;
    if (goc_write(fd, msg, len) != (ssize_t)len)
        return -1;
    while (got < len) {
        ssize_t n = goc_read(fd, out + got, len - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    out[len] = '\0';
    return 0;
}

static struct { int argc; char **argv; int status; } prog;
static char self_addr[64];
static goc_wg self_wg;
static int self_failures;
static goc_mutex self_mu;

static void self_client(void *arg)
{
    char msg[64], back[64];
    snprintf(msg, sizeof msg, "hello from client %d", (int)(intptr_t)arg);
    int fd = goc_dial(self_addr);
    if (fd < 0 || roundtrip(fd, msg, back) != 0 || strcmp(msg, back) != 0) {
        goc_mutex_lock(&self_mu);
        self_failures++;
        goc_mutex_unlock(&self_mu);
    }
    if (fd >= 0)
        goc_close(fd);
    goc_wg_done(&self_wg);
}

static int selftest(void)
{
    int lfd = goc_listen("127.0.0.1:0", 128);
    if (lfd < 0)
        return fprintf(stderr, "listen: %s\n", strerror(-lfd)), 1;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    snprintf(self_addr, sizeof self_addr, "127.0.0.1:%d", ntohs(sa.sin_port));
    goc_go(accept_loop, (void *)(intptr_t)lfd);
    goc_wg_add(&self_wg, 100);
    for (int i = 0; i < 100; i++)
        goc_go(self_client, (void *)(intptr_t)i);
    goc_wg_wait(&self_wg);
    goc_close(lfd);
    printf("selftest: 100 clients, %d failures\n", self_failures);
    return self_failures != 0;
}

static void main_goroutine(void *arg)
{
    (void)arg;
    const char *mode = prog.argc > 1 ? prog.argv[1] : "selftest";
    if (strcmp(mode, "server") == 0) {
        const char *addr = prog.argc > 2 ? prog.argv[2] : "127.0.0.1:7000";
        int lfd = goc_listen(addr, 1024);
        if (lfd < 0) {
            fprintf(stderr, "listen %s: %s\n", addr, strerror(-lfd));
            prog.status = 1;
            return;
        }
        printf("echo server on %s\n", addr);
        fflush(stdout);
        accept_loop((void *)(intptr_t)lfd);
    } else if (strcmp(mode, "client") == 0 && prog.argc > 3) {
        int fd = goc_dial(prog.argv[2]);
        if (fd < 0) {
            fprintf(stderr, "dial %s: %s\n", prog.argv[2], strerror(-fd));
            prog.status = 1;
            return;
        }
        char back[4096];
        for (int i = 3; i < prog.argc; i++) {
            if (strlen(prog.argv[i]) >= sizeof back || roundtrip(fd, prog.argv[i], back) != 0) {
                prog.status = 1;
                break;
            }
            printf("%s\n", back);
        }
        goc_close(fd);
    } else if (strcmp(mode, "selftest") == 0) {
        prog.status = selftest();
    } else {
        fprintf(stderr, "usage: echo server [ADDR] | client ADDR MSG... | selftest\n");
        prog.status = 2;
    }
}

int main(int argc, char **argv)
{
    prog.argc = argc;
    prog.argv = argv;
    goc_main(main_goroutine, NULL);
    return prog.status;
}
