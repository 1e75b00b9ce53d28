/* pingpong_hog.c — Go's TestPingPongHog: two pairs of goroutines bounce a
 * token; one pair burns CPU between bounces, the other does not.  With
 * time slices (sysmon preemption) both pairs get comparable CPU, so the
 * light pair's bounces must not be starved by the hogs. */
#include <stdatomic.h>
#include <goc.h>
#include "testutil.h"

static _Atomic int stop;
static _Atomic long light_bounces, hog_bounces;

struct pair { goc_chan *in, *out; int hog; _Atomic long *count; };

static void player(void *arg)
{
    struct pair *p = arg;
    int tok;
    while (goc_chan_recv(p->in, &tok) == 0) {
        if (p->hog) {
            volatile uint64_t x = 0;
            for (int i = 0; i < 100000; i++)
                x += (uint64_t)i;
            (void)x;
        }
        atomic_fetch_add(p->count, 1);
        if (atomic_load(&stop) || goc_chan_send(p->out, &tok) != 0)
            break;
    }
}

static void main_g(void *arg)
{
    (void)arg;
    if (goc_maxprocs(0) != 1)
        goc_maxprocs(1);        /* the case Go tests: one P */
    goc_chan *a = goc_chan_make(sizeof(int), 0), *b = goc_chan_make(sizeof(int), 0);
    goc_chan *c = goc_chan_make(sizeof(int), 0), *d = goc_chan_make(sizeof(int), 0);
    static struct pair ps[4];
    ps[0] = (struct pair){ a, b, 1, &hog_bounces };
    ps[1] = (struct pair){ b, a, 1, &hog_bounces };
    ps[2] = (struct pair){ c, d, 0, &light_bounces };
    ps[3] = (struct pair){ d, c, 0, &light_bounces };
    for (int i = 0; i < 4; i++)
        goc_go(player, &ps[i]);
    int tok = 1;
    goc_chan_send(a, &tok);
    goc_chan_send(c, &tok);
    goc_sleep(500 * 1000000);
    atomic_store(&stop, 1);
    long light = atomic_load(&light_bounces), hog = atomic_load(&hog_bounces);
    printf("light %ld bounces, hog %ld bounces\n", light, hog);
    CHECK(hog > 0);
    CHECKF(light > hog, "light pair starved: %ld vs %ld", light, hog);
    goc_chan_close(a); goc_chan_close(b); goc_chan_close(c); goc_chan_close(d);
}

int main(void) { return goc_main(main_g, NULL); }
