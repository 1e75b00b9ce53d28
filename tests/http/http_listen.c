/* http_listen: goc_http on Unix sockets and on listening fds it did not make.
 *   - "unix:/path" in a temporary directory: listen returns 0, requests are
 *     served (keep-alive) with Go's remote addresses ("@" for an unbound
 *     client, the client's own path for a bound one); shutdown removes the
 *     socket file, so a second server listens on the same path;
 *   - "unix:@name" (abstract);
 *   - goc_http_server_use_listener on a TCP socket made with plain
 *     socket/bind/listen (blocking mode): the port returned, parallel
 *     clients, shutdown waking the accept loop parked on it, the fd closed;
 *     the same on a plain Unix socket (its file left alone), on an fd
 *     goc_listen made, and freed without serving (fd closed);
 *   - bad input: -EBADF, -ENOTSOCK (pipe), -EINVAL (connected, bound but
 *     not listening, UDP), -EALREADY; the fd left as it was.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "httptest.h"

static char dir[64];

/* Answers with what it saw: "<method> <path> from <remote addr>". */
static void handler(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    char ra[160];
    int n = goc_http_remote_addr(r, ra, sizeof ra);
    if (n < 0)
        snprintf(ra, sizeof ra, "error %d", n);
    goc_http_printf(w, "%s %.*s from %s", r->method, (int)r->path_len, r->path, ra);
}

static goc_http_server *new_server(void)
{
    goc_http_server_config cfg = { .handler = handler };
    goc_http_server *s;
    CHECK(goc_http_server_new(&s, &cfg) == 0);
    return s;
}

/* GET path on fd; the body must be "GET <path> from <from>". */
static void expect(int fd, const char *path, const char *from)
{
    char req[256], want[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    snprintf(want, sizeof want, "GET %s from %s", path, from);
    ht_resp r;
    ht_roundtrip(fd, req, &r);
    CHECKF(r.status == 200 && strcmp(r.body, want) == 0, "%d [%s], want [%s]",
           r.status, r.body, want);
    free(r.body);
}

/* As ht_fd_closed: errno read in a function of its own. */

static __attribute__((noinline)) int file_gone(const char *path)
{
    return access(path, F_OK) < 0 && errno == ENOENT;
}

/* A client Unix socket bound to path (Go shows that as its address). */
static int dial_bound(const char *path, const char *server_path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_un su = { .sun_family = AF_UNIX };
    CHECK(strlen(path) < sizeof su.sun_path && strlen(server_path) < sizeof su.sun_path);
    strcpy(su.sun_path, path);
    CHECK(bind(fd, (struct sockaddr *)&su, sizeof su) == 0);
    strcpy(su.sun_path, server_path);
    CHECK(connect(fd, (struct sockaddr *)&su, sizeof su) == 0);
    CHECK(goc_net_adopt(fd) == fd);
    return fd;
}

static void unix_path(void)
{
    char sock[128], addr[140], client[128];
    snprintf(sock, sizeof sock, "%s/http.sock", dir);
    snprintf(addr, sizeof addr, "unix:%s", sock);
    snprintf(client, sizeof client, "%s/client.sock", dir);
    for (int round = 0; round < 2; round++) {
        ht_server h = { new_server(), NULL };
        CHECK(goc_http_server_listen(h.s, addr) == 0);      /* no port */
        CHECK(goc_http_server_listen(h.s, addr) == -EALREADY);
        ht_start(&h);
        int c = goc_dial(addr);
        CHECK(c >= 0);
        expect(c, "/a", "@");
        expect(c, "/b", "@");                                /* keep-alive */
        goc_close(c);
        c = dial_bound(client, sock);
        expect(c, "/bound", client);
        goc_close(c);
        unlink(client);
        ht_stop(&h);
        /* the server made the file, and removed it with the listener */
        CHECK(file_gone(sock));
        CHECK(goc_dial(addr) == -ENOENT);
    }
}

static void unix_abstract(void)
{
    char addr[96];
    snprintf(addr, sizeof addr, "unix:@goc_http_listen_%d_%d", (int)getpid(),
             goc_maxprocs(0));
    ht_server h = { new_server(), NULL };
    CHECK(goc_http_server_listen(h.s, addr) == 0);
    ht_start(&h);
    int c = goc_dial(addr);
    CHECK(c >= 0);
    expect(c, "/abstract", "@");
    goc_close(c);
    ht_stop(&h);
    CHECK(goc_dial(addr) == -ECONNREFUSED);
}

typedef struct client_arg {
    const char *addr;
    int i;
    goc_wg *wg;
} client_arg;

static void client(void *arg)
{
    client_arg *a = arg;
    int c = goc_dial(a->addr);
    CHECK(c >= 0);
    char path[32], from[64];
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    CHECK(getsockname(c, (struct sockaddr *)&sa, &sl) == 0);
    snprintf(from, sizeof from, "127.0.0.1:%d", ntohs(sa.sin_port));
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "/c%d/%d", a->i, k);
        expect(c, path, from);
    }
    goc_close(c);
    goc_wg_done(a->wg);
}

static int plain_tcp_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);               /* blocking */
    CHECK(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(fd, 64) == 0);
    socklen_t sl = sizeof sa;
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void tcp_fd(void)
{
    int port;
    int fd = plain_tcp_listener(&port);
    ht_server h = { new_server(), NULL };
    CHECK(goc_http_server_use_listener(h.s, fd) == port);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);                 /* adopted */
    CHECK(goc_http_server_use_listener(h.s, fd) == -EALREADY);
    ht_start(&h);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    enum { N = 8 };
    client_arg ca[N];
    goc_wg wg = {0};
    goc_wg_add(&wg, N);
    for (int i = 0; i < N; i++) {
        ca[i] = (client_arg){ addr, i, &wg };
        CHECK(goc_go(client, &ca[i]) == 0);
    }
    goc_wg_wait(&wg);
    /* the accept loop is parked on the adopted fd now: shutdown must wake
     * it (through the poller; a blocking fd would hold its thread) */
    goc_sleep(50 * HT_MS);
    int64_t t0 = goc_now();
    ht_stop_fd(&h, fd);                     /* closed by the shutdown */
    CHECKF(goc_now() - t0 < 4000 * HT_MS, "shutdown took %lld ms",
           (long long)((goc_now() - t0) / HT_MS));
    CHECK(goc_dial(addr) == -ECONNREFUSED);
}

static void unix_fd(void)
{
    char sock[128], addr[140];
    snprintf(sock, sizeof sock, "%s/plain.sock", dir);
    snprintf(addr, sizeof addr, "unix:%s", sock);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_un su = { .sun_family = AF_UNIX };
    CHECK(strlen(sock) < sizeof su.sun_path);
    strcpy(su.sun_path, sock);
    CHECK(bind(fd, (struct sockaddr *)&su, sizeof su) == 0);
    CHECK(listen(fd, 16) == 0);
    ht_server h = { new_server(), NULL };
    CHECK(goc_http_server_use_listener(h.s, fd) == 0);
    ht_start(&h);
    int c = goc_dial(addr);
    CHECK(c >= 0);
    expect(c, "/plain-unix", "@");
    goc_close(c);
    ht_stop_fd(&h, fd);
    CHECK(access(sock, F_OK) == 0);         /* not the server's file */
    CHECK(unlink(sock) == 0);
}

static void goc_made_fd(void)
{
    int fd = goc_listen("127.0.0.1:0", 0);
    CHECK(fd >= 0);
    ht_server h = { new_server(), NULL };
    int port = goc_http_server_use_listener(h.s, fd);
    CHECK(port == goc_local_port(fd));
    ht_start(&h);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int c = goc_dial(addr);
    CHECK(c >= 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    CHECK(getsockname(c, (struct sockaddr *)&sa, &sl) == 0);
    char from[64];
    snprintf(from, sizeof from, "127.0.0.1:%d", ntohs(sa.sin_port));
    expect(c, "/goc", from);
    goc_close(c);
    ht_stop_fd(&h, fd);

    /* never served: free closes the listener */
    int p2;
    fd = plain_tcp_listener(&p2);
    goc_http_server *s = new_server();
    CHECK(goc_http_server_use_listener(s, fd) == p2);
    goc_http_server_free(s);
    CHECK(ht_fd_closed(fd));
}

static void bad_input(void)
{
    goc_http_server *s = new_server();
    CHECK(goc_http_server_use_listener(s, -1) == -EBADF);
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(goc_http_server_use_listener(s, p[0]) == -ENOTSOCK);
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    close(p[0]);
    close(p[1]);
    CHECK(goc_http_server_use_listener(s, p[0]) == -EBADF);   /* closed */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(goc_http_server_use_listener(s, sv[0]) == -EINVAL); /* connected */
    CHECK(!(fcntl(sv[0], F_GETFL) & O_NONBLOCK));
    close(sv[0]);
    close(sv[1]);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(t >= 0 && bind(t, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(goc_http_server_use_listener(s, t) == -EINVAL);     /* not listening */
    close(t);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(u >= 0);
    CHECK(goc_http_server_use_listener(s, u) == -EINVAL);     /* UDP */
    close(u);
    CHECK(goc_http_server_listen(s, "unix:") == -EINVAL);
    goc_http_server_free(s);
}

static void main_g(void *arg)
{
    (void)arg;
    bad_input();
    unix_path();
    unix_abstract();
    tcp_fd();
    unix_fd();
    goc_made_fd();
    CHECK(rmdir(dir) == 0);
    printf("http_listen ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/goc_http_listen_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    return goc_main(main_g, NULL);
}
