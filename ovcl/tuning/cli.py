"""``ovcl tune``: measure a model's kernels on a device and keep the fastest parameters.

    ovcl tune MODEL [-d DEVICE] [--budget-s N] [--shape SHAPE]   tune, save, print before/after tables
    ovcl tune --show [-d DEVICE]                                 the entries that apply to a device
    ovcl tune --export FILE [-d DEVICE] [--promote LEVEL]        this device's results, to attach or ship
    ovcl tune --import FILE                                      merge results measured elsewhere

Results go to the user's tuning database (``$OVCL_CACHE_DIR/tuning.json``, else ``~/.cache/ovcl/``) at
device level, and every later compile on that device uses them with no flag. ``--promote arch|vendor``
exports them as entries for every device of the same architecture or vendor: what a developer adds to
the shipped database (``kernels/tuning.json``), with the measurements. ``OVCL_TUNING=0`` compiles with
capability defaults only; ``OVCL_TUNING=user`` ignores the shipped database.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from . import database, tuner


def _interleaved(before, after, feeds, rounds: int = 5, seconds: float = 0.5) -> tuple[float, float, list[float]]:
    """Median latencies of two compiled models, measured in alternating rounds (this machine's speed drifts),
    and the per-round ratios before / after."""
    def one(compiled):
        times, stop = [], time.perf_counter() + seconds
        while time.perf_counter() < stop or len(times) < 3:
            t = time.perf_counter()
            compiled(feeds)
            times.append(time.perf_counter() - t)
        return statistics.median(times)
    before(feeds), after(feeds)
    b, a = zip(*[(one(before), one(after)) for _ in range(rounds)])
    return statistics.median(b), statistics.median(a), [x / y for x, y in zip(b, a)]


def _tune(args, device) -> int:
    import numpy as np

    import ovcl
    from ovcl.benchmark import random_inputs
    model = ovcl.read_model(args.model)
    if args.shape:
        from ovcl.ir.passes.cut import apply_input_spec
        model = apply_input_spec(model, args.shape) or model
    feeds = random_inputs(model, 0)
    for port, (name, arr) in zip(model.inputs, feeds.items()):
        if not port.get_partial_shape().is_static:
            print(f"ovcl tune: input {name} is {port.get_partial_shape()}: tuning for {list(arr.shape)}; give "
                  f"--shape for the sizes you run", file=sys.stderr)
    shapes = {i: tuple(np.asarray(v).shape) for i, v in enumerate(feeds.values())}
    before = ovcl.compile_model(model, device.name)
    ref = before(feeds).to_tuple()
    insts = tuner.tune(model, device, args.budget_s, shapes=shapes, runs=args.runs)
    if not insts:
        return 0
    path = tuner.save(insts, device)
    after = ovcl.compile_model(model, device.name)
    got = after(feeds).to_tuple()
    t_before, t_after, ratios = _interleaved(before, after, feeds)
    print(tuner.table(insts))
    print(f"\nwhole model, {device.name}: {1e3 * t_before:.3f} -> {1e3 * t_after:.3f} ms median of "
          f"interleaved rounds ({t_before / t_after:.2f}x; rounds {min(ratios):.2f}-{max(ratios):.2f}x)")
    if max(ratios) / min(ratios) > 1.15:
        print("  (the rounds disagree by more than 15%: the machine is busy; measure again when it is quiet)")
    worst = max((float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
                 for a, b in zip(got, ref) if np.asarray(a).size), default=0.0)
    print(f"outputs after tuning differ from before by at most {worst:.3g} (absolute)")
    print(f"saved {len(insts)} entries to {path}")
    return 0


def _show(device) -> int:
    ident = device.tuning_identity
    print(f"{device.name}: {device.full_name}")
    for level in database.LEVELS:
        print(f"  {level:<7} {ident.key(level)}")
    print(f"OVCL_TUNING mode: {database.mode()}")
    for label, path in (("user", database.user_path()), ("shipped", database.SHIPPED)):
        entries = [e for e in database.read(path) if e.key == ident.key(e.level)]
        print(f"\n{label} database {path}: {len(entries)} entries for this device")
        for e in entries:
            r = e.record
            speed = (f", {r['default_us'] / r['us']:.2f}x over defaults" if r.get("us") and r.get("default_us")
                     else "")
            print(f"  {e.level}:{e.variant} {e.shape}: {e.params}{speed}")
    return 0


def _export(path: str, device, promote: str | None) -> int:
    ident = device.tuning_identity
    mine = [dict(e.record) for e in database.read(database.user_path())
            if e.level == "device" and e.key == ident.device]
    if promote:
        for r in mine:
            r["level"], r["key"] = promote, ident.key(promote)
    database.write(Path(path), mine)
    print(f"wrote {len(mine)} entries{f' promoted to {promote} level' if promote else ''} to {path}")
    return 0


def _import(path: str) -> int:
    entries = database.read(Path(path))
    if not entries:
        print(f"ovcl: error: {path} holds no usable tuning entries", file=sys.stderr)
        return 1
    out = database.add_user_entries([e.record for e in entries])
    print(f"merged {len(entries)} entries into {out}")
    return 0


def main(argv=None) -> int:
    text = __doc__.replace("``", "")       # the docstring's literal markup is not for a terminal
    ap = argparse.ArgumentParser(prog="ovcl tune", description=text.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(text.split("\n\n")[1:]))
    ap.add_argument("model", nargs="?", help="a .onnx or .xml model to tune")
    ap.add_argument("-d", "--device", default="AUTO", help="GPU, GPU.N, CPU or AUTO (default)")
    ap.add_argument("--budget-s", type=float, default=120.0, help="seconds to spend measuring (default 120)")
    ap.add_argument("--shape", default=None, help='input shapes, e.g. "[1,3,224,224]" or "x[1,3,224,224]"')
    ap.add_argument("--runs", type=int, default=5, help="timed runs per candidate, median (default 5)")
    ap.add_argument("--show", action="store_true", help="list the tuning entries that apply to the device")
    ap.add_argument("--export", metavar="FILE", help="write this device's results to FILE")
    ap.add_argument("--promote", choices=("arch", "vendor", "type"), help="with --export: as entries of this level")
    ap.add_argument("--import", dest="import_file", metavar="FILE", help="merge results from FILE")
    args = ap.parse_args(argv)
    import ovcl
    from ovcl.device import get_device
    try:
        if args.import_file:
            return _import(args.import_file)
        device = get_device(args.device)
        if args.show:
            return _show(device)
        if args.export:
            return _export(args.export, device, args.promote)
        if not args.model:
            ap.error("give a MODEL to tune, or --show / --export / --import")
        return _tune(args, device)
    except (ovcl.OVCLError, FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"ovcl tune: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
