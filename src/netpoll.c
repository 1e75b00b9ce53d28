/* netpoll.c — poll descriptors (stub; being made real). */
#include "runtime.h"

void goc__netpoll_init(void) {}
bool goc__netpoll_inited(void) { return false; }
bool goc__netpoll_anywaiters(void) { return false; }
G *goc__netpoll(int64_t delay_ns) { (void)delay_ns; return NULL; }
void goc__netpoll_break(void) {}
