/*
 * conn.c — goc_conn, a connection handle (Go's net.Conn): after
 * goc_conn_close, every call through the handle returns -EBADF, even once
 * the kernel has given the fd number to a new connection.  A raw fd cannot
 * promise that: a goroutine about to goc_write(fd) after another closed fd
 * writes into whatever connection reused the number.
 *
 * How.  From goc_conn_open to goc_conn_close the handle holds a reference
 * to the fd's pollDesc; netpoll.c closes the OS fd only when the last
 * reference goes, so while the handle is open its number cannot be reused.
 * Each call takes one more reference for its own duration, through the
 * handle's pollDesc pointer (pollDescs are never freed) and checked against
 * the fdseq recorded at open: a call that races with the close either
 * takes its reference first (and is then woken with -EBADF by the close, as
 * a raw goc_read is) or finds the reference refused (closing) or the
 * pollDesc reused for another fd (fdseq differs), and returns -EBADF
 * without touching any fd.
 *
 * Memory.  The handle itself is reference-counted (goc_conn_retain /
 * goc_conn_release, as channels), so a goroutine that still holds it after
 * the close reads a live struct and gets -EBADF instead of a use after free.
 * The last release closes the connection if nobody did.
 */
#include <errno.h>
#include <stdlib.h>

#include "goc.h"
#include "net.h"

struct goc_conn {
    _Atomic uint32_t refs;     /* handle references; 0 frees */
    _Atomic bool     closed;   /* goc_conn_close (or the last release) ran */
    int              fd;       /* fixed at open; pinned until the close */
    uint32_t         seq;      /* pd->fdseq at open */
    goc_pd          *pd;       /* one reference held from open to close */
};

int goc_conn_open(int fd, goc_conn **out)
{
    if (out == NULL)
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    goc_pd *pd;
    int err = goc__pd_get(fd, &pd);
    if (err == -ENOENT)
        return -ENOTSOCK;        /* not an fd goc made */
    if (err < 0)
        return err;
    goc_conn *c = malloc(sizeof *c);
    if (c == NULL) {
        goc__pd_release(pd);
        return -ENOMEM;
    }
    atomic_init(&c->refs, 1);
    atomic_init(&c->closed, false);
    c->fd = fd;
    c->seq = atomic_load(&pd->fdseq);
    c->pd = pd;
    *out = c;
    return 0;
}

/* A reference for one call: 0, or -EBADF once the handle is closed. */
static int begin(goc_conn *c)
{
    if (c == NULL)
        return -EINVAL;
    if (atomic_load(&c->closed))
        return -EBADF;
    return goc__pd_ref(c->pd, c->seq);
}

ssize_t goc_conn_read(goc_conn *c, void *buf, size_t n)
{
    int err = begin(c);
    if (err < 0)
        return err;
    ssize_t r = goc__net_read(c->pd, c->fd, buf, n);
    goc__pd_release(c->pd);
    return r;
}

ssize_t goc_conn_write_n(goc_conn *c, const void *buf, size_t n, size_t *written)
{
    size_t done = 0;
    ssize_t r = begin(c);
    if (r == 0) {
        r = goc__net_write(c->pd, c->fd, buf, n, &done);
        goc__pd_release(c->pd);
    }
    if (written)
        *written = done;
    return r;
}

ssize_t goc_conn_write(goc_conn *c, const void *buf, size_t n)
{
    return goc_conn_write_n(c, buf, n, NULL);
}

ssize_t goc_conn_writev(goc_conn *c, const struct iovec *iov, int iovcnt,
                        size_t *written)
{
    size_t done = 0;
    ssize_t r = begin(c);
    if (r == 0) {
        r = goc__net_writev(c->pd, c->fd, iov, iovcnt, &done);
        goc__pd_release(c->pd);
    }
    if (written)
        *written = done;
    return r;
}

int goc_conn_set_deadline(goc_conn *c, int64_t read_deadline,
                          int64_t write_deadline)
{
    int err = begin(c);
    if (err < 0)
        return err;
    err = goc__pd_set_deadline(c->pd, read_deadline, write_deadline);
    goc__pd_release(c->pd);
    return err;
}

int goc_conn_fd(goc_conn *c)
{
    if (c == NULL)
        return -EINVAL;
    return atomic_load(&c->closed) ? -EBADF : c->fd;
}

int goc_conn_close(goc_conn *c)
{
    if (c == NULL)
        return -EINVAL;
    if (atomic_exchange(&c->closed, true))
        return -EBADF;
    /* Our reference pins the number: this closes c->fd, never a reuse. */
    int err = goc__waitfd_close(c->fd, goc__pd_close);
    goc__pd_release(c->pd);
    return err;
}

goc_conn *goc_conn_retain(goc_conn *c)
{
    if (c != NULL && atomic_fetch_add(&c->refs, 1) == 0)
        goc__fatal("goc_conn_retain of a freed connection");
    return c;
}

void goc_conn_release(goc_conn *c)
{
    if (c == NULL)
        return;
    uint32_t old = atomic_fetch_sub(&c->refs, 1);
    if (old == 0)
        goc__fatal("goc_conn_release of a freed connection");
    if (old != 1)
        return;
    if (!atomic_load(&c->closed))
        goc_conn_close(c);
    free(c);
}
