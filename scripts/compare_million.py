#!/usr/bin/env python3
"""goc-bench million against its Go twin (bench/anchors/million.go), side by side.

    python3 scripts/compare_million.py [--procs 1,2] [--reps 3] [-- -n 1000000]

The same as `scripts/compare_twin.py million ...`.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_twin  # noqa: E402

if __name__ == "__main__":
    compare_twin.run("million", sys.argv[1:])
