"""The ovcl command: run, devices, convert, benchmark, tune.

examples:
    ovcl run                 # the bundled digits CNN on the default device: predictions, accuracy, latency
    ovcl run model.onnx      # any model, random inputs: output summary and latency
    ovcl devices             # OpenCL devices ovcl can use, with their capabilities
    ovcl convert ...         # framework model -> OpenVINO IR (flags as OpenVINO's ovc)
    ovcl benchmark -m MODEL  # latency and throughput of one model (benchmark_app's flags)
    ovcl tune MODEL          # measure the model's kernels on a device, keep the fastest parameters
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

MODELS = Path(__file__).resolve().parent / "models"


def _print_err(msg: str) -> None:
    print(f"ovcl: error: {msg}", file=sys.stderr)


def cmd_devices(args) -> int:
    from .device import available_devices, get_device
    names = available_devices()
    if not names:
        _print_err("no OpenCL device found; pip install pocl-binary-distribution for the CPU device")
        return 1
    for name in names:
        dev = get_device(name)
        c = dev.caps
        print(f"{name}: {dev.full_name}")
        print(f"    platform {dev.platform.name.strip()} ({dev.cl_device.driver_version.strip()}), "
              f"{c.compute_units} compute units, max work-group {c.max_work_group_size}, "
              f"local memory {c.local_mem_size // 1024} KiB, global memory {c.global_mem_size / 2**30:.1f} GiB")
        print(f"    fp16 {'yes' if c.fp16 else 'no'}, fp64 {'yes' if c.fp64 else 'no'}, "
              f"subgroups {'yes' if c.subgroups else 'no'}, float vector width {c.preferred_vector_width_float}")
    return 0


def _random_input(port, batch_default: int = 1) -> np.ndarray:
    ps = port.get_partial_shape()
    shape = [d.get_length() if d.is_static else (batch_default if i == 0 else 16) for i, d in enumerate(ps)]
    t = port.get_element_type()
    rng = np.random.default_rng(0)
    if t.is_real():
        return rng.standard_normal(shape).astype(t.dtype)
    if t.name == "boolean":
        return rng.random(shape) > 0.5
    return rng.integers(0, 10, shape).astype(t.dtype)


def _latency(compiled, feeds, iters: int) -> list[float]:
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        compiled(feeds)
        times.append(time.perf_counter() - t)
    return times


def cmd_run(args) -> int:
    import ovcl
    core = ovcl.Core()
    bundled = args.model is None
    path = MODELS / "digits.onnx" if bundled else Path(args.model)
    t0 = time.perf_counter()
    model = core.read_model(path)
    t_read = time.perf_counter()
    print(f"model   {path.name}: {len(model.get_ops())} ops, inputs "
          + ", ".join(f"{_name(p)}{p.get_partial_shape()}" for p in model.inputs))
    from .device import get_device
    dev = get_device(args.device)
    print(f"device  {args.device} -> {dev.name}: {dev.full_name} ({dev.platform.name.strip()})")
    print("compiling (kernels are built once and cached)...", flush=True)
    compiled = core.compile_model(model, args.device, {"VERBOSE": args.verbose})
    if bundled:
        data = np.load(MODELS / "digits_test.npz")
        images = data["images"].astype(np.float32) / 16.0          # [N, 1, 8, 8] in [0, 1]
        labels = data["labels"]
        compiled({"image": images[:1]})
        t_first = time.perf_counter()
        probs = compiled({"image": images})["prob"]
        pred = probs.argmax(1)
        print(f"first inference {1000 * (t_first - t0):.0f} ms after start (read {1000 * (t_read - t0):.0f} ms, "
              f"compile + first run {1000 * (t_first - t_read):.0f} ms)")
        shown = " ".join(f"{p}" for p in pred[:16])
        print(f"predictions (first 16): {shown}")
        print(f"labels      (first 16): {' '.join(str(v) for v in labels[:16])}")
        print(f"accuracy on {len(labels)} held-out digits: {100 * (pred == labels).mean():.1f}%")
        feeds = {"image": images[:1]}
    else:
        feeds = {_name(p): _random_input(p) for p in model.inputs}
        res = compiled(feeds)
        print(f"first inference {1000 * (time.perf_counter() - t0):.0f} ms after start")
        for port, arr in res.items():
            a = np.asarray(arr)
            stats = (f"min {a.min():.4g} max {a.max():.4g} mean {a.astype(np.float64).mean():.4g}"
                     if a.size and a.dtype.kind in "fiub" else "")
            print(f"output  {_name(port)}: {a.dtype}{list(a.shape)} {stats}")
    times = _latency(compiled, feeds, args.iterations)
    print(f"latency (batch 1, {args.iterations} runs): median {1000 * statistics.median(times):.3f} ms, "
          f"min {1000 * min(times):.3f} ms; {len(compiled.launches())} kernel launches per inference")
    return 0


def _name(port) -> str:
    names = port.get_names()
    return min(names) if names else port.node.name


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="ovcl", description="OpenVINO-compatible models on any OpenCL device.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--version", action="version", version=f"ovcl {__import__('ovcl').__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("run", help="run a model (default: the bundled digits CNN) and report latency")
    p.add_argument("model", nargs="?", help="a model: .onnx, .tflite, .xml, .pb, .json, .pdmodel or a SavedModel "
                                            "directory (default: bundled digits CNN)")
    p.add_argument("-d", "--device", default="AUTO", help="GPU, GPU.N, CPU or AUTO (default)")
    p.add_argument("-n", "--iterations", type=int, default=50, help="timed inferences (default 50)")
    p.add_argument("-v", "--verbose", action="store_true", help="report kernel builds")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("devices", help="list OpenCL devices and their capabilities")
    p.set_defaults(fn=cmd_devices)
    sub.add_parser("convert", help="convert a model to OpenVINO IR (see: ovcl convert --help)", add_help=False)
    sub.add_parser("benchmark", help="latency and throughput of one model, with benchmark_app's flags (see: ovcl "
                   "benchmark --help)", add_help=False)
    sub.add_parser("tune", help="tune a model's kernels for a device (see: ovcl tune --help)", add_help=False)
    sub.add_parser("serve", help="serve a model repository over KServe v2 REST and gRPC (see: ovcl serve --help)",
                   add_help=False)
    if argv and argv[0] == "convert":
        from .convert_cli import main as convert_main
        return convert_main(argv[1:])
    if argv and argv[0] == "tune":
        from .tuning.cli import main as tune_main
        return tune_main(argv[1:])
    if argv and argv[0] == "serve":
        try:
            from .serving.server import main as serve_main
        except ImportError as e:
            _print_err(f"ovcl serve needs the serve extra: pip install 'ovcl[serve]' ({e})")
            return 1
        return serve_main(argv[1:])
    if argv and argv[0] == "benchmark":
        from .benchmark import main as bench_main
        return bench_main(argv[1:])
    args = parser.parse_args(argv)
    if not getattr(args, "fn", None):
        parser.print_help()
        return 2
    try:
        return args.fn(args)
    except __import__("ovcl").OVCLError as e:
        _print_err(str(e))
        return 1
    except FileNotFoundError as e:
        _print_err(str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
