/* plain_sleep.c — unannotated blocking libc calls in a goroutine sleep
 * their full time beside a CPU-bound goroutine (F8).  The preemption
 * signal used to interrupt them: usleep, nanosleep and poll returned EINTR
 * after 0-5 ms and sleep(1) returned at once, because sysmon signalled the
 * thread of every P whose G had not changed for 10 ms, running or not.  Go
 * never signals a thread that is in a system call; sysmon now signals only
 * a thread whose CPU clock is moving. */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int stop;
static _Atomic long beats;

static void hog(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        x++;
}

static void heartbeat(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        goc_sleep(1000 * 1000);
        atomic_fetch_add(&beats, 1);
    }
}

static int64_t ms_since(int64_t t0) { return (goc_now() - t0) / 1000000; }

static void sleeper(void *arg)
{
    goc_chan *done = arg;
    int64_t t0 = goc_now();
    int rc = usleep(200 * 1000);
    CHECKF(rc == 0, "usleep: %s after %lld ms", strerror(errno), (long long)ms_since(t0));
    CHECKF(ms_since(t0) >= 199, "usleep(200 ms) slept %lld ms", (long long)ms_since(t0));

    t0 = goc_now();
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    rc = nanosleep(&ts, NULL);
    CHECKF(rc == 0, "nanosleep: %s after %lld ms", strerror(errno), (long long)ms_since(t0));
    CHECKF(ms_since(t0) >= 199, "nanosleep(200 ms) slept %lld ms", (long long)ms_since(t0));

    t0 = goc_now();
    rc = poll(NULL, 0, 200);
    CHECKF(rc == 0, "poll: rc %d (%s) after %lld ms", rc, strerror(errno),
           (long long)ms_since(t0));
    CHECKF(ms_since(t0) >= 199, "poll(200 ms) slept %lld ms", (long long)ms_since(t0));

    t0 = goc_now();
    unsigned left = sleep(1);
    CHECKF(left == 0 && ms_since(t0) >= 999, "sleep(1) returned %u after %lld ms", left,
           (long long)ms_since(t0));
    int one = 1;
    goc_chan_send(done, &one);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *done = goc_chan_make(sizeof(int), 1);
    goc_go(hog, NULL);
    goc_go(heartbeat, NULL);
    goc_go(sleeper, done);
    int v;
    goc_chan_recv(done, &v);
    atomic_store(&stop, 1);
    goc_chan_free(done);
    printf("ok: full sleeps beside a hog (%ld heartbeats)\n", atomic_load(&beats));
}

int main(void) { return goc_main(main_g, NULL); }
