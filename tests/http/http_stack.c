/* http_stack.c — goc_http_server_config.stack_size: a handler that
 * recurses ~2 MiB deep on its input (far past the default 256 KiB stack)
 * answers when the server gives its connections 8 MiB stacks; a size over
 * 1 GiB is refused.  Client and server in one process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <goc.h>
#include <goc_http.h>
#include "testutil.h"

/* ~4 KiB a frame: depth 512 is 2 MiB. */
static long nest(const char *q, long depth)
{
    volatile char frame[4000];
    memset((char *)frame, (int)depth, sizeof frame);
    if (depth == 0)
        return (long)strlen(q);
    return nest(q, depth - 1) + frame[depth % 4000] - (char)depth;
}

static void handler(goc_http_response *w, goc_http_request *r, void *arg)
{
    (void)arg;
    long depth = strtol(r->query, NULL, 10);
    long v = nest(r->query, depth);
    goc_http_printf(w, "depth %ld ok %ld\n", depth, v);
}

static goc_http_server *srv;
static int port;
static goc_chan *served;

static void serve(void *arg)
{
    (void)arg;
    int rc = goc_http_server_serve(srv);
    goc_chan_send(served, &rc);
}

/* One request on a fresh connection; the response's body (static). */
static const char *get(const char *target)
{
    static char buf[4096];
    char addr[32], req[256];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int fd = goc_dial(addr);
    CHECK(fd >= 0);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     target);
    CHECK(goc_write(fd, req, (size_t)n) == n);
    size_t len = 0;
    ssize_t k;
    while (len < sizeof buf - 1 && (k = goc_read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = 0;
    goc_close(fd);
    CHECKF(strncmp(buf, "HTTP/1.1 200", 12) == 0, "response: %s", buf);
    const char *body = strstr(buf, "\r\n\r\n");
    CHECK(body != NULL);
    return body + 4;
}

static void main_g(void *arg)
{
    (void)arg;
    goc_http_server_config cfg = { .handler = handler };
    cfg.stack_size = ((size_t)1 << 30) + 1;
    CHECK(goc_http_server_new(&srv, &cfg) == -EINVAL);
    cfg.stack_size = 8 << 20;
    CHECK(goc_http_server_new(&srv, &cfg) == 0);
    port = goc_http_server_listen(srv, "127.0.0.1:0");
    CHECK(port > 0);
    served = goc_chan_make(sizeof(int), 1);
    CHECK(goc_go(serve, NULL) == 0);

    const char *b = get("/?3");
    CHECKF(strncmp(b, "depth 3 ok", 10) == 0, "body: %s", b);
    /* 512 frames of ~4 KiB: 2 MiB, eight times the default stack. */
    for (int i = 0; i < 5; i++) {
        b = get("/?512");
        CHECKF(strncmp(b, "depth 512 ok", 12) == 0, "body: %s", b);
    }
    CHECK(goc_http_server_shutdown(srv, goc_now() + 5000000000LL) == 0);
    int rc;
    goc_chan_recv(served, &rc);
    CHECK(rc == 0);
    goc_http_server_free(srv);
    goc_chan_free(served);
    printf("http_stack ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void) { return goc_main(main_g, NULL); }
