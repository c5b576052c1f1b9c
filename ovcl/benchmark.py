"""``ovcl benchmark``: benchmark_app's command line on ovcl (the same flags with the same meaning), plus the
time to a first result. The steps: read (and reshape), compile with progress on stderr, one first inference, then
inferences on random or given inputs, synchronous (one request) or asynchronous (``-nireq`` requests in flight),
for ``-niter`` iterations or ``-t`` seconds; a summary as benchmark_app prints it, and its CSV / JSON reports."""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

DESCRIPTION = """Measure one model's latency and throughput on one device, as OpenVINO's benchmark_app
does, with the same flags. Inputs are random unless -i gives .npy or .bin files. Throughput counts batch
items: iterations times the batch size, per second.

examples:
  ovcl benchmark -m model.onnx -d GPU -hint latency
  ovcl benchmark -m model.xml -api async -nireq 4 -t 20 -b 8
  ovcl benchmark -m model.onnx -shape "[?,3,224,224]" -data_shape "[1,3,224,224]" -pc
  ovcl benchmark -m model.onnx -report_type average_counters -report_folder reports -json_stats
"""
def _log(msg: str) -> None:
    print(msg, flush=True)


_TICKER = r"""
import sys, time
what, period, tty = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
t0 = time.perf_counter()
try:
    while True:
        time.sleep(period)
        el = time.perf_counter() - t0
        sys.stderr.write(f"\r[ .... ] {what}: {el:.0f} s" if tty else f"[ .... ] {what}: still running, {el:.0f} s\n")
        sys.stderr.flush()
except KeyboardInterrupt:
    pass
"""


class _Progress:
    """Elapsed time on stderr while a long step runs (a live line on a terminal, else a line every 10 s).

    The ticker is a child process, not a thread: building programs and the first launches (where PoCL
    compiles) can hold the GIL for minutes, and a thread would print nothing meanwhile."""

    def __init__(self, what: str, enabled: bool = True):
        self.what = what
        self.enabled = enabled
        self._proc = None
        self._tty = sys.stderr.isatty()

    def __enter__(self):
        if self.enabled:
            import subprocess
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", _TICKER, self.what, "1" if self._tty else "10", "1" if self._tty else "0"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            except OSError:
                self._proc = None
        return self

    def __exit__(self, *exc):
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                self._proc.kill()
            if self._tty:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
        return False


def _port_name(port) -> str:
    names = port.get_names()
    return min(names) if names else port.node.name


def random_inputs(model, seed: int, shapes: dict | None = None) -> dict:
    """Seeded random feeds for every input of ``model``: at ``shapes[name]`` where given, else with dynamic
    dimensions at 1."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for port in model.inputs:
        ps = port.get_partial_shape()
        shape = (shapes or {}).get(_port_name(port)) or [d.get_length() if d.is_static else 1 for d in ps]
        t = port.get_element_type()
        if t.is_real():
            arr = rng.uniform(-1.0, 1.0, shape).astype(t.dtype)
        elif t.name == "boolean":
            arr = rng.random(shape) > 0.5
        else:
            arr = rng.integers(0, 2, shape).astype(t.dtype)
        feeds[_port_name(port)] = arr
    return feeds


def _fmt_ms(s: float) -> str:
    return f"{s * 1e3:.2f} ms"


_HINTS = {"throughput": "THROUGHPUT", "tput": "THROUGHPUT", "cumulative_throughput": "CUMULATIVE_THROUGHPUT",
          "ctput": "CUMULATIVE_THROUGHPUT", "latency": "LATENCY", "none": None}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ovcl benchmark", description=DESCRIPTION, allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="the model (or give it with -m): any file or SavedModel directory "
                                             "ovcl reads (.onnx, .xml, .tflite, .pb, .json, .pdmodel)")
    ap.add_argument("-m", "--path_to_model", dest="path_to_model", help="the model, as benchmark_app takes it")
    ap.add_argument("-d", "--target_device", dest="device", default="AUTO",
                    help="CPU (PoCL), GPU, GPU.N or AUTO (the default: a GPU if there is one)")
    ap.add_argument("-hint", "--perf_hint", dest="hint", choices=sorted(_HINTS), default="throughput",
                    help="performance hint: throughput (the default; async), latency (sync), none")
    ap.add_argument("-api", "--api_type", dest="api", choices=["sync", "async"], default=None,
                    help="sync: one request at a time; async: -nireq requests in flight (default: async, sync "
                         "with -hint latency)")
    ap.add_argument("-niter", "--number_iterations", dest="niter", type=int, default=None,
                    help="iterations to run (0: compile and stop); with -t, whichever ends first")
    ap.add_argument("-t", "--time", dest="time", type=float, default=None,
                    help="seconds to run (default 10 when -niter is not given)")
    ap.add_argument("-nireq", "--number_infer_requests", dest="nireq", type=int, default=0,
                    help="infer requests in flight in async mode (default: the compiled model's "
                         "OPTIMAL_NUMBER_OF_INFER_REQUESTS)")
    ap.add_argument("-nstreams", "--number_streams", dest="nstreams", default=None,
                    help="NUM_STREAMS: inferences that run at once (each on its own plan instance and queue)")
    ap.add_argument("-b", "--batch_size", dest="batch", type=int, default=0,
                    help="batch size: the first dimension of every input")
    ap.add_argument("-shape", dest="shape", default=None,
                    help='model input shapes: "[1,3,224,224]" or "x[1,3,224,224],y[1,4]"; ? or -1 for dynamic')
    ap.add_argument("-data_shape", dest="data_shape", default=None,
                    help='shapes of the tensors fed to dynamic inputs: "[1,3,224,224][1,3,448,448]" (used in '
                         'turn) or "x[1,3,224,224],y[1,4]"')
    ap.add_argument("-i", "--paths_to_input", dest="inputs", nargs="+", default=None,
                    help="input data: .npy or .bin files, or folders of them; name:file to give an input by "
                         "name; used in turn across iterations")
    ap.add_argument("-cdir", "--cache_dir", dest="cache_dir", default=None, help="model cache folder (CACHE_DIR)")
    ap.add_argument("-nthreads", "--number_threads", dest="nthreads", type=int, default=None,
                    help="INFERENCE_NUM_THREADS (an OpenCL driver runs its own threads: a warning where it "
                         "differs from the device's compute units)")
    ap.add_argument("-pin", "--infer_threads_pinning", dest="pin", default=None,
                    choices=["YES", "NO", "NUMA", "HYBRID_AWARE"],
                    help="CPU thread pinning: accepted; the OpenCL driver places its own threads")
    ap.add_argument("-load_config", dest="load_config", default=None, metavar="FILE.json",
                    help='properties per device from JSON, as benchmark_app reads them: {"CPU": {"KEY": value}}')
    ap.add_argument("-dump_config", dest="dump_config", default=None, metavar="FILE.json",
                    help="write the compiled model's properties as JSON (the -load_config form)")
    ap.add_argument("-exec_graph_path", dest="exec_graph_path", default=None, metavar="FILE.xml",
                    help="write the execution graph (get_runtime_model: one node per kernel launch, with its "
                         "times when -pc or a counters report is on) as IR")
    ap.add_argument("-infer_precision", dest="infer_precision", default=None,
                    help="INFERENCE_PRECISION_HINT: f16 where the device has cl_khr_fp16, else f32 (reported)")
    ap.add_argument("-pc", "--perf_counts", dest="pc", action="store_true",
                    help="print per-kernel times of each request (compiles with PERF_COUNT)")
    ap.add_argument("-pcsort", dest="pcsort", default=None, choices=["sort", "no_sort", "simple_sort"],
                    help="print the per-kernel times (as -pc) sorted by time: sort (all), simple_sort (those "
                         "that ran), no_sort (in order)")
    ap.add_argument("-plot", "--plot", dest="plot", default=None, metavar="FILE.png",
                    help="draw the time per kernel launch (averaged over the requests) into FILE.png; needs "
                         "matplotlib (pip install ovcl[plot])")
    ap.add_argument("-report_type", dest="report_type", default=None,
                    choices=["no_counters", "average_counters", "detailed_counters"],
                    help="write a report to -report_folder: the run's statistics, and with *_counters the "
                         "per-kernel times")
    ap.add_argument("-report_folder", dest="report_folder", default="", help="where reports are written")
    ap.add_argument("-json_stats", dest="json_stats", action="store_true",
                    help="write the reports as JSON instead of CSV")
    ap.add_argument("-latency_percentile", dest="percentile", type=int, default=50,
                    help="the latency percentile reported as latency (default 50: the median)")
    ap.add_argument("-no_warmup", dest="no_warmup", action="store_true",
                    help="count the first inference (which builds kernels on PoCL) in the measurement")
    ap.add_argument("-max_irate", dest="max_irate", type=float, default=0,
                    help="start at most this many inferences a second (0: as fast as they go)")
    ap.add_argument("-inference_only", dest="inference_only", nargs="?", const="true", default="true",
                    help="accepted: ovcl always measures inference only (inputs are prepared before)")
    ap.add_argument("-seed", "--seed", dest="seed", type=int, default=0, help="seed of the random inputs")
    ap.add_argument("-q", "--quiet", action="store_true", help="no compile progress")
    return ap


def main(argv=None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    args.model = args.path_to_model or args.model
    if not args.model:
        ap.error("give the model: -m MODEL")
    if args.niter is not None and args.niter < 0:
        ap.error("-niter must be 0 or more")
    if args.api is None:
        args.api = "sync" if args.hint == "latency" else "async"
    if args.report_type and args.report_folder:
        os.makedirs(args.report_folder, exist_ok=True)
    if args.pcsort:
        args.pc = True
    try:
        return _run(args, argv if argv is not None else sys.argv[1:])
    except KeyboardInterrupt:
        print("ovcl benchmark: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - a CLI reports, it doesn't trace
        from ovcl.errors import OVCLError
        if isinstance(e, (OVCLError, OSError, ValueError)):
            print(f"ovcl benchmark: error: {e}", file=sys.stderr)
            return 1
        raise


# -- inputs ------------------------------------------------------------------------------------------------
def _named_shapes(text: str | None) -> list[tuple[str | None, list[list[int]]]]:
    """``x[1,3][2,3],y[4]`` → [("x", [[1,3],[2,3]]), ("y", [[4]])]; unnamed entries have name None."""
    import re
    out = []
    for name, shapes in re.findall(r"([^,\[\]]*)((?:\[[^\]]*\])+)", text or ""):
        dims = [[int(d) for d in part.split(",") if d.strip()] for part in re.findall(r"\[([^\]]*)\]", shapes)]
        out.append((name.strip() or None, dims))
    if text and not out:
        raise ValueError(f"cannot read the shapes {text!r}: write them as [1,3,224,224] or name[1,3,224,224]")
    return out


def _by_input(model, entries: list) -> dict[str, list]:
    """Entries given by name, or in input order where unnamed, keyed by input name."""
    names = [_port_name(p) for p in model.inputs]
    out = {}
    for k, (name, value) in enumerate(entries):
        key = name if name is not None else (names[k] if k < len(names) else None)
        if key not in names:
            raise ValueError(f"the model has no input {name or k!r}; its inputs are {names}")
        out[key] = value
    return out


def _input_files(model, paths: list[str]) -> dict[str, list[np.ndarray]]:
    """Arrays from .npy / .bin files (folders: every such file, sorted), by input."""
    entries = []
    for p in paths:
        name, sep, path = p.partition(":")
        name, path = (name, path) if sep and not os.path.exists(p) else (None, p)
        files = sorted(os.path.join(path, f) for f in os.listdir(path)) if os.path.isdir(path) else [path]
        files = [f for f in files if f.endswith((".npy", ".bin"))]
        if not files:
            raise ValueError(f"-i {p}: no .npy or .bin files (images need OpenCV, which ovcl does not use)")
        entries.append((name, files))
    out = {}
    for key, files in _by_input(model, entries).items():
        port = next(q for q in model.inputs if _port_name(q) == key)
        dtype = np.dtype(np.bool_) if port.get_element_type().name == "boolean" else port.get_element_type().dtype
        arrays = []
        for f in files:
            if f.endswith(".npy"):
                arrays.append(np.load(f, allow_pickle=False).astype(dtype, copy=False))
            else:
                ps = port.get_partial_shape()
                if not ps.is_static:
                    raise ValueError(f"-i {f}: a .bin file needs the input's shape: give -shape")
                arrays.append(np.fromfile(f, dtype=dtype).reshape(ps.to_shape()))
        out[key] = arrays
    return out


def _feeds(model, args) -> list[dict]:
    """The inputs the iterations use in turn: from -i files, else random, at -data_shape for dynamic inputs."""
    if args.inputs:
        files = _input_files(model, args.inputs)
        n = max(len(v) for v in files.values())
        random = random_inputs(model, args.seed)
        return [{k: files[k][i % len(files[k])] if k in files else random[k] for k in random} for i in range(n)]
    shapes = _by_input(model, _named_shapes(args.data_shape))
    n = max((len(v) for v in shapes.values()), default=1)
    feeds = []
    for i in range(n):
        pinned = {k: v[i % len(v)] for k, v in shapes.items()}
        feeds.append(random_inputs(model, args.seed + i, pinned))
    return feeds


def _batch(feeds: dict) -> int:
    """The batch size a throughput counts: the first dimension the inputs share, else 1."""
    firsts = {a.shape[0] for a in feeds.values() if np.ndim(a)}
    return firsts.pop() if len(firsts) == 1 else 1


# -- the run -------------------------------------------------------------------------------------------------
def _run(args, argv: list[str]) -> int:
    import ovcl
    from ovcl.device import get_device

    device = get_device(args.device)
    _log(f"[Step 1/6] Reading model {args.model}")
    t0 = time.perf_counter()
    core = ovcl.Core()
    model = core.read_model(args.model)
    if args.shape:
        from ovcl.ir.passes.cut import apply_input_spec
        model = apply_input_spec(model, args.shape) or model
    if args.batch:
        model.reshape({p: [args.batch, *list(p.get_partial_shape())[1:]] for p in model.inputs})
    t_read = time.perf_counter() - t0
    _log(f"[ INFO ] Read model took {_fmt_ms(t_read)}")
    for port in model.inputs:
        _log(f"[ INFO ] Input  {_port_name(port)}: {port.get_element_type()} {port.get_partial_shape()}")
    for port in model.outputs:
        _log(f"[ INFO ] Output {_port_name(port)}: {port.get_element_type()} {port.get_partial_shape()}")

    if args.plot and importlib.util.find_spec("matplotlib") is None:    # known now, not after the compile
        raise ValueError("-plot needs matplotlib: pip install matplotlib (or ovcl[plot])")
    config = {"VERBOSE": not args.quiet,
              "PERF_COUNT": bool(args.pc or args.plot or (args.report_type or "").endswith("counters"))}
    if _HINTS[args.hint]:
        config["PERFORMANCE_HINT"] = _HINTS[args.hint]
    if args.load_config:
        with open(args.load_config) as f:
            config.update(json.load(f).get(device.name, {}))
    for key, value in (("NUM_STREAMS", args.nstreams), ("CACHE_DIR", args.cache_dir),
                       ("INFERENCE_PRECISION_HINT", args.infer_precision), ("INFERENCE_NUM_THREADS", args.nthreads)):
        if value is not None:
            config[key] = value
    if args.pin:
        _log(f"[ WARNING ] -pin {args.pin}: the OpenCL driver places its own threads; accepted, no effect")
    dev_label = f"{device.name} ({device.full_name}, {device.platform.name.strip()})"
    _log(f"[Step 2/6] Compiling for {dev_label}")
    t1 = time.perf_counter()
    with _Progress("compiling", enabled=not args.quiet):
        compiled = core.compile_model(model, device.name, config)
    t_compile = time.perf_counter() - t1
    launches = compiled.launches()
    planned = f" ({len(launches)} launches, {len({l.kernel for l in launches})} kernels)" if launches else \
        " (dynamic shapes: planned at the first inference)"
    _log(f"[ INFO ] Compile model took {_fmt_ms(t_compile)}{planned}")
    _log("[Step 3/6] Querying optimal runtime parameters")
    for key in ("NETWORK_NAME", "OPTIMAL_NUMBER_OF_INFER_REQUESTS", "NUM_STREAMS", "PERF_COUNT",
                "INFERENCE_PRECISION_HINT", "PERFORMANCE_HINT", "EXECUTION_DEVICES"):
        _log(f"[ INFO ]   {key}: {compiled.get_property(key)}")
    if args.dump_config:
        _dump_config(args.dump_config, compiled, device.name)
    if args.niter == 0:
        _log("[ INFO ] -niter 0: compiled, no inference")
        return 0

    feeds = _feeds(model, args)
    nireq = 1 if args.api == "sync" else (args.nireq or compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    queue = ovcl.AsyncInferQueue(compiled, nireq)
    requests = [queue[k] for k in range(len(queue))]
    _log("[Step 4/6] First inference")
    t2 = time.perf_counter()
    with _Progress("first inference", enabled=not args.quiet):
        requests[0].infer(feeds[0])
    t_first = time.perf_counter() - t2
    _log(f"[ INFO ] First inference took {_fmt_ms(t_first)}")
    shapes = {tuple(np.shape(a) for a in f.values()): f for f in feeds[1:]}
    shapes.pop(tuple(np.shape(a) for a in feeds[0].values()), None)
    if shapes:         # each new set of input shapes is planned at its first inference: not in the measurement
        with _Progress("planning the other input shapes", enabled=not args.quiet):
            for f in shapes.values():
                requests[0].infer(f)
        _log(f"[ INFO ] Planned {len(shapes)} more input shapes (-data_shape)")
    _log(f"[ INFO ] Time to first result (read + compile + first inference): {_fmt_ms(t_read + t_compile + t_first)}")

    limit_s = args.time if args.time is not None else (None if args.niter is not None else 10.0)
    what = " and ".join(x for x in ((f"{args.niter} iterations" if args.niter else ""),
                                    (f"{limit_s:g} s" if limit_s else "")) if x)
    mode = "synchronously" if args.api == "sync" else f"asynchronously, {nireq} infer requests"
    _log(f"[Step 5/6] Measuring performance (inference {mode}, limits: {what})")
    latencies, duration = _measure(queue, feeds, args.api, args.niter, limit_s, args.max_irate)
    if args.no_warmup:          # the first inference counts as a measured one
        latencies, duration = [t_first, *latencies], duration + t_first
    batch = _batch(feeds[0])
    items = sum(_batch(feeds[k % len(feeds)]) for k in range(len(latencies)))
    stats = {
        "count": len(latencies), "duration": duration, "batch": batch,
        "latency": float(np.percentile(latencies, args.percentile)), "average": statistics.fmean(latencies),
        "min": min(latencies), "max": max(latencies),
        "throughput": items / duration,
        "read": t_read, "compile": t_compile, "first": t_first,
    }
    _log("[Step 6/6] Dumping statistics report")
    profiles = _profiles(requests) if config["PERF_COUNT"] else []
    if args.pc:
        for k, infos in enumerate(profiles):
            _log(f"[ INFO ] Performance counts for {k}-th infer request")
            _print_counters(infos, args.pcsort)
    if args.report_type:
        _reports(args, argv, compiled, profiles, stats, nireq, device.name)
    if args.plot:
        _plot(args.plot, profiles, f"{Path(args.model).name} on {device.name}")
    if args.exec_graph_path:
        ovcl.serialize(compiled.get_runtime_model(), args.exec_graph_path)
        _log(f"[ INFO ] Execution graph written to {args.exec_graph_path}")
    _log(f"[ INFO ] Execution Devices: {compiled.get_property('EXECUTION_DEVICES')}")
    _log(f"[ INFO ] Count:            {stats['count']} iterations")
    _log(f"[ INFO ] Duration:         {_fmt_ms(duration)}")
    _log("[ INFO ] Latency:")
    _log(f"[ INFO ]    Median:        {_fmt_ms(statistics.median(latencies))}")
    _log(f"[ INFO ]    Average:       {_fmt_ms(stats['average'])}")
    _log(f"[ INFO ]    Min:           {_fmt_ms(stats['min'])}")
    _log(f"[ INFO ]    Max:           {_fmt_ms(stats['max'])}")
    _log(f"[ INFO ] Throughput:   {stats['throughput']:.2f} FPS")
    return 0


def _measure(queue, feeds, api: str, niter, limit_s, max_rate: float = 0) -> tuple[list[float], float]:
    """Seconds per inference, and the whole run's seconds: one request after another (sync), or every request
    of ``queue`` kept in flight with the next inputs (async); at most ``max_rate`` starts a second when set."""
    latencies: list[float] = []
    start = time.perf_counter()
    deadline = start + limit_s if limit_s else float("inf")
    gap = 1.0 / max_rate if max_rate > 0 else 0.0

    def pace(k: int) -> None:           # the k-th start waits for its slot
        if gap:
            time.sleep(max(0.0, start + k * gap - time.perf_counter()))

    if api == "sync":
        request = queue[0]
        while True:
            pace(len(latencies))
            t = time.perf_counter()
            request.infer(feeds[len(latencies) % len(feeds)])
            now = time.perf_counter()
            latencies.append(now - t)
            if (niter is not None and len(latencies) >= niter) or now >= deadline:
                return latencies, time.perf_counter() - start
    queue.set_callback(lambda request, _: latencies.append(request.latency / 1e3))
    started = 0
    while (niter is None or started < niter) and time.perf_counter() < deadline:
        pace(started)
        queue.start_async(feeds[started % len(feeds)])
        started += 1
    queue.wait_all()
    return latencies, time.perf_counter() - start


def _profiles(requests) -> list[list]:
    """The profiling info of each request that ran (with PERF_COUNT compiled in)."""
    from ovcl.errors import InferenceError
    out = []
    for request in requests:
        try:
            out.append(request.get_profiling_info())
        except InferenceError:          # a request the run never used
            pass
    return out


def _counter_rows(infos) -> list[list]:
    return [[i.node_name, i.status.name, i.node_type, i.exec_type, round(i.real_time.total_seconds() * 1e3, 4),
             round(i.cpu_time.total_seconds() * 1e3, 4)] for i in infos]


def _print_counters(infos, order: str | None = None) -> None:
    rows = _counter_rows(infos)
    if order in ("sort", "simple_sort"):
        rows = sorted((r for r in rows if order == "sort" or r[1] == "EXECUTED"), key=lambda r: -r[4])
    for name, status, kind, exec_type, real, cpu in rows:
        _log(f"{name[:20]:<20} Status.{status:<13} layerType: {kind:<20} execType: {exec_type:<22} "
             f"realTime (ms): {real:<9.3f} cpuTime (ms): {cpu:.3f}")
    _log(f"Total time:     {sum(r[4] for r in rows):.3f} milliseconds")


def _dump_config(path: str, compiled, device_name: str) -> None:
    """The compiled model's settings as benchmark_app's -dump_config writes them: {device: {key: value}}."""
    from ovcl.config import SETTINGS
    values = {}
    for key in SETTINGS:
        value = compiled.get_property(key)
        if isinstance(value, bool):
            values[key] = "YES" if value else "NO"
        elif value is not None and not isinstance(value, dict):
            values[key] = str(getattr(value, "value", value))
    with open(path, "w") as f:
        json.dump({device_name: values}, f, indent=2)
    _log(f"[ INFO ] Configuration written to {path}")


def _reports(args, argv, compiled, profiles, stats, nireq, device_name) -> None:
    """benchmark_app's reports in -report_folder: benchmark_report.csv (or .json with -json_stats), and with
    *_counters the per-kernel times, averaged over the requests or one table per request."""
    options = {}
    k = 0
    while k < len(argv):
        if argv[k].startswith("-") and not argv[k].lstrip("-").replace(".", "").isdigit():
            takes = k + 1 < len(argv) and not argv[k + 1].startswith("-")
            options[argv[k]] = argv[k + 1] if takes else ""
            k += 2 if takes else 1
        else:
            options.setdefault("-m", argv[k])
            k += 1
    sections = {
        "cmd_options": options,
        "configuration_setup": {
            "topology": compiled.get_property("NETWORK_NAME"), "target device": device_name, "API": args.api,
            "precision": str(compiled.get_property("INFERENCE_PRECISION_HINT")), "batch size": stats["batch"],
            "number of iterations": stats["count"], "number of parallel infer requests": nireq,
            "duration (ms)": round(stats["duration"] * 1e3, 2)},
        "execution_results": {
            "read model time (ms)": round(stats["read"] * 1e3, 2),
            "compile model time (ms)": round(stats["compile"] * 1e3, 2),
            "first inference time (ms)": round(stats["first"] * 1e3, 2),
            "total execution time (ms)": round(stats["duration"] * 1e3, 2),
            "total number of iterations": stats["count"],
            f"latency (ms) ({args.percentile} percentile)": round(stats["latency"] * 1e3, 3),
            "avg latency": round(stats["average"] * 1e3, 3), "min latency": round(stats["min"] * 1e3, 3),
            "max latency": round(stats["max"] * 1e3, 3), "throughput": round(stats["throughput"], 2)},
    }
    titles = {"cmd_options": "Command line parameters", "configuration_setup": "Configuration setup",
              "execution_results": "Execution results"}
    folder = args.report_folder or "."
    _write(folder, "benchmark_report", args.json_stats, sections, titles)
    if args.report_type == "no_counters":
        return
    tables = [_counter_rows(infos) for infos in profiles]
    header = ["layerName", "execStatus", "layerType", "execType", "realTime (ms)", "cpuTime (ms)"]
    if args.report_type == "average_counters":
        rows = [[*row[:4], round(statistics.fmean(t[i][4] for t in tables), 4),
                 round(statistics.fmean(t[i][5] for t in tables), 4)] for i, row in enumerate(tables[0])]
        _write(folder, "benchmark_average_counters_report", args.json_stats, {"counters": [header, *rows]})
    else:
        _write(folder, "benchmark_detailed_counters_report", args.json_stats,
               {f"request {k}": [header, *rows] for k, rows in enumerate(tables)})


def _plot(path: str, runs: list, title: str) -> None:
    """Horizontal bars: each executed launch's time, averaged over the requests, in program order."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    executed = [[i for i in run if i.status == i.Status.EXECUTED] for run in runs]
    labels = [f"{i.node_name} ({i.exec_type})" for i in executed[0]]
    times = [statistics.fmean(run[k].real_time.total_seconds() * 1e3 for run in executed)
             for k in range(len(labels))]
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.25 * len(labels)))
    ax.barh(range(len(labels)), times)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ms per launch (each launch waits for the one before it)")
    ax.set_title(f"{title}: {sum(times):.2f} ms in {len(labels)} launches")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    _log(f"[ INFO ] Kernel times drawn in {path}")


def _write(folder: str, name: str, as_json: bool, sections: dict, titles: dict | None = None) -> None:
    path = os.path.join(folder, name + (".json" if as_json else ".csv"))
    if as_json:        # tables as records, keyed by their header row
        doc = {k: [dict(zip(v[0], row)) for row in v[1:]] if isinstance(v, list) else v for k, v in sections.items()}
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
    else:
        with open(path, "w", newline="") as f:
            w = csv.writer(f, delimiter=";")
            for key, body in sections.items():
                w.writerow([(titles or {}).get(key, key)])
                w.writerows(body.items() if isinstance(body, dict) else body)
                w.writerow([])
    _log(f"[ INFO ] Report written to {path}")
