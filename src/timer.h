/*
 * timer.h — the runtime timer (Go's runtime.timer) that goc_sleep, the
 * goc_timer_* calls and the poller's deadlines share.  Not installed.
 *
 * A timer is owned by whoever embeds it (a G for goc_sleep, a pollDesc for
 * deadlines, a goc_timer for channels) and lives at least as long as any
 * heap may point to it: G and pollDesc memory is never freed, and
 * goc_timer_free removes its timer from the heap before freeing it.
 */
#ifndef GOC_TIMER_H
#define GOC_TIMER_H

#include "runtime.h"

/* f(arg, seq, delay): called when the timer fires, delay ns after its when.
 * Runs on g0 or in a G holding a P, with no heap lock held; it may ready Gs
 * (goc__ready) but must not block.  For channel timers (ischan) it runs with
 * the timer's own lock held, which makes the send and stop/reset mutually
 * exclusive; for the others seq lets f detect a stale firing. */
typedef void (*goc_timer_fn)(void *arg, uintptr_t seq, int64_t delay);

typedef struct goc_timer_rt {
    goc_lock            mu;     /* protects every field but idx */
    uint8_t             state;  /* T_* bits (time.c) */
    bool                ischan; /* f sends on a channel: run under mu */
    int32_t             idx;    /* heap index while heaped (heap lock) */
    struct goc_timers  *ts;     /* heap holding it while heaped (mu + heap) */
    int64_t             when;   /* next firing, goc_now() units; 0: inactive */
    int64_t             period; /* > 0: fires again every period */
    goc_timer_fn        f;
    void               *arg;
    uintptr_t           seq;
} goc_timer_rt;

void goc__timer_init(goc_timer_rt *t, goc_timer_fn f, void *arg);
/* Arm t to fire at when (> 0; 0 disarms) then every period.  Returns true
 * if it was pending (Go's timer.modify). */
bool goc__timer_modify(goc_timer_rt *t, int64_t when, int64_t period,
                       goc_timer_fn f, void *arg, uintptr_t seq);
/* Disarm; true if it was pending. */
bool goc__timer_stop(goc_timer_rt *t);
/* Disarm only if t's seq (set by the goc__timer_modify that armed it) is
 * seq; true if it was pending then.  Lets a handle to a recycled timer
 * (goc_after_func) stop only the arming it was given for. */
bool goc__timer_stop_seq(goc_timer_rt *t, uintptr_t seq);
/* Remove t from any heap synchronously (before freeing its memory). */
void goc__timer_remove(goc_timer_rt *t);

/* when for a relative duration: now + ns, saturating; now if ns <= 0. */
int64_t goc__when(int64_t ns);

#endif /* GOC_TIMER_H */
