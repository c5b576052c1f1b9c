#!/usr/bin/env python
"""Soak: many inferences over changing input shapes with a model compiled and released every 250, printing host
memory (RSS) as it goes (``tests/test_concurrency.soak``).

    python scripts/soak.py [--inferences 50000] [--every 5000]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))


def main() -> None:
    from test_concurrency import soak
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inferences", type=int, default=50_000)
    ap.add_argument("--every", type=int, default=5000)
    args = ap.parse_args()
    t = time.perf_counter()
    curve = soak(args.inferences, args.every)
    for n, rss in curve:
        print(f"{n:8d} inferences: RSS {rss:8.1f} MiB")
    print(f"{args.inferences} inferences in {time.perf_counter() - t:.0f} s; after the first point RSS moved "
          f"{curve[-1][1] - curve[1][1]:+.1f} MiB")


if __name__ == "__main__":
    main()
