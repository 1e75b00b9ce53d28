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
 *   block or yield (channel operations, sync, sleep, network, goc_yield).
 *   Thread-locals (__thread / _Thread_local, pthread_getspecific) belong to
 *   the THREAD, not the goroutine: do not keep a pointer to one across such a
 *   call.  errno is the exception: the runtime saves and restores each
 *   goroutine's errno across its switches.  (glibc declares &errno constant,
 *   so within ONE function the compiler may reuse the previous thread's
 *   &errno after a call that switched threads: read errno right after the
 *   libc call that set it, as usual, not across goc calls.)
 *   Do not block a goroutine (channel, mutex, sleep...) while holding an OS
 *   lock (pthread_mutex_t): the thread is shared by other goroutines and the
 *   lock may deadlock.  Wrap calls that block the thread itself (read(2) on
 *   a file, sleep(3), a library's blocking call) in goc_syscall_enter/exit so
 *   the runtime can give the thread's P to other goroutines.
 *
 * Foreign threads
 *   Threads that goc did not create may use channels, select and the sync
 *   types; they block their own OS thread while waiting.
 *
 * Environment (read by goc_main)
 *   GOC_MAXPROCS=n     number of Ps (default: CPUs in the affinity mask,
 *                      capped by the cgroup CPU quota)
 *   GOC_STACK=bytes    goroutine stack size (default 256 KiB; k/m suffixes)
 *   GOC_DEBUG=schedtrace=MS,scheddetail=1,asyncpreemptoff=1
 *   SIGQUIT prints every goroutine's state and backtrace and exits with 2.
 */
#ifndef GOC_H
#define GOC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
 * buffer of cap elements (0: unbuffered).  NULL on bad arguments or no
 * memory. */
goc_chan *goc_chan_make(size_t elem_size, size_t cap);

/* Free a channel.  Freeing one that goroutines still wait on is a fatal
 * error ("free of channel with waiters").  NULL is ignored. */
void goc_chan_free(goc_chan *c);

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

/* ------------------------------------------------------------ network -- */
/* TCP; fds are non-blocking and registered with the poller. */

/* "host:port" (IPv4, [IPv6], or ":port"; port 0 picks one: getsockname tells
 * which).  A listening fd, or -EADDRINUSE when the port is taken, -EINVAL on
 * a malformed address. */
int goc_listen(const char *addr, int backlog);

/* Parks until a connection arrives; the connection's fd.  Bounded by the
 * listener's read deadline.  Running out of fds gives -EMFILE / -ENFILE. */
int goc_accept(int listen_fd);

/* Parks until connected ("host:port", names resolved off the scheduler);
 * fd, or e.g. -ECONNREFUSED. */
int goc_dial(const char *addr);

ssize_t goc_read(int fd, void *buf, size_t n);        /* bytes, 0 at EOF */
ssize_t goc_write(int fd, const void *buf, size_t n); /* n (all written) */

/* Close fd; goroutines parked on it (read, write, accept) return -EBADF. */
int goc_close(int fd);

/* Absolute goc_now() times, 0 = none.  The read deadline also bounds
 * goc_accept.  A deadline set or moved while a call is parked applies to
 * that call; once it has passed, calls return -ETIMEDOUT at once even if
 * data is waiting.  A write that times out after writing part returns
 * -ETIMEDOUT. */
int goc_set_deadline(int fd, int64_t read_deadline, int64_t write_deadline);

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
