"""Time to first inference (read + compile + first result), each in a new process:

  onnx-cold   ONNX file, empty kernel caches (ovcl's and PoCL's)
  ir-cold     IR written by ovcl.save_model (FP16 weights), empty kernel caches
  ir-warm     the same IR with a warm model cache (CACHE_DIR) and warm kernel caches

    python scripts/first_inference.py out/bench_models/resnet50.onnx out/bench_models/bert_small.onnx

Also prints the .bin sizes with and without FP16 compression.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np, ovcl
path, cache = sys.argv[1], sys.argv[2]
core = ovcl.Core()
if cache:
    core.set_property({"CACHE_DIR": cache})
model = core.read_model(path)
t1 = time.perf_counter()
compiled = core.compile_model(model, "CPU")
t2 = time.perf_counter()
feeds = []
for p in compiled.inputs:
    shape = [d.get_length() if d.is_static else (1 if i == 0 else 128) for i, d in enumerate(p.get_partial_shape())]
    t = p.get_element_type()
    feeds.append(np.ones(shape, t.dtype) if t.is_integral()
                 else np.random.default_rng(0).standard_normal(shape).astype(t.dtype))
compiled(feeds)
t3 = time.perf_counter()
print(json.dumps({"read": t1 - t0, "compile": t2 - t1, "first": t3 - t2, "total": t3 - t0}))
"""


def run(path: Path, cache: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), cache], env=env, capture_output=True, text=True,
                         timeout=1800)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", type=Path)
    args = ap.parse_args()
    import ovcl
    print("| model | onnx-cold s | ir-cold s | ir-warm s | .bin f32 MB | .bin fp16 MB |")
    print("|---|---|---|---|---|---|")
    for path in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            model = ovcl.read_model(path)
            ovcl.save_model(model, tmp / "f32.xml", compress_to_fp16=False)
            ovcl.save_model(model, tmp / "m.xml")
            sizes = [(tmp / n).stat().st_size / 2 ** 20 for n in ("f32.bin", "m.bin")]

            def cold_env():
                d = tempfile.mkdtemp(dir=tmp)
                return {**os.environ, "OVCL_CACHE_DIR": d, "POCL_CACHE_DIR": d}

            onnx_cold = run(path, "", cold_env())
            ir_cold = run(tmp / "m.xml", "", cold_env())
            warm = cold_env()
            run(tmp / "m.xml", str(tmp / "model_cache"), warm)          # fills the caches
            ir_warm = run(tmp / "m.xml", str(tmp / "model_cache"), warm)
            print(f"| {path.stem} | {onnx_cold['total']:.2f} | {ir_cold['total']:.2f} | {ir_warm['total']:.2f} "
                  f"| {sizes[0]:.1f} | {sizes[1]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
