#!/usr/bin/env python
"""One model compiled twice in one process, with the default config and with another, side by side: did a
config (a kernel parameter forced, a variant chosen) move its speed?

    python scripts/compare_configs.py out/bench_models/resnet50.onnx \\
        '{"KERNEL_PARAMS": {"matmul.tiled": {"TM": 4, "VW": 8, "NV": 3}}}' [--rounds 6]

The two compiled models take turns, round by round (the order flips every round, so the host's drift falls on
both): each round runs one ``compiled.profile`` (each kernel's OpenCL profiling events) and
10 timed inferences. Printed: the sum over launches of each launch's minimum kernel time over the rounds (the
steadiest figure on a shared machine), the median wall time per inference, and B / A for both. Inputs are
seeded uniform [-1, 1) (ones for integer inputs).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def seeded_feeds(model) -> dict:
    """An input for each of ``model``'s inputs: seeded uniform [-1, 1) for real types, ones for the others
    (dynamic dimensions 1). Takes any tree's ``ovcl.Model``: compare_trees.py's workers call it too."""
    import numpy as np
    feeds = {}
    for p in model.inputs:
        shape = [d.get_length() if d.is_static else 1 for d in p.get_partial_shape()]
        t = p.get_element_type()
        feeds[p.get_any_name()] = (np.random.default_rng(0).uniform(-1, 1, shape).astype(t.dtype) if t.is_real()
                                   else np.ones(shape, t.dtype))
    return feeds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help=".onnx or .xml model")
    ap.add_argument("config", help="config B as JSON (A is the default config)")
    ap.add_argument("--device", "-d", default="CPU")
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args(argv)
    import ovcl
    model = ovcl.read_model(args.model)
    feeds = seeded_feeds(model)
    compiled = {"A": ovcl.compile_model(model, args.device), "B": ovcl.compile_model(model, args.device,
                                                                                     json.loads(args.config))}
    kernel_min: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {"A": [], "B": []}
    for k, cm in compiled.items():
        cm(feeds)
    for r in range(args.rounds):
        for k in (("A", "B") if r % 2 == 0 else ("B", "A")):
            cm = compiled[k]
            times = [t for _, t in cm.profile(feeds)]
            kernel_min[k] = times if k not in kernel_min else [min(a, b) for a, b in zip(kernel_min[k], times)]
            ts = []
            for _ in range(10):
                t0 = time.perf_counter()
                cm(feeds)
                ts.append(time.perf_counter() - t0)
            wall[k].append(statistics.median(ts))
    ka, kb = sum(kernel_min["A"]) * 1e3, sum(kernel_min["B"]) * 1e3
    wa, wb = statistics.median(wall["A"]) * 1e3, statistics.median(wall["B"]) * 1e3
    ratios = [b / a for a, b in zip(wall["A"], wall["B"])]
    print(f"{args.model}: kernels A {ka:.2f} ms, B {kb:.2f} ms (B/A {kb / ka:.3f}); wall A {wa:.2f} ms, "
          f"B {wb:.2f} ms (B/A median of rounds {statistics.median(ratios):.3f}, "
          f"{min(ratios):.3f}-{max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
