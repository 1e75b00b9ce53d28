/*
 * sema.c — Go's address-keyed semaphores (sema.go) and notify lists.
 *
 * The permits live in the user's 32-bit word; only waiters live here.  A
 * word's waiters hang off one of 251 roots ("prime to not correlate with
 * any user patterns", Go's semTabSize), chosen by (addr >> 3) % 251.
 *
 * Root layout (root->lock protects all of it except nwait):
 *   root->head  doubly linked list (next/prev) of one sudog per address
 *               that has waiters: the first waiter of that address;
 *   that head's waitlink chain holds the address's other waiters in FIFO
 *               order, head->waittail the last of them (O(1) enqueue, and
 *               O(1) push-front for lifo, which Mutex uses to requeue a
 *               woken waiter that lost the race).
 * Finding an address's head walks the root's list: as many steps as
 * distinct addresses that collide in this bucket and have waiters right
 * now (one or two in practice).  Go keeps a treap here to bound that at
 * O(log n) under adversarial collisions; that is the better design if
 * bucket collisions ever show up in a profile.
 *
 * nwait counts waiters on the root, so semrelease can skip the lock when
 * nobody waits.  Acquire does "nwait++; check the word", release does
 * "word++; check nwait", both sequentially consistent, so one of the two
 * always sees the other (no lost wake-up).
 *
 * A released waiter with ticket == 1 was handed the permit directly
 * (handoff, Mutex starvation mode); otherwise it competes for it again.
 */
#include "sync.h"

enum { SEMTAB_SIZE = 251 };

struct semroot {
    goc_lock         lock;
    _Atomic uint32_t nwait;   /* waiters queued on this root */
    goc_sudog       *head;    /* per-address head list, see above */
} __attribute__((aligned(64)));   /* one cache line per root */

static struct semroot semtable[SEMTAB_SIZE];

static struct semroot *semroot(uint32_t *addr)
{
    return &semtable[((uintptr_t)addr >> 3) % SEMTAB_SIZE];
}

static bool cansemacquire(uint32_t *addr)
{
    uint32_t v = __atomic_load_n(addr, __ATOMIC_SEQ_CST);
    while (v != 0) {
        if (__atomic_compare_exchange_n(addr, &v, v - 1, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return true;
    }
    return false;
}

static goc_sudog *find_head(struct semroot *root, uint32_t *addr)
{
    for (goc_sudog *t = root->head; t != NULL; t = t->next)
        if (t->elem == addr)
            return t;
    return NULL;
}

/* Put nu in old's place in the head list. */
static void replace_head(struct semroot *root, goc_sudog *old, goc_sudog *nu)
{
    nu->next = old->next;
    nu->prev = old->prev;
    if (nu->next != NULL)
        nu->next->prev = nu;
    if (nu->prev != NULL)
        nu->prev->next = nu;
    else
        root->head = nu;
    old->next = old->prev = NULL;
}

static void sema_queue(struct semroot *root, uint32_t *addr, goc_sudog *s, bool lifo)
{
    s->elem = addr;
    s->ticket = 0;
    s->next = s->prev = s->waitlink = s->waittail = NULL;
    goc_sudog *t = find_head(root, addr);
    if (t == NULL) {
        s->next = root->head;
        if (root->head != NULL)
            root->head->prev = s;
        root->head = s;
    } else if (lifo) {
        replace_head(root, t, s);
        s->waitlink = t;
        s->waittail = t->waittail != NULL ? t->waittail : t;
        t->waittail = NULL;
    } else {
        if (t->waittail == NULL)
            t->waitlink = s;
        else
            t->waittail->waitlink = s;
        t->waittail = s;
    }
}

static goc_sudog *sema_dequeue(struct semroot *root, uint32_t *addr)
{
    goc_sudog *t = find_head(root, addr);
    if (t == NULL)
        return NULL;
    goc_sudog *t2 = t->waitlink;
    if (t2 != NULL) {
        replace_head(root, t, t2);
        t2->waittail = t->waittail == t2 ? NULL : t->waittail;
    } else {
        if (t->next != NULL)
            t->next->prev = t->prev;
        if (t->prev != NULL)
            t->prev->next = t->next;
        else
            root->head = t->next;
        t->next = t->prev = NULL;
    }
    t->waitlink = t->waittail = NULL;
    return t;
}

void goc__semacquire(uint32_t *addr, bool lifo, int reason)
{
    if (cansemacquire(addr)) {
        goc__race_acquire(addr);
        return;
    }
    G *gp = goc__getg_or_foreign();
    goc_sudog *s = goc__own_sudog(gp);
    struct semroot *root = semroot(addr);
    s->g = gp;
    for (;;) {
        goc__lock(&root->lock);
        atomic_fetch_add(&root->nwait, 1);
        if (cansemacquire(addr)) {
            atomic_fetch_sub(&root->nwait, 1);
            goc__unlock(&root->lock);
            break;
        }
        sema_queue(root, addr, s, lifo);
        goc__parkunlock(&root->lock, reason);
        if (s->ticket != 0 || cansemacquire(addr))
            break;
    }
    goc__race_acquire(addr);
}

void goc__semrelease(uint32_t *addr, bool handoff)
{
    struct semroot *root = semroot(addr);
    goc__race_release(addr);
    __atomic_fetch_add(addr, 1, __ATOMIC_SEQ_CST);
    if (atomic_load(&root->nwait) == 0)
        return;
    goc__lock(&root->lock);
    if (atomic_load(&root->nwait) == 0) {
        goc__unlock(&root->lock);
        return;
    }
    goc_sudog *s = sema_dequeue(root, addr);
    if (s != NULL)
        atomic_fetch_sub(&root->nwait, 1);
    goc__unlock(&root->lock);
    if (s == NULL)
        return;
    bool handed = handoff && cansemacquire(addr);
    if (handed)
        s->ticket = 1;
    G *gp = s->g;
    goc__ready(gp);   /* s belongs to the waiter from here on */
    if (handed) {
        /* The waiter inherits our time slice (Go's goyield): it sits in
         * runnext; let it run now. */
        G *me = goc__getg();
        if (me != NULL && !me->foreign)
            goc_yield();
    }
}

/* -------------------------------------------------------- notify lists */

static goc_lock *cond_lock(goc_cond *c)
{
    return (goc_lock *)(void *)&c->lock;
}

/* wrap-around ticket order, Go's less() */
static bool ticket_less(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

uint32_t goc__notify_add(goc_cond *c)
{
    return __atomic_fetch_add(&c->wait, 1, __ATOMIC_SEQ_CST);
}

void goc__notify_wait(goc_cond *c, uint32_t t)
{
    goc__lock(cond_lock(c));
    if (ticket_less(t, c->notify)) {   /* already notified */
        goc__unlock(cond_lock(c));
        return;
    }
    G *gp = goc__getg_or_foreign();
    goc_sudog *s = goc__own_sudog(gp);
    s->g = gp;
    s->ticket = t;
    s->next = NULL;
    if (c->tail == NULL)
        c->head = s;
    else
        ((goc_sudog *)c->tail)->next = s;
    c->tail = s;
    goc__parkunlock(cond_lock(c), W_SYNC_COND_WAIT);
}

void goc__notify_all(goc_cond *c)
{
    if (__atomic_load_n(&c->wait, __ATOMIC_SEQ_CST) ==
        __atomic_load_n(&c->notify, __ATOMIC_SEQ_CST))
        return;
    goc__lock(cond_lock(c));
    goc_sudog *s = c->head;
    c->head = c->tail = NULL;
    __atomic_store_n(&c->notify, __atomic_load_n(&c->wait, __ATOMIC_SEQ_CST),
                     __ATOMIC_SEQ_CST);
    goc__unlock(cond_lock(c));
    while (s != NULL) {
        goc_sudog *next = s->next;
        s->next = NULL;
        goc__ready(s->g);
        s = next;
    }
}

void goc__notify_one(goc_cond *c)
{
    if (__atomic_load_n(&c->wait, __ATOMIC_SEQ_CST) ==
        __atomic_load_n(&c->notify, __ATOMIC_SEQ_CST))
        return;
    goc__lock(cond_lock(c));
    uint32_t t = c->notify;
    if (t == __atomic_load_n(&c->wait, __ATOMIC_SEQ_CST)) {
        goc__unlock(cond_lock(c));
        return;
    }
    __atomic_store_n(&c->notify, t + 1, __ATOMIC_SEQ_CST);
    /* The waiter with ticket t may not have queued yet; then it sees
     * notify > t in notify_wait and does not park. */
    for (goc_sudog *p = NULL, *s = c->head; s != NULL; p = s, s = s->next) {
        if (s->ticket == t) {
            goc_sudog *n = s->next;
            if (p != NULL)
                p->next = n;
            else
                c->head = n;
            if (n == NULL)
                c->tail = p;
            s->next = NULL;
            goc__unlock(cond_lock(c));
            goc__ready(s->g);
            return;
        }
    }
    goc__unlock(cond_lock(c));
}
