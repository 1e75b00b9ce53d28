/* net_bufio: goc_bufreader over a socket, a goc_conn, a pipe and a custom
 * source: lines (LF, CRLF, empty, a last one without LF), delimited items,
 * exact-n frames (length-prefixed), items split across many small reads,
 * the maximum length (-EMSGSIZE, nothing consumed), end of stream
 * (-ENODATA, -EPROTO), a read deadline that fails and is retried without
 * losing bytes, and goc_close waking a parked read_line with -EBADF. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static goc_chan *res;

/* A source that hands out a fixed text one or two bytes per read. */
typedef struct { const char *s; size_t len, pos; } trickle;

static ssize_t trickle_read(void *src, void *buf, size_t n)
{
    trickle *t = src;
    size_t k = t->len - t->pos;
    size_t step = 1 + (t->pos & 1);
    if (k > step)
        k = step;
    if (k > n)
        k = n;
    memcpy(buf, t->s + t->pos, k);
    t->pos += k;
    return (ssize_t)k;
}

static void line_reader(void *arg)
{
    goc_bufreader *br = arg;
    const char *line;
    int r = (int)goc_bufreader_read_line(br, &line);
    goc_chan_send(res, &r);
}

static void closer_later(void *arg)
{
    goc_sleep(20 * MS);
    goc_close((int)(long)arg);
}

static void main_g(void *arg)
{
    (void)arg;
    res = goc_chan_make(sizeof(int), 1);
    const char *line, *item;

    /* bad input */
    CHECK(goc_bufreader_new(-1, 0) == NULL);
    CHECK(goc_bufreader_new_conn(NULL, 0) == NULL);
    CHECK(goc_bufreader_new_fn(NULL, NULL, 0) == NULL);
    CHECK(goc_bufreader_read_line(NULL, &line) == -EINVAL);

    /* lines and items from a trickling source: every split point */
    static const char text[] = "one\r\n\ntwo words\nkey=value;rest\nlast";
    trickle t = { text, sizeof text - 1, 0 };
    goc_bufreader *br = goc_bufreader_new_fn(trickle_read, &t, 16);
    CHECK(br != NULL);
    CHECK(goc_bufreader_read_line(br, &line) == 3 && strcmp(line, "one") == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 0 && strcmp(line, "") == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 9 && strcmp(line, "two words") == 0);
    CHECK(goc_bufreader_read_until(br, '=', &item) == 4 && memcmp(item, "key=", 4) == 0);
    CHECK(goc_bufreader_read_until(br, ';', &item) == 6 && memcmp(item, "value;", 6) == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 4 && strcmp(line, "rest") == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 4 && strcmp(line, "last") == 0);
    CHECK(goc_bufreader_read_line(br, &line) == -ENODATA);
    CHECK(goc_bufreader_read_until(br, ';', &item) == -ENODATA);
    goc_bufreader_free(br);

    /* the maximum: a 16-byte buffer holds a 15-byte line + LF, no more */
    static const char longer[] = "0123456789abcde\n0123456789abcdef\n";
    t = (trickle){ longer, sizeof longer - 1, 0 };
    br = goc_bufreader_new_fn(trickle_read, &t, 16);
    CHECK(goc_bufreader_read_line(br, &line) == 15);
    CHECK(goc_bufreader_read_line(br, &line) == -EMSGSIZE);
    CHECK(goc_bufreader_buffered(br) == 16);     /* nothing consumed */
    char sixteen[16];
    CHECK(goc_bufreader_read_full(br, sixteen, 17) == -EMSGSIZE);
    CHECK(goc_bufreader_read_full(br, sixteen, 16) == 16);
    CHECK(memcmp(sixteen, "0123456789abcdef", 16) == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 0);   /* the lone LF */
    goc_bufreader_free(br);

    /* length-prefixed frames over TCP, end of stream within a frame */
    char addr[64];
    int lfd = goc_listen("127.0.0.1:0", 8);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    int c = goc_dial(addr), s = goc_accept(lfd);
    CHECK(c >= 0 && s >= 0);
    br = goc_bufreader_new(s, 64);
    CHECK(br != NULL);
    static const unsigned char frames[] = { 3, 'a', 'b', 'c', 0, 5, 'h', 'e', 'l' };
    CHECK(goc_write(c, frames, sizeof frames) == (ssize_t)sizeof frames);
    unsigned char len, body[64];
    CHECK(goc_bufreader_read_full(br, &len, 1) == 1 && len == 3);
    CHECK(goc_bufreader_read_full(br, body, len) == 3 && memcmp(body, "abc", 3) == 0);
    CHECK(goc_bufreader_read_full(br, &len, 1) == 1 && len == 0);
    CHECK(goc_bufreader_read_full(br, body, 0) == 0);
    CHECK(goc_bufreader_read_full(br, &len, 1) == 1 && len == 5);

    /* deadline: fails, consumes nothing, a retry completes the frame */
    int64_t dl = goc_now() + 20 * MS;
    CHECK(goc_set_deadline(s, dl, 0) == 0);
    CHECK(goc_bufreader_read_full(br, body, len) == -ETIMEDOUT);
    CHECK(goc_now() >= dl);
    CHECK(goc_bufreader_buffered(br) == 3);
    CHECK(goc_set_deadline(s, 0, 0) == 0);
    CHECK(goc_write(c, "lo", 2) == 2);
    CHECK(goc_bufreader_read_full(br, body, len) == 5 && memcmp(body, "hello", 5) == 0);

    /* read: buffered bytes first, then the source */
    CHECK(goc_write(c, "xyz\n", 4) == 4);
    CHECK(goc_bufreader_read_until(br, 'y', &item) == 2);
    char small[8];
    CHECK(goc_bufreader_read(br, small, sizeof small) == 2 && memcmp(small, "z\n", 2) == 0);

    /* end of stream in the middle of a frame */
    CHECK(goc_write(c, "\x09" "abc", 4) == 4);
    goc_close(c);
    CHECK(goc_bufreader_read_full(br, &len, 1) == 1 && len == 9);
    CHECK(goc_bufreader_read_full(br, body, len) == -EPROTO);
    CHECK(goc_bufreader_read_full(br, body, 3) == 3);
    CHECK(goc_bufreader_read_full(br, body, 1) == -ENODATA);
    CHECK(goc_bufreader_read(br, small, 1) == 0);
    goc_bufreader_free(br);
    goc_close(s);

    /* through a goc_conn; goc_conn_close wakes a parked read_line */
    c = goc_dial(addr);
    s = goc_accept(lfd);
    CHECK(c >= 0 && s >= 0);
    goc_conn *conn;
    CHECK(goc_conn_open(s, &conn) == 0);
    br = goc_bufreader_new_conn(conn, 0);
    CHECK(goc_write(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27) == 27);
    CHECK(goc_bufreader_read_line(br, &line) == 14 && strcmp(line, "GET / HTTP/1.1") == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 7 && strcmp(line, "Host: x") == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 0);
    CHECK(goc_go(line_reader, br) == 0);
    goc_sleep(20 * MS);
    CHECK(goc_conn_close(conn) == 0);
    int r;
    goc_chan_recv(res, &r);
    CHECK(r == -EBADF);
    goc_bufreader_free(br);
    goc_conn_release(conn);
    goc_close(c);
    goc_close(lfd);

    /* a pipe (an fd goc did not make); goc_close wakes nothing blocked in
     * read(2), so the pipe's writer ends it: EOF */
    int p[2];
    CHECK(pipe(p) == 0);
    br = goc_bufreader_new(p[0], 0);
    CHECK(goc_write(p[1], "pipe line\npartial", 17) == 17);
    CHECK(goc_bufreader_read_line(br, &line) == 9 && strcmp(line, "pipe line") == 0);
    CHECK(goc_go(closer_later, (void *)(long)p[1]) == 0);
    CHECK(goc_bufreader_read_line(br, &line) == 7 && strcmp(line, "partial") == 0);
    CHECK(goc_bufreader_read_line(br, &line) == -ENODATA);
    goc_bufreader_free(br);
    close(p[0]);

    goc_chan_free(res);
    printf("net_bufio ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
