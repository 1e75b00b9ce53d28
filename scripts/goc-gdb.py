# goc-gdb.py — goroutines in gdb, as Go's runtime-gdb.py gives them.
#
#   (gdb) source /usr/local/share/goc/goc-gdb.py
#   (gdb) info goroutines        every live goroutine: id, status, wait
#                                reason, the function it is in
#   (gdb) goroutine 7 bt         backtrace of goroutine 7 (any gdb command:
#                                goroutine 7 info locals, goroutine all bt)
#
# The program needs the runtime's debug information (the library is built
# with -g) for struct goc_g and the allgs table (src/sched.c).
#
# A parked goroutine's registers are in the frame goc__ctx_switch pushed on
# its stack (src/context_<arch>.S): the saved stack pointer is g->sp, the
# frame pointer and return address sit at fixed offsets above it.  "goroutine
# N cmd" points the selected thread's sp/fp/pc there, runs cmd, and puts the
# thread's registers back.  A running goroutine is on one of the threads:
# "thread apply all bt" shows it.

import gdb

# G status values and names (src/runtime.h, G_*).
G_STATUS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting",
            6: "dead", 9: "preempted"}
G_RUNNING, G_SYSCALL, G_WAITING, G_DEAD = 2, 3, 4, 6

# The frame goc__ctx_switch leaves, per architecture: offsets of the saved
# frame pointer and return address from g->sp, and its size (the sp the
# switched-to code resumes with is g->sp + size).
FRAMES = {
    "x86_64": {"fp": 48, "pc": 56, "size": 64, "regs": ("$rsp", "$rbp", "$rip")},
    "aarch64": {"fp": 80, "pc": 88, "size": 176, "regs": ("$sp", "$x29", "$pc")},
}


def arch():
    name = gdb.selected_inferior().architecture().name()
    if "x86-64" in name or "x86_64" in name:
        return "x86_64"
    if "aarch64" in name:
        return "aarch64"
    raise gdb.GdbError("goc-gdb: no context-switch layout for " + name)


def read_word(addr):
    ptr = gdb.lookup_type("unsigned long").pointer()
    return int(gdb.Value(addr).cast(ptr).dereference())


def allgs():
    """Every G struct ever made (goc__allgs[0..goc__allglen))."""
    try:
        n = int(gdb.parse_and_eval("goc__allglen"))
        arr = gdb.parse_and_eval("goc__allgs")
    except gdb.error as e:
        raise gdb.GdbError("goc-gdb: no goc runtime symbols (%s)" % e)
    for i in range(n):
        yield arr[i].dereference()


def wait_reason(g):
    """The wait reason's text, from trace.c's table (read, not called: this
    works on a core file too)."""
    r = int(g["waitreason"])
    try:
        s = gdb.parse_and_eval("'trace.c'::reasons")[r]
        if int(s) != 0:
            return s.string()
    except (gdb.error, IndexError):
        pass
    return "reason %d" % r


def saved_regs(g):
    """(sp, fp, pc) a parked G resumes with, or None while it runs."""
    if int(g["sp"]) == 0 or int(g["stack"]) == 0:
        return None
    f = FRAMES[arch()]
    sp = int(g["sp"])
    return sp + f["size"], read_word(sp + f["fp"]), read_word(sp + f["pc"])


def function_at(pc):
    """(name, source file) of the function holding return address pc."""
    block = gdb.current_progspace().block_for_pc(pc - 1)
    while block is not None and block.function is None:
        block = block.superblock
    if block is not None and block.function is not None:
        return block.function.print_name, block.function.symtab.filename
    sym = gdb.execute("info symbol 0x%x" % (pc - 1), to_string=True).split(" ")
    return (sym[0] if sym and sym[0] != "No" else "?"), ""


def runtime_dir():
    """The directory of the runtime's sources (where goc__gstart is)."""
    sym = gdb.lookup_global_symbol("goc__gstart")
    if sym is None or sym.symtab is None:
        return None
    return sym.symtab.filename.rsplit("/", 1)[0] + "/"


def user_function(g):
    """The innermost function of the program, not of the runtime (whose
    sources are in runtime_dir()), walking the frame pointers as the dump
    does."""
    regs = saved_regs(g)
    if regs is None:
        return "?"
    lo, hi = int(g["stack"]["lo"]), int(g["stack"]["hi"])
    _, fp, pc = regs
    rt = runtime_dir()
    first = None
    for _ in range(64):
        name, file = function_at(pc)
        first = first or name
        if rt is None or not file.startswith(rt):
            return name
        if fp < lo or fp + 16 > hi or fp & 7:
            break
        nfp, pc = read_word(fp), read_word(fp + 8)
        if nfp <= fp or pc == 0:
            break
        fp = nfp
    return first or "?"


def find_g(goid):
    for g in allgs():
        if int(g["goid"]) == goid and int(g["status"]) != G_DEAD:
            return g
    return None


class InfoGoroutines(gdb.Command):
    """info goroutines: id, status, wait reason and function of every live goroutine."""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        for g in allgs():
            st = int(g["status"])
            if st == G_DEAD:
                continue
            goid = int(g["goid"])
            if st == G_WAITING:
                status = "waiting (%s)" % wait_reason(g)
            else:
                status = G_STATUS.get(st, "status %d" % st)
            if st in (G_RUNNING, G_SYSCALL):
                m = g["m"]
                where = "on M%d" % int(m["id"]) if int(m) != 0 else "on a thread"
            else:
                where = user_function(g)
            print("%s goroutine %d [%s] %s" % ("*" if st == G_RUNNING else " ", goid, status, where))


class GoroutineCmd(gdb.Command):
    """goroutine N CMD: run gdb command CMD (bt, info frame...) in goroutine N's
    parked context.  goroutine all CMD: in each parked goroutine's."""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        parts = arg.split(None, 1)
        if len(parts) < 2:
            raise gdb.GdbError("usage: goroutine N|all CMD (e.g. goroutine 7 bt)")
        which, cmd = parts
        if which == "all":
            gs = [g for g in allgs() if int(g["status"]) != G_DEAD]
        else:
            try:
                goid = int(which)
            except ValueError:
                raise gdb.GdbError("goroutine: %r is not a goroutine id" % which)
            g = find_g(goid)
            if g is None:
                raise gdb.GdbError("goroutine %d: no such goroutine" % goid)
            gs = [g]
        for g in gs:
            if which == "all":
                print("\ngoroutine %d:" % int(g["goid"]))
            self.run_in(g, cmd)

    def run_in(self, g, cmd):
        regs = saved_regs(g)
        st = int(g["status"])
        if regs is None or st in (G_RUNNING, G_SYSCALL):
            print("goroutine %d is running on a thread: see thread apply all bt" % int(g["goid"]))
            return
        names = FRAMES[arch()]["regs"]
        frame = gdb.selected_frame()
        gdb.execute("select-frame 0")
        saved = [int(gdb.parse_and_eval(r)) for r in names]
        try:
            for r, v in zip(names, regs):
                gdb.execute("set var %s = 0x%x" % (r, v))
            gdb.execute(cmd)
        finally:
            for r, v in zip(names, saved):
                gdb.execute("set var %s = 0x%x" % (r, v))
            try:
                frame.select()
            except gdb.error:
                pass


InfoGoroutines()
GoroutineCmd()
