/* signal_notify.c — goc_signal_notify / goc_signal_stop (Go's os/signal):
 * bad input is refused; a signal reaches every channel registered for it,
 * once per arrival even when registered twice; a full channel drops the
 * arrival without blocking anything; 300 signals one after another each
 * arrive (no lost wake-up of the relay), from a foreign thread too; after
 * stop the channel gets nothing and the program's own handler is back;
 * SIGQUIT can be taken from the runtime's dump and given back. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

#define MS GOC_MILLISECOND

static _Atomic int own_handler_runs;

static void own_handler(int sig)
{
    (void)sig;
    atomic_fetch_add(&own_handler_runs, 1);
}

static int recv_sig(goc_chan *c, int64_t ns)
{
    int s = 0;
    int r = goc_chan_recv_timeout(c, &s, ns);
    return r == 0 ? s : r;
}

static void *foreign_kill(void *arg)
{
    (void)arg;
    kill(getpid(), SIGUSR2);
    return NULL;
}

static void main_g(void *arg)
{
    (void)arg;
    goc_chan *a = goc_chan_make(sizeof(int), 4);
    goc_chan *b = goc_chan_make(sizeof(int), 4);
    goc_chan *one = goc_chan_make(sizeof(int), 1);
    goc_chan *longs = goc_chan_make(sizeof(long), 4);
    CHECK(a && b && one && longs);

    /* bad input */
    CHECK(goc_signal_notify(NULL, SIGUSR1) == -EINVAL);
    CHECK(goc_signal_notify(longs, SIGUSR1) == -EINVAL);
    int bad[] = {0, -1, 65, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGURG};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(goc_signal_notify(a, bad[i]) == -EINVAL, "signal %d", bad[i]);
    CHECK(goc_signal_stop(NULL) == -EINVAL);
    CHECK(goc_signal_stop(a) == -ENOENT);

    /* one signal, one channel; registering twice still sends once */
    int before = goc_num_goroutines();
    CHECK(goc_signal_notify(a, SIGUSR1) == 0);
    CHECK(goc_signal_notify(a, SIGUSR1) == 0);
    CHECK(goc_num_goroutines() == before + 1);   /* the relay */
    kill(getpid(), SIGUSR1);
    CHECK(recv_sig(a, 5000 * MS) == SIGUSR1);
    CHECK(recv_sig(a, 100 * MS) == -ETIMEDOUT);

    /* two channels on SIGUSR2, one of them also on SIGUSR1 */
    CHECK(goc_signal_notify(a, SIGUSR2) == 0);
    CHECK(goc_signal_notify(b, SIGUSR2) == 0);
    kill(getpid(), SIGUSR2);
    CHECK(recv_sig(a, 5000 * MS) == SIGUSR2);
    CHECK(recv_sig(b, 5000 * MS) == SIGUSR2);

    /* from a thread the runtime did not make */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, foreign_kill, NULL) == 0);
    pthread_join(t, NULL);
    CHECK(recv_sig(a, 5000 * MS) == SIGUSR2);
    CHECK(recv_sig(b, 5000 * MS) == SIGUSR2);
    CHECK(goc_signal_stop(b) == 0);

    /* a full channel drops the arrival; nothing blocks */
    CHECK(goc_signal_notify(one, SIGUSR1) == 0);
    kill(getpid(), SIGUSR1);
    CHECK(recv_sig(a, 5000 * MS) == SIGUSR1);
    int64_t t0 = goc_now();
    while (goc_chan_len(one) == 0 && goc_now() - t0 < 5000 * MS)
        goc_sleep(MS);
    kill(getpid(), SIGUSR1);                      /* one is full now */
    CHECK(recv_sig(a, 5000 * MS) == SIGUSR1);     /* a still gets it */
    CHECK(goc_chan_len(one) == 1);
    CHECK(recv_sig(one, 0) == SIGUSR1);
    CHECK(recv_sig(one, 50 * MS) == -ETIMEDOUT);
    CHECK(goc_signal_stop(one) == 0);

    /* one after another: every arrival gets through */
    int n = 300, got = 0;
    for (int i = 0; i < n; i++) {
        kill(getpid(), i % 2 ? SIGUSR1 : SIGUSR2);
        int s = recv_sig(a, 5000 * MS);
        CHECKF(s == (i % 2 ? SIGUSR1 : SIGUSR2), "arrival %d: %d", i, s);
        got++;
    }
    CHECK(got == n);

    /* stop: nothing more on a; the program's own handler is back */
    struct sigaction sa = {0};
    sa.sa_handler = own_handler;
    sigemptyset(&sa.sa_mask);
    CHECK(goc_signal_stop(a) == 0);
    CHECK(goc_signal_stop(a) == -ENOENT);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);    /* the program's, after */
    CHECK(goc_signal_notify(b, SIGUSR1) == 0);    /* taken over ... */
    kill(getpid(), SIGUSR1);
    CHECK(recv_sig(b, 5000 * MS) == SIGUSR1);
    CHECK(atomic_load(&own_handler_runs) == 0);
    CHECK(goc_signal_stop(b) == 0);               /* ... and given back */
    kill(getpid(), SIGUSR1);
    t0 = goc_now();
    while (atomic_load(&own_handler_runs) == 0 && goc_now() - t0 < 5000 * MS)
        goc_sleep(MS);
    CHECK(atomic_load(&own_handler_runs) == 1);
    CHECK(recv_sig(a, 50 * MS) == -ETIMEDOUT);
    CHECK(recv_sig(b, 50 * MS) == -ETIMEDOUT);

    /* SIGQUIT: a channel instead of the dump, then the dump's handler back
     * (a dump would end the process: only its disposition is checked) */
    struct sigaction dump;
    CHECK(sigaction(SIGQUIT, NULL, &dump) == 0);
    CHECK(goc_signal_notify(b, SIGQUIT) == 0);
    kill(getpid(), SIGQUIT);
    CHECK(recv_sig(b, 5000 * MS) == SIGQUIT);
    CHECK(goc_signal_stop(b) == 0);
    struct sigaction now;
    CHECK(sigaction(SIGQUIT, NULL, &now) == 0);
    CHECK(now.sa_sigaction == dump.sa_sigaction && now.sa_flags == dump.sa_flags);

    goc_chan_free(a);
    goc_chan_free(b);
    goc_chan_free(one);
    goc_chan_free(longs);
    printf("signal_notify ok (procs=%d)\n", goc_maxprocs(0));
}

int main(void)
{
    return goc_main(main_g, NULL);
}
