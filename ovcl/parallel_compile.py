"""A cold plan's kernels compiled on every core: worker processes warm PoCL's kernel cache.

PoCL compiles each kernel for its work-group size at the first launch that uses it (0.06 to 3 s a kernel on
a Zen 3, most of a cold first inference: ResNet-50's 27 kernels 16 s after a 3 s program build), one at a
time behind a process-wide lock, so threads do not overlap it (12 kernels launched from two threads took
0.77 s, serially 0.73). Processes do. Each worker builds the plan's whole program from the same source and
options (PoCL caches builds by them, so the main process's own build afterwards is a cache hit), then takes
kernels off a shared list (claimed by creating a file, so a slow kernel does not hold up a fixed share) and
launches each once, with the plan's sizes, on zero-filled buffers of its arguments' sizes: PoCL keeps each
compiled (kernel, work-group size) on disk, where the main process's first inference finds it. A worker
that fails or runs out of time only leaves its kernels cold: they compile at their first launch, as without
workers.

Workers run this file as a script (``python parallel_compile.py SPEC``), so they import NumPy and
pyopencl, never ovcl or a framework. The work is worth it only where the driver compiles at first launch
(PoCL; other drivers compile whole programs in clBuildProgram), PoCL's disk cache is on, and there are
enough kernels for two workers: config ``COMPILATION_NUM_THREADS`` (as OpenVINO's) sets the number of
processes, 1 turns them off. A marker in ovcl's kernel cache records a program already warmed, so a warm
PoCL cache does not start processes again.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIN_PER_WORKER = 4          # kernels: below this a worker's start (about 0.3 s) and build outweigh its share
MAX_WORKERS = 8             # each holds a PoCL context and the whole program: about 200 MB of memory
MAX_LAUNCH_BYTES = 512 << 20    # a launch whose arguments need more compiles at its first launch instead
TIMEOUT_S = 600
WORKER_SCRIPT = os.path.abspath(__file__)


def _pocl_cache_on() -> bool:
    return os.environ.get("POCL_KERNEL_CACHE", "1").strip().lower() not in ("0", "off", "false", "no")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _marker(key: str) -> Path | None:
    from .programs import cache_dir
    d = cache_dir()
    return None if d is None else d / "warmed" / key


def worker_count(device, launches, config: dict, key: str) -> int:
    """Processes to warm this program with: 0 where it would not pay."""
    want = config.get("COMPILATION_NUM_THREADS")
    if want in (None, "", 0, "0"):
        want = _cores()
    else:
        try:
            want = int(want)
        except (TypeError, ValueError):
            from .errors import CompileError
            raise CompileError(f"config COMPILATION_NUM_THREADS must be a whole number of processes (1: none), "
                               f"not {want!r}") from None
    if not device.is_pocl or not _pocl_cache_on() or not sys.executable:
        return 0
    n = len(first_launches(launches))
    workers = min(want, MAX_WORKERS, n // MIN_PER_WORKER)
    if workers < 2:
        return 0
    marker = _marker(key)
    return 0 if marker is not None and marker.exists() else workers


def first_launches(launches) -> list:
    """One launch per compile PoCL makes and caches: per (kernel, work-group size), the launch with the least
    argument memory (PoCL compiles a kernel again for another work-group size, not for another global size:
    ResNet-50's shared GEMMs at other sizes launched in 1-3 ms). A launch that leaves its work-group size to
    the driver counts with its global size, from which the driver picks one."""
    best: dict = {}
    for l in launches:
        k = (l.kernel, tuple(l.lsize)) if l.lsize else (l.kernel, (), tuple(l.gsize))
        if k not in best or _arg_bytes(l) < _arg_bytes(best[k]):
            best[k] = l
    return list(best.values())


def _arg_bytes(launch) -> int:
    from .lowering import Value
    return sum(int(a.storage.nbytes) for a in launch.args if isinstance(a, Value))


def _arg_spec(a):
    import numpy as np
    from .lowering import LocalMem, Value
    if isinstance(a, Value):
        return ["b", max(int(a.storage.nbytes), 4)]
    if isinstance(a, LocalMem):
        return ["l", max(int(a.nbytes), 4)]
    if isinstance(a, np.generic):
        return ["s", a.dtype.str, a.item()]
    return None         # an argument of no known C type: that launch is left to its first launch


def warm(device, source: str, options, launches, workers: int, key: str, verbose: bool = False) -> dict:
    """Compile ``launches``' kernels in ``workers`` processes; returns what happened, for the plan's stats."""
    import pyopencl as cl
    todo = first_launches(launches)
    # longest sources first, a rough proxy of a kernel's compile time: the last ones claimed are short
    items = [[l.kernel, list(l.gsize), list(l.lsize), [_arg_spec(a) for a in l.args]]
             for l in sorted(todo, key=lambda l: -len(l.source))]
    items = [it for it in items if None not in it[3]]
    platforms = cl.get_platforms()
    pi = next(i for i, p in enumerate(platforms) if p.int_ptr == device.platform.int_ptr)
    di = next(i for i, d in enumerate(platforms[pi].get_devices()) if d.int_ptr == device.cl_device.int_ptr)
    if verbose:
        print(f"ovcl: compiling {len(items)} kernels in {workers} processes...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    failed = workers
    try:
        with tempfile.TemporaryDirectory(prefix="ovcl-compile-") as tmp:
            failed = _run_workers(Path(tmp), {"platform": pi, "device": di, "source": source,
                                              "options": list(options), "launches": items}, workers, verbose)
    except OSError as e:        # no temporary directory, no process: the kernels compile at first launch
        if verbose:
            print(f"ovcl: compile workers did not start ({e})", file=sys.stderr, flush=True)
    marker = _marker(key)
    if marker is not None and not failed:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass
    return {"compile_workers": workers, "compile_workers_failed": failed, "warmed_kernels": len(items),
            "warm_s": time.perf_counter() - t0}


def _run_workers(tmp: Path, spec: dict, workers: int, verbose: bool) -> int:
    """Run ``workers`` processes on ``spec`` to the end or the deadline; returns how many failed."""
    path = tmp / "spec.json"
    path.write_text(json.dumps(spec))
    logs = [open(tmp / f"worker-{k}.log", "w+b") for k in range(workers)]    # files: a pipe could fill up
    procs: list[subprocess.Popen] = []
    try:
        for log in logs:
            procs.append(subprocess.Popen([sys.executable, WORKER_SCRIPT, str(path)], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=log))
        deadline = time.monotonic() + TIMEOUT_S
        failed = 0
        for p, log in zip(procs, logs):
            try:
                p.wait(timeout=max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p.returncode != 0:
                failed += 1
                if verbose:
                    log.seek(0)
                    tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
                    print(f"ovcl: a compile worker failed (rc {p.returncode}) {' '.join(tail)}; its kernels "
                          f"compile at their first launch", file=sys.stderr, flush=True)
        return failed
    finally:        # interrupted (Ctrl-C) or not: no worker outlives the compile
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in logs:
            log.close()


def _worker(spec_path: str) -> int:
    import numpy as np
    import pyopencl as cl
    spec = json.loads(Path(spec_path).read_text())
    device = cl.get_platforms()[spec["platform"]].get_devices()[spec["device"]]
    ctx = cl.Context([device])
    queue = cl.CommandQueue(ctx)
    program = cl.Program(ctx, spec["source"])
    program.build(options=spec["options"], devices=[device])
    zero = np.uint8(0)
    claims = Path(spec_path).parent
    for i, (kernel, gsize, lsize, args) in enumerate(spec["launches"]):
        try:        # the first worker to create the claim compiles this one
            os.close(os.open(claims / f"claim-{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
        if sum(a[1] for a in args if a[0] == "b") > MAX_LAUNCH_BYTES:
            continue
        values, buffers = [], []
        for a in args:
            if a[0] == "b":
                buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, a[1])
                cl.enqueue_fill_buffer(queue, buf, zero, 0, a[1])
                buffers.append(buf)       # held until the launch is done: set_args keeps no reference
                values.append(buf)
            elif a[0] == "l":
                values.append(cl.LocalMemory(a[1]))
            else:
                values.append(np.dtype(a[1]).type(a[2]))
        k = cl.Kernel(program, kernel)
        k.set_args(*values)
        cl.enqueue_nd_range_kernel(queue, k, tuple(gsize), tuple(lsize))
        queue.finish()
        del buffers
    return 0


if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)         # ovcl's own modules are no top-level modules for the imports here
    sys.exit(_worker(sys.argv[1]))
