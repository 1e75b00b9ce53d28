/*
 * netpoll_uring.c — socket reads and writes as io_uring completions, and the
 * poller's wait as one io_uring_enter (GOC_DEBUG=netpoll=uring, the default
 * where the kernel has what is needed; netpoll=epoll turns it off).
 *
 * Why: on epoll a keep-alive HTTP request costs a read(2), a send(2) and a
 * share of epoll_wait.  Here a goroutine that would block queues a RECV or
 * SEND (SENDMSG for writev) in the submission ring and parks; the M that
 * runs out of work (findrunnable), the blocking poller and sysmon submit
 * everything queued with one io_uring_enter and collect every completion
 * from the shared completion ring, with no system call at all when
 * completions are already there.  One enter serves a whole scheduler
 * round of connections.
 *
 * Readiness stays with epoll (netpoll_epoll.c): accept, connect, UDP,
 * sendfile and goc_wait_fd still wait for edges.  In this mode an fd is
 * added to epoll only when something first waits for an edge on it
 * (goc__np_os_arm), so a connection served by RECV/SEND never costs an
 * epoll_ctl, and the ring watches the epoll fd with one multishot
 * POLL_ADD: an edge posts a completion and whoever collects it drains
 * epoll_wait(0).  (One multishot poll per fd in the ring would pin each
 * file until cancelled, so a close(2) would not close the socket.)
 *
 * An operation lives in its goroutine's frame (uring_op): user_data is its
 * address tagged with a 16-bit sequence in the top bits.  Its waiter
 * protocol is the pollDesc's (netpoll.h): w goes PD_WAIT -> G at the
 * park's commit, the collector swaps in PD_READY and readies the G it
 * found, and touches the op no more.  The op is in flight from submission
 * to that completion, so the G never returns (and its buffer never goes
 * away) while the kernel may still write it.  A close or a deadline
 * cancels it (ASYNC_CANCEL on the tagged user_data, submitted at once):
 * the completion then says -ECANCELED and the G reports -EBADF or
 * -ETIMEDOUT; a RECV either completes with data or is cancelled with none
 * consumed, so nothing is lost.  pd->rop / pd->wop hold the op in flight,
 * set and read under sq_lock, so a cancel is always queued after the op it
 * cancels; the op rechecks close and deadline under that lock
 * before it queues itself, so a cancel that found nothing cannot miss it.
 *
 * Locks: sq_lock (queueing SQEs, submitting with io_uring_enter) and
 * cq_lock (collecting; a non-blocking poll only tries it) are leaves:
 * nothing else is taken under them.  Completions for requests that wait
 * (a RECV on an empty socket) run as task work on the thread that
 * submitted them, which the kernel interrupts for it; that thread is an M
 * (foreign threads never use the ring), and a cancelled request (its
 * thread exited) is simply queued again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "netpoll.h"
#include "sync.h"

#if defined(SYS_io_uring_setup) && defined(IORING_FEAT_EXT_ARG)

#define SQ_ENTRIES 2048       /* a full ring is submitted to make room */
#define CQ_ENTRIES 16384      /* more completions at once wait in the kernel
                                 (IORING_FEAT_NODROP) until collected */
#define TAG_SHIFT  48
#define PTR_MASK   ((UINT64_C(1) << TAG_SHIFT) - 1)
#define UD_IGNORE  UINT64_C(0)   /* cancels */
#define UD_EPOLL   UINT64_C(1)   /* the multishot poll on the epoll fd */
#define UD_BREAK   UINT64_C(2)   /* goc__np_os_break's NOP */

static struct {
    int                    fd;
    unsigned               sq_mask, sq_entries, cq_mask;
    _Atomic unsigned      *sq_head, *sq_tail, *sq_flags;
    unsigned              *sq_array;
    struct io_uring_sqe   *sqes;
    _Atomic unsigned      *cq_head, *cq_tail;
    struct io_uring_cqe   *cqes;
} R = { .fd = -1 };

bool goc__uring_on;
static goc_lock sq_lock, cq_lock;
static _Atomic uint32_t breaking;    /* a break NOP is queued, not collected */
static _Atomic bool epoll_armed;     /* the epoll fd's poll is in the ring */
static _Atomic uint32_t seqgen;

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
    return (int)syscall(SYS_io_uring_setup, entries, p);
}

static int sys_enter(unsigned submit, unsigned min, unsigned flags,
                     void *arg, size_t argsz)
{
    int r = (int)syscall(SYS_io_uring_enter, R.fd, submit, min, flags, arg, argsz);
    return r < 0 ? -errno : r;
}

static void *map(size_t len, off_t off)
{
    /* Not populated: a program that never touches the network pays
     * address space only (about 300 KiB). */
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, R.fd, off);
    return p == MAP_FAILED ? NULL : p;
}

/* The opcodes used here, all supported (IORING_REGISTER_PROBE). */
static bool probe_ops(void)
{
    static const uint8_t need[] = { IORING_OP_RECV, IORING_OP_SEND,
        IORING_OP_SENDMSG, IORING_OP_ACCEPT, IORING_OP_CONNECT,
        IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL, IORING_OP_NOP };
    size_t sz = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
    struct io_uring_probe *pr = calloc(1, sz);
    if (pr == NULL)
        return false;
    bool ok = syscall(SYS_io_uring_register, R.fd, IORING_REGISTER_PROBE, pr, 256) == 0;
    for (size_t i = 0; ok && i < sizeof need; i++)
        ok = need[i] <= pr->last_op &&
             (pr->ops[need[i]].flags & IO_URING_OP_SUPPORTED);
    free(pr);
    return ok;
}

/* 0, or -errno: the kernel lacks io_uring or a feature used here (the
 * single mmap, EXT_ARG's timed wait (5.11), NODROP, multishot poll), or a
 * seccomp filter / io_uring_disabled forbids it. */
int goc__uring_init(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = CQ_ENTRIES;
    /* Completions that wait (a RECV on an empty socket) run as task work
     * on the submitting M.  Cooperatively (5.19), the kernel neither
     * interrupts a busy M for them nor runs them the moment the data
     * arrives, when the sender's softirq still holds the socket lock (on
     * this project's VM that spin cost ~20% of a core at 100 connections);
     * they run at the M's next entry, which the TASKRUN flag asks for. */
    p.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    R.fd = sys_setup(SQ_ENTRIES, &p);
    if (R.fd < 0 && errno == EINVAL) {
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = CQ_ENTRIES;
        R.fd = sys_setup(SQ_ENTRIES, &p);
    }
    if (R.fd < 0)
        return -errno;
    unsigned need = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP |
                    IORING_FEAT_EXT_ARG | IORING_FEAT_FAST_POLL;
    int err = -ENOSYS;
    if ((p.features & need) != need || !probe_ops())
        goto fail;
    size_t sqlen = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cqlen = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *ring = map(sqlen > cqlen ? sqlen : cqlen, IORING_OFF_SQ_RING);
    R.sqes = map(p.sq_entries * sizeof(struct io_uring_sqe), IORING_OFF_SQES);
    err = -ENOMEM;
    if (ring == NULL || R.sqes == NULL)
        goto fail;
    R.sq_head = (_Atomic unsigned *)(ring + p.sq_off.head);
    R.sq_tail = (_Atomic unsigned *)(ring + p.sq_off.tail);
    R.sq_flags = (_Atomic unsigned *)(ring + p.sq_off.flags);
    R.sq_mask = *(unsigned *)(ring + p.sq_off.ring_mask);
    R.sq_entries = p.sq_entries;
    R.sq_array = (unsigned *)(ring + p.sq_off.array);
    R.cq_head = (_Atomic unsigned *)(ring + p.cq_off.head);
    R.cq_tail = (_Atomic unsigned *)(ring + p.cq_off.tail);
    R.cq_mask = *(unsigned *)(ring + p.cq_off.ring_mask);
    R.cqes = (struct io_uring_cqe *)(ring + p.cq_off.cqes);
    goc__uring_on = true;
    return 0;
fail:
    close(R.fd);     /* unmaps nothing we keep: a mapping failed or none made */
    R.fd = -1;
    return err;
}

/* ------------------------------------------------------------ submission */

static unsigned sq_pending(void)
{
    return atomic_load_explicit(R.sq_tail, memory_order_relaxed) -
           atomic_load_explicit(R.sq_head, memory_order_acquire);
}

/* Hand queued SQEs to the kernel; sq_lock held or not (the kernel takes
 * what is published).  -EBUSY / -EAGAIN: completions must be collected
 * first (the CQ overflowed): the caller's poll does that. */
static int submit(unsigned min, unsigned flags, void *arg, size_t argsz)
{
    for (;;) {
        int r = sys_enter(sq_pending(), min, flags, arg, argsz);
        if (r != -EINTR)
            return r;
        if (min != 0)
            return r;   /* a timed wait: the caller recomputes */
    }
}

/* A free SQE, zeroed (sq_lock held).  A full ring is submitted first. */
static struct io_uring_sqe *sqe_get(void)
{
    unsigned tail = atomic_load_explicit(R.sq_tail, memory_order_relaxed);
    while (tail - atomic_load_explicit(R.sq_head, memory_order_acquire) >= R.sq_entries) {
        if (submit(0, 0, NULL, 0) < 0)
            goc__osyield();
    }
    struct io_uring_sqe *e = &R.sqes[tail & R.sq_mask];
    memset(e, 0, sizeof *e);
    return e;
}

/* Publish the SQE sqe_get returned (sq_lock held). */
static void sqe_push(void)
{
    unsigned tail = atomic_load_explicit(R.sq_tail, memory_order_relaxed);
    R.sq_array[tail & R.sq_mask] = tail & R.sq_mask;
    atomic_store_explicit(R.sq_tail, tail + 1, memory_order_release);
}

static void queue_epoll_poll(void)
{
    goc__lock(&sq_lock);
    struct io_uring_sqe *e = sqe_get();
    e->opcode = IORING_OP_POLL_ADD;
    e->fd = goc__epoll_fd();
    e->poll32_events = POLLIN;
    e->len = IORING_POLL_ADD_MULTI;
    e->user_data = UD_EPOLL;
    sqe_push();
    goc__unlock(&sq_lock);
}

void goc__uring_break(void)
{
    uint32_t zero = 0;
    if (!atomic_compare_exchange_strong(&breaking, &zero, 1))
        return;
    goc__lock(&sq_lock);
    struct io_uring_sqe *e = sqe_get();
    e->opcode = IORING_OP_NOP;
    e->user_data = UD_BREAK;
    sqe_push();
    submit(0, 0, NULL, 0);
    goc__unlock(&sq_lock);
}

/* ------------------------------------------------------------ collection */

static void complete(G **list, uint64_t ud, int32_t res, uint32_t flags)
{
    if (ud == UD_IGNORE)
        return;
    if (ud == UD_BREAK) {
        atomic_store(&breaking, 0);
        return;
    }
    if (ud == UD_EPOLL) {
        if (!(flags & IORING_CQE_F_MORE)) {   /* ended (its thread exited, an
                                                 overflow): arm it again */
            atomic_store(&epoll_armed, false);
        }
        goc__epoll_drain(list);
        return;
    }
    goc_uring_op *op = (goc_uring_op *)(uintptr_t)(ud & PTR_MASK);
    /* The kernel carried op's address from its G (SQE to CQE): say so to
     * ThreadSanitizer, which sees neither ring as a synchronisation. */
    goc__race_acquire(op);
    op->res = res;
    goc__race_release(op);
    uintptr_t old = atomic_exchange(&op->w, PD_READY);
    /* op may be gone from here on: its G can run. */
    if (old > PD_WAIT) {
        goc__np_waiters_add(-1);
        goc__np_push_ready(list, (G *)old);
    }
}

/* Collect every completion (cq_lock held). */
static void collect(G **list)
{
    unsigned head = atomic_load_explicit(R.cq_head, memory_order_relaxed);
    for (;;) {
        unsigned tail = atomic_load_explicit(R.cq_tail, memory_order_acquire);
        if (head == tail)
            break;
        for (; head != tail; head++) {
            struct io_uring_cqe *c = &R.cqes[head & R.cq_mask];
            uint64_t ud = c->user_data;
            int32_t res = c->res;
            uint32_t fl = c->flags;
            complete(list, ud, res, fl);
        }
        atomic_store_explicit(R.cq_head, head, memory_order_release);
    }
}

/* Submit what is queued, if anything: before an M sleeps (stopm), as
 * nobody may enter the ring for a while.  True if it entered. */
bool goc__uring_flush(void)
{
    if (!goc__uring_on || sq_pending() == 0)
        return false;
    submit(0, 0, NULL, 0);
    return true;
}

/* The poller's wait.  delay 0 (findrunnable, sysmon): collect what the
 * completion ring holds, with no system call unless completions overflowed
 * into the kernel; SQEs stay queued for the next wait or flush.  Otherwise
 * submit what is queued, wait up to delay ns (<0 forever) for a
 * completion, and collect them all: one io_uring_enter per round. */
void goc__uring_poll(int64_t delay, G **list)
{
    if (!atomic_load_explicit(&epoll_armed, memory_order_acquire) &&
        !atomic_exchange(&epoll_armed, true))
        queue_epoll_poll();
    if (delay != 0) {
        struct __kernel_timespec ts;
        struct io_uring_getevents_arg arg;
        memset(&arg, 0, sizeof arg);
        if (delay > 0) {
            ts.tv_sec = delay / 1000000000;
            ts.tv_nsec = delay % 1000000000;
            arg.ts = (uint64_t)(uintptr_t)&ts;
        }
        /* Completions already there make this return at once. */
        submit(1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
        goc__lock(&cq_lock);
    } else {
        if (atomic_load_explicit(R.sq_flags, memory_order_relaxed) &
            (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))
            submit(0, IORING_ENTER_GETEVENTS, NULL, 0);
        if (!goc__trylock(&cq_lock))
            return;     /* another M is collecting */
    }
    collect(list);
    goc__unlock(&cq_lock);
}

/* --------------------------------------------------------------- operations */

static bool op_commit(G *gp, void *arg)
{
    goc_uring_op *op = arg;
    uintptr_t w = PD_WAIT;
    if (atomic_compare_exchange_strong(&op->w, &w, (uintptr_t)gp)) {
        goc__np_waiters_add(1);
        return true;
    }
    return false;
}

/* Queue the op (sq_lock held) unless pd is closing or past its deadline. */
static int op_queue(goc_pd *pd, int mode, goc_uring_op *op, int kind, int fd,
                    void *p, size_t n)
{
    int err = goc__pd_checkerr(pd, mode);
    if (err)
        return err;
    uint32_t seq = atomic_fetch_add_explicit(&seqgen, 1, memory_order_relaxed);
    op->ud = ((uint64_t)(seq & 0xffff) << TAG_SHIFT) |
             ((uint64_t)(uintptr_t)op & PTR_MASK);
    struct io_uring_sqe *e = sqe_get();
    e->fd = fd;
    e->addr = (uint64_t)(uintptr_t)p;
    switch (kind) {
    case GOC_URING_RECV:
        e->opcode = IORING_OP_RECV;
        e->len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        break;
    case GOC_URING_SEND:
        e->opcode = IORING_OP_SEND;
        e->len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        e->msg_flags = MSG_NOSIGNAL;
        break;
    case GOC_URING_SENDMSG:
        e->opcode = IORING_OP_SENDMSG;
        e->len = 1;
        e->msg_flags = MSG_NOSIGNAL;
        break;
    case GOC_URING_ACCEPT:
        e->opcode = IORING_OP_ACCEPT;
        e->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
        break;
    default:  /* GOC_URING_CONNECT: p a sockaddr of n bytes */
        e->opcode = IORING_OP_CONNECT;
        e->off = n;
        break;
    }
    e->user_data = op->ud;
    sqe_push();
    atomic_store_explicit(mode == 'r' ? &pd->rop : &pd->wop, op->ud,
                          memory_order_relaxed);
    return 0;
}

/* One operation (GOC_URING_*) on fd, parked until it completes: its
 * result (bytes, an accepted fd, 0 for a connect), or -errno (-EBADF
 * closed, -ETIMEDOUT past the deadline).  p and what it points to (the
 * buffer, msghdr and iovecs, sockaddr) stay untouched until it returns.
 * The caller holds pd's rmu (RECV, ACCEPT) or wmu and a reference. */
ssize_t goc__uring_io(goc_pd *pd, int kind, int fd, void *p, size_t n)
{
    int mode = kind == GOC_URING_RECV || kind == GOC_URING_ACCEPT ? 'r' : 'w';
    for (;;) {
        goc_uring_op op;
        atomic_init(&op.w, PD_WAIT);
        op.res = 0;
        goc__race_release(&op);
        goc__lock(&sq_lock);
        int err = op_queue(pd, mode, &op, kind, fd, p, n);
        goc__unlock(&sq_lock);
        if (err)
            return err;
        /* An M with no P (a revoked syscall) may stop without entering
         * the ring: submit now. */
        if (goc__curp(goc__getm()) == NULL)
            goc__uring_flush();
        goc__park(op_commit, &op, W_IO_WAIT);
        goc__race_acquire(&op);
        /* Back only once the completion is collected (op.w is READY).  No
         * lock to clear rop/wop: a cancel that still reads the old value
         * cancels a finished op, which the kernel answers with -ENOENT (the
         * tag keeps it from matching this frame's next op). */
        atomic_store_explicit(mode == 'r' ? &pd->rop : &pd->wop, 0,
                              memory_order_relaxed);
        if (op.res != -ECANCELED && op.res != -EINTR)
            return op.res;
        err = goc__pd_checkerr(pd, mode);
        if (err)
            return err;
        /* Cancelled for nothing (a deadline moved on, its submitter exited):
         * queue it again.  (A connect cancelled half-way is retried by
         * the kernel's EALREADY / EISCONN answer, which dial.c handles.) */
    }
}

/* A close or deadline for mode: cancel the op in flight, if any, now. */
void goc__uring_cancel(goc_pd *pd, int mode)
{
    goc__lock(&sq_lock);
    uint64_t ud = atomic_load_explicit(mode == 'r' ? &pd->rop : &pd->wop,
                                       memory_order_relaxed);
    if (ud != 0) {
        struct io_uring_sqe *e = sqe_get();
        e->opcode = IORING_OP_ASYNC_CANCEL;
        e->addr = ud;
        e->user_data = UD_IGNORE;
        sqe_push();
        submit(0, 0, NULL, 0);
    }
    goc__unlock(&sq_lock);
}

#else   /* headers without io_uring's timed wait: epoll only */

bool goc__uring_on;
int  goc__uring_init(void) { return -ENOSYS; }
bool goc__uring_flush(void) { return false; }
void goc__uring_poll(int64_t delay, G **list) { (void)delay; (void)list; }
void goc__uring_break(void) {}
ssize_t goc__uring_io(goc_pd *pd, int kind, int fd, void *p, size_t n)
{
    (void)pd; (void)kind; (void)fd; (void)p; (void)n;
    return -ENOSYS;
}
void goc__uring_cancel(goc_pd *pd, int mode) { (void)pd; (void)mode; }

#endif
