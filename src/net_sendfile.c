/*
 * net_sendfile.c — goc_sendfile: file bytes to a socket with sendfile(2),
 * never copied through user memory (Go's internal/poll.SendFile, behind
 * TCPConn.ReadFrom and io.Copy from an *os.File).
 *
 * The loop is goc_write's (net.c): a reference to the socket's pollDesc
 * and its writer lock (wmu) for the whole call, the system call tried
 * first, a park on the pollDesc only on EAGAIN; so the write deadline and
 * goc_close's wake-up apply as to goc_write.  Two things differ:
 *
 *   The disk.  O_NONBLOCK on the socket makes sendfile return instead of
 *   waiting for buffer space, but reading pages of the file that are not
 *   in the page cache still blocks the thread.  Each call therefore runs
 *   inside goc_syscall_enter/exit, as the reads of a file do, so the P
 *   serves other goroutines meanwhile (Go's syscall.Sendfile enters the
 *   syscall state for the same reason).  A cached file pays two atomic
 *   stores per call for it; a call moves up to what the socket buffer
 *   takes (64 KiB to a few MiB on loopback).
 *
 *   SIGPIPE.  sendfile has no MSG_NOSIGNAL: a peer that is gone raises
 *   SIGPIPE on the calling thread (seen on Linux 6.x with TCP and Unix
 *   sockets alike), also from a call that returns a short count (a later
 *   piece of the call met the reset).  goc's sockets promise -EPIPE
 *   instead (net.c), so on them SIGPIPE is blocked on the thread around
 *   the call, and a SIGPIPE the call left pending is taken back with a
 *   zero-timeout sigtimedwait before the mask is restored.  That is two
 *   rt_sigprocmask per call, and a sigtimedwait after a short one; the
 *   thread cannot change under them, being in the syscall state from
 *   enter to exit.
 *   An fd goc does not know (a pipe) gets sendfile as is, SIGPIPE
 *   included, as goc_write gives it write(2).
 *
 * The file's offset is passed by value and the file position is never
 * moved (as pread), so one open file can feed several connections.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

#include "goc.h"
#include "net.h"

/* sendfile(2) moves at most 0x7ffff000 bytes a call; 1 GiB keeps to it. */
#define SF_MAX ((size_t)1 << 30)

/* One sendfile of at most n bytes from *off; advances *off.  The count,
 * 0 at the end of the file, or -errno.  nosig: SIGPIPE blocked around it
 * and not left pending (see the top of the file).  Runs on one thread:
 * the caller is in the syscall state, or a thread without goroutines. */
static GOC_NOINLINE ssize_t sys_sendfile(int out, int in, int64_t *off,
                                         size_t n, bool nosig)
{
    sigset_t pipe, old;
    bool was_pending = false;
    if (nosig) {
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, &old);
        if (sigismember(&old, SIGPIPE)) {
            /* the thread blocks it already (the program may; goc's own
             * helper threads block every signal): a SIGPIPE pending
             * before the call is not ours to take */
            sigset_t pend;
            was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
        }
    }
    off_t o = (off_t)*off;
    ssize_t r;
    do
        r = sendfile(out, in, &o, n);
    while (r < 0 && errno == EINTR);
    int err = r < 0 ? errno : 0;
    if (nosig) {
        /* A call that stopped short may have raised one even when it
         * returns a count (a later piece met the reset); a full count, an
         * EAGAIN or the end of the file cannot have. */
        bool short_stop = r < 0 ? err != EAGAIN : r > 0 && (size_t)r < n;
        if (short_stop && !was_pending) {
            static const struct timespec zero = { 0, 0 };
            while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
                ;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (r > 0)
        *off = (int64_t)o;
    return r < 0 ? -err : r;
}

/* One sendfile with the P handed on while the thread may wait on the
 * disk (goroutines only: a foreign thread has no P to hand on). */
static ssize_t sf_round(int out, int in, int64_t *off, size_t n, bool nosig)
{
    if (n > SF_MAX)
        n = SF_MAX;
    if (goc__getg() == NULL)
        return sys_sendfile(out, in, off, n, nosig);
    goc_syscall_enter();
    ssize_t r = sys_sendfile(out, in, off, n, nosig);
    goc_syscall_exit();
    return r;
}

/* On a socket of the poller: goc_write's loop. */
static ssize_t pd_sendfile(goc_pd *pd, int sock, int in, int64_t off,
                           size_t count, size_t *done)
{
    goc_mutex_lock(&pd->wmu);
    ssize_t err = goc__pd_prepare(pd, 'w');
    while (err == 0 && *done < count) {
        ssize_t r = sf_round(sock, in, &off, count - *done, true);
        if (r > 0) {
            *done += (size_t)r;
            continue;
        }
        if (r == 0)                        /* the file ended first */
            break;
        if (r != -EAGAIN) {
            err = r;
            break;
        }
        err = goc__pd_wait(pd, 'w');
    }
    goc_mutex_unlock(&pd->wmu);
    return err < 0 ? err : (ssize_t)*done;
}

/* An fd goc does not know: blocking calls, its mode left alone. */
static ssize_t plain_sendfile(int out, int in, int64_t off, size_t count,
                              size_t *done)
{
    while (*done < count) {
        ssize_t r = sf_round(out, in, &off, count - *done, false);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        *done += (size_t)r;
    }
    return (ssize_t)*done;
}

ssize_t goc_sendfile(int sock, int file_fd, int64_t offset, size_t count,
                     size_t *written)
{
    size_t done = 0;
    ssize_t r;
    if (offset < 0 || count > (size_t)SSIZE_MAX) {
        r = -EINVAL;
    } else {
        goc_pd *pd;
        r = goc__pd_get(sock, &pd);
        if (r == -ENOENT) {
            r = plain_sendfile(sock, file_fd, offset, count, &done);
        } else if (r == 0) {
            r = pd_sendfile(pd, sock, file_fd, offset, count, &done);
            goc__pd_release(pd);
        }
    }
    if (written)
        *written = done;
    return r;
}
