/*
 * bufio.c — goc_bufreader, a small buffered reader for line, delimiter and
 * length-prefixed protocols (Go's bufio.Reader: ReadSlice, ReadString,
 * io.ReadFull).
 *
 * State: buf[r, w) holds bytes read from the source and not yet consumed;
 * 0 <= r <= w <= size.  buf has size + 1 bytes so a line can always be
 * NUL-terminated in place.  A fill first moves the unconsumed bytes to the
 * front, so a line, a delimited item or a frame of up to size bytes always
 * fits: size is the reader's maximum item length, and an item that does
 * not fit fails with -EMSGSIZE instead of growing the buffer.
 *
 * Errors from the source (-ETIMEDOUT, -EBADF, ...) are returned and NOT
 * sticky: nothing is consumed by a call that fails, so a caller may move a
 * deadline and call again.  End of stream is the source's 0; it is not
 * sticky either (a socket keeps returning 0).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "goc.h"

#define BR_DEFAULT 4096
#define BR_MIN     16     /* Go's minReadBufferSize */

struct goc_bufreader {
    ssize_t (*read)(void *src, void *buf, size_t n);
    void    *src;
    int      fd;          /* the fd source's fd (src points at it) */
    char    *buf;         /* size + 1 bytes */
    size_t   size;
    size_t   r, w;        /* unconsumed bytes: buf[r, w) */
};

static ssize_t read_fd(void *src, void *buf, size_t n)
{
    return goc_read(*(int *)src, buf, n);
}

static ssize_t read_conn(void *src, void *buf, size_t n)
{
    return goc_conn_read(src, buf, n);
}

goc_bufreader *goc_bufreader_new_fn(ssize_t (*read)(void *src, void *buf, size_t n),
                                    void *src, size_t size)
{
    if (read == NULL)
        return NULL;
    if (size == 0)
        size = BR_DEFAULT;
    if (size < BR_MIN)
        size = BR_MIN;
    goc_bufreader *br = calloc(1, sizeof *br);
    if (br == NULL)
        return NULL;
    br->buf = malloc(size + 1);
    if (br->buf == NULL) {
        free(br);
        return NULL;
    }
    br->read = read;
    br->src = src;
    br->size = size;
    return br;
}

goc_bufreader *goc_bufreader_new(int fd, size_t size)
{
    if (fd < 0)
        return NULL;
    goc_bufreader *br = goc_bufreader_new_fn(read_fd, NULL, size);
    if (br) {
        br->fd = fd;
        br->src = &br->fd;
    }
    return br;
}

goc_bufreader *goc_bufreader_new_conn(goc_conn *c, size_t size)
{
    return c ? goc_bufreader_new_fn(read_conn, c, size) : NULL;
}

void goc_bufreader_free(goc_bufreader *br)
{
    if (br) {
        free(br->buf);
        free(br);
    }
}

size_t goc_bufreader_buffered(const goc_bufreader *br)
{
    return br ? br->w - br->r : 0;
}

/* One read from the source into the free tail (unconsumed bytes moved to
 * the front first): bytes read, 0 at end of stream, or -errno.  The buffer
 * must not be full. */
static ssize_t fill(goc_bufreader *br)
{
    if (br->r > 0) {
        memmove(br->buf, br->buf + br->r, br->w - br->r);
        br->w -= br->r;
        br->r = 0;
    }
    ssize_t n = br->read(br->src, br->buf + br->w, br->size - br->w);
    if (n > 0)
        br->w += (size_t)n;
    return n;
}

/* Consume len bytes from r; the item's address. */
static const char *take(goc_bufreader *br, size_t len)
{
    const char *p = br->buf + br->r;
    br->r += len;
    return p;
}

ssize_t goc_bufreader_read_until(goc_bufreader *br, int delim, const char **out)
{
    if (br == NULL || out == NULL)
        return -EINVAL;
    size_t scanned = 0;    /* bytes from r known not to hold delim */
    for (;;) {
        size_t have = br->w - br->r;
        const char *hit = memchr(br->buf + br->r + scanned, (unsigned char)delim,
                                 have - scanned);
        if (hit) {
            size_t len = (size_t)(hit - (br->buf + br->r)) + 1;
            *out = take(br, len);
            return (ssize_t)len;
        }
        scanned = have;
        if (have == br->size)
            return -EMSGSIZE;            /* longer than the buffer */
        ssize_t n = fill(br);
        if (n < 0)
            return n;
        if (n == 0) {                    /* end of stream */
            if (have == 0)
                return -ENODATA;
            *out = take(br, have);       /* the last item, no delimiter */
            return (ssize_t)have;
        }
    }
}

ssize_t goc_bufreader_read_line(goc_bufreader *br, const char **line)
{
    const char *p;
    ssize_t n = goc_bufreader_read_until(br, '\n', &p);
    if (n < 0)
        return n;
    size_t len = (size_t)n;
    if (len > 0 && p[len - 1] == '\n')
        len--;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    /* The byte after the line is its '\r' or '\n' (consumed), or, for a
     * last line without one, buf[w] (buf has size + 1 bytes and the fill
     * that follows moves the data before writing). */
    ((char *)p)[len] = '\0';
    *line = p;
    return (ssize_t)len;
}

ssize_t goc_bufreader_read_full(goc_bufreader *br, void *dst, size_t n)
{
    if (br == NULL || (dst == NULL && n > 0))
        return -EINVAL;
    if (n > br->size)
        return -EMSGSIZE;
    while (br->w - br->r < n) {
        ssize_t got = fill(br);
        if (got < 0)
            return got;
        if (got == 0)
            return br->w == br->r ? -ENODATA : -EPROTO;
    }
    memcpy(dst, take(br, n), n);
    return (ssize_t)n;
}

ssize_t goc_bufreader_read(goc_bufreader *br, void *dst, size_t n)
{
    if (br == NULL || (dst == NULL && n > 0))
        return -EINVAL;
    if (n == 0)
        return 0;
    if (br->w == br->r) {
        if (n >= br->size)               /* large read: skip the copy */
            return br->read(br->src, dst, n);
        ssize_t got = fill(br);
        if (got <= 0)
            return got;
    }
    size_t k = br->w - br->r;
    if (k > n)
        k = n;
    memcpy(dst, take(br, k), k);
    return (ssize_t)k;
}
