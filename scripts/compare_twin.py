#!/usr/bin/env python3
"""goc-bench BENCH against its Go twin bench/anchors/BENCH.go, side by side.

    python3 scripts/compare_twin.py BENCH [--procs 1,2] [--reps 3] [-- -n 1000000]

For the twins that are not among ../shared/anchors/goanchors.go's
subcommands (million, after): builds bench/anchors/BENCH.go and hands it to
compare.py's own runner (alternating runs, pair-by-pair ratios, the same
RATIO lines).
"""
import os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "anchors"))
import compare  # noqa: E402  (../shared/anchors/compare.py)


def run(bench, args):
    src = os.path.join(ROOT, "bench", "anchors", bench + ".go")
    if not os.path.exists(src):
        sys.exit(f"compare_twin.py: no Go twin {src}")
    binp = os.path.join(compare.WORK, bench)

    def build_twin():
        compare.need("go", "golang-go")
        os.makedirs(compare.WORK, exist_ok=True)
        if not os.path.exists(binp) or os.path.getmtime(binp) < os.path.getmtime(src):
            env = dict(os.environ, GOCACHE=os.path.join(compare.WORK, "gocache"), GO111MODULE="off")
            subprocess.run(["go", "build", "-o", binp, src], check=True, env=env)

    if "--reps" not in args:
        args = ["--reps", "3"] + args
    if "--goc" not in args:
        args = ["--goc", os.path.join(ROOT, "build", "bench", "goc-bench")] + args
    compare.GOBIN = binp
    compare.build_go = build_twin
    # compare.py's parser takes the bench name first among positionals.
    flags = []
    if "--" in args:
        i = args.index("--")
        args, flags = args[:i], args[i:]
    sys.argv = [sys.argv[0]] + args + [bench] + flags
    compare.main()


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    run(sys.argv[1], sys.argv[2:])
