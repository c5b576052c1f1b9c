#!/usr/bin/env python
"""Side-by-side benchmark: ovcl vs OpenVINO (CPU plugin) vs ONNX Runtime, same models, same seeded inputs.

    python scripts/make_bench_models.py            # once: the models, into out/bench_models
    python scripts/bench.py [--models matmul_1024,conv3x3] [--rounds 3] [--iters 20] [--device CPU]
                            [--out out/bench.md]

Each runtime runs each model in its own worker process (so its peak RSS is its own). The three workers of a
model are started one after another (each reports read + compile + first inference: the time to first
result) and then take turns: every round runs N warm iterations in each worker, in a rotating order, so
that the machine's load drifts evenly over the three. Reported per model:

- the median warm latency per runtime (over all rounds), ovcl / OpenVINO f32 and ovcl / OpenVINO at its
  default precision (the openvino_default runtime);
- the time to first result per runtime (read + compile + first inference, imports not counted), and ovcl's
  split into the three;
- the peak RSS of each worker process, and what the model adds to it: peak - the runtime's floor, its peak
  RSS on an empty model (measured once per run), ovcl's against OpenVINO's;
- the model's GFLOPs (MatMul/Gemm/Conv, from models.json) and ovcl's achieved GFLOP/s against the measured
  sgemm ceiling (scripts/ceilings.py, measured once into out/ceilings.json);
- ovcl's launch count and host overhead: the time of the same number of trivial kernel launches through the
  same enqueue loop (the floor a plan with that many launches cannot go under), and the main thread's CPU
  time per inference;
- whether ovcl's outputs match ONNX Runtime's (rtol 1e-3, atol 1e-4).

A model ovcl cannot compile is reported "unsupported: <error>"; a crashing or hanging worker is reported too,
never stopping the run. OpenVINO: PERFORMANCE_HINT=LATENCY, INFERENCE_NUM_THREADS=2, INFERENCE_PRECISION_HINT=f32
(--ov-precision); openvino_default leaves the precision to the plugin (bf16 on a CPU with AVX512_BF16 or
AMX, f32 elsewhere).
ONNX Runtime: intra_op_num_threads=2, inter_op_num_threads=1.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_MODELS_DIR = os.path.join(ROOT, "out", "bench_models")
DEFAULT_CEILINGS = os.path.join(ROOT, "out", "ceilings.json")
RUNTIMES = ["ovcl", "openvino", "openvino_default", "onnxruntime"]
SHORT = {"ovcl": "ovcl", "openvino": "OV", "openvino_default": "OV-default", "onnxruntime": "ORT",
         "ovcl_defaults": "ovcl-defaults", "ovcl_user": "ovcl-user"}
# extra runtimes on request (--runtimes), to measure tuning in the same interleaved run: ovcl_defaults is ovcl
# with OVCL_TUNING=0 (capability defaults, no tuning database); ovcl_user is ovcl with OVCL_TUNING=user and
# --user-db as its user database (what a device nobody measured gets once its user has run `ovcl tune`)
OVCL_VARIANTS = {"ovcl_defaults": "0", "ovcl_user": "user"}
RTOL, ATOL = 1e-3, 1e-4


# =========================================================================================================
# worker: one runtime, one model; line-delimited JSON over a private pipe
# =========================================================================================================

def _rss_mb() -> float:
    """Peak RSS of this process since its exec (VmHWM). Not getrusage's ru_maxrss: Linux carries that over
    exec, so a worker would report the driver's RSS at fork time when that was larger."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0     # KiB on Linux


class _Runner:
    """load() reads + compiles, infer(feeds) -> list of arrays."""

    def __init__(self, runtime: str, path: str, device: str, threads: int):
        self.runtime, self.path, self.device, self.threads = runtime, path, device, threads
        self.ov_precision = "f32"

    def load(self):
        """Read and compile; returns the seconds the read took (the rest of load's time is the compile)."""
        return getattr(self, f"_load_{self.runtime}")()

    def _load_ovcl(self):
        import ovcl
        core = ovcl.Core()
        t = time.perf_counter()
        model = core.read_model(self.path)
        read_s = time.perf_counter() - t
        self.compiled = core.compile_model(model, self.device)
        self.request = self.compiled.create_infer_request()
        self.infer = lambda feeds: list(self.request.infer(feeds).to_tuple())
        return read_s

    def _load_openvino(self):
        import openvino as ov
        core = ov.Core()
        t = time.perf_counter()
        model = core.read_model(self.path)
        read_s = time.perf_counter() - t
        cfg = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": self.threads}
        if self.ov_precision != "default":
            cfg["INFERENCE_PRECISION_HINT"] = self.ov_precision
        self.compiled = core.compile_model(model, "CPU", cfg)
        self.request = self.compiled.create_infer_request()
        self.infer = lambda feeds: [self.request.infer(feeds)[o] for o in self.compiled.outputs]
        return read_s

    def _load_onnxruntime(self):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(self.path, so, providers=["CPUExecutionProvider"])
        self.infer = lambda feeds: sess.run(None, feeds)
        return 0.0          # ONNX Runtime reads and compiles in one call

    # -- ovcl only: launches and host overhead ----------------------------------------------------------
    def ovcl_overhead(self, feeds, reps: int = 3) -> dict:
        import numpy as np
        import pyopencl as cl
        launches = len(self.compiled.launches())
        # main-thread CPU time per inference (Python + enqueue + what the waiting thread burns)
        cpu = []
        for _ in range(reps):
            t = time.thread_time()
            self.infer(feeds)
            cpu.append(time.thread_time() - t)
        # the same number of trivial launches through the executor's enqueue loop
        dev = self.compiled.device
        ctx, q = dev.context, dev.queue
        prg = cl.Program(ctx, "__kernel void bench_nop(__global float *x) "
                              "{ size_t i = get_global_id(0); x[i] = x[i] + 1.0f; }").build()
        buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, 64 * 4)
        k = cl.Kernel(prg, "bench_nop")
        k.set_args(buf)
        n = max(launches, 1)
        steps = [(k, (64,), (64,))] * n
        host = np.zeros(64, np.float32)
        enqueue = cl.enqueue_nd_range_kernel

        def trivial():
            cl.enqueue_copy(q, buf, host, is_blocking=False)
            for kk, g, l in steps:
                enqueue(q, kk, g, l)
            cl.enqueue_copy(q, host, buf, is_blocking=False)
            q.finish()
        trivial()
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            trivial()
            ts.append(time.perf_counter() - t)
        floor = statistics.median(ts)
        return {"profile_by_op": self.ovcl_profile(feeds),"launches": launches, "main_thread_cpu_ms": statistics.median(cpu) * 1e3,
                "trivial_launches_ms": floor * 1e3, "us_per_trivial_launch": floor / n * 1e6,
                "plan_stats": _plan_stats(self.compiled)}


    def ovcl_profile(self, feeds) -> dict:
        """One profiled run (the kernels' profiling events): time, launches and GFLOP/s per op type, slowest first."""
        try:
            prof = self.compiled.profile(feeds)
        except Exception as e:  # noqa: BLE001 - informational
            return {"error": f"{type(e).__name__}: {e}"}
        by: dict[str, dict] = {}
        for launch, sec in prof:
            op = getattr(launch, "op", "?")
            d = by.setdefault(op, {"ms": 0.0, "launches": 0, "flops": 0})
            d["ms"] += sec * 1e3
            d["launches"] += 1
            d["flops"] += int(getattr(launch, "flops", 0) or 0)
        for d in by.values():
            d["gflops_per_s"] = d["flops"] / (d["ms"] / 1e3) / 1e9 if d["ms"] > 0 and d["flops"] else None
        return dict(sorted(by.items(), key=lambda kv: -kv[1]["ms"]))


def _plan_stats(compiled) -> dict:
    try:
        plan = compiled._current_plan()
        return {k: v for k, v in (plan.stats or {}).items() if isinstance(v, (int, float, str))}
    except Exception:  # noqa: BLE001 - informational
        return {}


def worker_main(argv) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("runtime")
    ap.add_argument("model")
    ap.add_argument("--inputs", required=True, help="JSON input specs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="CPU")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save", default=None, help="write the first result here (.npz)")
    ap.add_argument("--ov-precision", default="f32")
    a = ap.parse_args(argv)
    # the protocol gets the real stdout; anything a library prints goes to stderr
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    t_imp = time.perf_counter()
    import numpy as np
    sys.path.insert(0, HERE)
    from make_bench_models import seeded_inputs
    feeds = seeded_inputs(json.loads(a.inputs), a.seed)
    r = _Runner(a.runtime, a.model, a.device, a.threads)
    r.ov_precision = a.ov_precision
    {"ovcl": lambda: __import__("ovcl.runtime"), "openvino": lambda: __import__("openvino"),
     "onnxruntime": lambda: __import__("onnxruntime")}[a.runtime]()
    import_s = time.perf_counter() - t_imp
    t0 = time.perf_counter()
    try:
        read_s = r.load()
        t_compiled = time.perf_counter()
        outs = r.infer(feeds)
        t_first = time.perf_counter()
    except Exception as e:  # noqa: BLE001 - reported to the driver
        kind = "unsupported" if a.runtime == "ovcl" else "error"
        msg = " ".join(f"{type(e).__name__}: {e}".split())
        send({"ok": False, "kind": kind, "error": msg[:300], "rss_mb": _rss_mb()})
        return 0
    if a.save:
        np.savez(a.save, *[np.asarray(o) for o in outs])
    dev = ""
    if a.runtime == "ovcl":
        d = r.compiled.device
        dev = f"{d.name}: {d.full_name}, {d.platform.name.strip()}"
    send({"ok": True, "import_s": import_s, "read_s": read_s, "compile_s": t_compiled - t0 - read_s,
          "infer1_s": t_first - t_compiled, "first_s": t_first - t0,
          "rss_mb": _rss_mb(), "device": dev})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "run":
            r.infer(feeds)                              # one untimed warm-up after the pause
            lat, deadline = [], time.perf_counter() + cmd.get("max_s", 1e9)
            for i in range(cmd["iters"]):
                t = time.perf_counter()
                r.infer(feeds)
                lat.append(time.perf_counter() - t)
                if i >= 2 and time.perf_counter() > deadline:
                    break
            send({"ok": True, "lat": lat, "rss_mb": _rss_mb()})
        elif cmd["op"] == "overhead":
            try:
                send({"ok": True, **r.ovcl_overhead(feeds), "rss_mb": _rss_mb()})
            except Exception as e:  # noqa: BLE001
                send({"ok": False, "error": f"{type(e).__name__}: {e}"})
        elif cmd["op"] == "quit":
            send({"ok": True, "rss_mb": _rss_mb()})
            return 0
    return 0


# =========================================================================================================
# driver
# =========================================================================================================

class Worker:
    def __init__(self, runtime, model_path, specs, args, save_path, log_path):
        self.runtime = runtime
        self.log_path = log_path
        self.log = open(log_path, "w")
        worker_rt = {"openvino_default": "openvino", **{v: "ovcl" for v in OVCL_VARIANTS}}.get(runtime, runtime)
        precision = "default" if runtime == "openvino_default" else args.ov_precision
        cmd = [sys.executable, os.path.abspath(__file__), "--_worker", worker_rt, model_path,
               "--inputs", json.dumps(specs), "--seed", str(args.seed), "--device", args.device,
               "--threads", str(args.threads), "--ov-precision", precision] + (["--save", save_path] if save_path else [])
        env = dict(os.environ)
        if worker_rt == "ovcl" and not args.warm_cache:
            # cold: empty ovcl and PoCL caches (on, as a user's are: ovcl's compile workers warm PoCL's)
            env["OVCL_CACHE_DIR"] = log_path + ".cache"
            env["POCL_CACHE_DIR"] = log_path + ".pocl"
        if runtime in OVCL_VARIANTS:
            env["OVCL_TUNING"] = OVCL_VARIANTS[runtime]
        if runtime == "ovcl_user":      # a private cache dir always: never overwrite a real user database
            env["OVCL_CACHE_DIR"] = log_path + ".cache"
            os.makedirs(env["OVCL_CACHE_DIR"], exist_ok=True)
            shutil.copyfile(args.user_db, os.path.join(env["OVCL_CACHE_DIR"], "tuning.json"))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, bufsize=1, env=env, cwd=ROOT)
        self.dead: str | None = None

    def request(self, obj, timeout: float) -> dict:
        if self.dead:
            return {"ok": False, "kind": "error", "error": self.dead}
        if obj is not None:
            try:
                self.proc.stdin.write(json.dumps(obj) + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else None
        if not line:
            if ready:
                self.proc.wait(timeout=10)
                self.dead = f"worker died (rc {self.proc.returncode}): {self._tail()}"
            else:
                self.kill()
                self.dead = f"timeout after {timeout:.0f}s"
            return {"ok": False, "kind": "error", "error": self.dead}
        return json.loads(line)

    def _tail(self) -> str:
        self.log.flush()
        try:
            with open(self.log_path) as f:
                lines = [l.strip() for l in f.read().strip().splitlines() if l.strip()]
            return " | ".join(lines[-3:])[-300:]
        except OSError:
            return ""

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        if self.proc.poll() is None and not self.dead:
            try:
                self.request({"op": "quit"}, 30)
            except Exception:  # noqa: BLE001
                pass
        self.kill()
        self.log.close()


def compare(ovcl_npz: str, ref_npz: str) -> dict:
    import numpy as np
    a, b = np.load(ovcl_npz), np.load(ref_npz)
    ka, kb = sorted(a.files, key=lambda s: int(s.split("_")[1])), sorted(b.files, key=lambda s: int(s.split("_")[1]))
    if len(ka) != len(kb):
        return {"match": False, "detail": f"{len(ka)} outputs vs {len(kb)}"}
    worst, details = 0.0, []
    match = True
    for x, y in zip(ka, kb):
        u, v = a[x], b[y]
        if u.shape != v.shape:
            match = False
            details.append(f"{x}: shape {list(u.shape)} vs {list(v.shape)}")
            continue
        u64, v64 = u.astype(np.float64), v.astype(np.float64)
        err = float(np.max(np.abs(u64 - v64))) if u.size else 0.0
        worst = max(worst, err)
        if not np.allclose(u64, v64, rtol=RTOL, atol=ATOL, equal_nan=True):
            match = False
            bad = ~np.isclose(u64, v64, rtol=RTOL, atol=ATOL, equal_nan=True)
            details.append(f"{x}: {int(bad.sum())}/{u.size} differ, max |d| {err:.3g}")
    return {"match": match, "max_abs_err": worst, "detail": "; ".join(details)}


EMPTY_INPUTS = [{"name": "x", "shape": [1, 8], "dtype": "float32", "range": [-1, 1]}]


def measure_floors(args, tmp: str) -> dict[str, float]:
    """Each runtime's peak RSS on an empty model (one Relu on 8 numbers: the runtime, its device context
    and one kernel), so a report can show what each model adds to it."""
    import onnx
    from onnx import TensorProto, helper
    path = os.path.join(tmp, "empty.onnx")
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "empty",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    floors = {}
    for rt in args.runtimes:
        w = Worker(rt, path, EMPTY_INPUTS, args, None, os.path.join(tmp, f"empty.{rt}.log"))
        try:
            if w.request(None, args.timeout).get("ok"):
                msg = w.request({"op": "quit"}, 30)
                if msg.get("ok"):
                    floors[rt] = msg["rss_mb"]
        finally:
            w.close()
    return floors


def bench_model(name: str, entry: dict, args, ceil_gflops: float | None, tmp: str) -> dict:
    path = os.path.join(args.models_dir, entry["file"])
    res: dict = {"model": name, "gflops": entry.get("flops", 0) / 1e9, "runtimes": {}}
    workers: dict[str, Worker] = {}
    saves = {rt: os.path.join(tmp, f"{name}.{rt}.npz") for rt in args.runtimes}
    try:
        for rt in args.runtimes:            # started one at a time: compile times are not disturbed
            print(f"  {name}: {rt}: reading + compiling ...", file=sys.stderr, flush=True)
            w = Worker(rt, path, entry["inputs"], args, saves[rt], os.path.join(tmp, f"{name}.{rt}.log"))
            workers[rt] = w
            msg = w.request(None, args.timeout)
            r = res["runtimes"][rt] = {"start": msg, "lat": []}
            if not msg.get("ok"):
                r["error"] = f"{msg.get('kind', 'error')}: {msg.get('error')}"
                print(f"  {name}: {rt}: {r['error']}", file=sys.stderr, flush=True)
                w.close()
                del workers[rt]
            else:
                print(f"  {name}: {rt}: first result in {msg['first_s']:.2f}s", file=sys.stderr, flush=True)
        order = [rt for rt in args.runtimes if rt in workers]
        for rnd in range(args.rounds):
            k = rnd % max(len(order), 1)
            for rt in order[k:] + order[:k]:
                w = workers.get(rt)
                if w is None:
                    continue
                time.sleep(0.2)     # let the previous runtime's spinning worker threads (ORT, OpenVINO) go idle
                msg = w.request({"op": "run", "iters": args.iters, "max_s": args.max_seconds},
                                args.max_seconds * 2 + args.timeout)
                r = res["runtimes"][rt]
                if not msg.get("ok"):
                    r["error"] = f"error: {msg.get('error')}"
                    w.close()
                    del workers[rt]
                    continue
                r["lat"].extend(msg["lat"])
                r.setdefault("round_medians_ms", []).append(statistics.median(msg["lat"]) * 1e3)
            done = ", ".join(f"{SHORT[rt]} {statistics.median(res['runtimes'][rt]['lat']) * 1e3:.2f} ms"
                             for rt in order if res["runtimes"][rt]["lat"])
            print(f"  {name}: round {rnd + 1}/{args.rounds}: {done}", file=sys.stderr, flush=True)
        if "ovcl" in workers:
            msg = workers["ovcl"].request({"op": "overhead"}, args.timeout)
            res["runtimes"]["ovcl"]["overhead"] = msg if msg.get("ok") else {"error": msg.get("error")}
        for rt, w in list(workers.items()):
            msg = w.request({"op": "quit"}, 30)
            if msg.get("ok"):
                res["runtimes"][rt]["rss_mb"] = msg["rss_mb"]
    finally:
        for w in workers.values():
            w.close()
    for rt, r in res["runtimes"].items():
        if r["lat"]:
            r["median_ms"] = statistics.median(r["lat"]) * 1e3
            r["min_ms"] = min(r["lat"]) * 1e3
            r["n"] = len(r["lat"])
        r.setdefault("rss_mb", r["start"].get("rss_mb"))
        del r["lat"]
    if all(os.path.exists(saves.get(rt, "")) and "error" not in res["runtimes"].get(rt, {"error": 1})
           for rt in ("ovcl", "onnxruntime")):
        res["check"] = compare(saves["ovcl"], saves["onnxruntime"])
    # ovcl/OV per round (the two ran minutes apart at most): their median resists the machine's drift
    a = res["runtimes"].get("ovcl", {}).get("round_medians_ms", [])
    for ov, key in (("openvino", "ratio_rounds"), ("openvino_default", "ratio_rounds_default")):
        b = res["runtimes"].get(ov, {}).get("round_medians_ms", [])
        if a and len(a) == len(b):
            res[key] = [x / y for x, y in zip(a, b)]
    ov = res["runtimes"].get("ovcl", {})
    if ov.get("median_ms") and res["gflops"]:
        ov["gflops_per_s"] = res["gflops"] / (ov["median_ms"] / 1e3)
        if ceil_gflops:
            ov["pct_sgemm"] = 100 * ov["gflops_per_s"] / ceil_gflops
    return res


# -- report ----------------------------------------------------------------------------------------------

def _f(x, fmt="{:.2f}", none="–"):
    return none if x is None else fmt.format(x)


def render(results: list[dict], meta: dict) -> str:
    rts = meta["runtimes"]
    la = meta.get("loadavg")
    lines = [f"**Benchmark {meta['date_utc']} UTC**: `{meta['command']}`", "",
             f"- machine: {meta['cpu']}, {meta['cpus']} CPUs ({meta.get('isa', '')}); load average "
             + (f"{la[0]:.1f} at the start, {la[1]:.1f} at the end" if la else "?")
             + f"; sgemm ceiling {_f(meta.get('ceiling_gflops'), '{:.1f}')} GFLOP/s (NumPy/OpenBLAS, best of 1024³/2048³)",
             f"- ovcl: device {meta['device']} ({meta['device_name']}); first result "
             + ("with warm kernel caches" if meta.get("warm_cache") else "cold (empty ovcl and PoCL kernel caches)"),
             f"- OpenVINO CPU plugin: LATENCY hint, {meta['threads']} threads, inference precision "
             f"{meta['ov_precision']} (OV-default: the plugin's own choice); ONNX Runtime: {meta['threads']} "
             f"intra-op threads",
             "- RSS floor (peak RSS on an empty model: one Relu on 8 numbers): "
             + (", ".join(f"{SHORT[r]} {v:.0f} MB" for r, v in meta.get("rss_floor_mb", {}).items()) or "not measured")
             + "; added = peak - floor",
             f"- {meta['rounds']} rounds x {meta['iters']} warm iterations, runtimes interleaved; ms = median of all "
             f"warm iterations; ovcl/OV = median of the per-round ratios (range over rounds); first = read + compile + first inference (imports excluded); RSS = peak of the "
             f"runtime's own process", ""]
    ratios = [("ratio_rounds", "ovcl/OV (rounds)")]
    if "openvino_default" in rts:
        ratios.append(("ratio_rounds_default", "ovcl/OV-default (rounds)"))
    floors = meta.get("rss_floor_mb", {})
    head = (["model", "GFLOPs"] + [f"{SHORT[r]} ms" for r in rts] + [h for _, h in ratios]
            + ["ovcl GFLOP/s (% sgemm)"] + [f"first s {'/'.join(SHORT[r] for r in rts)}",
                                            "ovcl first: read / compile / 1st inference s",
                                            f"RSS MB {'/'.join(SHORT[r] for r in rts)}",
                                            "added MB ovcl / OV (ratio)",
                                            "ovcl launches", "ovcl host ms (floor / main-thread CPU)", "ovcl vs ORT"])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * len(head)) + "|")
    notes = []
    for res in results:
        R = res["runtimes"]
        row = [res["model"], _f(res["gflops"], "{:.3f}")]
        for rt in rts:
            r = R.get(rt, {})
            if "median_ms" in r:
                row.append(_f(r["median_ms"]))
            elif "error" in r:
                notes.append(f"{res['model']} / {rt}: {r['error']}")
                row.append(f"{r['error'].split(':')[0]} [{len(notes)}]")
            else:
                row.append("–")
        o = R.get("ovcl", {})
        for key, _ in ratios:
            rr = res.get(key)
            row.append(f"{statistics.median(rr):.2f}x ({min(rr):.2f}-{max(rr):.2f})" if rr else "–")
        row.append(f"{o['gflops_per_s']:.1f} ({o.get('pct_sgemm', 0):.0f}%)" if o.get("gflops_per_s") else "–")
        row.append("/".join(_f(R.get(rt, {}).get("start", {}).get("first_s") if R.get(rt, {}).get("start", {}).get("ok")
                                else None) for rt in rts))
        st = o.get("start", {})
        row.append(f"{st['read_s']:.2f} / {st['compile_s']:.2f} / {st['infer1_s']:.2f}" if st.get("ok") else "–")
        row.append("/".join(_f(R.get(rt, {}).get("rss_mb"), "{:.0f}") for rt in rts))
        added = [R.get(rt, {}).get("rss_mb") - floors[rt] if R.get(rt, {}).get("rss_mb") and rt in floors else None
                 for rt in ("ovcl", "openvino")]
        row.append(f"{added[0]:.0f} / {added[1]:.0f} ({added[0] / added[1]:.2f}x)"
                   if None not in added and added[1] > 0 else "–")
        oh = o.get("overhead", {})
        row.append(str(oh.get("launches", "–")))
        row.append(f"{oh['trivial_launches_ms']:.2f} / {oh['main_thread_cpu_ms']:.2f}" if "trivial_launches_ms" in oh else "–")
        chk = res.get("check")
        row.append("–" if chk is None else ("ok" if chk["match"] else "DIFFERS"))
        if chk and not chk["match"]:
            notes.append(f"{res['model']}: ovcl differs from ONNX Runtime (rtol {RTOL}, atol {ATOL}): {chk['detail']}")
            row[-1] += f" [{len(notes)}]"
        lines.append("| " + " | ".join(row) + " |")
    if notes:
        lines += [""] + [f"[{i}] {n}  " for i, n in enumerate(notes, 1)]
    prof_lines = []
    for res in results:
        pb = res["runtimes"].get("ovcl", {}).get("overhead", {}).get("profile_by_op")
        if pb and "error" not in pb:
            total = sum(d["ms"] for d in pb.values()) or 1.0
            top = ", ".join(f"{op} {d['ms']:.2f} ms ({100 * d['ms'] / total:.0f}%, {d['launches']}x"
                            + (f", {d['gflops_per_s']:.1f} GFLOP/s" if d.get("gflops_per_s") else "") + ")"
                            for op, d in list(pb.items())[:4])
            prof_lines.append(f"- {res['model']}: {top}")
    if prof_lines:
        lines += ["", "ovcl time by op type (one profiled run, the kernels' profiling events; slowest first):", ""] + prof_lines
    lines += ["", "Host floor = the same number of trivial 64-item launches through the executor's enqueue loop, "
              "plus input/output copies; main-thread CPU = CPU time of the calling thread per inference."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--_worker":
        return worker_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=DEFAULT_MODELS_DIR)
    ap.add_argument("--models", default=None, help="comma-separated subset (default: all in models.json)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iters", "-n", type=int, default=20, help="warm iterations per round")
    ap.add_argument("--max-seconds", type=float, default=30.0,
                    help="stop a round's iterations after this long (at least 3 run)")
    ap.add_argument("--device", "-d", default="CPU", help="ovcl device (default CPU = PoCL)")
    ap.add_argument("--threads", type=int, default=2, help="threads for OpenVINO and ONNX Runtime")
    ap.add_argument("--runtimes", default=",".join(RUNTIMES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds for one worker's start (compile)")
    ap.add_argument("--ov-precision", default="f32", choices=["f32", "bf16", "f16", "default"],
                    help="OpenVINO INFERENCE_PRECISION_HINT (default f32, as ovcl computes; 'default' leaves the "
                         "plugin's choice, bf16 on CPUs with AVX512_BF16/AMX)")
    ap.add_argument("--warm-cache", action="store_true",
                    help="let ovcl use its (and PoCL's) kernel binary caches; by default its first result is cold")
    ap.add_argument("--user-db", default=None, help="the user tuning database for the ovcl_user runtime")
    ap.add_argument("--ceilings", default=DEFAULT_CEILINGS, help="ceilings JSON (measured if missing)")
    ap.add_argument("--out", default=None, help="also write the Markdown table here (and JSON beside it)")
    args = ap.parse_args(argv)
    args.runtimes = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    bad = [r for r in args.runtimes if r not in SHORT]
    if bad:
        ap.error(f"unknown runtime(s) {bad}; choose from {list(SHORT)}")
    if "ovcl_user" in args.runtimes and not (args.user_db and os.path.isfile(args.user_db)):
        ap.error("the ovcl_user runtime needs --user-db FILE (a tuning.json written by `ovcl tune`)")
    index_path = os.path.join(args.models_dir, "models.json")
    if not os.path.exists(index_path):
        print(f"bench: no {index_path}; run scripts/make_bench_models.py first", file=sys.stderr)
        return 2
    with open(index_path) as f:
        index = json.load(f)
    names = [s.strip() for s in args.models.split(",")] if args.models else list(index)
    missing = [n for n in names if n not in index]
    if missing:
        print(f"bench: model(s) {missing} not in {index_path} (have {list(index)}); "
              f"run scripts/make_bench_models.py --models {','.join(missing)}", file=sys.stderr)
        return 2

    sys.path.insert(0, HERE)
    from ceilings import _cpu_name, cpu_isa, load_or_measure
    if not os.path.exists(args.ceilings):
        print(f"bench: measuring ceilings into {args.ceilings} ...", file=sys.stderr, flush=True)
    ceil = load_or_measure(args.ceilings, args.device)
    try:
        ceil_gflops = max(ceil["sgemm"]["sgemm_1024"]["gflops_best"], ceil["sgemm"]["sgemm_2048"]["gflops_best"])
    except (KeyError, TypeError):
        ceil_gflops = None
    device_name = "?"     # filled in from an ovcl worker: the driver itself loads no OpenCL driver
    meta = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "cpu": _cpu_name(), "isa": cpu_isa(), "cpus": os.cpu_count(),
            "device": args.device, "device_name": device_name, "rounds": args.rounds, "iters": args.iters,
            "runtimes": args.runtimes, "ceiling_gflops": ceil_gflops, "warm_cache": args.warm_cache,
            "ov_precision": args.ov_precision, "threads": args.threads,
            "command": "python scripts/bench.py " + " ".join(shlex.quote(a) for a in argv)}
    results = []
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ovcl-bench-") as tmp:
        print("bench: each runtime's RSS floor (an empty model) ...", file=sys.stderr, flush=True)
        meta["rss_floor_mb"] = measure_floors(args, tmp)
        for name in names:
            print(f"bench: {name} ({index[name].get('flops', 0) / 1e9:.3f} GFLOPs)", file=sys.stderr, flush=True)
            try:
                results.append(bench_model(name, index[name], args, ceil_gflops, tmp))
            except Exception as e:  # noqa: BLE001 - one model must not stop the run
                results.append({"model": name, "gflops": index[name].get("flops", 0) / 1e9,
                                "runtimes": {rt: {"error": f"error: {type(e).__name__}: {e}"} for rt in args.runtimes}})
    meta["loadavg"] = [load0, os.getloadavg()[0]]
    for res in results:
        dev = res.get("runtimes", {}).get("ovcl", {}).get("start", {}).get("device")
        if dev:
            meta["device_name"] = dev
            break
    text = render(results, meta)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump({"meta": meta, "ceilings": ceil, "results": results}, f, indent=1)
        print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
