#!/usr/bin/env python3
"""Run every micro benchmark against the Go anchors (compare.py) and print
the README's markdown table: goc and Go side by side, ratio goc/Go (median
of pairwise ratios).  Usage: scripts/bench_table.py [--reps 3] [--goc PATH]"""
import argparse, os, re, subprocess, sys

KEYS = {  # bench -> figures worth a row
    "spawn": ["ns_per_op"], "yield": ["ns_per_op"], "parallel": ["speedup"],
    "pingpong": ["ns_per_op"], "buffered": ["ns_per_op"], "select": ["ns_per_op"],
    "mutex": ["ns_per_op"], "timers": ["oversleep_p50_us", "oversleep_p99_us"],
    "parked": ["bytes_per_g", "wake_ns_per_op"],
}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", default="3")
    ap.add_argument("--goc", default="build/bench/goc-bench")
    ap.add_argument("--anchors", default=os.path.join("..", "shared", "anchors"))
    a = ap.parse_args()
    rows = []
    for bench, keys in KEYS.items():
        out = subprocess.run([sys.executable, os.path.join(a.anchors, "compare.py"),
                              "--procs", "1,2", "--reps", a.reps, "--goc", a.goc, bench],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(out.stderr)
        procs, vals = None, {}
        for line in out.stdout.splitlines():
            m = re.match(r"\S+ procs=(\d+)", line)
            if m:
                procs = m.group(1)
            m = re.match(r"\s+(\S+)\s+go=\s*([\d.]+)\s+goc=\s*([\d.]+)", line)
            if m and m.group(1) in keys:
                vals[(procs, m.group(1))] = [m.group(3), m.group(2), None]
            m = re.match(r"RATIO \S+\.p(\d+)\.(\S+) goc/go=([\d.]+)", line)
            if m and (m.group(1), m.group(2)) in vals:
                vals[(m.group(1), m.group(2))][2] = m.group(3)
        for (p, k), (goc, go, r) in vals.items():
            rows.append(f"| {bench} {k} | {p} | {goc} | {go} | {r} |")
        print(f"# {bench} done", file=sys.stderr, flush=True)
    print("| figure | P | goc | Go | goc/Go |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))

if __name__ == "__main__":
    main()
