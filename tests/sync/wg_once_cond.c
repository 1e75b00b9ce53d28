/* wg_once_cond.c — WaitGroup (many waiters, reuse), Once under a crowd,
 * Cond signal/broadcast in a bounded queue, and goc_sem_* on addresses that
 * share a semaphore-table bucket. */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static goc_wg wg, gate;
static _Atomic long done_count, after_wait;

static void worker(void *arg)
{
    (void)arg;
    goc_yield();
    done_count++;
    goc_wg_done(&wg);
}

static void waiter(void *arg)
{
    (void)arg;
    goc_wg_wait(&wg);
    CHECK(done_count == 100);
    after_wait++;
    goc_wg_done(&gate);
}

static void test_wg(void)
{
    for (int round = 0; round < 20; round++) {
        done_count = 0;
        after_wait = 0;
        goc_wg_add(&wg, 100);
        goc_wg_add(&gate, 5);
        for (int i = 0; i < 5; i++)
            CHECK(goc_go(waiter, NULL) == 0);
        for (int i = 0; i < 100; i++)
            CHECK(goc_go(worker, NULL) == 0);
        goc_wg_wait(&wg);
        goc_wg_wait(&gate);
        CHECK(after_wait == 5);
    }
    goc_wg_wait(&wg);   /* zero counter: returns at once */
}

static goc_once once;
static _Atomic int once_runs;
static int once_value;

static void once_fn(void *arg)
{
    for (int i = 0; i < 10; i++)
        goc_yield();   /* others pile up behind the Once */
    once_runs++;
    once_value = *(int *)arg;
}

static void once_user(void *arg)
{
    (void)arg;
    int v = 42;
    goc_once_do(&once, once_fn, &v);
    CHECK(once_value == 42);
    goc_wg_done(&wg);
}

static void test_once(void)
{
    goc_wg_add(&wg, 50);
    for (int i = 0; i < 50; i++)
        CHECK(goc_go(once_user, NULL) == 0);
    goc_wg_wait(&wg);
    CHECK(once_runs == 1);
}

/* bounded queue with two Conds */
enum { QCAP = 4 };
static goc_mutex qm;
static goc_cond notempty, notfull;
static long q[QCAP], qh, qn;

static void qput(long v)
{
    goc_mutex_lock(&qm);
    while (qn == QCAP)
        goc_cond_wait(&notfull, &qm);
    q[(qh + qn++) % QCAP] = v;
    goc_cond_signal(&notempty);
    goc_mutex_unlock(&qm);
}

static long qget(void)
{
    goc_mutex_lock(&qm);
    while (qn == 0)
        goc_cond_wait(&notempty, &qm);
    long v = q[qh];
    qh = (qh + 1) % QCAP;
    qn--;
    goc_cond_signal(&notfull);
    goc_mutex_unlock(&qm);
    return v;
}

static _Atomic long qsum;

static void qprod(void *arg)
{
    long n = (long)arg;
    for (long i = 1; i <= n; i++)
        qput(i);
    goc_wg_done(&wg);
}

static void qcons(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++)
        qsum += qget();
    goc_wg_done(&wg);
}

static goc_cond bc;
static goc_mutex bm;
static int flag;
static _Atomic int woke;

static void bwait(void *arg)
{
    (void)arg;
    goc_mutex_lock(&bm);
    while (!flag)
        goc_cond_wait(&bc, &bm);
    goc_mutex_unlock(&bm);
    woke++;
    goc_wg_done(&wg);
}

static void test_cond(void)
{
    long n = test_scaled(20000);
    goc_wg_add(&wg, 8);
    for (int i = 0; i < 4; i++) {
        CHECK(goc_go(qprod, (void *)n) == 0);
        CHECK(goc_go(qcons, (void *)n) == 0);
    }
    goc_wg_wait(&wg);
    CHECK(qsum == 4 * n * (n + 1) / 2);

    goc_wg_add(&wg, 10);
    for (int i = 0; i < 10; i++)
        CHECK(goc_go(bwait, NULL) == 0);
    for (int i = 0; i < 100; i++)
        goc_yield();
    goc_mutex_lock(&bm);
    flag = 1;
    goc_cond_broadcast(&bc);
    goc_mutex_unlock(&bm);
    goc_wg_wait(&wg);
    CHECK(woke == 10);
}

/* counting semaphores; sems[0] and sems[251*2] share a bucket */
static uint32_t sems[251 * 2 + 1];
static _Atomic int inside, max_inside;

static void sem_user(void *arg)
{
    uint32_t *s = arg;
    for (int i = 0; i < 200; i++) {
        goc_sem_acquire(s);
        int k = ++inside;
        int m = max_inside;
        while (k > m && !atomic_compare_exchange_weak(&max_inside, &m, k))
            ;
        goc_yield();
        inside--;
        goc_sem_release(s);
    }
    goc_wg_done(&wg);
}

static void test_sem(void)
{
    sems[0] = 2;   /* two permits */
    goc_wg_add(&wg, 10);
    for (int i = 0; i < 10; i++)
        CHECK(goc_go(sem_user, &sems[0]) == 0);
    goc_wg_wait(&wg);
    CHECK(max_inside >= 1 && max_inside <= 2);
    CHECK(sems[0] == 2);

    /* two addresses in one bucket, waiters on both, released separately */
    uint32_t *a = &sems[0], *b = &sems[251 * 2];
    *a = 0;
    *b = 0;
    inside = 0;
    max_inside = 0;
    goc_wg_add(&wg, 6);
    for (int i = 0; i < 3; i++) {
        CHECK(goc_go(sem_user, a) == 0);
        CHECK(goc_go(sem_user, b) == 0);
    }
    for (int i = 0; i < 50; i++)
        goc_yield();
    goc_sem_release(b);   /* one permit each: at most 2 inside */
    goc_sem_release(a);
    goc_wg_wait(&wg);
    CHECK(max_inside <= 2);
}

static void main_fn(void *arg)
{
    (void)arg;
    test_wg();
    test_once();
    test_cond();
    test_sem();
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
