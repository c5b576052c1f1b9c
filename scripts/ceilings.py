#!/usr/bin/env python
"""Measure this machine's ceilings once, as references for the benchmark's achieved numbers.

    python scripts/ceilings.py [--out out/ceilings.json] [--device CPU] [--quick]

- sgemm: NumPy (OpenBLAS) float32 matmul GFLOP/s at 1024^3 and 2048^3, in a child process started without
  OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (those settings slow a current NumPy's OpenBLAS down);
- host copy: NumPy copy of a 256 MB float32 array, GB/s counting read + write bytes;
- OpenCL copy: a float4 copy kernel on the ovcl device (PoCL for "CPU"), explicit local sizes, GB/s counting
  read + write bytes, the best local size reported.

Times are the best of several repetitions (the machine is shared; the best is the least disturbed) and the
median is kept beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out", "ceilings.json")
BLAS_ENV_DROP = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _timeit(fn, reps: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return ts


def measure_sgemm(quick: bool) -> dict:
    """Runs in the clean-environment child."""
    import numpy as np
    res = {"numpy": np.__version__, "threads_env": {k: os.environ.get(k) for k in
                                                      ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}}
    try:
        cfg = np.show_config(mode="dicts")
        res["blas"] = cfg.get("Build Dependencies", {}).get("blas", {}).get("name")
    except Exception:  # noqa: BLE001 - informational only
        pass
    rng = np.random.default_rng(0)
    for n in (1024, 2048):
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), np.float32)
        reps = (3 if n == 2048 else 5) if quick else (8 if n == 2048 else 20)
        ts = _timeit(lambda: np.matmul(a, b, out=c), reps)
        flops = 2.0 * n ** 3
        res[f"sgemm_{n}"] = {"gflops_best": flops / min(ts) / 1e9, "gflops_median": flops / statistics.median(ts) / 1e9,
                             "ms_best": min(ts) * 1e3}
    return res


def measure_host_copy(quick: bool) -> dict:
    import numpy as np
    nbytes = 256 * 2 ** 20
    src = np.ones(nbytes // 4, np.float32)
    dst = np.empty_like(src)
    ts = _timeit(lambda: np.copyto(dst, src), 3 if quick else 10)
    return {"bytes": nbytes, "gbps_best": 2 * nbytes / min(ts) / 1e9,
            "gbps_median": 2 * nbytes / statistics.median(ts) / 1e9, "ms_best": min(ts) * 1e3,
            "counting": "read+write"}


_COPY_SRC = """
__kernel void copy4(__global const float4 *src, __global float4 *dst) {
    size_t i = get_global_id(0);
    dst[i] = src[i];
}
"""


def measure_cl_copy(device_name: str, quick: bool) -> dict:
    import numpy as np
    import pyopencl as cl
    from ovcl.device import get_device
    dev = get_device(device_name)
    ctx, q = dev.context, dev.queue
    nbytes = 256 * 2 ** 20
    mf = cl.mem_flags
    host = np.ones(nbytes // 4, np.float32)
    src = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=host)
    dst = cl.Buffer(ctx, mf.WRITE_ONLY, nbytes)
    prg = cl.Program(ctx, _COPY_SRC).build()
    k = cl.Kernel(prg, "copy4")
    k.set_args(src, dst)
    gsize = nbytes // 16
    out = {"device": dev.name, "full_name": dev.full_name, "bytes": nbytes, "counting": "read+write",
           "by_local_size": {}}
    best = None
    for lsize in (16, 64, 256, 1024):
        if lsize > dev.caps.max_work_group_size:
            continue

        def run():
            cl.enqueue_nd_range_kernel(q, k, (gsize,), (lsize,))
            q.finish()
        ts = _timeit(run, 3 if quick else 8)
        gbps = 2 * nbytes / min(ts) / 1e9
        out["by_local_size"][str(lsize)] = {"gbps_best": gbps, "gbps_median": 2 * nbytes / statistics.median(ts) / 1e9}
        if best is None or gbps > best[1]:
            best = (lsize, gbps)
    out["gbps_best"] = best[1]
    out["local_size_best"] = best[0]
    # sanity: the copy really happened
    back = np.empty_like(host)
    cl.enqueue_copy(q, back, dst)
    out["verified"] = bool(np.array_equal(back, host))
    # host <-> device transfer, as an inference's input/output copies see it
    ts = _timeit(lambda: cl.enqueue_copy(q, back, dst, is_blocking=True), 3 if quick else 8)
    out["read_to_host_gbps_best"] = nbytes / min(ts) / 1e9
    return out


def _sgemm_child(quick: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV_DROP}
    cmd = [sys.executable, os.path.abspath(__file__), "--_sgemm"] + (["--quick"] if quick else [])
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"sgemm child failed: {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def load_or_measure(path: str = DEFAULT_OUT, device: str = "CPU", quick: bool = False) -> dict:
    """The ceilings from ``path`` if measured already, else measured now and written there."""
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    res = measure_all(device, quick)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    return res


def measure_all(device: str, quick: bool) -> dict:
    res = {"date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "host": platform.node(),
           "cpu": _cpu_name(), "isa": cpu_isa(), "cpus": os.cpu_count(), "dropped_env": list(BLAS_ENV_DROP)}
    res["sgemm"] = _sgemm_child(quick)
    res["host_copy"] = measure_host_copy(quick)
    try:
        res["opencl_copy"] = measure_cl_copy(device, quick)
    except Exception as e:  # noqa: BLE001 - report, don't crash
        res["opencl_copy"] = {"error": f"{type(e).__name__}: {e}"}
    return res


def cpu_isa() -> str:
    """The vector extensions that matter for these numbers, from /proc/cpuinfo."""
    want = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return " ".join(w for w in want if w in flags)
    except OSError:
        pass
    return ""


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--device", default="CPU", help="ovcl device for the OpenCL copy (default CPU = PoCL)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--_sgemm", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._sgemm:
        print(json.dumps(measure_sgemm(args.quick)))
        return 0
    res = measure_all(args.device, args.quick)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    s, h, c = res["sgemm"], res["host_copy"], res["opencl_copy"]
    print(f"cpu: {res['cpu']} ({res['cpus']} logical cpus; {res['isa']})")
    for n in (1024, 2048):
        print(f"sgemm {n}^3 (numpy {s['numpy']}): {s[f'sgemm_{n}']['gflops_best']:.1f} GFLOP/s best, "
              f"{s[f'sgemm_{n}']['gflops_median']:.1f} median")
    print(f"host copy 256 MB: {h['gbps_best']:.1f} GB/s (read+write) best, {h['gbps_median']:.1f} median")
    if "error" in c:
        print(f"OpenCL copy: {c['error']}")
    else:
        print(f"OpenCL copy 256 MB on {c['device']} ({c['full_name']}): {c['gbps_best']:.1f} GB/s (read+write) "
              f"at local size {c['local_size_best']}; "
              + ", ".join(f"l={k}: {v['gbps_best']:.1f}" for k, v in c["by_local_size"].items())
              + f"; device->host read {c['read_to_host_gbps_best']:.1f} GB/s; verified={c['verified']}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
