#!/usr/bin/env python
"""Fuzz ovcl's readers and compiler front half for longer than the tests do (``tests/fuzzing.py``).

    python scripts/fuzz_readers.py [--runs 100000] [--seed 0] [--readers onnx,ir-xml,ir-weights] [--save DIR]

Prints, per reader, how many inputs were read (and lowered), rejected with a typed error, and the findings (any
other exception, or a hang); a finding's input is saved to --save (default out/fuzz) to replay."""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))


def main() -> int:
    import fuzzing
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--readers", default="onnx,ir-xml,ir-weights")
    ap.add_argument("--save", default="out/fuzz")
    args = ap.parse_args()
    xml, weights = fuzzing.ir_seed()
    read_xml, read_weights = fuzzing.ir_readers(xml, weights)
    readers = {"onnx": (fuzzing.read_onnx, fuzzing.onnx_seeds(), fuzzing.mutate_onnx),
               "ir-xml": (read_xml, [xml], fuzzing.mutate), "ir-weights": (read_weights, [weights], fuzzing.mutate)}
    failed = False
    for name in args.readers.split(","):
        read, seeds, mutator = readers[name]
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fuzzing.fuzz(read, seeds, args.runs, seed=args.seed, mutator=mutator, save_dir=Path(args.save))
        print(f"{name}: {r.runs} inputs in {time.perf_counter() - t:.0f} s: {r.read} read and lowered, "
              f"{r.rejected} typed errors, {len(r.findings)} findings")
        for k, what in r.findings[:20]:
            print(f"    input {k}: {what}")
        failed |= bool(r.findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
