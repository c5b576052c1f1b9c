#!/usr/bin/env python
"""A device nobody here has measured (a GPU, usually), in one short run: smoke-test every kernel family against
NumPy, tune the benchmark models, and export the results as tuning entries for that device's architecture.

    python scripts/device_check.py [-d GPU] [--budget-s 120] [--models matmul_1024,resnet50] [--out DIR]
                                   [--work DIR]

1. Smoke: a few launches of each kernel family (MatMul tiled/packed/naive, every convolution path, softmax,
   reductions, MVN, element-wise, transpose), forced where a path is not the default, each against NumPy
   (float64). A failure is printed and counted; it does not stop the run (the tuner's own reference check
   still guards the tuned entries).
2. Models: ``scripts/make_bench_models.py``'s torch-free ones (MatMul 1024³, ResNet-50: onnx only) into
   ``WORK/models`` (default /tmp/ovcl_device_check), unless they are there.
3. ``ovcl tune`` on each (its budget, its before/after tables: capability defaults vs tuned, both compiled on
   this device), into a user database of its own (``WORK/cache``, so no other results mix in).
4. ``ovcl tune --export OUT/tuning-<arch>.json --promote arch`` (OUT: $OUT, else out/device_check): the
   file to merge into ``kernels/tuning.json``, with the measurements.

On a lent GPU machine (no network there): the working tree travels, the packages do not. Carry wheels of
pyopencl, pytools, platformdirs, typing_extensions, mako, markupsafe, ml_dtypes and onnx (and protobuf),
fetched here with ``pip download --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.12``
into an ignored folder, install them there with ``pip install --no-index --target /tmp/site`` and set
PYTHONPATH (see the device tool's README). The exit status is the number of smoke failures (0: all passed).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
from helpers import conv2d_ref  # noqa: E402  (the tests' reference convolution)


def smoke_cases(rng):
    """(name, model, feeds, reference outputs, config, variants the launches must include)."""
    from ovcl.ir import Model, ops
    cases = []

    def conv(name, c, oc, k, stride, pad, groups, hw, path, variants):
        x = rng.standard_normal((2, c, hw, hw)).astype(np.float32)
        w = rng.standard_normal((oc, c // groups, k, k)).astype(np.float32)
        px = ops.parameter(x.shape, name="x")
        attrs = dict(strides=[stride] * 2, dilations=[1, 1], pads_begin=[pad] * 2, pads_end=[pad] * 2,
                     auto_pad="explicit")
        node = (ops.make("GroupConvolution", [px, ops.constant(w.reshape(groups, oc // groups, *w.shape[1:]))],
                         **attrs) if groups > 1 else ops.make("Convolution", [px, ops.constant(w)], **attrs))
        cases.append((name, Model([node], [px]), {"x": x}, [conv2d_ref(x, w, stride, pad, groups)],
                      {"KERNEL_VARIANT": {"conv": path}}, variants))

    conv("conv.winograd", 32, 48, 3, 1, 1, 1, 20, "winograd", {"conv.winograd", "matmul.tiled"})
    conv("conv.depthwise", 16, 16, 3, 2, 1, 16, 27, "depthwise", {"conv.depthwise"})
    conv("conv.gemm 1x1", 32, 40, 1, 1, 0, 1, 14, "gemm", {"matmul.tiled"})
    conv("conv.gemm im2col", 16, 24, 3, 2, 1, 1, 17, "gemm", {"conv.im2col", "matmul.tiled"})
    conv("conv.direct", 8, 24, 3, 1, 1, 1, 15, "direct", {"conv.direct", "conv.pad"})
    conv("conv.direct grouped", 16, 32, 3, 1, 1, 4, 12, "direct", {"conv.direct"})
    conv("conv.generic", 6, 10, 3, 2, 1, 2, 11, "generic", {"conv.generic"})

    m, k, n = 77, 130, 96
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    pa = ops.parameter(a.shape, name="a")
    cases.append(("matmul.tiled const", Model([ops.make("MatMul", [pa, ops.constant(b)])], [pa]), {"a": a},
                  [a.astype(np.float64) @ b], {}, {"matmul.tiled"}))
    b2 = rng.standard_normal((3, k, 90)).astype(np.float32)
    a2 = rng.standard_normal((3, m, k)).astype(np.float32)
    pa2, pb2 = ops.parameter(a2.shape, name="a"), ops.parameter(b2.shape, name="b")
    cases.append(("matmul.tiled runtime", Model([ops.make("MatMul", [pa2, pb2])], [pa2, pb2]), {"a": a2, "b": b2},
                  [a2.astype(np.float64) @ b2], {}, {"matmul.tiled"}))
    ai = rng.integers(-9, 9, (m, k)).astype(np.int32)
    bi = rng.integers(-9, 9, (k, n)).astype(np.int32)
    pi = ops.parameter(ai.shape, "i32", name="a")
    cases.append(("matmul.naive int", Model([ops.make("MatMul", [pi, ops.constant(bi)])], [pi]), {"a": ai},
                  [ai.astype(np.int64) @ bi], {}, {"matmul.naive"}))

    x = rng.standard_normal((6, 1000)).astype(np.float32)
    p = ops.parameter(x.shape, name="x")
    e = np.exp(x - x.max(1, keepdims=True))
    cases.append(("softmax.row", Model([ops.make("Softmax", [p], axis=1)], [p]), {"x": x},
                  [e / e.sum(1, keepdims=True)], {}, {"softmax.row"}))
    p = ops.parameter(x.shape, name="x")
    cases.append(("reduce.segment", Model([ops.make("ReduceSum", [p, ops.constant(np.array([1], np.int64))])], [p]),
                  {"x": x}, [x.astype(np.float64).sum(1)], {}, {"reduce.segment"}))
    p = ops.parameter(x.shape, name="x")
    mvn = ops.make("MVN", [p, ops.constant(np.array([1], np.int64))], eps=1e-6, normalize_variance=True,
                   eps_mode="inside_sqrt")
    x64 = x.astype(np.float64)
    ref = (x64 - x64.mean(1, keepdims=True)) / np.sqrt(x64.var(1, keepdims=True) + 1e-6)
    cases.append(("norm.segment", Model([mvn], [p]), {"x": x}, [ref], {}, {"norm.segment"}))
    y = rng.standard_normal((4, 33, 65)).astype(np.float32)
    p, q = ops.parameter(y.shape, name="x"), ops.parameter((65,), name="y")
    yb = rng.standard_normal(65).astype(np.float32)
    relu = ops.make("Relu", [ops.make("Add", [p, q])])
    cases.append(("eltwise", Model([relu], [p, q]), {"x": y, "y": yb}, [np.maximum(y + yb, 0)], {}, set()))
    p = ops.parameter(y.shape, name="x")
    tr = ops.make("Transpose", [p, ops.constant(np.array([2, 0, 1], np.int64))])
    cases.append(("transpose", Model([tr], [p]), {"x": y}, [y.transpose(2, 0, 1)], {}, set()))
    return cases


def smoke(device: str) -> int:
    import ovcl
    failures = 0
    for name, model, feeds, refs, config, variants in smoke_cases(np.random.default_rng(0)):
        t = time.perf_counter()
        try:
            cm = ovcl.compile_model(model, device, config)
            outs = cm(feeds).to_tuple()
            ran = {l.variant for l in cm.launches()} - {""}
            if not variants <= ran:
                raise AssertionError(f"expected variants {sorted(variants)}, ran {sorted(ran)}")
            for o, r in zip(outs, refs):
                np.testing.assert_allclose(np.asarray(o, np.float64), r, rtol=2e-4, atol=2e-4 * max(1, np.abs(r).max()))
            print(f"  ok    {name} ({time.perf_counter() - t:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - every family is tried; failures are reported and counted
            failures += 1
            print(f"  FAIL  {name}: {type(e).__name__}: {str(e)[:400]}", flush=True)
    return failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-d", "--device", default="GPU", help="the ovcl device (default GPU)")
    ap.add_argument("--budget-s", type=float, default=120.0, help="ovcl tune's budget per model")
    ap.add_argument("--models", default="matmul_1024,resnet50", help="benchmark models to tune ('' for none)")
    ap.add_argument("--out", default=os.environ.get("OUT") or os.path.join(ROOT, "out", "device_check"),
                    help="where the exported entries go (default $OUT, else out/device_check)")
    ap.add_argument("--work", default="/tmp/ovcl_device_check", help="models and the tuning cache")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, OVCL_CACHE_DIR=os.path.join(args.work, "cache"))
    os.environ.update(OVCL_CACHE_DIR=env["OVCL_CACHE_DIR"])

    from ovcl.device import get_device
    dev = get_device(args.device)
    ident, caps = dev.tuning_identity, dev.caps
    print(f"device {dev.name}: {dev.full_name}\n  identity: " + ", ".join(f"{lv} {ident.key(lv)}" for lv in
                                                                         ("device", "arch", "vendor", "type")))
    from dataclasses import asdict
    print("  " + ", ".join(f"{k} {v}" for k, v in asdict(caps).items() if k != "extensions"), flush=True)
    print("smoke test (each kernel family against NumPy):", flush=True)
    failures = smoke(args.device)
    print(f"smoke: {failures} failed", flush=True)

    names = [m for m in args.models.split(",") if m]
    models = os.path.join(args.work, "models")
    if names:
        subprocess.run([sys.executable, os.path.join(HERE, "make_bench_models.py"), "--out", models,
                        "--models", ",".join(names)], check=True)
    cli = [sys.executable, "-m", "ovcl.cli", "tune"]
    for name in names:
        print(f"\n=== ovcl tune {name} ({args.budget_s:.0f} s)", flush=True)
        subprocess.run(cli + [os.path.join(models, f"{name}.onnx"), "-d", args.device, "--budget-s",
                              str(args.budget_s)], env=env)
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in ident.arch)
    subprocess.run(cli + ["--export", os.path.join(args.out, f"tuning-{safe}.json"), "-d", args.device,
                          "--promote", "arch"], env=env)
    return failures


if __name__ == "__main__":
    sys.exit(main())
