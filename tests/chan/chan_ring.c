/* chan_ring.c — the buffered channel's lock-free ring (chan.h) under every
 * kind of operation at once.  For each capacity (1, 2, 3, 5, 64, 129: powers
 * of two and not, one slot and many), producers send numbered records by
 * goc_chan_send, goc_chan_trysend and goc_select, a foreign thread sends
 * too, and consumers take them by goc_chan_recv, goc_chan_tryrecv and
 * goc_select, while a watcher reads goc_chan_len.  Checked:
 *   - every record arrives exactly once (a bitmap per producer);
 *   - no record is torn: its check word matches its fields (a copy that
 *     was published before it was complete would show here);
 *   - each consumer sees each producer's records in increasing order (the
 *     ring and the locked path between them keep FIFO order);
 *   - goc_chan_len never exceeds the capacity;
 *   - after close, the records still buffered are received, then -EPIPE.
 * A zero-size element channel runs the same traffic, counted. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <goc.h>
#include "testutil.h"

enum { NP = 4, NC = 4, NFOREIGN = 1, NSRC = NP + NFOREIGN };

struct rec {
    long src, seq;
    unsigned long check;
    char pad[8];
};

static unsigned long check_of(long src, long seq)
{
    return ((unsigned long)src * 0x9e3779b97f4a7c15ul) ^ ((unsigned long)seq * 0xc2b2ae3d27d4eb4ful);
}

struct st {
    goc_chan *c;
    goc_chan *never_r, *never_s; /* unbuffered: only received from / only
                                    sent to, so no case on them proceeds */
    size_t cap;
    long per;
    _Atomic unsigned char *seen[NSRC];
    _Atomic long received;
    _Atomic int stop_watch;
    goc_wg pw, cw, ww;
};

static unsigned rnd(unsigned *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void send_one(struct st *s, const struct rec *r, unsigned *seed)
{
    switch (rnd(seed) % 3) {
    case 0:
        CHECK(goc_chan_send(s->c, r) == 0);
        break;
    case 1:
        for (;;) {
            int e = goc_chan_trysend(s->c, r);
            if (e == 0)
                break;
            CHECK(e == -EAGAIN);
            goc_yield();
        }
        break;
    default: {
        struct rec dummy;
        goc_case cs[2] = {
            { .chan = s->c, .op = GOC_SEND, .elem = (void *)r },
            { .chan = s->never_r, .op = GOC_RECV, .elem = &dummy },
        };
        CHECK(goc_select(cs, 2, 1) == 0 && cs[0].result == 0);
    }
    }
}

static void producer(void *arg)
{
    struct st *s = ((void **)arg)[0];
    long src = (long)((void **)arg)[1];
    unsigned seed = 0x1234567u + (unsigned)src * 7919u;
    for (long i = 0; i < s->per; i++) {
        struct rec r = { src, i, check_of(src, i), { 0 } };
        send_one(s, &r, &seed);
    }
    goc_wg_done(&s->pw);
}

static void *foreign_producer(void *arg)
{
    struct st *s = arg;
    for (long i = 0; i < s->per; i++) {
        struct rec r = { NP, i, check_of(NP, i), { 0 } };
        CHECK(goc_chan_send(s->c, &r) == 0);
    }
    return NULL;
}

/* 0 with a record, -EPIPE once closed and drained. */
static int recv_one(struct st *s, struct rec *r, unsigned *seed)
{
    switch (rnd(seed) % 3) {
    case 0:
        return goc_chan_recv(s->c, r);
    case 1:
        for (;;) {
            int e = goc_chan_tryrecv(s->c, r);
            if (e != -EAGAIN)
                return e;
            goc_yield();
        }
    default: {
        struct rec dummy;
        goc_case cs[2] = {
            { .chan = s->c, .op = GOC_RECV, .elem = r },
            { .chan = s->never_s, .op = GOC_SEND, .elem = &dummy },
        };
        CHECK(goc_select(cs, 2, 1) == 0);
        return cs[0].result;
    }
    }
}

static void consumer(void *arg)
{
    struct st *s = ((void **)arg)[0];
    unsigned seed = 0x9abcdefu + (unsigned)(long)((void **)arg)[1] * 104729u;
    long last[NSRC];
    for (int i = 0; i < NSRC; i++)
        last[i] = -1;
    struct rec r;
    int e;
    while ((e = recv_one(s, &r, &seed)) == 0) {
        CHECKF(r.src >= 0 && r.src < NSRC && r.seq >= 0 && r.seq < s->per,
               "cap %zu: record out of range: src %ld seq %ld", s->cap, r.src, r.seq);
        CHECKF(r.check == check_of(r.src, r.seq), "cap %zu: torn record src %ld seq %ld",
               s->cap, r.src, r.seq);
        CHECKF(r.seq > last[r.src], "cap %zu: source %ld's record %ld after %ld", s->cap,
               r.src, r.seq, last[r.src]);
        last[r.src] = r.seq;
        unsigned char was = atomic_exchange(&s->seen[r.src][r.seq], 1);
        CHECKF(was == 0, "cap %zu: record src %ld seq %ld received twice", s->cap, r.src,
               r.seq);
        s->received++;
    }
    CHECK(e == -EPIPE);
    CHECK(r.src == 0 && r.seq == 0 && r.check == 0);   /* zeroed on close */
    goc_wg_done(&s->cw);
}

static void watcher(void *arg)
{
    struct st *s = arg;
    while (!s->stop_watch) {
        size_t n = goc_chan_len(s->c);
        CHECKF(n <= s->cap, "len %zu > cap %zu", n, s->cap);
        goc_yield();
    }
    goc_wg_done(&s->ww);
}

static void run_cap(size_t cap)
{
    struct st s;
    memset(&s, 0, sizeof s);
    s.c = goc_chan_make(sizeof(struct rec), cap);
    s.never_r = goc_chan_make(sizeof(struct rec), 0);
    s.never_s = goc_chan_make(sizeof(struct rec), 0);
    CHECK(s.c != NULL && s.never_r != NULL && s.never_s != NULL);
    CHECK(goc_chan_cap(s.c) == cap);
    s.cap = cap;
    s.per = test_scaled(20000);
    for (int i = 0; i < NSRC; i++)
        CHECK((s.seen[i] = calloc((size_t)s.per, 1)) != NULL);
    void *pargs[NP][2], *cargs[NC][2];
    goc_wg_add(&s.pw, NP);
    goc_wg_add(&s.cw, NC);
    goc_wg_add(&s.ww, 1);
    CHECK(goc_go(watcher, &s) == 0);
    for (long i = 0; i < NC; i++) {
        cargs[i][0] = &s, cargs[i][1] = (void *)i;
        CHECK(goc_go(consumer, cargs[i]) == 0);
    }
    pthread_t th;
    CHECK(pthread_create(&th, NULL, foreign_producer, &s) == 0);
    for (long i = 0; i < NP; i++) {
        pargs[i][0] = &s, pargs[i][1] = (void *)i;
        CHECK(goc_go(producer, pargs[i]) == 0);
    }
    goc_wg_wait(&s.pw);
    goc_syscall_enter();
    pthread_join(th, NULL);
    goc_syscall_exit();
    CHECK(goc_chan_close(s.c) == 0);
    goc_wg_wait(&s.cw);
    s.stop_watch = 1;
    goc_wg_wait(&s.ww);
    CHECKF(s.received == (long)NSRC * s.per, "cap %zu: %ld of %ld records", cap,
           (long)s.received, (long)NSRC * s.per);
    for (int i = 0; i < NSRC; i++) {
        for (long k = 0; k < s.per; k++)
            CHECKF(s.seen[i][k] == 1, "cap %zu: src %d seq %ld never arrived", cap, i, k);
        free((void *)s.seen[i]);
    }
    CHECK(goc_chan_len(s.c) == 0);
    goc_chan_free(s.c);
    goc_chan_free(s.never_r);
    goc_chan_free(s.never_s);
}

/* Zero-size elements: the ring carries only its sequence words. */
static goc_chan *zc;
static _Atomic long zgot;
static goc_wg zw;

static void zprod(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++)
        CHECK((i & 1 ? goc_chan_send(zc, NULL) : goc_chan_send(zc, &i)) == 0);
    goc_wg_done(&zw);
}

static void zcons(void *arg)
{
    (void)arg;
    while (goc_chan_recv(zc, NULL) == 0)
        zgot++;
    goc_wg_done(&zw);
}

static void run_zero(void)
{
    long per = test_scaled(50000);
    zc = goc_chan_make(0, 7);
    CHECK(zc != NULL);
    goc_wg_add(&zw, 3 + 3);
    for (int i = 0; i < 3; i++)
        CHECK(goc_go(zcons, NULL) == 0);
    for (int i = 0; i < 3; i++)
        CHECK(goc_go(zprod, (void *)per) == 0);
    while (zgot < 3 * per)
        goc_yield();
    CHECK(goc_chan_close(zc) == 0);
    goc_wg_wait(&zw);
    CHECK(zgot == 3 * per);
    goc_chan_free(zc);
}

static void main_g(void *arg)
{
    (void)arg;
    static const size_t caps[] = { 1, 2, 3, 5, 64, 129 };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        run_cap(caps[i]);
    run_zero();
    /* A channel too big to index is refused, not wrapped. */
    CHECK(goc_chan_make(8, (size_t)1 << 41) == NULL);
    CHECK(goc_chan_make(8, SIZE_MAX / 2) == NULL);
    printf("chan_ring: ok\n");
}

int main(void)
{
    return goc_main(main_g, NULL);
}
