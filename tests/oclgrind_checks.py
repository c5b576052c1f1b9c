"""The test suite on Oclgrind (a strict OpenCL simulator): what makes its run fail.

The Oclgrind job (.ci/run) runs the kernel test modules on Oclgrind's device with its checks on (invalid
accesses, uninitialised values, data races, API errors). The run fails on:
- any diagnostic in OCLGRIND_LOG (one log per xdist worker): the test during which it was logged fails, and
  the diagnostics are counted by kind and kernel family at the end;
- any API error, which Oclgrind writes to stderr instead: the test during which it came fails;
- with OCLGRIND_COVERAGE=1, a kernel template or variant that no test launched (each needs a case).
Tests marked ``threads`` are skipped there (``skip_threaded``). With OCLGRIND_AS_CPU=1 the kernels are shaped
as for a CPU that prefers float8 (``_shape_kernels_as_cpu``): .ci/run checks both shapes.
"""
import glob
import json
import os
import re

BASE = os.environ.get("OCLGRIND_LOG", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
LAUNCHED = f"{BASE}.launched"        # per worker: the (template, variant) pairs its tests launched
_launched: set = set()


def start() -> None:
    """Set up a process before it uses OpenCL."""
    if WORKER:
        os.environ["OCLGRIND_LOG"] = f"{BASE}.{WORKER}"
    import pyopencl as cl
    import pyopencl.characterize as characterize

    # Oclgrind 21.10 reuses a freed buffer's id for the next allocation, and its uninitialised-value checker
    # then keeps the old allocation's size: bytes of a larger new buffer past it read as never written, however
    # they were written (a false report, reproduced with plain pyopencl: free 64 B, allocate 256 B, fill it
    # in one kernel, read it in another: 48 reports). Ids come from buffers and from a program's constant
    # tables (a kernel's `const long dims[] = {...}`, reduce/scan's with a run-time axis), freed with the
    # program: three released CumSum models then a ReduceMean gave 1000 reports in reduce_segment. So the
    # tests hold every buffer and program until the process ends, and no id is reused (a worker of the full
    # Oclgrind job peaks near 5 GB RSS; the programs are about a twentieth of it).
    held = []

    class HeldBuffer(cl.Buffer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            held.append(self)

    class HeldProgram(cl.Program):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            held.append(self)

    cl.Buffer = HeldBuffer
    cl.Program = HeldProgram

    # pyopencl asks every device for NVIDIA's compute capability (an NVIDIA-only query) when it builds a
    # program or binds kernel arguments, and Oclgrind reports each ask as an API error: asked of NVIDIA only
    # here, so every API error left is ovcl's own
    nv_compute_capability = characterize.nv_compute_capability
    characterize.nv_compute_capability = (
        lambda dev: nv_compute_capability(dev) if "NVIDIA" in dev.platform.vendor.upper() else None)

    if os.environ.get("OCLGRIND_AS_CPU"):
        _shape_kernels_as_cpu()

    from ovcl.compiler import Compiler
    emit = Compiler.emit

    def recording_emit(self, launch):
        _launched.add((launch.template, getattr(launch, "variant", None)))
        return emit(self, launch)

    Compiler.emit = recording_emit


def _shape_kernels_as_cpu() -> None:
    """Oclgrind reports itself an accelerator preferring scalars, so lowering shapes its kernels as for a GPU.
    With OCLGRIND_AS_CPU=1 it is taken for a CPU preferring float8 (what PoCL reports on AVX2): the CPU-shaped
    variants, float vectors and unaligned vector loads, which PoCL runs and forgives, get the strict checks."""
    import dataclasses

    from ovcl import device

    init = device.Device.__init__

    def as_cpu(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.caps = dataclasses.replace(self.caps, device_type="CPU", preferred_vector_width_float=8)

    device.Device.__init__ = as_cpu


def skip_threaded(items) -> None:
    """Skip the tests marked ``threads`` (inferences on worker threads: AsyncInferQueue, a THROUGHPUT model's
    streams). Oclgrind 21.10's uninitialised-value checker crashes the process (a segfault in its memory pool)
    on a host write completed on a thread other than the context's: shown with plain pyopencl, one
    enqueue_copy on a second thread. PoCL's run covers them."""
    import pytest
    skip = pytest.mark.skip(reason="runs inferences on threads, which crashes Oclgrind's checker")
    for item in items:
        if item.get_closest_marker("threads"):
            item.add_marker(skip)


_log_seen = 0                         # how much of this process's OCLGRIND_LOG earlier test phases accounted for


def _new_diagnostics() -> str:
    """What Oclgrind logged since the last call (it writes each diagnostic as its kernel runs)."""
    global _log_seen
    try:
        with open(os.environ["OCLGRIND_LOG"], "rb") as f:
            f.seek(_log_seen)
            data = f.read()
    except FileNotFoundError:
        return ""
    _log_seen += len(data)
    return data.decode(errors="replace")


def check_report(report) -> None:
    """Fail a test phase during which Oclgrind logged a diagnostic or wrote an API error to stderr, so the
    failure names the test that launched the kernel."""
    logged = _new_diagnostics()
    if not report.passed:
        return
    if logged.strip():
        report.outcome = "failed"
        blocks = [b for b in re.split(r"\n\s*\n", logged) if b.strip()]
        report.longrepr = (f"Oclgrind logged {len(blocks)} diagnostics during this test's {report.when}; the "
                           f"first:\n{blocks[0].strip()}")
        return
    stderr = "".join(text for name, text in report.sections if name == f"Captured stderr {report.when}")
    if "OpenCL runtime error detected" in stderr:
        report.outcome = "failed"
        report.longrepr = f"Oclgrind reported OpenCL API errors ({report.when}):\n{stderr}"


def _diagnostics() -> dict:
    found: dict = {}
    for path in glob.glob(BASE) + glob.glob(f"{BASE}.gw*"):
        for block in re.split(r"\n\s*\n", open(path, errors="replace").read()):
            lines = block.strip().splitlines()
            if not lines:
                continue
            where = re.search(r"Kernel: (\w+?)(_[0-9a-f]{12})?\s*$|Function: (\w+)", block, re.M)
            family = (where.group(1) or where.group(3)) if where else "?"
            key = (lines[0].split(" address")[0].strip(), family)
            found[key] = found.get(key, 0) + 1
    return found


# Templates no model reaches today, and why (each a finding to resolve, not a way to pass)
UNREACHABLE = {
    # a Range's length depends on its values: the plan is cut there and the tail specialised with them as
    # constants, so the Range folds (issue 18's note)
    "data_range.cl.mako",
}


def _not_launched(launched: set) -> list[str]:
    """Templates and variants that exist but no test launched (the shared prelude and UNREACHABLE aside)."""
    from ovcl.kernels.variant import KERNELS, all_variants
    templates = {str(p.relative_to(KERNELS)) for p in KERNELS.rglob("*.cl.mako")} - {"prelude.cl.mako"} - UNREACHABLE
    missing = sorted(templates - {t for t, _ in launched})
    missing += sorted(f"variant {v}" for v in set(all_variants()) - {v for _, v in launched})
    return missing


def finish(session) -> None:
    """A worker saves what it launched; the controller (or a run without workers) judges the run."""
    if WORKER:
        with open(f"{LAUNCHED}.{WORKER}", "w") as f:
            json.dump(sorted(_launched, key=str), f)
        return
    launched = set(_launched)
    for path in glob.glob(f"{LAUNCHED}.*"):
        launched |= {tuple(x) for x in json.load(open(path))}
    report = session.config.get_terminal_writer()
    found = _diagnostics()
    if found:
        report.line(f"\nOclgrind diagnostics ({BASE}*), by kind and kernel family:")
        for (what, family), n in sorted(found.items(), key=lambda kv: -kv[1]):
            report.line(f"  {n:6d}  {what} | {family}")
        session.exitstatus = 1
    # judged on the Oclgrind job's full run only (OCLGRIND_COVERAGE=1): a run of a few tests launches a few kernels
    missing = _not_launched(launched) if os.environ.get("OCLGRIND_COVERAGE") == "1" else []
    if missing:
        report.line("\nOn Oclgrind, no test launched: " + ", ".join(missing))
        session.exitstatus = 1
    elif not found:
        report.line(f"\nOclgrind: no diagnostics; {len(launched)} (template, variant) pairs launched")
