/*
 * symbolize.c — goroutine dump frames as Go prints them:
 *
 *     worker(...)
 *             /home/me/prog.c:12 +0x1d
 *     created by main_goroutine in goroutine 1
 *             /home/me/prog.c:30 +0x25
 *
 * Names and file:line come from elfutils' libdw (Debian's libdw-dev, an
 * optional build dependency: GOC_HAVE_LIBDW).  Without it the dump prints
 * what backtrace_symbols_fd gives (module+offset, exported names only).
 *
 * Where libdw runs, and why.  libdw allocates, opens files and takes locks,
 * none of it async-signal-safe, and a dump is printed from places where the
 * dying thread may hold those very locks: the SIGQUIT handler may have
 * interrupted malloc on this thread, a stack overflow may have hit inside
 * malloc, a fatal error may come from a thread in the middle of stdio.
 * Calling libdw on the dying thread could deadlock on its own lock or walk
 * a heap caught half-updated.  A forked child has the same problem (the
 * child inherits the held lock and the half-updated heap, and glibc's fork
 * itself takes malloc's locks first).  So libdw runs on a thread of its own,
 * made at init with every signal blocked and doing nothing else, as the
 * stdio flusher in trace.c: the dying thread only collects PCs (frame
 * pointer walks, async-signal-safe), hands them over through a futex and
 * waits, bounded, for the formatted text.  The worst case is a lock held by
 * the dying thread itself (malloc interrupted by SIGQUIT): the symbolizer
 * blocks on it, the wait times out (SYM_WAIT_FIRST_MS for the first
 * request, which loads the DWARF, SYM_WAIT_MS after), and the rest of the
 * dump falls back to the raw form.  The dump never hangs and never reads a
 * heap in the middle of an update on the thread that was updating it.
 * Other threads' locks are not a problem: their owners keep running and
 * let go of them (a deadlock dump runs with every M idle).
 *
 * Frames inside the runtime before the first frame of the program are
 * hidden, except the innermost public call the program made (goc_chan_recv,
 * goc_wg_wait...), as Go hides runtime.gopark; goc__gstart at the bottom is
 * hidden too.  GOC_TRACEBACK=system shows them all (Go's GOTRACEBACK).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

#if GOC_HAVE_LIBDW
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#endif

enum {
    SYM_MAXPCS = 64,
    SYM_OUT = 32 << 10,          /* one goroutine's formatted frames */
    SYM_WAIT_FIRST_MS = 5000,    /* first request: loads the DWARF */
    SYM_WAIT_MS = 1000,
};

static bool traceback_system;    /* GOC_TRACEBACK=system: no frame hidden */

/* ------------------------------------------------------------ fallback */

static void raw_write(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, s, n);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

static void raw_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void raw_say(int fd, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (n > 0)
        raw_write(fd, buf, (size_t)n);
}

/* What the dump printed before libdw: backtrace_symbols_fd (it writes
 * straight to fd and does not allocate). */
static void print_raw(int fd, void *const *pcs, int n, uintptr_t gopc, uint64_t parent)
{
    if (n > 0)
        backtrace_symbols_fd(pcs, n, fd);
    if (gopc) {
        raw_say(fd, "created by ? in goroutine %" PRIu64 "\n\t", parent);
        void *pc = (void *)gopc;
        backtrace_symbols_fd(&pc, 1, fd);
    }
}

#if GOC_HAVE_LIBDW

/* --------------------------------------------------- the libdw side */

/* Only the symbolizer thread touches these. */
static Dwfl *dwfl;
static bool  dwfl_failed;

/* Local files only (the module itself, /usr/lib/debug by build id):
 * dwfl_standard_find_debuginfo may ask a debuginfod server over the network
 * when DEBUGINFOD_URLS is set, which a dying program must not. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                          Dwarf_Addr base, const char *file, const char *debuglink,
                          GElf_Word crc, char **debuginfo_file_name)
{
    return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file, debuglink, crc,
                                        debuginfo_file_name);
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = find_debuginfo,
};

static bool dwfl_ready(void)
{
    if (dwfl || dwfl_failed)
        return dwfl != NULL;
    Dwfl *d = dwfl_begin(&callbacks);
    if (d == NULL) {
        dwfl_failed = true;
        return false;
    }
    dwfl_report_begin(d);
    int rc = dwfl_linux_proc_report(d, getpid());
    if (dwfl_report_end(d, NULL, NULL) != 0 || rc != 0) {
        dwfl_end(d);
        dwfl_failed = true;
        return false;
    }
    dwfl = d;
    return true;
}

struct outbuf { char *p; size_t len, cap; };

static void out(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct outbuf *o, const char *fmt, ...)
{
    if (o->len >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->len = o->len + (size_t)k < o->cap ? o->len + (size_t)k : o->cap - 1;
}

/* One source position: what a frame line prints. */
struct where {
    const char *func;        /* symbol (the function that holds pc), or NULL */
    uintptr_t   funcoff;     /* pc - the symbol's start */
    const char *file;        /* NULL: no line table */
    int         line;
    const char *module;      /* the ELF file, for frames without lines */
    uintptr_t   modoff;
};

/* A relative source path (the compiler was given one) joined to the
 * directory it was compiled in, so the dump prints absolute paths as Go
 * does.  The result lives until the next call. */
static const char *absolute(const char *file, const char *dir)
{
    static char path[PATH_MAX];
    if (file == NULL || file[0] == '/' || dir == NULL || dir[0] == 0)
        return file;
    const char *f = file;
    while (f[0] == '.' && f[1] == '/')
        f += 2;
    snprintf(path, sizeof path, "%s/%s", dir, f);
    return path;
}

/* pc is a return address (or the interrupted PC): its line is pc - 1's,
 * the call instruction's, and the +0x offset is pc's, as Go prints it. */
/* The compile unit holding addr.  dwfl_module_addrdie finds it through
 * .debug_aranges, which clang does not emit (and libdw 0.188 does not
 * rebuild): then the CUs are asked one by one (a few dozen; a dump only). */
static Dwarf_Die *find_cu(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
    if (cu != NULL)
        return cu;
    while ((cu = dwfl_module_nextcu(mod, cu, bias)) != NULL)
        if (dwarf_haspc(cu, addr - *bias) > 0)
            return cu;
    return NULL;
}

static struct where lookup(uintptr_t pc)
{
    struct where w = { 0 };
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc - 1);
    if (mod == NULL)
        return w;
    Dwarf_Addr start = 0;
    w.module = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
    w.modoff = pc - start;
    GElf_Off off = 0;
    GElf_Sym sym;
    w.func = dwfl_module_addrinfo(mod, pc - 1, &off, &sym, NULL, NULL, NULL);
    if (w.func)
        w.funcoff = off + 1;
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = find_cu(mod, pc - 1, &bias);
    Dwarf_Line *line = cu ? dwarf_getsrc_die(cu, pc - 1 - bias) : NULL;
    if (line) {
        Dwarf_Attribute attr;
        dwarf_lineno(line, &w.line);
        w.file = absolute(dwarf_linesrc(line, NULL, NULL),
                          dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr)));
    }
    return w;
}

/* Functions the compiler inlined at pc, innermost first, each with the
 * position it was inlined at: Go prints inlined calls as frames too.
 * Returns how many were printed (0: none inlined there). */
static int print_inlined(struct outbuf *o, uintptr_t pc, const struct where *w)
{
    Dwarf_Addr bias = 0;
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc - 1);
    Dwarf_Die *cu = mod ? find_cu(mod, pc - 1, &bias) : NULL;
    if (cu == NULL)
        return 0;
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cu, pc - 1 - bias, &scopes);
    if (n <= 0)
        return 0;
    /* The innermost inlined body's position is the line table's (w);
     * each inlined_subroutine then says where it was called from, which
     * is the position of the frame around it. */
    const char *file = w->file;
    int line = w->line;
    int printed = 0;
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    dwarf_getsrcfiles(cu, &files, &nfiles);
    for (int i = 0; i < n; i++) {
        if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
            continue;
        Dwarf_Attribute attr;
        Dwarf_Die origin;
        const char *name = NULL;
        if (dwarf_attr_integrate(&scopes[i], DW_AT_abstract_origin, &attr) &&
            dwarf_formref_die(&attr, &origin))
            name = dwarf_diename(&origin);
        out(o, "%s(...)\n\t%s:%d (inlined)\n", name ? name : "??", file ? file : "?", line);
        printed++;
        Dwarf_Word cf = 0, cl = 0;
        file = NULL;
        line = 0;
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &cf) == 0 &&
            files != NULL)
            file = dwarf_filesrc(files, cf, NULL, NULL);
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &cl) == 0)
            line = (int)cl;
    }
    free(scopes);
    if (printed)
        out(o, "%s(...)\n\t%s:%d +0x%" PRIxPTR "\n", w->func ? w->func : "??",
            file ? file : "?", line, w->funcoff);
    return printed;
}

static void print_frame(struct outbuf *o, uintptr_t pc)
{
    struct where w = lookup(pc);
    if (w.file && print_inlined(o, pc, &w) > 0)
        return;
    if (w.file)
        out(o, "%s(...)\n\t%s:%d +0x%" PRIxPTR "\n", w.func ? w.func : "??", w.file,
            w.line, w.funcoff);
    else if (w.module)
        out(o, "%s(...)\n\t%s +0x%" PRIxPTR "\n", w.func ? w.func : "??", w.module, w.modoff);
    else
        out(o, "?(...)\n\t?:0 pc=0x%" PRIxPTR "\n", pc);
}

/* ---------------------------------------------- which frames to hide */

/* The runtime's code: the static library's text is renamed into section
 * goc_text (CMakeLists.txt, for async preemption), whose bounds the linker
 * publishes; the shared library is a module of its own. */
extern char __start_goc_text[] __attribute__((weak));
extern char __stop_goc_text[] __attribute__((weak));

static bool in_runtime(uintptr_t pc)
{
    if (__start_goc_text != NULL)
        return (uintptr_t)__start_goc_text <= pc && pc < (uintptr_t)__stop_goc_text;
    Dwfl_Module *self = dwfl_addrmodule(dwfl, (uintptr_t)&goc__traceback);
    return self != NULL && self == dwfl_addrmodule(dwfl, pc - 1);
}

static bool is_gstart(uintptr_t pc)
{
    struct where w = lookup(pc);
    return w.func != NULL && strcmp(w.func, "goc__gstart") == 0;
}

static size_t format(char *buf, size_t cap, void *const *pcs, int n, uintptr_t gopc,
                     uint64_t parent)
{
    struct outbuf o = { buf, 0, cap };
    int first = 0, last = n;
    if (!traceback_system) {
        while (first + 1 < n && in_runtime((uintptr_t)pcs[first]) &&
               in_runtime((uintptr_t)pcs[first + 1]))
            first++;
        if (last > first + 1 && is_gstart((uintptr_t)pcs[last - 1]))
            last--;
    }
    for (int i = first; i < last; i++)
        print_frame(&o, (uintptr_t)pcs[i]);
    if (gopc) {
        struct where w = lookup(gopc);
        out(&o, "created by %s in goroutine %" PRIu64 "\n", w.func ? w.func : "??", parent);
        if (w.file)
            out(&o, "\t%s:%d +0x%" PRIxPTR "\n", w.file, w.line, w.funcoff);
        else if (w.module)
            out(&o, "\t%s +0x%" PRIxPTR "\n", w.module, w.modoff);
    }
    return o.len;
}

/* ------------------------------------------- the hand-over (futex) */

enum { REQ_IDLE, REQ_ASKED, REQ_DONE };

static struct {
    _Atomic uint32_t state;      /* REQ_* */
    _Atomic bool     up;         /* the thread exists */
    _Atomic bool     broken;     /* a request timed out: raw from now on */
    _Atomic bool     busy;       /* a dumper holds the request slot */
    bool             first_done;
    void            *pcs[SYM_MAXPCS];
    int              n;
    uintptr_t        gopc;
    uint64_t         parent;
    size_t           len;
    char             out[SYM_OUT];
} req;

static void *symbolizer(void *arg)
{
    (void)arg;
    for (;;) {
        while (atomic_load(&req.state) != REQ_ASKED)
            goc__futexsleep(&req.state, REQ_IDLE, -1);
        req.len = dwfl_ready() ? format(req.out, sizeof req.out, req.pcs, req.n, req.gopc,
                                         req.parent)
                               : 0;
        atomic_store(&req.state, REQ_DONE);
        goc__futexwakeup(&req.state, INT_MAX);
    }
    return NULL;
}

static void symbolizer_start(void)
{
    pthread_attr_t attr;
    sigset_t all, old;
    pthread_t th;
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);   /* address space; libdw recurses */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);    /* the thread inherits it */
    if (pthread_create(&th, &attr, symbolizer, NULL) == 0)
        atomic_store(&req.up, true);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

/* Async-signal-safe on this side: atomics, futex calls, write(2).  false:
 * no symbolized text (no thread, timed out, or libdw found nothing). */
static bool print_symbolized(int fd, void *const *pcs, int n, uintptr_t gopc, uint64_t parent)
{
    if (!atomic_load(&req.up) || atomic_load(&req.broken))
        return false;
    bool free_ = false;
    if (!atomic_compare_exchange_strong(&req.busy, &free_, true))
        return false;
    req.n = n < SYM_MAXPCS ? n : SYM_MAXPCS;
    memcpy(req.pcs, pcs, (size_t)req.n * sizeof pcs[0]);
    req.gopc = gopc;
    req.parent = parent;
    atomic_store(&req.state, REQ_ASKED);
    goc__futexwakeup(&req.state, 1);
    int64_t wait = req.first_done ? SYM_WAIT_MS : SYM_WAIT_FIRST_MS;
    int64_t deadline = goc__nanotime() + wait * 1000000LL;
    for (;;) {
        uint32_t st = atomic_load(&req.state);
        int64_t left = deadline - goc__nanotime();
        if (st == REQ_DONE)
            break;
        if (left <= 0) {
            /* Leave busy set: the thread may still write req.out. */
            atomic_store(&req.broken, true);
            return false;
        }
        goc__futexsleep(&req.state, st, left);
    }
    req.first_done = true;
    size_t len = req.len;
    if (len > 0)
        raw_write(fd, req.out, len);
    atomic_store(&req.state, REQ_IDLE);
    atomic_store(&req.busy, false);
    return len > 0;
}

#else /* !GOC_HAVE_LIBDW */

static void symbolizer_start(void) {}
static bool print_symbolized(int fd, void *const *pcs, int n, uintptr_t gopc, uint64_t parent)
{
    (void)fd; (void)pcs; (void)n; (void)gopc; (void)parent;
    return false;
}

#endif

/* ---------------------------------------------------------- the API */

void goc__traceback_init(void)
{
    const char *tb = getenv("GOC_TRACEBACK");
    traceback_system = tb != NULL && strcmp(tb, "system") == 0;
    symbolizer_start();
}

void goc__traceback(int fd, void *const *pcs, int n, uintptr_t gopc, uint64_t parent)
{
    if (!print_symbolized(fd, pcs, n, gopc, parent))
        print_raw(fd, pcs, n, gopc, parent);
}
