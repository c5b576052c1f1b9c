"""Where a cold start's time goes: read, lowering, program build, and the compile each kernel costs at its
first launch, per model, each in a new process with empty ovcl and PoCL caches.

    python scripts/make_bench_models.py                  # once: the models, into out/bench_models
    python scripts/cold_start.py [--models resnet50,bert_small] [--device CPU]

PoCL builds a program's source in clBuildProgram (the front end, one call for the whole model) and compiles
each kernel for its work-group size at the first launch that uses it (the back end: its work-group loops and
machine code). The first inference is therefore mostly compilation. This script runs the first inference as
a profile (synchronised after every launch) and then a warm one, so each launch's first-launch compile is
the difference between the two; their sum over distinct kernels, and the build, make the floor of a design
that compiles each kernel once, one after another. Its share per kernel says what fewer distinct kernels
would save, and floor / cores what compiling on every core at once could reach. That serial run has
COMPILATION_NUM_THREADS=1; a second cold run with ovcl's default (worker processes compiling the kernels
ahead, ovcl/parallel_compile.py) gives the time to first result a user sees.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def child(model: str, inputs: str, device: str, threads: str) -> None:
    t0 = time.perf_counter()
    import ovcl
    sys.path.insert(0, HERE)
    from make_bench_models import seeded_inputs
    feeds = seeded_inputs(json.loads(inputs), 0)
    t_import = time.perf_counter()
    m = ovcl.read_model(model)
    t_read = time.perf_counter()
    cm = ovcl.compile_model(m, device, {"COMPILATION_NUM_THREADS": int(threads)} if threads != "default" else None)
    t_compile = time.perf_counter()
    first = cm.profile(feeds, synchronised=True)      # a first launch's compile counts
    t_first = time.perf_counter()
    warm = cm.profile(feeds, synchronised=True)
    stats = cm._current_plan().stats or {}
    per_kernel: dict[str, float] = {}
    for (launch, a), (_, b) in zip(first, warm):
        per_kernel[launch.kernel] = per_kernel.get(launch.kernel, 0.0) + max(a - b, 0.0)
    print(json.dumps({
        "import_s": t_import - t0, "read_s": t_read - t_import, "compile_s": t_compile - t_read,
        "build_s": stats.get("build_s", 0.0), "first_s": t_first - t_compile,
        "first_launch_compile_s": sum(per_kernel.values()), "kernels": len(per_kernel), "launches": len(first),
        "warm_ms": sum(b for _, b in warm) * 1e3,
        "slowest": sorted(((round(v, 3), k) for k, v in per_kernel.items()), reverse=True)[:3]}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "out", "bench_models"))
    ap.add_argument("--models", default="squeezenet,resnet50,bert_small")
    ap.add_argument("--device", "-d", default="CPU")
    ap.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._child:
        child(*a._child)
        return 0
    with open(os.path.join(a.models_dir, "models.json")) as f:
        index = json.load(f)
    cores = os.cpu_count() or 1
    print("| model | kernels / launches | read s | compile s (program build) | first inference s "
          "(first-launch compiles) | ms per kernel: build + first launch | floor, serial s | floor / "
          f"{cores} cores s | first result, serial s | first result, ovcl default s | warm ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in a.models.split(","):
        entry = index[name]
        runs = {}
        for threads in ("1", "default"):
            with tempfile.TemporaryDirectory(prefix="ovcl-cold-") as tmp:
                env = {**os.environ, "OVCL_CACHE_DIR": os.path.join(tmp, "ovcl"),
                       "POCL_CACHE_DIR": os.path.join(tmp, "pocl")}
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "--_child",
                                      os.path.join(a.models_dir, entry["file"]), json.dumps(entry["inputs"]),
                                      a.device, threads], env=env, capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                break
            runs[threads] = json.loads(out.stdout.strip().splitlines()[-1])
        if out.returncode:
            print(f"| {name} | failed: {out.stderr.strip().splitlines()[-1:]} |")
            continue
        r, p = runs["1"], runs["default"]
        total = lambda x: x["read_s"] + x["compile_s"] + x["first_s"]  # noqa: E731
        floor = r["build_s"] + r["first_launch_compile_s"]
        per = floor / max(r["kernels"], 1) * 1e3
        print(f"| {name} | {r['kernels']} / {r['launches']} | {r['read_s']:.2f} | {r['compile_s']:.2f} "
              f"({r['build_s']:.2f}) | {r['first_s']:.2f} ({r['first_launch_compile_s']:.2f}) | {per:.0f} "
              f"| {floor:.2f} | {floor / cores:.2f} | {total(r):.2f} | {total(p):.2f} | {r['warm_ms']:.1f} |",
              flush=True)
        print(f"  {name}: slowest first launches {r['slowest']}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
