/*
 * http/workers.c — goc_http_server_run: serving until told to stop, and
 * the worker processes of a supervisor.
 *
 * Three roles, chosen at goc_http_server_run:
 *   single      cfg.workers == 0: listen and serve in this process.
 *   supervisor  cfg.workers >= 1, GOC_HTTP_WORKER unset: bind the slot
 *               sockets, spawn a worker per slot, restart, roll, stop.
 *   worker      GOC_HTTP_WORKER=k set by the supervisor: serve fd 3 (slot
 *               k's socket), report on fd 4 (the control socket).
 * Single and worker share serve_until_stopped: SIGTERM/SIGINT (or, in a
 * worker, the control socket closing) -> draining (/readyz 503) for
 * drain_delay -> goc_http_server_shutdown(now + shutdown_timeout).
 *
 * Why re-execute, not fork.  goc_main has started threads (Ms, sysmon) by
 * the time a server runs; a fork()ed child would hold one thread and the
 * others' locks in whatever state they were.  posix_spawn (clone with
 * CLONE_VFORK, then exec) runs no runtime code in the child: the worker is
 * a fresh process that starts the runtime itself.
 *
 * Why one socket per slot, owned by the supervisor.  SO_REUSEPORT gives
 * each socket its own accept queue and the kernel hashes connections over
 * them: no thundering herd, and the load spreads even when one worker is
 * momentarily busier (a shared queue favours whoever is awake).  The price
 * is that closing a reuseport socket resets the connections waiting in its
 * queue (unless net.ipv4.tcp_migrate_req=1), and that a connection the
 * kernel hashed to a socket nobody accepts on waits.  So the sockets are
 * bound once by the supervisor and closed only when it stops; a worker
 * holds a duplicate.  Replacing a worker (SIGHUP, or a crash) never closes
 * a socket: the old worker's close only drops its reference, the queue
 * lives on in the supervisor's copy, and the new worker, started on the
 * same socket first, accepts what is queued.  We rejected sharing ONE
 * inherited socket among all workers (no reset either, but every worker is
 * woken for each connection and the busiest tends to win) and a socket per
 * worker process (each replacement would reset its queue).
 *
 * The supervisor's loop (sup_loop) is one goroutine that owns every field
 * of struct sup; other goroutines only post events on sup.ev:
 *   EV_SIGNAL  the signal reader (one per run) read a signal number from
 *              the self-pipe the handler writes;
 *   EV_READY   a worker's watcher read its "serving" byte;
 *   EV_EXIT    a worker's watcher saw the control socket close and reaped
 *              the process (waitpid, announced as a blocking call).
 * Worker states: STARTING (spawned, not yet serving), SERVING (the slot's
 * current worker), RETIRING (told to stop; its exit is expected).  A slot
 * has at most one SERVING and one STARTING worker; rolling replaces slot
 * roll, then roll + 1, ..., each after the new worker is SERVING.
 */
#define _GNU_SOURCE
#include "internal.h"

#include "goc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MS  GOC_HTTP__MS
#define SEC GOC_HTTP__SEC

#define WORKER_LISTEN_FD 3
#define WORKER_CTL_FD    4
/* Our fds live at 10 and above, so the child's dup2 onto 3 and 4 never
 * overwrites one it still has to move. */
#define HIGH_FD 10
/* 1024: far above any machine's core count (workers beyond the cores
 * only add switches); bounds cfg.workers and GOC_HTTP_WORKER's value. */
#define MAX_WORKERS 1024
/* A crashed worker is restarted after 100 ms, doubling to 10 s while each
 * replacement dies within STABLE of its start (a crash loop costs one exec
 * per 10 s, not a spinning CPU). */
#define BACKOFF_MIN   (100 * MS)
#define BACKOFF_MAX   (10 * SEC)
#define STABLE        (10 * SEC)
/* After the stop deadline a worker still alive is SIGKILLed; KILL_SLACK
 * over drain_delay + shutdown_timeout for its own exit. */
#define KILL_SLACK    (5 * SEC)
/* 30 s: Kubernetes' default terminationGracePeriodSeconds, so a default
 * pod is never SIGKILLed before the deadline would have cut it anyway. */
#define DEFAULT_SHUTDOWN_TIMEOUT (30 * SEC)

/* ------------------------------------------------------------ signals -- */

/* The handler writes the signal number to sig_pipe_w: write(2) is
 * async-signal-safe, and the pipe is non-blocking (a full pipe drops the
 * byte: a stop is already pending then).  One run per process owns it. */
static int sig_pipe_r = -1;
static _Atomic int sig_pipe_w = -1;   /* atomic: read by the handler */
static _Atomic int run_active;

static void on_signal(int sig)
{
    int e = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t r = write(atomic_load_explicit(&sig_pipe_w, memory_order_relaxed), &b, 1);
    (void)r;
    errno = e;
}

/* What SIGHUP does in each role: the supervisor rolls; a worker ignores it
 * (a terminal's hang-up reaches the whole process group); a single
 * process leaves its disposition as the program set it. */
enum { HUP_KEEP, HUP_IGNORE, HUP_HANDLE };

static const int handled[] = {SIGTERM, SIGINT, SIGHUP};
#define NHANDLED ((int)(sizeof handled / sizeof handled[0]))

static int signals_start(struct sigaction *old, int hup)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        return -errno;
    sig_pipe_r = p[0];
    atomic_store(&sig_pipe_w, p[1]);
    struct sigaction sa, ign = {.sa_handler = SIG_IGN};
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < NHANDLED; i++)
        if (handled[i] != SIGHUP || hup == HUP_HANDLE)
            sigaction(handled[i], &sa, &old[i]);
        else if (hup == HUP_IGNORE)
            sigaction(handled[i], &ign, &old[i]);
        else
            sigaction(handled[i], NULL, &old[i]);
    return 0;
}

static void signals_stop(const struct sigaction *old)
{
    for (int i = 0; i < NHANDLED; i++)
        sigaction(handled[i], &old[i], NULL);
    /* Only the write end: the reader sees EOF and ends; the caller closes
     * the read end after waiting for it (closing it under a reader in
     * read() raced, TSan in CI). */
    close(atomic_exchange(&sig_pipe_w, -1));
}

enum { EV_SIGNAL, EV_READY, EV_EXIT, EV_SERVED, EV_CTL_GONE };

typedef struct event {
    int   kind;
    int   sig;        /* EV_SIGNAL */
    pid_t pid;        /* EV_READY, EV_EXIT */
    int   status;     /* EV_EXIT: waitpid's; EV_SERVED: serve's result */
} event;

typedef struct reader {
    goc_chan *ev;
    int       fd;             /* sig_pipe_r when the reader started */
    goc_wg    done;
} reader;

/* Goroutine: the self-pipe's bytes as EV_SIGNAL events until
 * signals_stop closes the write end (EOF). */
static void signal_reader(void *arg)
{
    reader *rd = arg;
    unsigned char b[16];

    for (;;) {
        if (goc_wait_fd(rd->fd, GOC_WAIT_READ, 0) < 0)
            break;
        ssize_t n = read(rd->fd, b, sizeof b);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
        for (ssize_t i = 0; i < n; i++) {
            /* full: 64 events pending, a stop among them; never block,
             * so signals_stop always ends this goroutine */
            event e = {.kind = EV_SIGNAL, .sig = b[i]};
            goc_chan_trysend(rd->ev, &e);
        }
    }
    goc_wg_done(&rd->done);
}

/* ------------------------------------------------- single and worker -- */

int goc_http_worker_index(void)
{
    const char *v = getenv("GOC_HTTP_WORKER");
    char *end;
    if (!v || !*v)
        return -1;
    long k = strtol(v, &end, 10);
    return *end || k < 0 || k >= MAX_WORKERS ? -1 : (int)k;
}

typedef struct serving {
    goc_http_server *s;
    goc_chan        *ev;
    int              ctl;           /* worker: fd 4; -1 when single */
    goc_wg           done;
} serving;

static void serve_main(void *arg)
{
    serving *sv = arg;
    event e = {.kind = EV_SERVED, .status = goc_http_server_serve(sv->s)};
    goc_chan_send(sv->ev, &e);
    goc_wg_done(&sv->done);
}

/* Goroutine (worker): the supervisor never writes to the control socket;
 * its end closes when the supervisor exits, however it exits. */
static void ctl_watch(void *arg)
{
    serving *sv = arg;
    char b;
    ssize_t n;
    while ((n = goc_read(sv->ctl, &b, 1)) > 0)
        ;
    if (n != -EBADF) {
        event e = {.kind = EV_CTL_GONE};
        goc_chan_send(sv->ev, &e);
    }
    goc_wg_done(&sv->done);
}

static int64_t shutdown_timeout(const goc_http_server *s)
{
    return s->cfg.shutdown_timeout ? s->cfg.shutdown_timeout : DEFAULT_SHUTDOWN_TIMEOUT;
}

/* Drain, then shut down: the graceful stop of one serving process. */
static int stop_serving(goc_http_server *s)
{
    atomic_store(&s->draining, 1);
    if (s->cfg.drain_delay > 0)
        goc_sleep(s->cfg.drain_delay);
    int64_t t = shutdown_timeout(s);
    return goc_http_server_shutdown(s, t < 0 ? 0 : goc_now() + t);
}

/* The listener is set (listen or use_listener); serve until a stop
 * signal, the control socket closing, or serve failing. */
static int serve_until_stopped(goc_http_server *s, int ctl, goc_chan *ev)
{
    serving sv = {.s = s, .ev = ev, .ctl = ctl};
    int rc = 0, served = 0;
    event e;

    goc_wg_add(&sv.done, ctl >= 0 ? 2 : 1);
    if (goc_go(serve_main, &sv) < 0)
        goto no_goroutine;
    if (ctl >= 0) {
        if (goc_go(ctl_watch, &sv) < 0) {
            goc_wg_done(&sv.done);
            ctl = -1;
        } else {
            /* serving from now on (connections queue until the accept
             * loop runs); a supervisor already gone: the watcher sees it */
            (void)goc_write(ctl, "R", 1);
        }
    }
    for (;;) {
        goc_chan_recv(ev, &e);
        if (e.kind == EV_SIGNAL && e.sig == SIGHUP)
            continue;
        if (e.kind == EV_SERVED) {
            served = 1;
            rc = e.status;
        }
        break;
    }
    if (!served) {
        rc = stop_serving(s);
        do                                  /* serve returns after shutdown */
            goc_chan_recv(ev, &e);
        while (e.kind != EV_SERVED);
    }
    if (ctl >= 0)
        goc_close(ctl);                     /* ends ctl_watch */
    goc_wg_wait(&sv.done);
    return rc;
no_goroutine:
    goc_wg_add(&sv.done, -(ctl >= 0 ? 2 : 1));
    return -EAGAIN;
}

/* ----------------------------------------------------------- supervisor -- */

enum { W_STARTING, W_SERVING, W_RETIRING };

typedef struct worker {
    pid_t   pid;
    int     slot;
    int     state;             /* W_* */
    int64_t started;           /* goc_now() at spawn */
} worker;

typedef struct slot {
    int     lfd;               /* the slot's SO_REUSEPORT socket (>= HIGH_FD) */
    int     fails;             /* consecutive quick deaths */
    int64_t restart_at;        /* 0: none pending */
} slot;

typedef struct sup {
    goc_http_server *s;
    goc_chan *ev;
    int       n;               /* slots */
    slot     *slots;
    worker   *w;               /* live processes, nw of them (cap wcap) */
    int       nw, wcap;
    int       roll;            /* slot being replaced, -1: not rolling */
    int       stopping;
    int64_t   kill_at;         /* stopping: SIGKILL the rest then */
    int       killed;
    char     *exe;             /* the program's path at start */
    char    **argv, **envp;    /* envp[0] is our GOC_HTTP_WORKER slot */
    char     *cmdline;
    goc_wg    watchers;
} sup;

typedef struct watch {
    sup  *sp;
    pid_t pid;
    int   ctl;
} watch;

/* Goroutine: one worker's control socket.  "R" -> EV_READY; EOF (the
 * worker's every fd closes at its exit) -> reap it -> EV_EXIT. */
static void worker_watch(void *arg)
{
    watch *wa = arg;
    sup *sp = wa->sp;
    char b;
    ssize_t n;
    int st = 0;

    while ((n = goc_read(wa->ctl, &b, 1)) > 0)
        if (b == 'R') {
            event e = {.kind = EV_READY, .pid = wa->pid};
            goc_chan_send(sp->ev, &e);
        }
    goc_close(wa->ctl);
    goc_syscall_enter();                   /* the exit is under way: brief */
    while (waitpid(wa->pid, &st, 0) < 0 && errno == EINTR)
        ;
    goc_syscall_exit();
    event e = {.kind = EV_EXIT, .pid = wa->pid, .status = st};
    goc_chan_send(sp->ev, &e);
    free(wa);
    goc_wg_done(&sp->watchers);
}

static int high_fd(int fd)
{
    if (fd < 0 || fd >= HIGH_FD)
        return fd;
    int h = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
    int e = errno;
    close(fd);
    errno = e;
    return h;
}

/* Slot socket: TCP, SO_REUSEPORT, bound to ss, listening, blocking (the
 * worker adopts it); close-on-exec here, dup2 makes the child's copy
 * inheritable. */
static int slot_socket(const struct sockaddr_storage *ss, socklen_t len, int backlog)
{
    int one = 1;
    int fd = high_fd(socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0
        || bind(fd, (const struct sockaddr *)ss, len) != 0
        || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int bind_slots(sup *sp, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int rc = goc_sockaddr(addr, &ss, &len);

    if (rc < 0)
        return rc;
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
        return -EINVAL;
    for (int i = 0; i < sp->n; i++) {
        int fd = slot_socket(&ss, len, sp->s->cfg.backlog);
        if (fd < 0)
            return fd;
        sp->slots[i].lfd = fd;
        if (i == 0) {          /* port 0: the others take the one chosen */
            socklen_t l = len;
            getsockname(fd, (struct sockaddr *)&ss, &l);
        }
    }
    return 0;
}

/* argv from /proc/self/cmdline, environ less GOC_HTTP_WORKER and systemd's
 * LISTEN_* (those name this process's fds, not the worker's). */
static int spawn_setup(sup *sp)
{
    FILE *f = fopen("/proc/self/cmdline", "re");
    size_t cap = 4096, len = 0, k;
    int argc = 0, envc = 0;

    if (!f)
        return -ENOSYS;
    sp->cmdline = malloc(cap + 1);
    while (sp->cmdline && (k = fread(sp->cmdline + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            char *b = realloc(sp->cmdline, 2 * cap + 1);
            if (!b) {
                free(sp->cmdline);
                sp->cmdline = NULL;
            }
            sp->cmdline = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (!sp->cmdline || len == 0)
        return sp->cmdline ? -ENOSYS : -ENOMEM;
    sp->cmdline[len] = 0;
    for (size_t i = 0; i < len; i++)
        argc += sp->cmdline[i] == 0;
    extern char **environ;
    for (char **e = environ; *e; e++)
        envc++;
    sp->argv = calloc((size_t)argc + 1, sizeof *sp->argv);
    sp->envp = calloc((size_t)envc + 2, sizeof *sp->envp);
    if (!sp->argv || !sp->envp || !(sp->envp[0] = malloc(32)))
        return -ENOMEM;
    sp->exe = realpath("/proc/self/exe", NULL);
    for (size_t i = 0, a = 0; i < len; i += strlen(sp->cmdline + i) + 1)
        sp->argv[a++] = sp->cmdline + i;
    int j = 1;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "GOC_HTTP_WORKER=", 16) && strncmp(*e, "LISTEN_", 7))
            sp->envp[j++] = *e;
    return 0;
}

static void spawn_teardown(sup *sp)
{
    free(sp->cmdline);
    free(sp->argv);
    if (sp->envp)
        free(sp->envp[0]);
    free(sp->envp);
    free(sp->exe);
}

static worker *find(sup *sp, pid_t pid)
{
    for (int i = 0; i < sp->nw; i++)
        if (sp->w[i].pid == pid)
            return &sp->w[i];
    return NULL;
}

static worker *in_state(sup *sp, int slot, int state)
{
    for (int i = 0; i < sp->nw; i++)
        if (sp->w[i].slot == slot && sp->w[i].state == state)
            return &sp->w[i];
    return NULL;
}

/* The program's current file at its start path (a binary replaced there is
 * picked up), else the one this process runs. */
static const char *exe_path(const sup *sp)
{
    return sp->exe && access(sp->exe, X_OK) == 0 ? sp->exe : "/proc/self/exe";
}

/* Start the program for slot k with the slot's socket as fd 3 and
 * child_ctl as fd 4: 0 and *pid, or a negative errno. */
static int spawn_exec(sup *sp, int k, int child_ctl, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    int rc;

    snprintf(sp->envp[0], 32, "GOC_HTTP_WORKER=%d", k);
    if ((rc = -posix_spawn_file_actions_init(&fa)) < 0)
        return rc;
    if ((rc = -posix_spawn_file_actions_adddup2(&fa, sp->slots[k].lfd, WORKER_LISTEN_FD)) == 0
        && (rc = -posix_spawn_file_actions_adddup2(&fa, child_ctl, WORKER_CTL_FD)) == 0) {
        goc_syscall_enter();           /* vfork-style: until the child execs */
        rc = -posix_spawn(pid, exe_path(sp), &fa, NULL, sp->argv, sp->envp);
        goc_syscall_exit();
    }
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* A worker that cannot be watched must not run: kill and reap it. */
static void unwatched(pid_t pid)
{
    int st;
    kill(pid, SIGKILL);
    goc_syscall_enter();
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    goc_syscall_exit();
}

static int spawn(sup *sp, int k)
{
    int sv[2], rc;
    pid_t pid;

    if (sp->nw == sp->wcap) {
        int c = sp->wcap ? 2 * sp->wcap : 8;
        worker *w = realloc(sp->w, (size_t)c * sizeof *w);
        if (!w)
            return -ENOMEM;
        sp->w = w;
        sp->wcap = c;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -errno;
    sv[0] = high_fd(sv[0]);
    sv[1] = high_fd(sv[1]);
    watch *wa = malloc(sizeof *wa);
    if (sv[0] < 0 || sv[1] < 0 || !wa) {
        rc = sv[0] < 0 || sv[1] < 0 ? -EMFILE : -ENOMEM;
        goto close_pair;
    }
    if ((rc = spawn_exec(sp, k, sv[1], &pid)) < 0)
        goto close_pair;
    close(sv[1]);
    sv[1] = -1;
    if ((rc = goc_net_adopt(sv[0])) < 0) {
        unwatched(pid);
        goto close_pair;
    }
    *wa = (watch){.sp = sp, .pid = pid, .ctl = sv[0]};
    goc_wg_add(&sp->watchers, 1);
    if ((rc = goc_go(worker_watch, wa)) < 0) {
        goc_wg_done(&sp->watchers);
        goc_close(sv[0]);
        unwatched(pid);
        free(wa);
        return rc;
    }
    sp->w[sp->nw++] = (worker){.pid = pid, .slot = k, .state = W_STARTING,
                               .started = goc_now()};
    return 0;
close_pair:
    free(wa);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    return rc;
}

/* The supervisor's events (a death, a roll, a stop) go to stderr always:
 * they are rare, and an operator needs them whatever cfg.log says. */
static void say(const sup *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const sup *sp, const char *fmt, ...)
{
    va_list ap;
    (void)sp;
    va_start(ap, fmt);
    fprintf(stderr, "goc_http supervisor %d: ", (int)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void start_slot(sup *sp, int k)
{
    int rc = spawn(sp, k);
    if (rc < 0) {
        say(sp, "slot %d: spawn: %s", k, strerror(-rc));
        slot *sl = &sp->slots[k];
        sl->fails++;
        sl->restart_at = goc_now() + BACKOFF_MIN;
    }
}

/* Start replacing the next slot of a roll, or end the roll. */
static void roll_next(sup *sp)
{
    while (sp->roll >= 0 && sp->roll < sp->n) {
        if (!in_state(sp, sp->roll, W_STARTING)) {
            start_slot(sp, sp->roll);
            if (in_state(sp, sp->roll, W_STARTING))
                return;
        }
        if (in_state(sp, sp->roll, W_STARTING))
            return;
        sp->roll++;
    }
    sp->roll = -1;
    say(sp, "workers replaced");
}

static void on_ready(sup *sp, pid_t pid)
{
    worker *w = find(sp, pid);
    if (!w || w->state != W_STARTING)
        return;
    worker *old = in_state(sp, w->slot, W_SERVING);
    w->state = W_SERVING;
    if (old) {
        old->state = W_RETIRING;
        kill(old->pid, SIGTERM);
    }
    if (sp->stopping) {
        w->state = W_RETIRING;
        kill(w->pid, SIGTERM);
        return;
    }
    if (sp->roll == w->slot) {
        sp->roll++;
        roll_next(sp);
    }
}

static void on_exit_ev(sup *sp, pid_t pid, int st)
{
    worker *w = find(sp, pid);
    if (!w)
        return;
    int k = w->slot, state = w->state;
    int64_t lived = goc_now() - w->started;
    *w = sp->w[--sp->nw];
    if (state == W_RETIRING || sp->stopping)
        return;
    if (WIFSIGNALED(st))
        say(sp, "worker %d (slot %d) killed by signal %d", (int)pid, k, WTERMSIG(st));
    else
        say(sp, "worker %d (slot %d) exited with %d", (int)pid, k, WEXITSTATUS(st));
    slot *sl = &sp->slots[k];
    sl->fails = lived >= STABLE ? 0 : sl->fails + 1;
    int64_t d = BACKOFF_MIN;
    for (int i = 1; i < sl->fails && d < BACKOFF_MAX; i++)
        d *= 2;
    if (sl->fails == 0)
        d = 0;
    sl->restart_at = goc_now() + (d > BACKOFF_MAX ? BACKOFF_MAX : d);
    if (state == W_STARTING && sp->roll == k) {
        say(sp, "slot %d: the new worker died before serving; roll stopped", k);
        sp->roll = -1;
    }
}

static void begin_stop(sup *sp)
{
    const goc_http_server_config *c = &sp->s->cfg;
    int64_t t = c->shutdown_timeout ? c->shutdown_timeout : DEFAULT_SHUTDOWN_TIMEOUT;

    sp->stopping = 1;
    sp->roll = -1;
    sp->kill_at = t < 0 ? 0 : goc_now() + (c->drain_delay > 0 ? c->drain_delay : 0) + t + KILL_SLACK;
    for (int i = 0; i < sp->nw; i++) {
        sp->w[i].state = W_RETIRING;
        kill(sp->w[i].pid, SIGTERM);
    }
    say(sp, "stopping %d workers", sp->nw);
}

static void on_signal_ev(sup *sp, int sig)
{
    if (sp->stopping)
        return;
    if (sig == SIGTERM || sig == SIGINT) {
        begin_stop(sp);
    } else if (sig == SIGHUP && sp->roll < 0) {
        say(sp, "replacing %d workers", sp->n);
        sp->roll = 0;
        roll_next(sp);
    }
}

/* Slots without a worker whose back-off has passed get one; the next
 * time something is due (or now + 1 s). */
static int64_t due(sup *sp, int64_t now)
{
    int64_t wake = now + SEC;

    if (sp->stopping) {
        if (sp->kill_at && !sp->killed && now >= sp->kill_at) {
            say(sp, "killing %d workers past the deadline", sp->nw);
            for (int i = 0; i < sp->nw; i++)
                kill(sp->w[i].pid, SIGKILL);
            sp->killed = 1;
        }
        if (sp->kill_at && !sp->killed && sp->kill_at < wake)
            wake = sp->kill_at;
        return wake;
    }
    for (int k = 0; k < sp->n; k++) {
        slot *sl = &sp->slots[k];
        if (in_state(sp, k, W_SERVING) || in_state(sp, k, W_STARTING)) {
            if (in_state(sp, k, W_SERVING))
                sl->restart_at = 0;
            continue;
        }
        if (sl->restart_at > now) {
            if (sl->restart_at < wake)
                wake = sl->restart_at;
            continue;
        }
        sl->restart_at = 0;
        start_slot(sp, k);
    }
    return wake;
}

static int supervise(sup *sp)
{
    for (int k = 0; k < sp->n; k++)
        start_slot(sp, k);
    while (!sp->stopping || sp->nw > 0) {
        int64_t now = goc_now();
        int64_t wake = due(sp, now);
        event e;
        if (goc_chan_recv_timeout(sp->ev, &e, wake > now ? wake - now : 1) < 0)
            continue;
        if (e.kind == EV_SIGNAL)
            on_signal_ev(sp, e.sig);
        else if (e.kind == EV_READY)
            on_ready(sp, e.pid);
        else if (e.kind == EV_EXIT)
            on_exit_ev(sp, e.pid, e.status);
    }
    return sp->killed ? -ETIMEDOUT : 0;
}

static int run_supervisor(goc_http_server *s, const char *addr, goc_chan *ev)
{
    sup sp = {.s = s, .ev = ev, .n = s->cfg.workers, .roll = -1};
    int rc;

    if (!addr)
        return -EINVAL;
    sp.slots = calloc((size_t)sp.n, sizeof *sp.slots);
    if (!sp.slots)
        return -ENOMEM;
    for (int k = 0; k < sp.n; k++)
        sp.slots[k].lfd = -1;
    if ((rc = spawn_setup(&sp)) < 0 || (rc = bind_slots(&sp, addr)) < 0)
        goto out;
    rc = supervise(&sp);
    goc_wg_wait(&sp.watchers);
out:
    for (int k = 0; k < sp.n; k++)
        if (sp.slots[k].lfd >= 0)
            close(sp.slots[k].lfd);
    free(sp.slots);
    free(sp.w);
    spawn_teardown(&sp);
    return rc;
}

/* ----------------------------------------------------------------- run -- */

static int run_worker(goc_http_server *s, goc_chan *ev)
{
    int rc = goc_http_server_use_listener(s, WORKER_LISTEN_FD);
    if (rc < 0)
        return rc;
    int ctl = goc_net_adopt(WORKER_CTL_FD);
    return serve_until_stopped(s, ctl >= 0 ? ctl : -1, ev);
}

static int run_single(goc_http_server *s, const char *addr, goc_chan *ev)
{
    int rc = addr ? goc_http_server_listen(s, addr) : s->lfd >= 0 ? 0 : -EINVAL;
    if (rc < 0)
        return rc;
    return serve_until_stopped(s, -1, ev);
}

int goc_http_server_run(goc_http_server *s, const char *addr)
{
    struct sigaction old[NHANDLED];
    int k = goc_http_worker_index();
    int rc;

    if (!s || s->cfg.workers < 0 || s->cfg.workers > MAX_WORKERS)
        return -EINVAL;
    if (atomic_exchange(&run_active, 1))
        return -EALREADY;
    reader rd = {.ev = goc_chan_make(sizeof(event), 64)};
    if (!rd.ev) {
        rc = -ENOMEM;
        goto inactive;
    }
    if ((rc = signals_start(old, k >= 0 ? HUP_IGNORE
                                 : s->cfg.workers > 0 ? HUP_HANDLE : HUP_KEEP)) < 0)
        goto free_chan;
    rd.fd = sig_pipe_r;
    goc_wg_add(&rd.done, 1);
    if (goc_go(signal_reader, &rd) < 0) {
        goc_wg_done(&rd.done);
        rc = -EAGAIN;
        goto stop_signals;
    }
    if (k >= 0)
        rc = run_worker(s, rd.ev);
    else if (s->cfg.workers == 0)
        rc = run_single(s, addr, rd.ev);
    else
        rc = run_supervisor(s, addr, rd.ev);
stop_signals:
    signals_stop(old);
    goc_wg_wait(&rd.done);
    goc_close(sig_pipe_r);
free_chan:
    goc_chan_free(rd.ev);
inactive:
    atomic_store(&run_active, 0);
    return rc;
}
