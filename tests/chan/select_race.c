/* select_race.c — four goroutines select over the same channels while
 * producers push 100k distinct values through them (some by select, some by
 * plain send, unbuffered and buffered).  Every value must arrive exactly
 * once: a waker that loses the selectdone race must not deliver.  In the
 * dup rounds every select names channel a twice (two sudogs of one G on
 * one queue): a woken select must still lock a to unlink the second one
 * while other goroutines queue and dequeue there.  In the wide rounds the
 * consumers' selects have 12 cases, 9 of them on channels nobody sends on:
 * wait records from the P's pool rather than the select's stack, every one
 * unlinked again (the idle channels are freed with nobody waiting). */
#include <stdatomic.h>
#include <string.h>
#include <goc.h>
#include "testutil.h"

enum { NCONS = 4, NPROD = 4, NIDLE = 9 };

struct shared {
    goc_chan *a, *b, *quit, *done;
    long n;
    int dup;
    goc_chan *idle[NIDLE];   /* wide rounds: cases nobody sends on */
    int wide;
    _Atomic unsigned char *seen;
    goc_wg prod;
};

struct prod { struct shared *s; long lo, hi; int use_select; };

static void producer(void *arg)
{
    struct prod *p = arg;
    struct shared *s = p->s;
    for (long v = p->lo; v < p->hi; v++) {
        if (p->use_select) {
            goc_case cs[3] = { { s->a, GOC_SEND, &v, 0 }, { s->b, GOC_SEND, &v, 0 },
                               { s->a, GOC_SEND, &v, 0 } };
            int k = goc_select(cs, s->dup ? 3 : 2, 1);
            CHECK(k >= 0 && cs[k].result == 0);
        } else {
            CHECK(goc_chan_send((v & 1) ? s->a : s->b, &v) == 0);
        }
    }
    goc_wg_done(&s->prod);
}

static void consumer(void *arg)
{
    struct shared *s = arg;
    long got = 0;
    for (;;) {
        long v = -1;
        goc_case cs[3 + NIDLE] = { { s->a, GOC_RECV, &v, 0 }, { s->b, GOC_RECV, &v, 0 },
                                   { s->quit, GOC_RECV, NULL, 0 }, { s->a, GOC_RECV, &v, 0 } };
        size_t n = s->dup ? 4 : 3;
        if (s->wide) {
            /* 12 cases: more than select keeps on its stack (its pool) */
            for (int i = 0; i < NIDLE; i++)
                cs[3 + i] = (goc_case){ s->idle[i], GOC_RECV, &v, 0 };
            n = 3 + NIDLE;
        }
        int k = goc_select(cs, n, 1);
        if (k == 2)
            break;
        CHECK(cs[k].result == 0);
        CHECKF(v >= 0 && v < s->n, "value %ld out of range", v);
        unsigned char old = atomic_fetch_add(&s->seen[v], 1);
        CHECKF(old == 0, "value %ld delivered twice", v);
        got++;
    }
    CHECK(goc_chan_send(s->done, &got) == 0);
}

static void run(size_t cap, int dup, int wide)
{
    struct shared s;
    memset(&s, 0, sizeof s);
    s.dup = dup;
    s.wide = wide;
    for (int i = 0; i < NIDLE; i++)
        s.idle[i] = goc_chan_make(sizeof(long), 0);
    s.n = test_scaled(100000);
    s.a = goc_chan_make(sizeof(long), cap);
    s.b = goc_chan_make(sizeof(long), cap);
    s.quit = goc_chan_make(0, 0);
    s.done = goc_chan_make(sizeof(long), NCONS);
    s.seen = calloc((size_t)s.n, 1);
    struct prod p[NPROD];
    goc_wg_add(&s.prod, NPROD);
    for (int i = 0; i < NPROD; i++) {
        p[i] = (struct prod){ &s, s.n * i / NPROD, s.n * (i + 1) / NPROD, i & 1 };
        CHECK(goc_go(producer, &p[i]) == 0);
    }
    for (int i = 0; i < NCONS; i++)
        CHECK(goc_go(consumer, &s) == 0);
    goc_wg_wait(&s.prod);
    /* producers done; all values are received (or buffered and about to
     * be) once the channels drain, then tell the consumers to stop */
    while (goc_chan_len(s.a) + goc_chan_len(s.b) > 0)
        goc_yield();
    goc_chan_close(s.quit);
    long total = 0;
    for (int i = 0; i < NCONS; i++) {
        long got;
        CHECK(goc_chan_recv(s.done, &got) == 0);
        total += got;
    }
    for (long v = 0; v < s.n; v++)
        CHECKF(s.seen[v] == 1, "cap %zu: value %ld seen %d times", cap, v, s.seen[v]);
    CHECK(total == s.n);
    goc_chan_free(s.a);
    goc_chan_free(s.b);
    goc_chan_free(s.quit);
    goc_chan_free(s.done);
    for (int i = 0; i < NIDLE; i++)
        goc_chan_free(s.idle[i]);   /* fails if a lost select left a record */
    free((void *)s.seen);
}

static void main_fn(void *arg)
{
    (void)arg;
    run(0, 0, 0);
    run(1, 0, 0);
    run(16, 0, 0);
    run(0, 1, 0);
    run(1, 1, 0);
    run(0, 0, 1);
    run(1, 0, 1);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
