/*
 * goc.h — Go's runtime for C: goroutines, channels, select, timers, sync and a
 * network poller, scheduled on Go's G/M/P design.
 *
 * Read this header first; it is the whole public API.
 *
 * Conventions
 *   - Calls that can fail return 0 (or a count, or an fd) on success and a
 *     NEGATIVE errno value on failure (-ENOMEM, -EPIPE, -ETIMEDOUT, ...).
 *     They never report through errno.
 *   - The zero value of every sync type is ready to use, as in Go:
 *       goc_mutex m = {0};   goc_wg wg = {0};
 *   - Misuse that Go turns into a panic and that cannot be returned as an
 *     error (a negative WaitGroup counter, unlocking an unlocked mutex, freeing
 *     a channel goroutines still wait on) prints "fatal error: <what>", dumps
 *     the goroutines to stderr and exits with status 2.
 *
 * Threads, thread-locals and errno
 *   A goroutine may resume on a different OS thread after any call that can
 *   block or yield (channel operations, sync, sleep, network, goc_yield, and
 *   goc_go, where a goroutine past its time slice or far ahead of the
 *   goroutines it spawned yields).
 *   Thread-locals (__thread / _Thread_local, pthread_getspecific) belong to
 *   the THREAD, not the goroutine: do not keep a pointer to one across such a
 *   call.  errno is the exception: the runtime saves and restores each
 *   goroutine's errno across its switches.  (glibc declares &errno constant,
 *   so within ONE function the compiler may reuse the previous thread's
 *   &errno after a call that switched threads: read errno right after the
 *   libc call that set it, as usual, not across goc calls.)
 *   Do not block a goroutine (channel, mutex, sleep...), call goc_yield or
 *   return from it while holding an OS lock (pthread_mutex_t,
 *   pthread_rwlock_t): the thread is shared by other goroutines, which
 *   would block on the lock or, if it is recursive, enter it too, and the
 *   holder may resume on a thread that does not own it.  Linking
 *   libgoc_lockcheck (-lgoc_lockcheck; shared builds, not -static) makes
 *   that a fatal error naming the goroutine and the lock, and keeps
 *   goc_go's preemption check and its spawn-storm yield from moving a
 *   goroutine whose thread holds one.  Calls that block the thread itself (read(2) on a
 *   pipe, sleep(3), flock, a library's blocking call) are best wrapped in
 *   goc_syscall_enter/exit: the P goes to other goroutines at once.  Left
 *   unwrapped, they still do not stop the program: sysmon sees a thread
 *   that sleeps in the kernel outside the runtime for a few ms and hands
 *   its P on (GOC_DEBUG=blockedretakeoff=1 turns that off; it needs
 *   membarrier(2), Linux >= 4.14).  Such a goroutine, back from its call,
 *   runs without a P until its next goc call that blocks, yields or ends,
 *   which waits for one.
 *
 * Foreign threads
 *   Threads that goc did not create may use channels, select and the sync
 *   types; they block their own OS thread while waiting.
 *
 * Environment (read by goc_main)
 *   GOC_MAXPROCS=n     number of Ps (default: CPUs in the affinity mask,
 *                      capped by the cgroup CPU quota)
 *   GOC_STACK=bytes    goroutine stack size (default 256 KiB; k/m suffixes;
 *                      16k..64m; a stack overflow kills the program with
 *                      "stack overflow" and this hint)
 *   A malformed or out-of-range value is reported on stderr and the default
 *   is used.
 *   GOC_DEBUG=schedtrace=MS,scheddetail=1,asyncpreemptoff=1,blockedretakeoff=1,
 *             preempttgkill=1 (the preemption signal by tgkill after a look at
 *             the thread, not by its CPU-time timer)
 *   SIGQUIT prints every goroutine's state and backtrace and exits with 2.
 */
#ifndef GOC_H
#define GOC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>   /* struct sockaddr, for goc_sendto / goc_recvfrom */
#include <sys/uio.h>      /* struct iovec, for goc_writev */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ runtime -- */

/* Start the runtime, run fn(arg) as the main goroutine, and return 0 when it
 * returns.  Other goroutines are abandoned then, as in Go.  Call it once,
 * from the program's main thread; a second call returns -EALREADY. */
int goc_main(void (*fn)(void *arg), void *arg);

/* Start a goroutine running fn(arg).  0, or -ENOMEM / -EAGAIN.  Callable
 * from a goroutine or from a foreign thread once goc_main runs. */
int goc_go(void (*fn)(void *arg), void *arg);

/* goc_go with a stack of at least stack_size bytes: sizes up to the default
 * (GOC_STACK, 256 KiB unless set) get the default stack; larger ones are
 * rounded up to a power of two, at most 1 GiB (Go's limit).  As with every
 * goroutine stack, only the pages it touches are committed; a freed large
 * stack's pages go back to the kernel once a few of its size are cached.
 * 0, or -EINVAL (over 1 GiB, or fn NULL), -ENOMEM, -EAGAIN (before
 * goc_main).  For a goroutine that recurses deeply on its input (a parser),
 * instead of raising GOC_STACK for every goroutine. */
int goc_go_stack(void (*fn)(void *arg), void *arg, size_t stack_size);

/* Go's runtime.Gosched: put the calling goroutine on the global run queue
 * and let others run. */
void goc_yield(void);

/* The calling goroutine's id (the main goroutine is 1); 0 outside one. */
uint64_t goc_id(void);

/* n > 0 sets the number of Ps (while goroutines run) and returns the
 * previous number; n <= 0 only reports it (Go's GOMAXPROCS(0)). */
int goc_maxprocs(int n);

/* Goroutines that exist now, the main one included: 1 when main starts. */
int goc_num_goroutines(void);

/* The scheduler's state in Prometheus text format (P and M states, run-queue
 * lengths, counters): writes into buf (NUL-terminated when n > 0) and returns
 * the length the whole text needs, as snprintf does.  goc_http's /debug/goc
 * handler serves it. */
int goc_debug_stats(char *buf, size_t n);

/* ----------------------------------------------------------- channels -- */

typedef struct goc_chan goc_chan;

/* A channel of elements of elem_size bytes (0 allowed, up to 64 KiB) with a
 * buffer of cap elements (0: unbuffered; below 2^40).  A buffered channel
 * takes 8 bytes per slot beyond its elements (rounded up to 8).  NULL on
 * bad arguments or no memory. */
goc_chan *goc_chan_make(size_t elem_size, size_t cap);

/* Free a channel.  Freeing one that goroutines still wait on is a fatal
 * error ("free of channel with waiters: channel 0x...", naming them), and so
 * is freeing one that goc_chan_retain references still hold.  A freed
 * channel is poisoned: a later operation on it is a fatal error ("send on
 * freed channel 0x...") rather than a hang, as long as its memory has not
 * been reused (the runtime holds the last few hundred freed channels back
 * from malloc for this).  NULL is ignored. */
void goc_chan_free(goc_chan *c);

/* Reference counting, for a channel whose last user frees it, such as a
 * results channel that a caller abandons after a timeout while workers may
 * still send on it.  goc_chan_make returns a channel holding one reference;
 * goc_chan_retain adds one (and returns c), goc_chan_release drops one and
 * frees the channel, as goc_chan_free, when it was the last.  Retain before
 * handing c to another goroutine, release when done with it.  Give such a
 * channel a buffer for every value that may be sent, or a late sender
 * blocks forever (and keeps its reference).  Retain or release of a freed
 * channel is a fatal error.  NULL is ignored (retain returns NULL). */
goc_chan *goc_chan_retain(goc_chan *c);
void      goc_chan_release(goc_chan *c);

/* Send *elem (elem_size bytes are copied).  Blocks until a receiver takes it
 * or it is buffered.  0, or -EPIPE if c is closed (before or while waiting).
 * A NULL c blocks forever, as a nil channel in Go. */
int goc_chan_send(goc_chan *c, const void *elem);

/* Receive into *elem (NULL discards).  Blocks.  0 with a value, or -EPIPE
 * once c is closed and drained (elem zeroed). */
int goc_chan_recv(goc_chan *c, void *elem);

/* As send / recv, but -EAGAIN instead of blocking. */
int goc_chan_trysend(goc_chan *c, const void *elem);
int goc_chan_tryrecv(goc_chan *c, void *elem);

/* Close c: 0, or -EPIPE if already closed.  Blocked receivers get -EPIPE and
 * a zeroed elem once the buffer is drained (buffered values are still
 * delivered); blocked senders get -EPIPE and their values are dropped. */
int goc_chan_close(goc_chan *c);

size_t goc_chan_len(goc_chan *c);   /* elements buffered now */
size_t goc_chan_cap(goc_chan *c);   /* buffer capacity */

/* ------------------------------------------------------------- select -- */

enum { GOC_SEND = 1, GOC_RECV = 2 };

typedef struct goc_case {
    goc_chan *chan;   /* NULL: this case never proceeds (Go's nil channel) */
    int       op;     /* GOC_SEND or GOC_RECV */
    void     *elem;   /* value to send, or where to store the received value
                         (may be NULL) */
    int       result; /* set for the chosen case: 0, or -EPIPE (closed) */
} goc_case;

/* Perform exactly one case that can proceed, chosen uniformly at random
 * among those that can, and return its index.  A case on a closed channel
 * can proceed (result -EPIPE; a receive gets a zeroed elem).  block == 0:
 * -EAGAIN at once if none can (Go's default clause).  block != 0 with no
 * usable case blocks forever (Go's select {}).  -EINVAL for a bad op or
 * n > 65536. */
int goc_select(goc_case *cases, size_t n, int block);

/* Go's `v, ok := <-c`: 1 with a value, 0 once c is closed and drained. */
int goc_chan_recv_ok(goc_chan *c, void *elem);

/* `select { case c <- v: case <-time.After(ns): }` and the receive: the
 * op's result (0, -EPIPE), or -ETIMEDOUT after ns (ns <= 0: only if the op
 * can proceed now).  A NULL c waits for the timeout. */
int goc_chan_send_timeout(goc_chan *c, const void *elem, int64_t ns);
int goc_chan_recv_timeout(goc_chan *c, void *elem, int64_t ns);

/* Typed channels: GOC_CHAN_TYPE(intch, int) declares the type intch and
 * static inline intch_make(cap), intch_send(ch, v), intch_recv(ch, &v),
 * intch_recv_ok(ch, &v), intch_trysend, intch_tryrecv, intch_close,
 * intch_free, and intch_chan(ch) (the goc_chan, for goc_case).  The element
 * type is checked by the compiler: intch_recv(ch, &a_long) is a diagnostic,
 * where goc_chan_recv would silently write sizeof(int) bytes. */
#if defined(__GNUC__)
#define GOC_TYPED_FN_ static inline __attribute__((unused))
#else
#define GOC_TYPED_FN_ static inline
#endif
#define GOC_CHAN_TYPE(name, T)                                                \
    typedef struct name { goc_chan *c; } name;                                \
    GOC_TYPED_FN_ name name##_make(size_t cap)                                \
    { name ch = { goc_chan_make(sizeof(T), cap) }; return ch; }               \
    GOC_TYPED_FN_ int name##_send(name ch, T v)                               \
    { return goc_chan_send(ch.c, &v); }                                       \
    GOC_TYPED_FN_ int name##_recv(name ch, T *v)                              \
    { return goc_chan_recv(ch.c, v); }                                        \
    GOC_TYPED_FN_ int name##_recv_ok(name ch, T *v)                           \
    { return goc_chan_recv_ok(ch.c, v); }                                     \
    GOC_TYPED_FN_ int name##_trysend(name ch, T v)                            \
    { return goc_chan_trysend(ch.c, &v); }                                    \
    GOC_TYPED_FN_ int name##_tryrecv(name ch, T *v)                           \
    { return goc_chan_tryrecv(ch.c, v); }                                     \
    GOC_TYPED_FN_ int name##_close(name ch) { return goc_chan_close(ch.c); } \
    GOC_TYPED_FN_ void name##_free(name ch) { goc_chan_free(ch.c); }          \
    GOC_TYPED_FN_ goc_chan *name##_chan(name ch) { return ch.c; }             \
    typedef int name##_goc_chan_type_end_

/* --------------------------------------------------------------- time -- */

int64_t goc_now(void);          /* monotonic nanoseconds */
void    goc_sleep(int64_t ns);  /* parks the goroutine (not the thread) for
                                   at least ns; never returns early */

typedef struct goc_timer goc_timer;

/* Fires once after after_ns (period_ns 0), or then every period_ns (a
 * ticker).  NULL on no memory or a negative period. */
goc_timer *goc_timer_new(int64_t after_ns, int64_t period_ns);

/* Receives the firing time (int64_t, goc_now() units).  Capacity 1; a
 * ticker drops ticks a slow reader misses, as Go does; after stop or reset
 * no stale value is received (Go 1.23+). */
goc_chan *goc_timer_chan(goc_timer *t);

int  goc_timer_stop(goc_timer *t);  /* 1 if it stopped a pending firing */
/* 1 if the timer was pending, 0 if it had fired or been stopped. */
int  goc_timer_reset(goc_timer *t, int64_t after_ns);
void goc_timer_free(goc_timer *t);  /* stops it and frees it and its chan */

/* Go's Ticker.Reset: t ticks every period_ns from now on (first tick after
 * period_ns); a one-shot timer becomes a ticker.  Returns as
 * goc_timer_reset, or -EINVAL for period_ns <= 0 or a NULL t.  (goc_timer_
 * reset moves only the next firing and keeps the period.) */
int goc_ticker_reset(goc_timer *t, int64_t period_ns);

/* Go's time.After, for one wait: a channel that receives the time (int64_t,
 * goc_now() units) once, ns from now (ns <= 0: at once).  Never freed by
 * the caller:
 *     goc_case cs[] = {
 *         { .chan = work, .op = GOC_RECV, .elem = &job },
 *         { .chan = goc_after(GOC_SECOND), .op = GOC_RECV },
 *     };
 *     if (goc_select(cs, 2, 1) == 1) ... timed out
 * Rules (C has no GC; src/after.c gives the argument):
 *   - the first goc_chan_recv / successful goc_chan_tryrecv / recv helper or
 *     goc_select that includes it and returns a case, whichever case won,
 *     spends it: its timer is stopped and it is recycled for the caller's
 *     next goc_after.  A non-blocking try or select that returns -EAGAIN
 *     leaves it armed (polling works).  Using it again is a fatal error
 *     ("spent goc_after channel"); for one deadline over several waits use
 *     goc_ctx_with_timeout or goc_timer_new.
 *   - only the goroutine (or foreign thread) that made it may use it;
 *     another is a fatal error, and so are send, close, free, retain and
 *     release.
 *   - one never waited on is freed when its goroutine exits.
 * Cheaper than goc_timer_new + goc_timer_free around a select: a hot
 * select loop reuses one timer and channel and allocates nothing.  Out of
 * memory is a fatal error. */
goc_chan *goc_after(int64_t ns);

#define GOC_MILLISECOND ((int64_t)1000000)
#define GOC_SECOND      ((int64_t)1000000000)

/* Go's time.AfterFunc: after ns (ns <= 0: at once), start fn(arg) in a new
 * goroutine.  Returns an id (> 0) for goc_after_func_stop, or -EINVAL (NULL
 * fn) / -ENOMEM.  The id may be dropped: nothing is left to free once fn
 * has started, and a stale id is harmless (stop returns 0). */
int64_t goc_after_func(int64_t ns, void (*fn)(void *arg), void *arg);

/* Go's Timer.Stop for goc_after_func: 1 if it stopped the timer before it
 * fired (fn will not run), 0 if fn was already started or the timer was
 * already stopped, -EINVAL for an id goc_after_func never returned. */
int goc_after_func_stop(int64_t id);

/* ------------------------------------------------------------ signals -- */

/* Go's os/signal.Notify: each arrival of signal sig is sent, as an int, on
 * c, a channel of int (goc_chan_make(sizeof(int), cap)).  The send never
 * blocks: give c a buffer; an arrival that finds it full is dropped for c,
 * as in Go.  Several channels may take one signal and one channel several
 * signals (a call each; a repeated call changes nothing).  Standard
 * signals that arrive together may coalesce into one, as in any process.
 * While at least one channel takes sig, the runtime handles it; the
 * disposition it had before (the program's handler, default, ignore, or the
 * runtime's SIGQUIT dump) comes back when the last one stops.  0, or
 * -EINVAL (c NULL or not a channel of int; sig out of 1..64, SIGKILL,
 * SIGSTOP, or one the runtime keeps: SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGURG), -EAGAIN before goc_main, -ENOMEM, or -errno from
 * sigaction (glibc's own signals 32 and 33).  The first call starts one
 * goroutine that relays signals for the rest of the process; while it
 * waits, "all goroutines are asleep" is not reported (a signal may come). */
int goc_signal_notify(goc_chan *c, int sig);

/* Go's signal.Stop: c gets no more signals once this returns (call it
 * before freeing c: a signal sent to a freed channel is a fatal error).
 * 0, or -ENOENT if c took none, -EINVAL for NULL. */
int goc_signal_stop(goc_chan *c);

/* --------------------------------------------- sync (zero value ready) -- */

/* Complete types so they can live in structs and on stacks; the fields are
 * private to the runtime. */
typedef struct goc_mutex   { int32_t state; uint32_t sema; } goc_mutex;
typedef struct goc_rwmutex {
    goc_mutex w; uint32_t writer_sem, reader_sem;
    int32_t reader_count, reader_wait;
} goc_rwmutex;
typedef struct goc_wg      { uint64_t state; uint32_t sema; } goc_wg;
typedef struct goc_once    { uint32_t done; goc_mutex m; } goc_once;
typedef struct goc_cond    { uint32_t wait, notify; uint32_t lock;
                             void *head, *tail; } goc_cond;

/* As Go's sync.Mutex: not tied to a goroutine (another may unlock it);
 * normal mode with brief spinning, starvation mode after a waiter has
 * waited 1 ms.  Unlocking an unlocked mutex is a fatal error. */
void goc_mutex_lock(goc_mutex *m);
void goc_mutex_unlock(goc_mutex *m);
int  goc_mutex_trylock(goc_mutex *m);           /* 1 if it took the lock */

/* As Go's sync.RWMutex: a waiting writer blocks new readers. */
void goc_rwmutex_rlock(goc_rwmutex *m);
void goc_rwmutex_runlock(goc_rwmutex *m);
void goc_rwmutex_lock(goc_rwmutex *m);
void goc_rwmutex_unlock(goc_rwmutex *m);

/* As Go's sync.WaitGroup; a negative counter is a fatal error. */
void goc_wg_add(goc_wg *wg, int delta);
void goc_wg_done(goc_wg *wg);
void goc_wg_wait(goc_wg *wg);

/* Run fn(arg) once; every caller returns after it has completed. */
void goc_once_do(goc_once *o, void (*fn)(void *arg), void *arg);

/* As Go's sync.Cond with an explicit mutex; may wake spuriously: wait in a
 * loop that re-checks the condition. */
void goc_cond_wait(goc_cond *c, goc_mutex *m);
void goc_cond_signal(goc_cond *c);
void goc_cond_broadcast(goc_cond *c);

/* Counting semaphore on any 32-bit word (Go's runtime_Semacquire/release):
 * acquire parks until *addr > 0 and decrements it; release increments it and
 * wakes one waiter. */
void goc_sem_acquire(uint32_t *addr);
void goc_sem_release(uint32_t *addr);

/* ------------------------------------- context (Go's context package) -- */
/* Cancellation, deadlines and request-scoped values, propagated from parent
 * to children.  A context's done channel is closed when it is cancelled:
 * select on it beside the work (goc_ctx_done).  C has no GC: the creator
 * frees what it made with goc_ctx_free, which also cancels it (Go's
 * `defer cancel()`); free it once no goroutine uses it any more, e.g. after
 * goc_errgroup_wait or a WaitGroup.  To stop goroutines early, cancel, and
 * free later.  Freeing a parent first cancels and detaches its children,
 * which stay valid until freed. */

typedef struct goc_ctx goc_ctx;

/* The root: never cancelled, no deadline, no values; its done channel is
 * NULL, which never proceeds in goc_select (Go's nil channel).  Needs no
 * free.  A NULL parent anywhere below means this one. */
goc_ctx *goc_ctx_background(void);

/* A child that goc_ctx_cancel (or its parent's cancellation) cancels.  NULL
 * on no memory.  A child of a cancelled parent starts cancelled. */
goc_ctx *goc_ctx_with_cancel(goc_ctx *parent);

/* A child that also cancels itself with -ETIMEDOUT at deadline (absolute
 * goc_now() time) / after ns; the earlier of its own and its parent's
 * deadline applies.  A deadline already past gives a cancelled context. */
goc_ctx *goc_ctx_with_deadline(goc_ctx *parent, int64_t deadline);
goc_ctx *goc_ctx_with_timeout(goc_ctx *parent, int64_t ns);

/* A child carrying value under key (compared by address; not NULL):
 * goc_ctx_value looks it up here, then in the ancestors (NULL if absent). */
goc_ctx *goc_ctx_with_value(goc_ctx *parent, const void *key, void *value);
void    *goc_ctx_value(goc_ctx *c, const void *key);

/* Cancel c and its descendants.  cause (a negative errno, e.g. the error
 * that made you give up; >= 0 means -ECANCELED) is what goc_ctx_cause
 * reports.  The first cancellation wins; later ones do nothing. */
void goc_ctx_cancel(goc_ctx *c, int cause);

/* Closed when c is cancelled (made on first use).  NULL for background. */
goc_chan *goc_ctx_done(goc_ctx *c);

/* 0 while c is live; -ECANCELED (Go's Canceled) or -ETIMEDOUT (Go's
 * DeadlineExceeded) once cancelled.  Lock-free: cheap to poll. */
int goc_ctx_err(goc_ctx *c);
/* The cause given to the cancellation (Go's context.Cause); 0 while live. */
int goc_ctx_cause(goc_ctx *c);
/* The deadline in goc_now() units (its own or inherited), 0 if none. */
int64_t goc_ctx_deadline(goc_ctx *c);

/* Cancel c (-ECANCELED if live) and free it.  Goroutines selecting on its
 * done channel must have left (they are woken by the cancellation); one
 * still blocked on it is a fatal error.  NULL and background are ignored. */
void goc_ctx_free(goc_ctx *c);

/* `select { case c <- v: case <-ctx.Done(): }` and the receive: the op's
 * result (0, -EPIPE), or goc_ctx_err(ctx) if ctx is (or becomes) done
 * first.  A context already done never sends or receives. */
int goc_chan_send_ctx(goc_chan *c, const void *elem, goc_ctx *ctx);
int goc_chan_recv_ctx(goc_chan *c, void *elem, goc_ctx *ctx);

/* ------------------------------------- errgroup (x/sync/errgroup) -- */
/* Goroutines working on one task: the first to fail cancels the others'
 * context; goc_errgroup_wait waits for all and returns that first error. */

typedef struct goc_errgroup goc_errgroup;

/* A group whose context is a child of parent (NULL: background). */
goc_errgroup *goc_errgroup_new(goc_ctx *parent);
goc_ctx      *goc_errgroup_ctx(goc_errgroup *g);

/* At most n goroutines of the group run at once (n < 0: no limit, the
 * default).  Changing it while goroutines run is a fatal error, as in Go. */
void goc_errgroup_set_limit(goc_errgroup *g, int n);

/* Run fn(group ctx, arg) in a new goroutine, waiting for a free slot under
 * the limit.  fn returns 0 or an error (a negative errno by convention);
 * the first non-zero one cancels the group's context with it as the cause.
 * 0, -ENOMEM, or -EDEADLK with a limit of 0 (Go would block forever). */
int goc_errgroup_go(goc_errgroup *g, int (*fn)(goc_ctx *ctx, void *arg), void *arg);
/* As goc_errgroup_go but -EAGAIN at once instead of waiting for a slot. */
int goc_errgroup_trygo(goc_errgroup *g, int (*fn)(goc_ctx *ctx, void *arg), void *arg);

/* Wait for every goroutine of the group, cancel its context, and return the
 * first error (0 if none). */
int goc_errgroup_wait(goc_errgroup *g);

/* Free the group and its context (after goc_errgroup_wait; freeing with
 * goroutines still running is a fatal error). */
void goc_errgroup_free(goc_errgroup *g);

/* ------------------------------------------------------------ network -- */
/* TCP, UDP and Unix stream sockets; the fds goc makes (and the sockets it
 * adopts: goc_net_adopt) are non-blocking and registered with the poller,
 * and every call below parks the goroutine, not the thread.  Addresses: "host:port" (IPv4, "[IPv6]:port", or ":port" for
 * every local address; names are resolved off the scheduler), or for
 * goc_listen / goc_dial / goc_dial_timeout / goc_dial_ctx / goc_sockaddr
 * "unix:/path" (a filesystem Unix socket) and "unix:@name" (Linux's
 * abstract namespace).  Bad addresses give -EINVAL (-ENAMETOOLONG for a
 * Unix path over 107 bytes).
 *
 * Plain fds.  goc_read, goc_write, goc_write_n and goc_writev also take an
 * fd goc did not make (a pipe, a file, stdin): they do the blocking call
 * with the thread's P handed to other goroutines (goc_syscall_enter/exit),
 * and leave the fd's blocking mode alone.  Deadlines and goc_close's wake-up
 * do not apply to such an fd; to wait for one through the poller, with a
 * deadline, use goc_wait_fd, then read.  A write to a pipe whose reader is
 * gone raises SIGPIPE, as write(2) does, unless the program ignores it
 * (socket writes never raise it: they return -EPIPE). */

/* Listen on addr: a listening fd, or -EADDRINUSE when the port (or the
 * Unix path) is taken, -EINVAL on a malformed address.  backlog <= 0:
 * SOMAXCONN.  Port 0 picks a free port: goc_local_port tells which.  A Unix
 * socket's file stays after goc_close (unlink it; Go's listener does). */
int goc_listen(const char *addr, int backlog);

/* Parks until a connection arrives; the connection's fd.  Bounded by the
 * listener's read deadline.  Running out of fds gives -EMFILE / -ENFILE. */
int goc_accept(int listen_fd);

/* Parks until connected; the fd, or e.g. -ECONNREFUSED, -ENOENT (an unknown
 * name or a missing Unix path).  A resolved name is tried address by
 * address. */
int goc_dial(const char *addr);

/* goc_dial bounded by timeout_ns over all addresses (Go's DialTimeout):
 * -ETIMEDOUT when it passes.  0: no bound (goc_dial); < 0: -EINVAL.  Name
 * resolution itself cannot be interrupted: the bound is checked after it. */
int goc_dial_timeout(const char *addr, int64_t timeout_ns);

/* goc_dial bounded by ctx (Go's Dialer.DialContext): the context's
 * deadline, and its cancellation, which wakes the parked connect; then
 * goc_ctx_err(ctx) (-ECANCELED or -ETIMEDOUT) is returned.  A ctx already
 * done returns its error at once.  NULL: background. */
int goc_dial_ctx(goc_ctx *ctx, const char *addr);

/* Read up to n bytes: the count, 0 at EOF; -EBADF, -ETIMEDOUT (deadline)... */
ssize_t goc_read(int fd, void *buf, size_t n);

/* Write all n bytes (parking while the socket buffer is full): n, or the
 * error that stopped it (-EPIPE, -ETIMEDOUT, -EBADF...) with the count of
 * bytes that did go out lost; use goc_write_n to learn it. */
ssize_t goc_write(int fd, const void *buf, size_t n);

/* goc_write that also stores in *written (if not NULL) the bytes that went
 * out, on success (n) and on error alike: Go's `n, err := c.Write(b)`. */
ssize_t goc_write_n(int fd, const void *buf, size_t n, size_t *written);

/* Write every byte of iov[0..iovcnt) in order, parking as goc_write and
 * resuming after partial writes (any iovcnt: more than IOV_MAX entries take
 * several system calls).  The total, or the error with *written (if not
 * NULL) counting the bytes that went out.  -EINVAL for iovcnt < 0 or a
 * total over SSIZE_MAX.  iov itself is not modified. */
ssize_t goc_writev(int fd, const struct iovec *iov, int iovcnt, size_t *written);

/* Close fd; goroutines parked on it (read, write, accept, goc_wait_fd)
 * return -EBADF.  Also closes fds goc did not make. */
int goc_close(int fd);

/* Absolute goc_now() times, 0 = none.  The read deadline also bounds
 * goc_accept and goc_recvfrom, the write deadline goc_sendto and a
 * goc_write.  A deadline set or moved while a call is parked applies to
 * that call; once it has passed, calls return -ETIMEDOUT at once even if
 * data is waiting.  A write that times out after writing part returns
 * -ETIMEDOUT (goc_write_n says how much went out).  -EBADF for an fd goc
 * did not make (nor adopt). */
int goc_set_deadline(int fd, int64_t read_deadline, int64_t write_deadline);

/* Go's net.FileListener / net.FileConn: take over a socket goc did not
 * make (inherited from a parent process or systemd, one end of a
 * socketpair(), a library's; listening, connected or a datagram socket)
 * and give it what goc's own fds have: O_NONBLOCK, FD_CLOEXEC (dup it
 * first to hand it on to an exec'd child), TCP_NODELAY on a TCP stream,
 * and registration with the poller.  From then on goc_accept, goc_read,
 * goc_write, goc_recvfrom / goc_sendto, goc_set_deadline, goc_conn_open
 * and goc_close (waking parked goroutines) treat it as one of goc's; close
 * it with goc_close.  The fd itself is taken over (Go takes a dup): use it
 * only through goc from now on.  Callable before goc_main.  Returns fd, or
 * -EBADF (not open), -ENOTSOCK (a pipe, a file...), -EEXIST (goc made or
 * adopted it already: not idempotent, so two owners of one fd are
 * caught), -ENOMEM; on failure the fd is left as it was. */
int goc_net_adopt(int fd);

/* systemd's socket activation (sd_listen_fds(1)): when LISTEN_PID names
 * this process, the LISTEN_FDS sockets the service manager passed, fds
 * 3 .. 3 + count - 1, each adopted (goc_net_adopt; one goc has already is
 * fine).  Returns the count: 0 when nothing was passed to this process;
 * -EINVAL for malformed variables; an adoption's error (-ENOTSOCK...) for
 * the first fd it refused.  LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are
 * removed from the environment in every case, so children do not take
 * them: call it once, early (unsetenv is not thread-safe; before goc_main
 * is fine).  Serve on one with goc_http_server_use_listener. */
int goc_listen_fds(void);

/* Send count bytes of file_fd from offset on to sock with sendfile(2),
 * without copying them through user memory (Go's TCPConn.ReadFrom of an
 * *os.File).  Parks as goc_write while sock's buffer is full, bounded by
 * its write deadline, woken by goc_close (-EBADF); the reads from disk
 * block the thread with its P handed on.  file_fd's own offset is not
 * moved (as pread).  Returns count; fewer when the file ends first (it is
 * shorter than offset + count, e.g. it shrank); or a negative errno
 * (-EPIPE, -ECONNRESET, -ETIMEDOUT, -EBADF...) with *written (if not NULL)
 * counting the bytes that went out.  -EINVAL, -ESPIPE or -ENOSYS with
 * nothing sent: sendfile(2) cannot read file_fd (a pipe or a socket gives
 * -ESPIPE, some pseudo-files -EINVAL): copy with pread and goc_write
 * instead; -EINVAL also for a negative offset.  sock may be an fd goc did not make (a pipe): then the
 * call blocks the thread (P handed off) and leaves its mode alone.  A peer
 * that went away gives -EPIPE, never SIGPIPE, on goc's sockets. */
ssize_t goc_sendfile(int sock, int file_fd, int64_t offset, size_t count,
                     size_t *written);

/* The port a TCP or UDP socket is bound to (after listening on port 0), or
 * -EBADF, -EAFNOSUPPORT (a Unix socket). */
int goc_local_port(int fd);

/* fd's own / its peer's address as text ("127.0.0.1:8080", "[::1]:8080",
 * "unix:/path", "unix:@name", "unix:" for an unnamed Unix socket) into buf
 * (NUL-terminated when n > 0): the length the whole text needs, as
 * snprintf; -EBADF, -ENOTCONN (no peer), -EAFNOSUPPORT. */
int goc_local_addr(int fd, char *buf, size_t n);
int goc_remote_addr(int fd, char *buf, size_t n);

/* Resolve addr (as goc_dial's, ":port" meaning 127.0.0.1) into a sockaddr
 * for goc_sendto: 0, or goc_dial's errors.  goc_sockaddr_string prints one
 * as goc_local_addr does (-EAFNOSUPPORT for other families). */
int goc_sockaddr(const char *addr, struct sockaddr_storage *ss, socklen_t *len);
int goc_sockaddr_string(const struct sockaddr *sa, socklen_t len, char *buf, size_t n);

/* ---- UDP (Go's ListenUDP / DialUDP / ReadFrom / WriteTo) */

/* A UDP socket bound to addr (port 0: goc_local_port tells it); -EADDRINUSE,
 * -EINVAL. */
int goc_listen_udp(const char *addr);

/* A UDP socket connected to addr: goc_read / goc_write (or goc_sendto with
 * to NULL) exchange single datagrams with that peer. */
int goc_dial_udp(const char *addr);

/* Receive one datagram (truncated to n bytes; the rest is dropped, as
 * recvfrom(2)): its length.  Parks until one arrives, bounded by the read
 * deadline (-ETIMEDOUT); -EBADF after goc_close.  from / fromlen (both or
 * neither NULL) receive the sender's address as recvfrom(2).  -ENOTSOCK for
 * an fd goc did not make. */
ssize_t goc_recvfrom(int fd, void *buf, size_t n, struct sockaddr *from,
                     socklen_t *fromlen);

/* Send buf as one datagram to `to` (NULL and 0: the connected peer): n, or
 * -EMSGSIZE (too big), -ECONNREFUSED (an earlier datagram to a connected
 * peer bounced), -ETIMEDOUT (write deadline), -EBADF, -ENOTSOCK. */
ssize_t goc_sendto(int fd, const void *buf, size_t n, const struct sockaddr *to,
                   socklen_t tolen);

/* ---- readiness of any fd */

enum { GOC_WAIT_READ = 1, GOC_WAIT_WRITE = 2 };

/* Park until fd is ready for events (GOC_WAIT_READ and/or GOC_WAIT_WRITE),
 * through the poller, for ANY fd: a pipe, an eventfd, inotify, a library's
 * socket, one of goc's.  Returns the ready subset of events (> 0; a hang-up
 * or an error counts as ready: the next I/O call reports it), -ETIMEDOUT
 * once deadline (absolute goc_now() time; 0: none) has passed, -EBADF if fd
 * is not open or goc_close closes it meanwhile, -EINVAL for bad events.
 * An fd ready now is reported at once, even with a deadline in the past
 * (so deadline -1 polls).  The fd's own goc_set_deadline does not apply.
 * Close it with goc_close to wake its waiters: a close(2) wakes nobody.
 * Regular files are always ready.  Costs one poll(2) when ready, four more
 * system calls when it parks. */
int goc_wait_fd(int fd, int events, int64_t deadline);

/* ---- connection handles (Go's net.Conn) */
/* A goc_conn owns a socket fd goc made.  After goc_conn_close, every call
 * through the handle returns -EBADF, even if the kernel has meanwhile given
 * the fd number to another connection, where a raw goc_write(fd) would
 * write into that connection.  Calls parked in goc_conn_read / write when it
 * is closed return -EBADF.  The handle is reference-counted like a channel:
 * goc_conn_open returns one reference, goc_conn_retain adds one for each
 * goroutine that shares it, goc_conn_release drops one; the last release
 * closes the connection if it is open and frees the handle.  Retain or
 * release of a freed handle is a fatal error.  Raw fds stay available:
 * goc_conn_fd. */

typedef struct goc_conn goc_conn;

/* Wrap fd (from goc_accept, goc_dial*, goc_listen*, goc_dial_udp, or
 * goc_net_adopt) into *out; the handle owns fd from now on.  0, -EBADF
 * (closed), -ENOTSOCK (an fd goc did not make: adopt it first), -ENOMEM,
 * -EINVAL (out NULL). */
int goc_conn_open(int fd, goc_conn **out);

/* As goc_read / goc_write / goc_write_n / goc_writev / goc_set_deadline,
 * on the handle's fd; -EBADF once the handle is closed, -EINVAL for NULL. */
ssize_t goc_conn_read(goc_conn *c, void *buf, size_t n);
ssize_t goc_conn_write(goc_conn *c, const void *buf, size_t n);
ssize_t goc_conn_write_n(goc_conn *c, const void *buf, size_t n, size_t *written);
ssize_t goc_conn_writev(goc_conn *c, const struct iovec *iov, int iovcnt,
                        size_t *written);
int     goc_conn_set_deadline(goc_conn *c, int64_t read_deadline,
                              int64_t write_deadline);

/* The fd, or -EBADF once closed.  Valid for the caller only while it knows
 * nobody closes the handle (the point of the handle is not to need this). */
int goc_conn_fd(goc_conn *c);

/* Close the connection (Go's Conn.Close): parked calls return -EBADF.  0, or
 * -EBADF if already closed.  The handle stays valid until its last release. */
int goc_conn_close(goc_conn *c);

goc_conn *goc_conn_retain(goc_conn *c);   /* returns c; NULL is ignored */
void      goc_conn_release(goc_conn *c);  /* NULL is ignored */

/* ---- buffered reader (Go's bufio.Reader) */
/* Reads from a source through a buffer of `size` bytes (0: 4096; at least
 * 16), which is also the longest line, delimited item or frame it returns:
 * a longer one fails with -EMSGSIZE and stays unread.  A call that fails
 * (-ETIMEDOUT, -EBADF, ... from the source) consumes nothing, so it may be
 * retried after moving a deadline.  End of stream: -ENODATA when nothing is
 * left.  Returned pointers point into the buffer and are valid until the
 * next call on the reader.  One goroutine at a time per reader.  Freeing
 * the reader does not close its source. */

typedef struct goc_bufreader goc_bufreader;

/* From an fd (goc_read), a goc_conn (goc_conn_read, which must outlive the
 * reader), or a function with goc_read's contract.  NULL on no memory or a
 * bad fd / NULL source. */
goc_bufreader *goc_bufreader_new(int fd, size_t size);
goc_bufreader *goc_bufreader_new_conn(goc_conn *c, size_t size);
goc_bufreader *goc_bufreader_new_fn(ssize_t (*read)(void *src, void *buf, size_t n),
                                    void *src, size_t size);
void goc_bufreader_free(goc_bufreader *br);

/* The next line without its "\n" or "\r\n", NUL-terminated in place, in
 * *line: its length (0 for an empty line).  A last line without "\n" is
 * returned as a line.  -ENODATA at end of stream, -EMSGSIZE for a line of
 * size bytes or more. */
ssize_t goc_bufreader_read_line(goc_bufreader *br, const char **line);

/* The bytes up to and including the first delim byte, in *out (not
 * NUL-terminated): their count.  At end of stream the bytes left, without
 * delim; -ENODATA when none are left; -EMSGSIZE when size bytes hold no
 * delim. */
ssize_t goc_bufreader_read_until(goc_bufreader *br, int delim, const char **out);

/* Exactly n bytes into dst (io.ReadFull): n; -ENODATA at end of stream with
 * nothing buffered, -EPROTO when the stream ends within the n bytes (Go's
 * ErrUnexpectedEOF), -EMSGSIZE for n > size. */
ssize_t goc_bufreader_read_full(goc_bufreader *br, void *dst, size_t n);

/* Up to n bytes: buffered ones first, else one read of the source (goc_read's
 * results: 0 at end of stream). */
ssize_t goc_bufreader_read(goc_bufreader *br, void *dst, size_t n);

/* Bytes read from the source and not yet returned. */
size_t goc_bufreader_buffered(const goc_bufreader *br);

/* ---------------------------------------- blocking calls the runtime
 *                                           cannot see (Go's entersyscall) */
void goc_syscall_enter(void);   /* about to block the thread: let the P go */
void goc_syscall_exit(void);    /* back: get a P again (may wait for one) */
/* Between the two, non-blocking goc calls work (goc_go, trysend, close,
 * mutex unlock, wg done: a library callback during the call); they take
 * the P-less paths, as from a foreign thread.  Blocking ones are fatal. */

#ifdef __cplusplus
}
#endif
#endif /* GOC_H */
