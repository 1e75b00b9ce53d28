/* chan_foreign_exit.c — a foreign thread's stand-in G is freed when the
 * thread exits (LeakSanitizer), and a thread-exit destructor that runs after
 * goc's and blocks on a channel gets a fresh one (no use after free). */
#include <pthread.h>
#include <goc.h>
#include "testutil.h"

static goc_chan *c;
static pthread_key_t late_key;

static void late(void *p)
{
    (void)p;
    long v = 2;
    CHECK(goc_chan_send(c, &v) == 0);   /* blocks: needs a stand-in G */
}

static void *foreign(void *arg)
{
    (void)arg;
    long v = 1;
    CHECK(goc_chan_send(c, &v) == 0);   /* goc's key exists from here */
    /* Created after goc's key, so its destructor runs after goc's. */
    CHECK(pthread_key_create(&late_key, late) == 0);
    CHECK(pthread_setspecific(late_key, (void *)1) == 0);
    return NULL;
}

static void main_fn(void *arg)
{
    (void)arg;
    c = goc_chan_make(sizeof(long), 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, foreign, NULL) == 0);
    long v = 0;
    /* Runnable until the thread has blocked once (the deadlock check cannot
     * know about a thread that never used goc). */
    while (goc_chan_tryrecv(c, &v) != 0)
        goc_yield();
    CHECK(v == 1);
    CHECK(goc_chan_recv(c, &v) == 0);
    CHECK(v == 2);
    pthread_join(th, NULL);
    pthread_key_delete(late_key);
    goc_chan_free(c);
}

int main(void)
{
    return goc_main(main_fn, NULL);
}
