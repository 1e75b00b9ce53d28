/* runq_unit.c — the run queue's put, get, steal and overflow, driven
 * directly (Go's export_test.go style).  Built against both the 256-slot and
 * the 4-slot runtime, so the overflow to the global queue runs often. */
#include <string.h>
#include "runtime.h"
#include "testutil.h"

static P *mkp(int id)
{
    P *p = calloc(1, sizeof *p);
    p->id = id;
    atomic_store(&p->status, P_RUNNING);
    return p;
}

static int global_len(void) { return atomic_load(&goc__sched.runqsize); }

int main(void)
{
    enum { N = 1000 };
    static G gs[N];
    atomic_store(&goc__gomaxprocs, 2);
    P *p = mkp(0), *q = mkp(1);
    bool inh;

    /* runnext: last put wins, displaced one goes to the ring */
    goc__runqput(p, &gs[0], true);
    goc__runqput(p, &gs[1], true);
    CHECK(goc__runqget(p, &inh) == &gs[1] && inh);
    CHECK(goc__runqget(p, &inh) == &gs[0] && !inh);
    CHECK(goc__runqget(p, &inh) == NULL);
    CHECK(goc__runqempty(p));

    /* FIFO, then overflow: everything put comes back exactly once */
    for (int i = 0; i < N; i++)
        goc__runqput(p, &gs[i], false);
    CHECK(goc__runqlen(p) <= GOC_RUNQ_SIZE);
    CHECK((int)goc__runqlen(p) + global_len() == N);
    static char seen[N];
    memset(seen, 0, sizeof seen);
    int got = 0;
    G *g1;
    while ((g1 = goc__runqget(p, &inh)) != NULL) {
        CHECK(!seen[g1 - gs]);
        seen[g1 - gs] = 1;
        got++;
    }
    goc__lock(&goc__sched.lock);
    while ((g1 = goc__sched.runqhead) != NULL) {
        goc__sched.runqhead = g1->schedlink;
        CHECK(!seen[g1 - gs]);
        seen[g1 - gs] = 1;
        got++;
    }
    goc__sched.runqtail = NULL;
    atomic_store(&goc__sched.runqsize, 0);
    goc__unlock(&goc__sched.lock);
    CHECKF(got == N, "got %d", got);

    /* steal takes half (rounded up) and leaves the rest */
    int k = GOC_RUNQ_SIZE < 8 ? GOC_RUNQ_SIZE : 8;
    for (int i = 0; i < k; i++)
        goc__runqput(p, &gs[i], false);
    G *s = goc__runqsteal(q, p, false);
    CHECK(s != NULL);
    CHECKF((int)goc__runqlen(q) == k - k / 2 - 1, "q has %u", goc__runqlen(q));
    CHECK((int)goc__runqlen(p) == k / 2);
    while (goc__runqget(q, &inh)) {}
    while (goc__runqget(p, &inh)) {}

    /* runnext is stolen only on the last round */
    goc__runqput(p, &gs[5], true);
    atomic_store(&p->status, P_IDLE);     /* no 3us courtesy wait */
    CHECK(goc__runqsteal(q, p, false) == NULL);
    CHECK(goc__runqsteal(q, p, true) == &gs[5]);
    CHECK(goc__runqempty(p));

    /* global queue batches: a fair share, the rest into the local ring */
    goc__lock(&goc__sched.lock);
    for (int i = 0; i < 10; i++)
        goc__globrunqput(&gs[i]);
    g1 = goc__globrunqget(q, 0);
    goc__unlock(&goc__sched.lock);
    CHECK(g1 == &gs[0]);
    CHECKF(global_len() + (int)goc__runqlen(q) == 9, "%d %u", global_len(), goc__runqlen(q));
    free(p);
    free(q);
    puts("ok");
    return 0;
}
