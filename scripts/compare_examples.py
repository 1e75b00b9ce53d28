#!/usr/bin/env python3
"""The four toolbox examples against their Go twins (examples/go/*.go): wall
time of the whole program, runs alternating Go / goc, median of --reps.

    python3 scripts/compare_examples.py [--reps 3] [--build build]

Needs golang-go (apt-get install golang-go); the twins use only the
standard library and are built with GO111MODULE=off.
"""
import argparse, os, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(os.environ.get("TMPDIR", "/tmp"), "goc-examples")

# name: arguments both programs get (the demo's sizes)
EXAMPLES = {
    "pipeline": ["100000", "8"],
    "ratelimit": ["200", "500", "16", "20"],
    "chat": ["50", "10"],
    "crawler": ["2000", "16"],
}


def build_go(name):
    src = os.path.join(ROOT, "examples", "go", name + ".go")
    out = os.path.join(WORK, name)
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        env = dict(os.environ, GOCACHE=os.path.join(WORK, "gocache"), GO111MODULE="off")
        subprocess.run(["go", "build", "-o", out, src], check=True, env=env)
    return out


def wall_ms(cmd):
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    ms = (time.monotonic() - t) * 1e3
    if r.returncode != 0:
        sys.exit(f"compare_examples.py: {' '.join(cmd)} exited {r.returncode}\n{r.stderr[-2000:]}")
    return ms, r.stdout.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    if shutil.which("go") is None:
        sys.exit("compare_examples.py: needs go (apt-get install golang-go)")
    os.makedirs(WORK, exist_ok=True)
    print(f"{'example':10s} {'goc ms':>8s} {'Go ms':>8s} {'goc/Go':>7s}")
    for name, args in EXAMPLES.items():
        gobin = build_go(name)
        cbin = os.path.join(a.build, "examples", name)
        g, c = [], []
        for _ in range(a.reps):
            g.append(wall_ms([gobin] + args)[0])
            ms, line = wall_ms([cbin] + args)
            c.append(ms)
        gm, cm = statistics.median(g), statistics.median(c)
        print(f"{name:10s} {cm:8.0f} {gm:8.0f} {cm / gm:7.2f}   ({line})")


if __name__ == "__main__":
    main()
