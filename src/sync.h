/*
 * sync.h — internal interface of the semaphore table (sema.c) and the race
 * annotations shared by chan.c, select.c, sema.c and sync.c.  Not installed.
 *
 * Semaphores (Go's sema.go): a 32-bit word anywhere in memory counts
 * permits; waiters queue in a table of 251 buckets keyed by the word's
 * address.  goc__semacquire parks the calling G (or blocks a foreign
 * thread) until it takes a permit; goc__semrelease adds one and wakes the
 * first waiter; with handoff the permit goes straight to that waiter
 * (Mutex starvation mode).
 *
 * Notify lists (Go's notifyList, for Cond): a ticket counter pair; a waiter
 * takes a ticket with goc__notify_add before it unlocks the user's mutex,
 * then goc__notify_wait parks unless its ticket was already notified.
 */
#ifndef GOC_SYNC_H
#define GOC_SYNC_H

#include "runtime.h"

void goc__semacquire(uint32_t *addr, bool lifo, int reason);
void goc__semrelease(uint32_t *addr, bool handoff);

/* The notify list lives in goc_cond's wait / notify / lock / head / tail. */
uint32_t goc__notify_add(goc_cond *c);
void     goc__notify_wait(goc_cond *c, uint32_t ticket);
void     goc__notify_one(goc_cond *c);
void     goc__notify_all(goc_cond *c);

/* ThreadSanitizer happens-before edges (DESIGN.md, "Tools that must keep
 * working").  The scheduler switches TSan fibers without synchronisation,
 * so every edge Go's memory model promises is told here: release at the
 * point that publishes, acquire where the other side observes it. */
#if GOC_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define goc__race_acquire(p) __tsan_acquire((void *)(p))
#define goc__race_release(p) __tsan_release((void *)(p))
#else
#define goc__race_acquire(p) ((void)(p))
#define goc__race_release(p) ((void)(p))
#endif

#endif /* GOC_SYNC_H */
