/* chat.c — gopl's chat server (ch. 8.10): a broadcaster goroutine owns the
 * set of clients; each connection has a reader (its handler) and a writer
 * goroutine fed by its own channel.  Run as a demo, it also starts N
 * in-process clients on loopback that register, each send M lines, read
 * until they have seen every client's lines, and leave; it prints a summary
 * and exits.  Go twin: examples/go/chat.go.
 *
 *   chat [CLIENTS] [MESSAGES]      (defaults 50, 10)
 *   chat serve ADDR               the server alone (try: nc 127.0.0.1 8000)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <goc.h>

/* ------------------------------------------------------------ server */

static goc_chan *entering, *leaving;   /* goc_chan * of a client's writer */
static goc_chan *messages;             /* char * (malloc'd, one owner);
                                          NULL: no message, a barrier */
static goc_wg conns;                   /* a handler and a writer per conn */

/* The broadcaster's set (file scope: it lives as long as the program). */
static goc_chan **clients;
static size_t nclis, capclis;

static void broadcaster(void *arg)
{
    (void)arg;
    for (;;) {
        char *msg;
        goc_chan *cli;
        goc_case cs[] = {
            { .chan = messages, .op = GOC_RECV, .elem = &msg },
            { .chan = entering, .op = GOC_RECV, .elem = &cli },
            { .chan = leaving, .op = GOC_RECV, .elem = &cli },
        };
        switch (goc_select(cs, 3, 1)) {
        case 0:   /* to every client's writer: each gets its own copy */
            if (msg == NULL)
                break;
            for (size_t i = 0; i < nclis; i++) {
                char *copy = strdup(msg);
                goc_chan_send(clients[i], &copy);
            }
            free(msg);
            break;
        case 1:
            if (nclis == capclis) {
                capclis = capclis ? 2 * capclis : 16;
                clients = realloc(clients, capclis * sizeof *clients);
            }
            clients[nclis++] = cli;
            break;
        case 2:
            for (size_t i = 0; i < nclis; i++)
                if (clients[i] == cli) {
                    clients[i] = clients[--nclis];
                    break;
                }
            goc_chan_close(cli);   /* its writer drains it, then frees it */
            break;
        }
    }
}

static void say(goc_chan *c, const char *fmt, const char *who, const char *text)
{
    char *m;
    if (asprintf(&m, fmt, who, text) >= 0)
        goc_chan_send(c, &m);
}

struct conn { int fd; goc_chan *ch; };

/* The writer owns the fd's close: it is the last to use it. */
static void client_writer(void *arg)
{
    struct conn *c = arg;
    char *msg;
    while (goc_chan_recv(c->ch, &msg) == 0) {
        size_t len = strlen(msg);
        msg[len] = '\n';   /* asprintf/strdup left room: the NUL's byte */
        goc_write(c->fd, msg, len + 1);
        free(msg);
    }
    goc_close(c->fd);
    goc_chan_free(c->ch);
    free(c);
    goc_wg_done(&conns);
}

/* A line reader over a goroutine's fd. */
struct lines { int fd; size_t len, off; char buf[4096]; };

/* The next line without its '\n' (NUL-terminated, in r->buf), or NULL at
 * EOF or on error. */
static char *next_line(struct lines *r)
{
    for (;;) {
        char *nl = memchr(r->buf + r->off, '\n', r->len - r->off);
        if (nl) {
            char *line = r->buf + r->off;
            *nl = 0;
            r->off = (size_t)(nl - r->buf) + 1;
            return line;
        }
        memmove(r->buf, r->buf + r->off, r->len - r->off);
        r->len -= r->off;
        r->off = 0;
        if (r->len == sizeof r->buf - 1)
            return NULL;   /* line too long */
        ssize_t k = goc_read(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len);
        if (k <= 0)
            return NULL;
        r->len += (size_t)k;
    }
}

static void handle_conn(void *arg)
{
    int fd = (int)(long)arg;
    struct conn *c = malloc(sizeof *c);
    c->fd = fd;
    c->ch = goc_chan_make(sizeof(char *), 0);
    goc_go(client_writer, c);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    char who[64] = "?";
    if (getpeername(fd, (struct sockaddr *)&sa, &sl) == 0)
        snprintf(who, sizeof who, "%s:%d", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
    goc_chan *ch = c->ch;          /* c belongs to the writer from here on */
    say(ch, "You are %s%s", who, "");
    say(messages, "%s%s has arrived", who, "");
    goc_chan_send(entering, &ch);
    struct lines *r = calloc(1, sizeof *r);
    r->fd = fd;
    char *line;
    while ((line = next_line(r)) != NULL)
        say(messages, "%s: %s", who, line);
    free(r);
    goc_chan_send(leaving, &ch);   /* the broadcaster closes ch */
    say(messages, "%s%s has left", who, "");
    goc_wg_done(&conns);
}

static void accept_loop(void *arg)
{
    int lfd = (int)(long)arg;
    int fd;
    while ((fd = goc_accept(lfd)) >= 0) {
        goc_wg_add(&conns, 2);
        goc_go(handle_conn, (void *)(long)fd);
    }
}

static int start_server(const char *addr)
{
    entering = goc_chan_make(sizeof(goc_chan *), 0);
    leaving = goc_chan_make(sizeof(goc_chan *), 0);
    messages = goc_chan_make(sizeof(char *), 0);
    int lfd = goc_listen(addr, 512);
    if (lfd < 0)
        return lfd;
    goc_go(broadcaster, NULL);
    goc_go(accept_loop, (void *)(long)lfd);
    return lfd;
}

/* ------------------------------------------------- in-process clients */

static long nclients = 50, nmsgs = 10;
static int port;
static goc_chan *start;                /* closed: all clients registered */
static goc_wg registered, finished;
static _Atomic long complete;          /* clients that saw every line */

static void client(void *arg)
{
    long id = (long)arg;
    char addr[32], out[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int fd = goc_dial(addr);
    if (fd < 0) {
        fprintf(stderr, "chat: dial: %s\n", strerror(-fd));
        exit(1);
    }
    struct lines *r = calloc(1, sizeof *r);
    r->fd = fd;
    char me[64] = "", hello[96];
    char *line = next_line(r);
    if (line == NULL || sscanf(line, "You are %63s", me) != 1)
        exit(1);
    /* Registered once our own line comes back through the broadcaster. */
    int n = snprintf(out, sizeof out, "hello from %ld\n", id);
    goc_write(fd, out, (size_t)n);
    snprintf(hello, sizeof hello, "%s: hello from %ld", me, id);
    while ((line = next_line(r)) != NULL && strcmp(line, hello) != 0)
        ;
    goc_wg_done(&registered);
    goc_chan_recv(start, NULL);        /* closed: go */
    for (long m = 0; m < nmsgs; m++) {
        n = snprintf(out, sizeof out, "msg %ld %ld\n", id, m);
        goc_write(fd, out, (size_t)n);
    }
    long want = nclients * nmsgs, got = 0;
    while (got < want && (line = next_line(r)) != NULL)
        if (strstr(line, ": msg ") != NULL)
            got++;
    if (got == want)
        complete++;
    free(r);
    goc_close(fd);                     /* the server sees EOF: "has left" */
    goc_wg_done(&finished);
}

static void demo(void *arg)
{
    (void)arg;
    int lfd = start_server("127.0.0.1:0");
    if (lfd < 0) {
        fprintf(stderr, "chat: listen: %s\n", strerror(-lfd));
        exit(1);
    }
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    port = ntohs(sa.sin_port);
    start = goc_chan_make(0, 0);
    int64_t t0 = goc_now();
    goc_wg_add(&registered, (int)nclients);
    goc_wg_add(&finished, (int)nclients);
    for (long i = 0; i < nclients; i++)
        goc_go(client, (void *)i);
    goc_wg_wait(&registered);
    goc_chan_close(start);
    goc_wg_wait(&finished);
    goc_wg_wait(&conns);               /* the server saw every client leave */
    char *barrier = NULL;
    goc_chan_send(messages, &barrier); /* and forwarded every line before */
    printf("chat: %ld clients sent %ld lines each; %ld of %ld clients received all %ld lines "
           "(%.1f ms)\n", nclients, nmsgs, (long)complete, nclients, nclients * nmsgs,
           (double)(goc_now() - t0) / 1e6);
    goc_close(lfd);
    if (complete != nclients)
        exit(1);
}

static void serve(void *arg)
{
    int lfd = start_server(arg);
    if (lfd < 0) {
        fprintf(stderr, "chat: listen %s: %s\n", (char *)arg, strerror(-lfd));
        exit(1);
    }
    goc_chan_recv(NULL, NULL);   /* forever */
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "serve") == 0)
        return goc_main(serve, argv[2]);
    if (argc > 1) nclients = atol(argv[1]);
    if (argc > 2) nmsgs = atol(argv[2]);
    if (nclients < 1 || nclients > 5000 || nmsgs < 0 || nmsgs > 1000) {
        fprintf(stderr, "usage: chat [CLIENTS (1..5000)] [MESSAGES (0..1000)] | chat serve ADDR\n");
        return 2;
    }
    return goc_main(demo, NULL);
}
