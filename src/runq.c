/*
 * runq.c — the P-local run queue and the global queue (Go's runqput & co).
 *
 * The local queue is a ring of GOC_RUNQ_SIZE slots plus the runnext slot.
 * Ownership (proc.go): only the owner P writes runqtail (store-release) and
 * only it puts; anyone advances runqhead by CAS-release (the owner's get or a
 * thief's grab); every reader loads head with acquire, thieves tail too.
 * runnext is CASed by its owner (put, get) and by thieves on their last
 * steal round.  The global queue is a linked list under sched.lock.
 */
#include "runtime.h"

#define RQ GOC_RUNQ_SIZE
#define ld_acq(p)    atomic_load_explicit((p), memory_order_acquire)
#define ld_rlx(p)    atomic_load_explicit((p), memory_order_relaxed)
#define st_rel(p, v) atomic_store_explicit((p), (v), memory_order_release)

bool goc__runqempty(P *pp)
{
    /* A G can move from runnext to the ring while we look: read until the
     * tail is stable (proc.go runqempty). */
    for (;;) {
        uint32_t head = ld_acq(&pp->runqhead);
        uint32_t tail = ld_acq(&pp->runqtail);
        G *next = ld_acq(&pp->runnext);
        if (tail == ld_acq(&pp->runqtail))
            return head == tail && next == NULL;
    }
}

uint32_t goc__runqlen(P *pp)
{
    uint32_t head = ld_acq(&pp->runqhead);
    uint32_t tail = ld_acq(&pp->runqtail);
    return tail - head;
}

/* The ring is full: move half of it plus gp to the global queue, so the
 * ring has room and other Ps can find the work.  False if a thief moved
 * the head first (then the caller retries the fast path). */
static bool runqputslow(P *pp, G *gp, uint32_t head, uint32_t tail)
{
    G *batch[RQ / 2 + 1];
    uint32_t n = (tail - head) / 2;
    if (n != RQ / 2)
        goc__fatal("runqputslow: queue is not full");
    for (uint32_t i = 0; i < n; i++)
        batch[i] = ld_rlx(&pp->runq[(head + i) % RQ]);
    if (!atomic_compare_exchange_strong_explicit(&pp->runqhead, &head, head + n,
            memory_order_release, memory_order_relaxed))
        return false;
    batch[n] = gp;
    for (uint32_t i = 0; i < n; i++)
        batch[i]->schedlink = batch[i + 1];
    goc__lock(&goc__sched.lock);
    goc__globrunqputbatch(batch[0], batch[n], (int32_t)n + 1);
    goc__unlock(&goc__sched.lock);
    return true;
}

void goc__runqput(P *pp, G *gp, bool next)
{
    if (next) {
        G *old = ld_rlx(&pp->runnext);
        while (!atomic_compare_exchange_weak_explicit(&pp->runnext, &old, gp,
                   memory_order_release, memory_order_relaxed)) {
        }
        if (old == NULL)
            return;
        gp = old;   /* the displaced runnext goes to the tail */
    }
    for (;;) {
        uint32_t head = ld_acq(&pp->runqhead);
        uint32_t tail = ld_rlx(&pp->runqtail);
        if (tail - head < RQ) {
            atomic_store_explicit(&pp->runq[tail % RQ], gp, memory_order_relaxed);
            st_rel(&pp->runqtail, tail + 1);
            return;
        }
        if (runqputslow(pp, gp, head, tail))
            return;
    }
}

G *goc__runqget(P *pp, bool *inherit)
{
    G *next = ld_rlx(&pp->runnext);
    /* Only the owner sets runnext non-NULL, so a failed CAS means a thief
     * took it: fall through to the ring, no retry. */
    if (next != NULL && atomic_compare_exchange_strong_explicit(&pp->runnext,
            &next, NULL, memory_order_acquire, memory_order_relaxed)) {
        *inherit = true;
        return next;
    }
    *inherit = false;
    for (;;) {
        uint32_t head = ld_acq(&pp->runqhead);
        uint32_t tail = ld_rlx(&pp->runqtail);
        if (tail == head)
            return NULL;
        G *gp = ld_rlx(&pp->runq[head % RQ]);
        if (atomic_compare_exchange_weak_explicit(&pp->runqhead, &head, head + 1,
                memory_order_release, memory_order_relaxed))
            return gp;
    }
}

/* Grab half of pp's ring (rounded up) into batch[batchhead...] of the
 * thief's ring; on the last round also runnext.  Returns the count. */
static uint32_t runqgrab(P *pp, _Atomic(G *) *batch, uint32_t batchhead,
                         bool stealRunNextG)
{
    for (;;) {
        uint32_t head = ld_acq(&pp->runqhead);
        uint32_t tail = ld_acq(&pp->runqtail);
        uint32_t n = tail - head;
        n = n - n / 2;
        if (n == 0) {
            if (stealRunNextG) {
                G *next = ld_acq(&pp->runnext);
                if (next != NULL) {
                    /* The owner is probably about to run it (a channel
                     * hand-off takes ~100ns): give it ~3us first, as Go. */
                    if (atomic_load_explicit(&pp->status, memory_order_relaxed) == P_RUNNING)
                        goc__usleep(3);
                    if (!atomic_compare_exchange_strong_explicit(&pp->runnext,
                            &next, NULL, memory_order_acquire, memory_order_relaxed))
                        continue;
                    atomic_store_explicit(&batch[batchhead % RQ], next, memory_order_relaxed);
                    return 1;
                }
            }
            return 0;
        }
        if (n > RQ / 2)     /* head and tail read inconsistently: retry */
            continue;
        for (uint32_t i = 0; i < n; i++) {
            G *g = ld_rlx(&pp->runq[(head + i) % RQ]);
            atomic_store_explicit(&batch[(batchhead + i) % RQ], g, memory_order_relaxed);
        }
        if (atomic_compare_exchange_strong_explicit(&pp->runqhead, &head, head + n,
                memory_order_release, memory_order_relaxed))
            return n;
    }
}

G *goc__runqsteal(P *pp, P *p2, bool stealRunNextG)
{
    uint32_t tail = ld_rlx(&pp->runqtail);
    uint32_t n = runqgrab(p2, pp->runq, tail, stealRunNextG);
    if (n == 0)
        return NULL;
    n--;
    G *gp = ld_rlx(&pp->runq[(tail + n) % RQ]);
    if (n == 0)
        return gp;
    uint32_t head = ld_acq(&pp->runqhead);
    if (tail - head + n >= RQ)
        goc__fatal("runqsteal: runq overflow");
    st_rel(&pp->runqtail, tail + n);
    return gp;
}

/* runqsize changes only under sched.lock; it is atomic so others can peek
 * without the lock.  A load + store, not a locked read-modify-write. */
static inline void rqsize_add(int32_t d)
{
    int32_t v = atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed);
    atomic_store_explicit(&goc__sched.runqsize, v + d, memory_order_relaxed);
}

void goc__globrunqput(G *gp)
{
    gp->schedlink = NULL;
    if (goc__sched.runqtail)
        goc__sched.runqtail->schedlink = gp;
    else
        goc__sched.runqhead = gp;
    goc__sched.runqtail = gp;
    rqsize_add(1);
}

void goc__globrunqputbatch(G *head, G *tail, int32_t n)
{
    tail->schedlink = NULL;
    if (goc__sched.runqtail)
        goc__sched.runqtail->schedlink = head;
    else
        goc__sched.runqhead = head;
    goc__sched.runqtail = tail;
    rqsize_add(n);
}

/* Take a fair share of the global queue: one G to run, the rest (up to
 * max, and half a ring) into pp's ring.  max 0 = no cap but the ring. */
G *goc__globrunqget(P *pp, int32_t max)
{
    int32_t size = atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed);
    if (size == 0)
        return NULL;
    int32_t procs = atomic_load_explicit(&goc__gomaxprocs, memory_order_relaxed);
    int32_t n = size / procs + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > RQ / 2)
        n = RQ / 2;
    rqsize_add(-n);
    G *gp = goc__sched.runqhead;
    goc__sched.runqhead = gp->schedlink;
    n--;
    for (; n > 0; n--) {
        G *g1 = goc__sched.runqhead;
        goc__sched.runqhead = g1->schedlink;
        goc__runqput(pp, g1, false);
    }
    if (goc__sched.runqhead == NULL)
        goc__sched.runqtail = NULL;
    return gp;
}
