"""``ovcl benchmark``: one model's compile time, first inference, latency and throughput on one device.

    ovcl benchmark MODEL [-d DEVICE] [-n ITERS] [-t SECONDS] [--shape SHAPE] [--seed N] [-q]
    python -m ovcl.benchmark MODEL ...

Like OpenVINO's ``benchmark_app`` in synchronous latency mode: read, compile (with progress on stderr),
one first inference, then warm inferences on seeded random inputs for ``-n`` iterations (or ``-t`` seconds,
10 by default). ``--shape`` sets input shapes in the forms ``ovc --input`` takes: ``"[1,3,224,224]"`` or
``"input_ids[1,128],attention_mask[1,128]"``; dimensions still dynamic after it are run as 1.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


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


def random_inputs(model, seed: int) -> dict:
    """Seeded random feeds for every input of ``model`` (dynamic dimensions at stand-in sizes)."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for port in model.inputs:
        ps = port.get_partial_shape()
        shape = [d.get_length() if d.is_static else 1 for d in ps]
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="ovcl benchmark", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="the model: any file or SavedModel directory ovcl reads (.onnx, .xml, .tflite, "
                                  ".pb, .json, .pdmodel)")
    ap.add_argument("-d", "--device", default="AUTO", help="CPU (PoCL), GPU, GPU.N or AUTO (default)")
    ap.add_argument("-n", "--niter", type=int, default=None, help="number of warm iterations")
    ap.add_argument("-t", "--time", type=float, default=None,
                    help="seconds of warm iterations (default 10 when -n is not given)")
    ap.add_argument("--shape", "-shape", default=None, help='input shapes, e.g. "[1,3,224,224]" or "x[1,3,224,224]"')
    ap.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    ap.add_argument("-q", "--quiet", action="store_true", help="no compile progress")
    args = ap.parse_args(argv)
    if args.niter is not None and args.niter < 1:
        ap.error("-n must be at least 1")
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("ovcl benchmark: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - a CLI reports, it doesn't trace
        from ovcl.errors import OVCLError
        if isinstance(e, (OVCLError, FileNotFoundError, ValueError)):
            print(f"ovcl benchmark: error: {e}", file=sys.stderr)
            return 1
        raise


def _run(args) -> int:
    import ovcl
    from ovcl.device import get_device

    device = get_device(args.device)
    _log(f"[Step 1/4] Reading model {args.model}")
    t0 = time.perf_counter()
    core = ovcl.Core()
    model = core.read_model(args.model)
    if args.shape:
        from ovcl.ir.passes.cut import apply_input_spec
        model = apply_input_spec(model, args.shape) or model
    t_read = time.perf_counter() - t0
    _log(f"[ INFO ] Read model took {_fmt_ms(t_read)}")
    for port in model.inputs:
        _log(f"[ INFO ] Input  {_port_name(port)}: {port.get_element_type()} {port.get_partial_shape()}")
    for port in model.outputs:
        _log(f"[ INFO ] Output {_port_name(port)}: {port.get_element_type()} {port.get_partial_shape()}")

    dev_label = f"{device.name} ({device.full_name}, {device.platform.name.strip()})"
    _log(f"[Step 2/4] Compiling for {dev_label}")
    t1 = time.perf_counter()
    config = {} if args.quiet else {"VERBOSE": True}
    with _Progress("compiling", enabled=not args.quiet):
        compiled = core.compile_model(model, device.name, config)
    t_compile = time.perf_counter() - t1
    launches = compiled.launches()
    planned = f" ({len(launches)} launches, {len({l.kernel for l in launches})} kernels)" if launches else \
        " (dynamic shapes: planned at the first inference)"
    _log(f"[ INFO ] Compile model took {_fmt_ms(t_compile)}{planned}")

    feeds = random_inputs(model, args.seed)
    request = compiled.create_infer_request()
    _log("[Step 3/4] First inference")
    t2 = time.perf_counter()
    with _Progress("first inference", enabled=not args.quiet):
        request.infer(feeds)
    t_first = time.perf_counter() - t2
    _log(f"[ INFO ] First inference took {_fmt_ms(t_first)}")
    if not launches:
        launches = compiled.launches()
        _log(f"[ INFO ] Plan: {len(launches)} launches, {len({l.kernel for l in launches})} kernels")
    _log(f"[ INFO ] Time to first result (read + compile + first inference): {_fmt_ms(t_read + t_compile + t_first)}")

    limit_s = args.time if args.time is not None else (None if args.niter is not None else 10.0)
    what = " and ".join(x for x in ((f"{args.niter} iterations" if args.niter else ""),
                                    (f"{limit_s:g} s" if limit_s else "")) if x)
    _log(f"[Step 4/4] Measuring latency: synchronous inference, {what}, whichever ends first")
    lat: list[float] = []
    start = time.perf_counter()
    deadline = start + limit_s if limit_s else float("inf")
    while True:
        t = time.perf_counter()
        request.infer(feeds)
        now = time.perf_counter()
        lat.append(now - t)
        if (args.niter is not None and len(lat) >= args.niter) or now >= deadline:
            break
    duration = time.perf_counter() - start
    _log(f"[ INFO ] Device: {dev_label}")
    _log(f"[ INFO ] Count: {len(lat)} iterations")
    _log(f"[ INFO ] Duration: {_fmt_ms(duration)}")
    _log("[ INFO ] Latency:")
    _log(f"[ INFO ]    Median: {_fmt_ms(statistics.median(lat))}")
    _log(f"[ INFO ]    Average: {_fmt_ms(statistics.fmean(lat))}")
    _log(f"[ INFO ]    Min: {_fmt_ms(min(lat))}")
    _log(f"[ INFO ]    Max: {_fmt_ms(max(lat))}")
    _log(f"[ INFO ] Throughput: {len(lat) / duration:.2f} FPS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
