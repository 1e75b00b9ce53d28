/* time.c — timers (stub; being made real). */
#include "runtime.h"

struct goc_timers { goc_lock lock; _Atomic uint32_t n; };

void goc__timers_pinit(P *pp) { (void)pp; }
int64_t goc__timers_check(P *pp, int64_t now, bool *ran) { (void)pp; (void)now; (void)ran; return 0; }
int64_t goc__timers_next(P *pp) { (void)pp; return 0; }
bool goc__timers_pending(void) { return false; }
void goc__timers_move(P *from, P *to) { (void)from; (void)to; }
