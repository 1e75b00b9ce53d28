/* preempt_strand.c — a goroutine stopped by the preemption signal is never
 * stranded (F1).  It used to wait on its M's private queue; when the next
 * goroutine on that M lost the P in a blocking call, the M slept with the
 * preempted one still queued: it never ran again (or checkdead fired).
 * A spins (signal-preemptible only), B blocks in goc_syscall_enter/exit
 * long enough for sysmon to take its P, C spins; all three must finish. */
#include <stdatomic.h>
#include <unistd.h>
#include <goc.h>
#include "testutil.h"

static goc_chan *done;
static volatile unsigned long sink;

static void spin_ms(int64_t ms)
{
    int64_t end = goc_now() + ms * 1000 * 1000;
    while (goc_now() < end)
        for (int i = 0; i < 20000; i++)
            sink++;
}

static void g_c(void *arg) { (void)arg; spin_ms(150); int v = 3; goc_chan_send(done, &v); }

static void g_b(void *arg)
{
    (void)arg;
    goc_syscall_enter();
    usleep(60 * 1000);
    goc_syscall_exit();
    int v = 2;
    goc_chan_send(done, &v);
}

static void g_a(void *arg)
{
    (void)arg;
    goc_go(g_c, NULL);
    goc_go(g_b, NULL);      /* runnext: first to run once A is preempted */
    spin_ms(100);
    int v = 1;
    goc_chan_send(done, &v);
}

static void main_g(void *arg)
{
    (void)arg;
    done = goc_chan_make(sizeof(int), 3);
    for (int round = 0; round < 3; round++) {
        goc_go(g_a, NULL);
        goc_timer *t = goc_timer_new(5000LL * 1000 * 1000, 0);
        int seen[4] = { 0 };
        for (int got = 0; got < 3; got++) {
            int v;
            int64_t w;
            goc_case cs[] = { { .chan = done, .op = GOC_RECV, .elem = &v },
                              { .chan = goc_timer_chan(t), .op = GOC_RECV, .elem = &w } };
            int i = goc_select(cs, 2, 1);
            CHECKF(i == 0, "round %d: after 5 s only A=%d B=%d C=%d finished", round,
                   seen[1], seen[2], seen[3]);
            seen[v] = 1;
        }
        goc_timer_free(t);
    }
    goc_chan_free(done);
}

int main(void) { return goc_main(main_g, NULL); }
