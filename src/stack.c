/*
 * stack.c — goroutine stacks.
 *
 * C keeps pointers into stacks, so stacks cannot move or grow (DESIGN.md #1):
 * each G gets one fixed-size stack, reserved as virtual memory and committed
 * page by page as it is touched.  Default 256 KiB: C code is stack-hungrier
 * than Go (printf ~ 2-8 KiB, getaddrinfo ~ 20-40 KiB, ASan doubles frames),
 * and the reservation is only address space: 1M goroutines reserve 256 GiB of
 * the 128 TiB user space and commit only the pages they touch (usually one).
 *
 * Layout.  Stacks are carved from chunks of CHUNK_SLOTS slots, one mmap each
 * (MAP_NORESERVE), so a million stacks cost ~4k kernel mappings, far below
 * vm.max_map_count (65530).  Each slot is [guard | stack]; the goc_stack
 * descriptor lives at the top of its own stack (that page is touched by the
 * first frame anyway).  A slot is carved lazily, so an untouched slot costs
 * nothing.
 *
 * Overflow.  Where the kernel has MADV_GUARD_INSTALL (Linux 6.13+), the guard
 * is installed in the page tables without splitting the mapping; a touch
 * faults and trace.c's SIGSEGV handler names the goroutine.  Elsewhere a
 * canary word at the bottom of each stack is checked at every switch away
 * from the G (this costs one committed page per stack), and the first 8192
 * stacks also get an mprotect guard.
 *
 * Batching.  On a VM a page fault or a syscall costs microseconds, and a
 * spawn storm carves one slot per goroutine.  Slots are carved CARVE_BATCH
 * at a time, and the per-slot kernel work is done in two calls for the whole
 * batch: process_madvise(2) on ourselves (Linux 6.13+ accepts any advice for
 * the calling process) installs every guard, then populates every slot's
 * top page (where the descriptor and the first frames live) with
 * MADV_POPULATE_WRITE, instead of one madvise and one page fault per slot.
 * Where the kernel refuses, each slot is done alone as before.
 *
 * Caching.  Default-size stacks never go back to the kernel: a dead G's
 * stack goes to its P's cache (LIFO, so the next G reuses warm pages); above
 * CACHE_MAX the P spills half to the global pool under pool.lock.
 *
 * Size classes.  goc_go_stack asks for a larger stack: class k >= 1 is
 * 16 KiB << (k - 1), up to Go's 1 GiB maximum, carved from its own chunks
 * (up to 64 MiB or one slot each) and kept on a global per-class free list
 * (no P cache: such goroutines are the exception).  Past CLASS_WARM free
 * stacks of a class, a freed one's pages go back with MADV_DONTNEED, so a
 * deep recursion's megabytes do not stay resident.  Lock order: pool.lock is
 * a leaf.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define GOC_HAVE_VALGRIND 1
#endif
#endif

#include "runtime.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102       /* Linux 6.13 uapi value */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23       /* Linux 5.14 */
#endif
#define PIDFD_SELF_THREAD (-10000)   /* Linux 6.14: "the calling thread" */

enum {
    CHUNK_SLOTS = 256,               /* slots per mmap: 64 MiB at 256 KiB */
    CACHE_MAX = 64,                  /* per-P cache high water */
    CACHE_BATCH = 32,                /* moved per refill / spill */
    CARVE_BATCH = 32,                /* slots carved together (<= IOV_MAX) */
    MAX_CHUNKS = 1 << 16,
    /* Without MADV_GUARD_INSTALL, the first stacks still get a real guard
     * by mprotect: each splits the mapping (2 more kernel mappings), so
     * 8192 of them stay far below vm.max_map_count; later ones rely on the
     * canary alone. */
    MPROTECT_GUARDS = 8192,
};
#define GUARD_SIZE ((size_t)64 << 10) /* virtual only: catches frames < 64K */
#define CANARY 0x60c5ac4c0ffee60cULL

/* A size class's free stacks and the chunk it carves from. */
struct class_pool {
    goc_stack   *free;
    size_t       nfree;
    char        *cur;                /* chunk being carved */
    size_t       cur_used, chunk_slots;
    size_t       size, slot;         /* usable bytes; guard + usable */
};
struct chunk { char *base; size_t slots, slot; };

static struct {
    goc_lock     lock;
    struct class_pool cls[GOC_STACK_CLASSES];
    struct chunk chunks[MAX_CHUNKS]; /* for the overflow report */
    _Atomic size_t nchunks;
    _Atomic size_t nprotected;       /* fallback guards made by mprotect */
} pool;

enum {
    CLASS_MIN_SHIFT = 14,            /* class 1: 16 KiB */
    /* A class's free stacks beyond this many have their pages given back
     * when freed (a deep recursion's pages must not stay for good). */
    CLASS_WARM = 16,
};
#define CLASS_CHUNK_BYTES ((size_t)64 << 20)


static size_t stack_size = 256 << 10;  /* usable bytes, page multiple */
static size_t page_size;
static bool   use_guard_madvise;
/* process_madvise on ourselves: the fd is PIDFD_SELF_THREAD (the mm is the
 * whole process's), or on older kernels a pidfd of this process, which a
 * forked child must not use (it names the parent): the child forgets it. */
static int    self_fd = -1;
static bool   batch_guard, batch_populate;

static long pmadvise(struct iovec *iov, size_t n, int advice)
{
#ifdef SYS_process_madvise
    if (self_fd == -1)
        return -1;
    return syscall(SYS_process_madvise, self_fd, iov, n, advice, 0);
#else
    (void)iov; (void)n; (void)advice;
    return -1;
#endif
}

static void forget_pidfd_in_child(void)
{
    if (self_fd >= 0) {
        close(self_fd);
        self_fd = -1;
        batch_guard = batch_populate = false;
    }
}

/* Probe process_madvise with each advice on a scratch page. */
static void probe_batching(void *scratch)
{
#if defined(SYS_process_madvise) && defined(SYS_pidfd_open)
    struct iovec iov = { scratch, page_size };
    self_fd = PIDFD_SELF_THREAD;
    if (pmadvise(&iov, 1, MADV_POPULATE_WRITE) != (long)page_size) {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);   /* CLOEXEC */
        if (fd < 0) {
            self_fd = -1;
            return;
        }
        /* Far from the low numbers a program hands out and closes. */
        self_fd = fcntl(fd, F_DUPFD_CLOEXEC, 512);
        close(fd);
        if (self_fd < 0)
            return;
        pthread_atfork(NULL, NULL, forget_pidfd_in_child);
    }
    batch_populate = pmadvise(&iov, 1, MADV_POPULATE_WRITE) == (long)page_size;
    if (use_guard_madvise)
        batch_guard = pmadvise(&iov, 1, MADV_GUARD_INSTALL) == (long)page_size;
    if (!batch_populate && !batch_guard)
        forget_pidfd_in_child();
#else
    (void)scratch;
#endif
}


void goc__stack_init(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    page_size = page;
    if (size >= 16 << 10)
        stack_size = (size + page - 1) & ~(page - 1);
    for (int k = 0; k < GOC_STACK_CLASSES; k++) {
        struct class_pool *cp = &pool.cls[k];
        cp->size = k == 0 ? stack_size : (size_t)1 << (CLASS_MIN_SHIFT + k - 1);
        cp->slot = GUARD_SIZE + cp->size;
        size_t n = CLASS_CHUNK_BYTES / cp->slot;
        cp->chunk_slots = k == 0 ? CHUNK_SLOTS : n < 1 ? 1 : n > CHUNK_SLOTS ? CHUNK_SLOTS : n;
    }
    /* Probe MADV_GUARD_INSTALL and batching once on a scratch mapping. */
    char *probe = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe != MAP_FAILED) {
        use_guard_madvise = madvise(probe, page, MADV_GUARD_INSTALL) == 0;
        /* GOC_STACK_NOBATCH=1: one madvise and one fault per slot, to
         * measure what batching saves. */
        if (getenv("GOC_STACK_NOBATCH") == NULL)
            probe_batching(probe + page);
        munmap(probe, 3 * page);
    }
}

size_t goc__stack_size(void) { return stack_size; }

int goc__stack_class(size_t size)
{
    if (size <= stack_size)
        return 0;
    for (int k = 1; k < GOC_STACK_CLASSES; k++)
        if (pool.cls[k].size >= size)
            return k;
    return -1;
}

size_t goc__stack_bytes(const goc_stack *s) { return pool.cls[s->cls].size; }

/* Make room for at least one slot in cp's current chunk.  pool.lock held. */
static bool chunk_ready(struct class_pool *cp)
{
    if (cp->cur != NULL && cp->cur_used < cp->chunk_slots)
        return true;
    size_t n = atomic_load_explicit(&pool.nchunks, memory_order_relaxed);
    if (n == MAX_CHUNKS)
        return false;
    void *base = mmap(NULL, cp->slot * cp->chunk_slots, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return false;
    pool.chunks[n].base = base;
    pool.chunks[n].slots = cp->chunk_slots;
    pool.chunks[n].slot = cp->slot;
    atomic_store_explicit(&pool.nchunks, n + 1, memory_order_release);
    cp->cur = base;
    cp->cur_used = 0;
    return true;
}

/* Reserve up to want (<= CARVE_BATCH) slots of cp's current chunk; returns
 * how many (0: out of address space or mappings).  pool.lock held. */
static size_t reserve(struct class_pool *cp, char **first, size_t want)
{
    if (!chunk_ready(cp))
        return 0;
    size_t k = cp->chunk_slots - cp->cur_used;
    if (k > want)
        k = want;
    *first = cp->cur + cp->cur_used * cp->slot;
    cp->cur_used += k;
    return k;
}

/* Make k reserved slots of class cls from first on into stacks in out[]:
 * guards, top pages committed, descriptors.  No lock: the slots are the
 * caller's. */
static void prepare(int cls, char *first, size_t k, goc_stack **out)
{
    size_t slot = pool.cls[cls].slot;
    struct iovec iov[CARVE_BATCH];
    size_t done = 0;
    if (use_guard_madvise) {
        if (batch_guard && k > 1) {
            for (size_t i = 0; i < k; i++)
                iov[i] = (struct iovec){ first + i * slot, GUARD_SIZE };
            long r = pmadvise(iov, k, MADV_GUARD_INSTALL);
            done = r > 0 ? (size_t)r / GUARD_SIZE : 0;
        }
        for (size_t i = done; i < k; i++)
            madvise(first + i * slot, GUARD_SIZE, MADV_GUARD_INSTALL);
    } else {
        for (size_t i = 0; i < k; i++)
            if (atomic_fetch_add(&pool.nprotected, 1) < MPROTECT_GUARDS)
                mprotect(first + i * slot, GUARD_SIZE, PROT_NONE);
    }
    if (batch_populate && k > 1) {
        /* Commit every top page in one call; a failure leaves the rest to
         * ordinary page faults below. */
        for (size_t i = 0; i < k; i++)
            iov[i] = (struct iovec){ first + (i + 1) * slot - page_size,
                                     page_size };
        (void)pmadvise(iov, k, MADV_POPULATE_WRITE);
    }
    for (size_t i = 0; i < k; i++) {
        char *base = first + i * slot;
        char *lo = base + GUARD_SIZE;
        goc_stack *s = (goc_stack *)(base + slot - 64); /* top line */
        s->lo = lo;
        s->hi = (char *)s;
        s->next = i + 1 < k ? (goc_stack *)(base + 2 * slot - 64) : NULL;
        s->owner = NULL;
        s->cls = (uint32_t)cls;
        if (!use_guard_madvise)
            *(uint64_t *)lo = CANARY;
#ifdef GOC_HAVE_VALGRIND
        VALGRIND_STACK_REGISTER(lo, s->hi);
#endif
        out[i] = s;
    }
}

/* A stack of class cls >= 1: its free list, else one fresh slot. */
static goc_stack *class_get(int cls)
{
    struct class_pool *cp = &pool.cls[cls];
    goc__lock(&pool.lock);
    goc_stack *s = cp->free;
    char *slot = NULL;
    if (s != NULL) {
        cp->free = s->next;
        cp->nfree--;
    } else if (reserve(cp, &slot, 1) == 0) {
        slot = NULL;
    }
    goc__unlock(&pool.lock);
    if (slot != NULL)
        prepare(cls, slot, 1, &s);
    return s;
}

static goc_stack *pool_get(P *pp)
{
    struct class_pool *cp = &pool.cls[0];
    goc__lock(&pool.lock);
    goc_stack *first = NULL;
    /* Refill the P's cache with a batch of spilled stacks, return one. */
    for (int i = 0; i < CACHE_BATCH; i++) {
        goc_stack *s = cp->free;
        if (s != NULL) {
            cp->free = s->next;
            cp->nfree--;
        } else {
            break;
        }
        if (first == NULL) {
            first = s;
            if (pp == NULL)
                break;
        } else {
            s->next = pp->stackcache;
            pp->stackcache = s;
            pp->stackcachecnt++;
        }
    }
    char *slots = NULL;
    size_t k = first == NULL ? reserve(cp, &slots, pp ? CARVE_BATCH : 1) : 0;
    goc__unlock(&pool.lock);
    if (k > 0) {
        /* Nothing spilled: carve, outside the lock (the slots are ours;
         * two Ps carve in parallel).  A P takes the batch (its cache was empty, so it stays under
         * CACHE_MAX); a P-less caller takes one. */
        goc_stack *fresh[CARVE_BATCH];
        prepare(0, slots, k, fresh);
        first = fresh[0];
        for (size_t i = k; i-- > 1; ) {
            fresh[i]->next = pp->stackcache;
            pp->stackcache = fresh[i];
            pp->stackcachecnt++;
        }
    }
    return first;
}

goc_stack *goc__stack_alloc(P *pp, int cls)
{
    goc_stack *s;
    if (unlikely(cls != 0)) {
        s = class_get(cls);
        if (s == NULL)
            return NULL;
    } else if (likely(pp != NULL && (s = pp->stackcache) != NULL)) {
        pp->stackcache = s->next;
        pp->stackcachecnt--;
    } else {
        s = pool_get(pp);
        if (s == NULL)
            return NULL;
    }
    s->next = NULL;
    return s;
}

static void pool_put_list(struct class_pool *cp, goc_stack *head,
                          goc_stack *tail, size_t n)
{
    goc__lock(&pool.lock);
    tail->next = cp->free;
    cp->free = head;
    cp->nfree += n;
    goc__unlock(&pool.lock);
}

/* A class >= 1 stack back to its pool.  Past CLASS_WARM free ones, its
 * pages below the descriptor's go back to the kernel first (the guard
 * and the descriptor stay). */
static void class_put(goc_stack *s)
{
    struct class_pool *cp = &pool.cls[s->cls];
    goc__lock(&pool.lock);
    bool warm = cp->nfree < CLASS_WARM;
    if (warm) {
        s->next = cp->free;
        cp->free = s;
        cp->nfree++;
    }
    goc__unlock(&pool.lock);
    if (warm)
        return;
    char *top = (char *)((uintptr_t)s & ~(uintptr_t)(page_size - 1));
    madvise(s->lo, (size_t)(top - s->lo), MADV_DONTNEED);
    if (!use_guard_madvise)
        *(uint64_t *)s->lo = CANARY;
    pool_put_list(cp, s, s, 1);
}

void goc__stack_free(P *pp, goc_stack *s)
{
    s->owner = NULL;
    if (unlikely(s->cls != 0)) {
        class_put(s);
        return;
    }
    if (pp == NULL) {
        pool_put_list(&pool.cls[0], s, s, 1);
        return;
    }
    s->next = pp->stackcache;
    pp->stackcache = s;
    if (++pp->stackcachecnt < CACHE_MAX)
        return;
    /* Spill the older half; keep the warm top of the LIFO. */
    goc_stack *keep = pp->stackcache;
    for (int i = 1; i < CACHE_MAX - CACHE_BATCH; i++)
        keep = keep->next;
    goc_stack *head = keep->next, *tail = head;
    size_t n = 1;
    while (tail->next) {
        tail = tail->next;
        n++;
    }
    keep->next = NULL;
    pp->stackcachecnt -= (int32_t)n;
    pool_put_list(&pool.cls[0], head, tail, n);
}

void goc__stack_flush(P *pp)
{
    goc_stack *head = pp->stackcache;
    if (head == NULL)
        return;
    goc_stack *tail = head;
    while (tail->next)
        tail = tail->next;
    pool_put_list(&pool.cls[0], head, tail, (size_t)pp->stackcachecnt);
    pp->stackcache = NULL;
    pp->stackcachecnt = 0;
}

bool goc__stack_check_canary(goc_stack *s)
{
    return use_guard_madvise || *(volatile uint64_t *)s->lo == CANARY;
}

G *goc__stack_owner_of(void *addr, size_t above)
{
    char *a = addr;
    size_t n = atomic_load_explicit(&pool.nchunks, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        char *base = pool.chunks[i].base;
        size_t slot_size = pool.chunks[i].slot;
        if (a < base || a >= base + slot_size * pool.chunks[i].slots)
            continue;
        size_t off = (size_t)(a - base) % slot_size;
        char *slot = a - off;
        goc_stack *s = (goc_stack *)(slot + slot_size - 64);
        if (off < GUARD_SIZE + above)
            return s->owner ? s->owner : (G *)-1;
        return NULL;
    }
    return NULL;
}
