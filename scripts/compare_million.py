#!/usr/bin/env python3
"""goc-bench million against its Go twin (bench/anchors/million.go), side by side.

    python3 scripts/compare_million.py [--procs 1,2] [--reps 3] [-- -n 1000000]

The twin is not among ../shared/anchors/goanchors.go's subcommands, so this
builds bench/anchors/million.go and hands it to compare.py's own runner
(alternating runs, pair-by-pair ratios, the same RATIO lines).
"""
import os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "anchors"))
import compare  # noqa: E402  (../shared/anchors/compare.py)

SRC = os.path.join(ROOT, "bench", "anchors", "million.go")
BIN = os.path.join(compare.WORK, "million")


def build_twin():
    compare.need("go", "golang-go")
    os.makedirs(compare.WORK, exist_ok=True)
    if not os.path.exists(BIN) or os.path.getmtime(BIN) < os.path.getmtime(SRC):
        env = dict(os.environ, GOCACHE=os.path.join(compare.WORK, "gocache"), GO111MODULE="off")
        subprocess.run(["go", "build", "-o", BIN, SRC], check=True, env=env)


def main():
    args = sys.argv[1:]
    if "--reps" not in args:
        args = ["--reps", "3"] + args
    if "--goc" not in args:
        args = ["--goc", os.path.join(ROOT, "build", "bench", "goc-bench")] + args
    compare.GOBIN = BIN
    compare.build_go = build_twin
    sys.argv = [sys.argv[0]] + args[:]
    # compare.py's parser takes the bench name first among positionals.
    flags = []
    if "--" in sys.argv:
        i = sys.argv.index("--")
        sys.argv, flags = sys.argv[:i], sys.argv[i:]
    sys.argv = sys.argv + ["million"] + flags
    compare.main()


if __name__ == "__main__":
    main()
