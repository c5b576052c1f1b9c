#!/usr/bin/env python
"""Two ovcl source trees (two commits) side by side on the same models: did a change move speed?

    git worktree add /tmp/old <rev>          # or any checkout of the other commit
    python scripts/compare_trees.py /tmp/old . out/bench_models/resnet50.onnx [...] [--rounds 12]

Each tree runs in its own worker process (its packages laid out as installed: ``ovcl``, ``ovcl.ir``,
``ovcl.frontends``, ``ovcl.kernels`` from the tree's folders), compiles the model on the CPU device and waits;
the driver then asks the two for 20 timed inferences in alternating rounds (the order flips every round, so
the host's drift falls on both) and prints each round's medians and the median of the per-round ratios
new / old with their range. Inputs are seeded uniform [-1, 1) (ones for integer inputs).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

WORKER = r'''
import statistics, sys, time
import ovcl
sys.path.append(sys.argv[2])        # this scripts folder, after the tree's packages: ovcl stays the tree's
from compare_configs import seeded_feeds
m = ovcl.read_model(sys.argv[1])
feeds = seeded_feeds(m)
cm = ovcl.compile_model(m, "CPU")
cm(feeds)
print("ready", flush=True)
for _ in sys.stdin:
    ts = []
    for _ in range(20):
        t = time.perf_counter()
        cm(feeds)
        ts.append(time.perf_counter() - t)
    print(statistics.median(ts) * 1e3, flush=True)
'''


def _layout(tree: str, into: str) -> str:
    """A folder whose ``ovcl`` package is ``tree`` as pyproject's package-dir installs it."""
    pkg = os.path.join(into, "ovcl")
    os.makedirs(pkg)
    for name in os.listdir(os.path.join(tree, "ovcl")):
        os.symlink(os.path.abspath(os.path.join(tree, "ovcl", name)), os.path.join(pkg, name))
    for sub in ("ir", "frontends", "kernels"):
        os.symlink(os.path.abspath(os.path.join(tree, sub)), os.path.join(pkg, sub))
    return into


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", help="the source tree to compare against")
    ap.add_argument("new", help="the source tree of the change")
    ap.add_argument("models", nargs="+", help=".onnx or .xml models")
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {k: _layout(getattr(args, k), os.path.join(tmp, k)) for k in ("old", "new")}
        script = os.path.join(tmp, "worker.py")
        with open(script, "w") as f:
            f.write(WORKER)
        for model in args.models:
            procs = {}
            for k, path in paths.items():
                env = dict(os.environ, PYTHONPATH=path)
                procs[k] = subprocess.Popen([sys.executable, script, os.path.abspath(model),
                                             os.path.dirname(os.path.abspath(__file__))], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, text=True, env=env, cwd=tmp)
                if procs[k].stdout.readline().strip() != "ready":
                    print(f"{model}: the {k} tree failed to compile it", file=sys.stderr)
                    return 1
            ms: dict[str, list[float]] = {"old": [], "new": []}
            for r in range(args.rounds):
                for k in (("old", "new") if r % 2 == 0 else ("new", "old")):
                    procs[k].stdin.write("go\n")
                    procs[k].stdin.flush()
                    ms[k].append(float(procs[k].stdout.readline()))
            for p in procs.values():
                p.kill()
            ratios = [n / o for n, o in zip(ms["new"], ms["old"])]
            print(f"{os.path.basename(model)}: old {' '.join(f'{x:.2f}' for x in ms['old'])} ms; "
                  f"new {' '.join(f'{x:.2f}' for x in ms['new'])} ms; new/old {statistics.median(ratios):.3f} "
                  f"({min(ratios):.3f}-{max(ratios):.3f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
