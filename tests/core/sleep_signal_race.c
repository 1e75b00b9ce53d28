/* sleep_signal_race.c — a goroutine that computes and then enters a plain
 * usleep must not get EINTR from a preemption signal aimed at the
 * computing (F8, the window between sysmon's look and its signal).
 *
 * The shape: main computes for 5-15 ms (its time slice runs out, so sysmon
 * looks at the P), then starts a sleeper, which takes runnext and inherits
 * that slice, and waits for it.  The sleeper calls usleep(3 ms) at once.
 * sysmon's look saw a thread on a CPU; when the signal went out a moment
 * later, the thread could already be asleep in usleep, which returned
 * EINTR after ~20 us.  sysmon used to read /proc through its helper thread
 * and send the signal itself after the helper's answer came back: two
 * futex wake-ups apart, which on a loaded machine is long enough to fall
 * asleep in (13 of 406 rounds failed with one spinning thread beside the
 * test on 2 CPUs, 26 of 814 with `yes` running).  The helper now signals
 * in the same step as its read.  A spinning thread of our own is the
 * load. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

#define ROUND_SLEEP_US 3000

static _Atomic int stop;
static int rounds, fails;
static long first_rc, first_us;
static int first_errno;

static void *spinner(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        x++;
    return NULL;
}

static void sleeper(void *arg)
{
    goc_chan *done = arg;
    int64_t t0 = goc_now();
    int rc = usleep(ROUND_SLEEP_US);
    int e = errno;
    int64_t us = (goc_now() - t0) / 1000;
    if (rc != 0 || us < ROUND_SLEEP_US) {
        if (fails++ == 0) {
            first_rc = rc;
            first_errno = e;
            first_us = us;
        }
    }
    int one = 1;
    goc_chan_send(done, &one);
}

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *done = goc_chan_make(sizeof(int), 0);
    uint32_t seed = 12345;
    int64_t end = goc_now() + (int64_t)3000 * 1000 * 1000;
    while (goc_now() < end) {
        rounds++;
        seed = seed * 1103515245u + 12345u;
        int64_t spin = 5000000 + (int64_t)(seed >> 8) % 10000000;
        int64_t t = goc_now();
        volatile uint64_t x = 0;
        while (goc_now() - t < spin)
            x++;
        CHECK(goc_go(sleeper, done) == 0);
        int v;
        goc_chan_recv(done, &v);
    }
    goc_chan_free(done);
    CHECKF(fails == 0, "%d of %d sleeps cut short; the first: usleep(%d us) returned %ld (%s) after %ld us",
           fails, rounds, ROUND_SLEEP_US, first_rc, strerror(first_errno), first_us);
    printf("ok: %d rounds of compute then usleep, none cut short\n", rounds);
}

int main(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, spinner, NULL) == 0);
    int rc = goc_main(main_g, NULL);
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    return rc;
}
