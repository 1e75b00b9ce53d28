/* timeout.c — a request with a timeout, the Go way: the work runs in its
 * own goroutine and answers on a channel; the caller selects between that
 * channel and goc_after's (Go's time.After).
 *
 *   timeout [WORK_MS] [TIMEOUT_MS]     (defaults 50 and 100)
 * prints "result: ..." when the work beats the timeout, else "timed out".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <goc.h>

#define MS 1000000LL

struct request {
    int64_t   work_ns;
    goc_chan *reply;      /* buffered (1): a late worker never blocks */
};

static void worker(void *arg)
{
    struct request *rq = arg;
    goc_sleep(rq->work_ns);                 /* stands for a slow backend */
    int answer = 42;
    goc_chan_send(rq->reply, &answer);
}

/* 0 and *answer set, or -ETIMEDOUT after timeout_ns. */
static int call_with_timeout(struct request *rq, int64_t timeout_ns, int *answer)
{
    goc_case cases[2] = {
        { .chan = rq->reply,               .op = GOC_RECV, .elem = answer },
        { .chan = goc_after(timeout_ns),   .op = GOC_RECV },   /* no free */
    };
    return goc_select(cases, 2, 1) == 0 ? 0 : -ETIMEDOUT;
}

static int64_t work_ms = 50, timeout_ms = 100;
static struct request *rq;   /* the worker may still use it at exit */
static int status;

static void main_goroutine(void *arg)
{
    (void)arg;
    rq = malloc(sizeof *rq);
    rq->work_ns = work_ms * MS;
    rq->reply = goc_chan_make(sizeof(int), 1);
    goc_go(worker, rq);
    int64_t t0 = goc_now();
    int answer = 0;
    if (call_with_timeout(rq, timeout_ms * MS, &answer) == 0) {
        printf("result: %d after %lld ms\n", answer, (long long)((goc_now() - t0) / MS));
    } else {
        printf("timed out after %lld ms\n", (long long)((goc_now() - t0) / MS));
        status = 1;
    }
    /* The worker may still be running: it owns rq from here on in a real
     * program; this one just exits (other goroutines are abandoned). */
}

int main(int argc, char **argv)
{
    if (argc > 1)
        work_ms = atoll(argv[1]);
    if (argc > 2)
        timeout_ms = atoll(argv[2]);
    goc_main(main_goroutine, NULL);
    return status;
}
