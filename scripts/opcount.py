#!/usr/bin/env python3
"""opcount.py — instructions and locked instructions per operation of a
goc-bench benchmark, counted exactly under valgrind's callgrind.

This machine's perf has no hardware counters (a VM), so the cycles of a
hand-off are read instead as: (locked instructions x the cost of one, from
`goc-bench floor`) + (the other instructions x what a plain one costs).
This script supplies the two counts.

    scripts/opcount.py [--goc build/bench/goc-bench] [--n 20000] BENCH [BENCH...]
    e.g. scripts/opcount.py pingpong buffered select mutex yield
    scripts/opcount.py --max mutex=2 --max pingpong=12 mutex pingpong

--max BENCH=N makes it a check (ctest valgrind.opcount_budget): exit 1 if
BENCH executes more than N locked instructions per operation (+0.25 for
the occasional park or preemption that differencing does not cancel);
--max-instr BENCH=N does the same for all instructions (no slack: give N
with the margin you want).

Each benchmark runs twice at GOC_MAXPROCS=1, with -n N and -n 2N; the
difference divided by N removes start-up and tear-down, leaving the cost of
one operation (what the benchmark's ns_per_op divides by).  A locked
instruction is one with a lock prefix or an xchg with a memory operand
(implicitly locked).  Per benchmark it prints instructions/op,
locked/op and the functions that execute the locked ones.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def locked_addrs(path, cache={}):
    """Addresses (file-relative, as callgrind reports them for a PIE or a
    shared object) of locked instructions in an ELF file."""
    if path in cache:
        return cache[path]
    out = set()
    try:
        dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        cache[path] = out
        return out
    for line in dis.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
        if not m:
            continue
        ins = m.group(2).strip()
        if ins.startswith("lock ") or (ins.startswith("xchg") and "(" in ins):
            out.add(int(m.group(1), 16))
    cache[path] = out
    return out


def symbols(path, cache={}):
    """name -> address of the functions in an ELF file (static and dynamic
    symbol tables)."""
    if path in cache:
        return cache[path]
    syms = {}
    for extra in ([], ["-D"]):
        try:
            out = subprocess.run(["nm", "--defined-only"] + extra + [path],
                                 capture_output=True, text=True).stdout
        except OSError:
            continue
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                syms.setdefault(parts[2].split("@")[0], int(parts[0], 16))
    cache[path] = syms
    return syms


def run_callgrind(goc, bench, n, tmp):
    outf = os.path.join(tmp, "cg.%s.%d" % (bench, n))
    env = dict(os.environ, GOC_MAXPROCS="1")
    cmd = ["valgrind", "--tool=callgrind", "--dump-instr=yes",
           "--compress-pos=no", "--compress-strings=no",
           "--callgrind-out-file=" + outf, goc, bench,
           "-n", str(n)]   # every counted benchmark's n is its operations
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("opcount: %s failed:\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    return parse(outf, os.path.abspath(goc))


def parse(path, main_obj=None):
    """Self cost per (object, function): (instructions, locked).  Callgrind
    reports run-time addresses; each object's load bias is the delta most
    functions agree on between their lowest address and their symbol."""
    instr = collections.Counter()
    locked = collections.Counter()
    costs = collections.defaultdict(collections.Counter)   # (ob, fn) -> addr -> cost
    ob = fn = None
    positions = 1
    skip_next = False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("positions:"):
                positions = len(line.split()[1:])
            elif line.startswith("ob="):
                ob = line[3:]
            elif line.startswith("fn="):
                fn = line[3:]
            elif line.startswith("calls="):
                skip_next = True       # the next cost line is the call's inclusive cost
            elif line and (line[0] in "0123456789+-*"):
                if skip_next:
                    skip_next = False
                    continue
                parts = line.split()
                if len(parts) < positions + 1:
                    continue
                try:
                    addr = int(parts[0], 16) if parts[0].startswith("0x") else None
                    cost = int(parts[positions])
                except ValueError:
                    continue
                # Callgrind names no object ("???") for some blocks of
                # the main program (those first run on a goroutine stack).
                key = (main_obj if ob in (None, "???") and main_obj else ob, fn)
                instr[key] += cost
                if addr is not None:
                    costs[key][addr] += cost
    byob = collections.defaultdict(list)
    for (o, f) in costs:
        byob[o].append(f)
    for o, fns in byob.items():
        if not o or not os.path.exists(o):
            continue
        syms = symbols(o)
        votes = collections.Counter()
        for f in fns:
            name = f.split("'")[0]
            if name in syms:
                votes[min(costs[(o, f)]) - syms[name]] += 1
        if not votes:
            continue
        bias = votes.most_common(1)[0][0]
        la = locked_addrs(o)
        for f in fns:
            for addr, cost in costs[(o, f)].items():
                if addr - bias in la:
                    locked[(o, f)] += cost
    return instr, locked


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--goc", default=os.path.join(ROOT, "build/bench/goc-bench"))
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--max", action="append", default=[], metavar="BENCH=N",
                    help="fail if BENCH has more than N locked instructions per op")
    ap.add_argument("--max-instr", action="append", default=[], metavar="BENCH=N",
                    help="fail if BENCH has more than N instructions per op")
    ap.add_argument("bench", nargs="+")
    a = ap.parse_args()
    def budgets(items, flag):
        out = {}
        for m in items:
            name, _, n = m.partition("=")
            try:
                out[name] = float(n)
            except ValueError:
                ap.error("%s wants BENCH=N, got %r" % (flag, m))
        return out
    budget = budgets(a.max, "--max")
    ibudget = budgets(a.max_instr, "--max-instr")
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for b in a.bench:
            i1, l1 = run_callgrind(a.goc, b, a.n, tmp)
            i2, l2 = run_callgrind(a.goc, b, 2 * a.n, tmp)
            di = {k: i2[k] - i1.get(k, 0) for k in i2}
            dl = {k: l2[k] - l1.get(k, 0) for k in l2}
            ti = sum(di.values()) / a.n
            tl = sum(dl.values()) / a.n
            print("%s instructions_per_op=%.1f locked_per_op=%.2f" % (b, ti, tl))
            if b in budget and tl > budget[b] + 0.25:
                failed.append("%s: %.2f locked instructions per op, budget %g" % (b, tl, budget[b]))
            if b in ibudget and ti > ibudget[b]:
                failed.append("%s: %.1f instructions per op, budget %g" % (b, ti, ibudget[b]))
            for (ob, fn), v in sorted(dl.items(), key=lambda kv: -kv[1])[:a.top]:
                if v / a.n < 0.05:
                    break
                print("  locked %5.2f/op  %s" % (v / a.n, fn))
            for (ob, fn), v in sorted(di.items(), key=lambda kv: -kv[1])[:a.top]:
                print("  instr %6.1f/op  %s" % (v / a.n, fn))
    if failed:
        sys.exit("opcount: over budget:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
