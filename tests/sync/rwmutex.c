/* rwmutex.c — readers share, writers exclude, and a waiting writer blocks
 * new readers (Go's writer preference); plus a mixed stress. */
#include <goc.h>
#include "testutil.h"

static goc_rwmutex rw;
static _Atomic int step;
static _Atomic int order[3], norder;

static void writer(void *arg)
{
    (void)arg;
    step = 1;                 /* about to block behind reader 1 */
    goc_rwmutex_lock(&rw);
    order[norder++] = 'W';
    goc_rwmutex_unlock(&rw);
}

static void reader2(void *arg)
{
    (void)arg;
    goc_rwmutex_rlock(&rw);   /* a writer waits: must queue behind it */
    order[norder++] = 'R';
    goc_rwmutex_runlock(&rw);
}

static void wait_goroutines(int n)
{
    while (goc_num_goroutines() > n)
        goc_yield();
}

static void test_writer_preference(void)
{
    goc_rwmutex_rlock(&rw);   /* reader 1 (main) */
    goc_rwmutex_rlock(&rw);   /* readers share */
    goc_rwmutex_runlock(&rw);
    CHECK(goc_go(writer, NULL) == 0);
    while (step == 0)
        goc_yield();
    /* wait until the writer has announced itself (reader_count < 0) */
    while (__atomic_load_n(&rw.reader_count, __ATOMIC_SEQ_CST) >= 0)
        goc_yield();
    CHECK(goc_go(reader2, NULL) == 0);
    for (int i = 0; i < 200; i++)
        goc_yield();
    CHECK(norder == 0);       /* writer waits for us, reader2 for it */
    goc_rwmutex_runlock(&rw);
    wait_goroutines(1);
    CHECK(norder == 2 && order[0] == 'W' && order[1] == 'R');
}

static long shared_val, shared_copy;
static _Atomic long readers_in;
static goc_wg wg;

static void mixed(void *arg)
{
    long id = (long)arg, n = test_scaled(20000);
    for (long i = 0; i < n; i++) {
        if ((i + id) % 10 == 0) {
            goc_rwmutex_lock(&rw);
            CHECK(readers_in == 0);
            shared_val++;
            shared_copy = shared_val;
            goc_rwmutex_unlock(&rw);
        } else {
            goc_rwmutex_rlock(&rw);
            readers_in++;
            CHECK(shared_copy == shared_val);
            if ((i & 31) == 0)
                goc_yield();
            readers_in--;
            goc_rwmutex_runlock(&rw);
        }
    }
    goc_wg_done(&wg);
}

static void main_fn(void *arg)
{
    (void)arg;
    test_writer_preference();
    goc_wg_add(&wg, 8);
    for (long i = 0; i < 8; i++)
        CHECK(goc_go(mixed, (void *)i) == 0);
    goc_wg_wait(&wg);
    CHECK(shared_val == 8 * test_scaled(20000) / 10);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
