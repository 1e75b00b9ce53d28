/* net_dial: goc_dial_timeout and goc_dial_ctx.  A listener whose accept
 * queue is full drops SYNs, so a connect to it hangs: the timeout must end
 * it with -ETIMEDOUT (never early), a context's deadline with -ETIMEDOUT,
 * a cancellation from another goroutine with -ECANCELED while the connect
 * is parked; a done context fails at once; the normal path connects; bad
 * input gives -EINVAL; a closed port -ECONNREFUSED. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "nettest.h"

#define MS 1000000LL

static char full_addr[64];

/* A raw listener with backlog 0 whose queue we fill with connections that
 * are never accepted; true once a dial hangs (the queue is full). */
static bool fill_queue(int *held, int *nheld)
{
    for (*nheld = 0; *nheld < 64; ) {
        int fd = goc_dial_timeout(full_addr, 500 * MS);
        if (fd == -ETIMEDOUT)
            return true;
        CHECK(fd >= 0);
        held[(*nheld)++] = fd;
    }
    return false;
}

static void canceller(void *arg)
{
    goc_sleep(50 * MS);
    goc_ctx_cancel(arg, 0);
}

static void main_g(void *arg)
{
    (void)arg;
    /* bad input */
    CHECK(goc_dial_timeout("127.0.0.1", 1000 * MS) == -EINVAL);
    CHECK(goc_dial_timeout("127.0.0.1:1", -1) == -EINVAL);
    CHECK(goc_dial_ctx(NULL, "nope") == -EINVAL);

    /* normal path, with and without a bound */
    char addr[64];
    int lfd = goc_listen("127.0.0.1:0", 8);
    CHECK(lfd >= 0);
    test_addr_of(lfd, addr, sizeof addr);
    int c = goc_dial_timeout(addr, 2000 * MS);
    CHECK(c >= 0);
    int s = goc_accept(lfd);
    CHECK(s >= 0);
    CHECK(goc_write(c, "a", 1) == 1);      /* the deadline was cleared */
    char b;
    CHECK(goc_read(s, &b, 1) == 1 && b == 'a');
    goc_close(c);
    goc_close(s);
    goc_ctx *ctx = goc_ctx_with_timeout(NULL, 2000 * MS);
    c = goc_dial_ctx(ctx, addr);
    CHECK(c >= 0);
    goc_ctx_free(ctx);
    s = goc_accept(lfd);
    CHECK(s >= 0);
    goc_sleep(5 * MS);                     /* past any stale watcher */
    CHECK(goc_write(c, "b", 1) == 1);
    CHECK(goc_read(s, &b, 1) == 1 && b == 'b');
    goc_close(c);
    goc_close(s);
    c = goc_dial_ctx(NULL, addr);          /* background: no watcher */
    CHECK(c >= 0);
    goc_close(c);
    goc_close(goc_accept(lfd));
    goc_close(lfd);
    /* a closed port: refused, not a timeout */
    CHECK(goc_dial_timeout(addr, 2000 * MS) == -ECONNREFUSED);

    /* a listener that never accepts, queue filled */
    int raw = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(bind(raw, (struct sockaddr *)&sin, sizeof sin) == 0);
    CHECK(listen(raw, 0) == 0);
    test_addr_of(raw, full_addr, sizeof full_addr);
    int held[64], nheld;
    if (!fill_queue(held, &nheld)) {
        /* The kernel accepted 64 connections into a backlog-0 queue: no
         * hanging connect can be made here, so the timeout paths cannot be
         * exercised.  Fail loudly rather than pass without checking. */
        CHECK(!"accept queue never filled");
    }

    /* timeout path: never early, not much late */
    for (int64_t t = 1 * MS; t <= 100 * MS; t *= 10) {
        int64_t t0 = goc_now();
        CHECK(goc_dial_timeout(full_addr, t) == -ETIMEDOUT);
        int64_t took = goc_now() - t0;
        CHECKF(took >= t && took < t + 2000 * MS, "took %lld for %lld",
               (long long)took, (long long)t);
    }

    /* context deadline */
    int64_t t0 = goc_now();
    ctx = goc_ctx_with_timeout(NULL, 40 * MS);
    CHECK(goc_dial_ctx(ctx, full_addr) == -ETIMEDOUT);
    CHECK(goc_now() - t0 >= 40 * MS);
    goc_ctx_free(ctx);

    /* cancellation wakes the parked connect */
    ctx = goc_ctx_with_cancel(NULL);
    t0 = goc_now();
    CHECK(goc_go(canceller, ctx) == 0);
    CHECK(goc_dial_ctx(ctx, full_addr) == -ECANCELED);
    int64_t took = goc_now() - t0;
    CHECK(took >= 50 * MS && took < 3000 * MS);
    /* done already: at once */
    t0 = goc_now();
    CHECK(goc_dial_ctx(ctx, full_addr) == -ECANCELED);
    CHECK(goc_now() - t0 < 1000 * MS);    /* no connect was tried */
    goc_ctx_free(ctx);
    /* a parent's cancellation reaches the dial through a child */
    goc_ctx *parent = goc_ctx_with_cancel(NULL);
    ctx = goc_ctx_with_timeout(parent, 5000 * MS);
    CHECK(goc_go(canceller, parent) == 0);
    CHECK(goc_dial_ctx(ctx, full_addr) == -ECANCELED);
    goc_ctx_free(ctx);
    goc_ctx_free(parent);

    for (int i = 0; i < nheld; i++)
        goc_close(held[i]);
    close(raw);
    printf("net_dial ok (procs=%d, queue took %d)\n", goc_maxprocs(0), nheld);
}

int main(void)
{
    return goc_main(main_g, NULL);
}
