"""The ONNX backend node-test conformance runner's machinery, shared by ``scripts/conformance.py`` (the
command: tables, docs, the xfail list) and the tests (``tests/test_onnx_backend.py``, ``helpers.check_backend_case``).

The cases are generated from the installed ``onnx`` package
(``onnx.backend.test.case.node.collect_testcases()``; nothing is downloaded) and each one is run through ovcl
on a device ("CPU" by default): ``ovcl.read_model(model bytes)`` → ``ovcl.compile_model`` → call with the
inputs. Outputs are compared as ONNX's backend runner does (shape, dtype, ``np.testing.assert_allclose`` with
the case's rtol/atol, NaN matching NaN), except that integer and boolean outputs must be exactly equal.

Every case gets one status:
  pass         outputs match
  mismatch     outputs differ (values, shape, dtype or count)
  unsupported  ovcl.UnsupportedOpError, or a CompileError saying the op has no OpenCL kernel / the element type
               has no OpenCL representation
  error        any other exception while reading, compiling or running the model
  crash        the worker process died (segfault, abort, out of memory ...)
  timeout      the case ran past the watchdog (--timeout seconds)

Cases run in worker subprocesses (a pool of ``--jobs``); each worker handles many cases, a dead or hung worker
is killed and replaced, so a crash or hang never stops the run.

"core" cases: tensor inputs and outputs only (no sequence/map/optional types), no training ops (Adagrad, Adam,
Momentum, Gradient), no string tensors. The pass rate of the core subset is the headline number.

Run as a program it is one worker (``--worker --device D``), which ``run_cases`` starts.
"""
from __future__ import annotations

import collections
import os
import pickle
import re
import select
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
XFAIL_FILE = ROOT / "tests" / "onnx_backend_xfail.txt"
DOC_FILE = ROOT / "docs" / "conformance.md"
STATUSES = ("pass", "mismatch", "unsupported", "error", "crash", "timeout")
TRAINING_OPS = {"Adagrad", "Adam", "Momentum", "Gradient"}
TRAINING_DOMAIN = "ai.onnx.preview.training"
DEFAULT_TIMEOUT = 60.0
WORKER_START_TIMEOUT = 180.0


# --------------------------------------------------------------------------------------------------------- cases
@dataclass
class Case:
    name: str
    op: str
    core: bool
    not_core: str            # why the case is outside the core subset ("" when core)
    model: bytes
    inputs: list
    outputs: list
    rtol: float
    atol: float


@dataclass
class Result:
    name: str
    op: str
    core: bool
    status: str
    message: str = ""
    seconds: float = 0.0
    not_core: str = ""
    extra: dict = field(default_factory=dict)


def normalize(value):
    """TensorProto → ndarray; sequences stay lists (of ndarrays); anything array-like → ndarray."""
    import onnx
    if isinstance(value, onnx.TensorProto):
        return onnx.numpy_helper.to_array(value)
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if value is None or isinstance(value, dict):
        return value
    return np.asarray(value)


def _op_label(node) -> str:
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return f"{node.domain}::{node.op_type}"


def _core_reason(model, inputs, outputs) -> str:
    """Why a case is not in the core subset; '' when it is."""
    import onnx
    for n in model.graph.node:
        if n.domain == TRAINING_DOMAIN or n.op_type in TRAINING_OPS:
            return f"training op {n.op_type}"
    for vi in list(model.graph.input) + list(model.graph.output):
        if not vi.type.HasField("tensor_type"):
            kind = vi.type.WhichOneof("value") or "untyped"
            return f"{kind} value '{vi.name}'"
        if vi.type.tensor_type.elem_type == onnx.TensorProto.STRING:
            return f"string tensor '{vi.name}'"
    for v in list(inputs) + list(outputs):
        if isinstance(v, (list, tuple, dict)) or v is None:
            return "non-tensor value"
        if isinstance(v, np.ndarray) and v.dtype == object:
            return "string tensor"
    return ""


def collect(filter_re: str | None = None, core_only: bool = False) -> list[Case]:
    """ONNX's node test cases (generated from the installed onnx package), optionally filtered by name."""
    from onnx.backend.test.case.node import collect_testcases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = collect_testcases()
    base_op = {}
    for tc in raw:
        if "_expanded" not in tc.name and tc.model is not None and len(tc.model.graph.node):
            base_op[tc.name] = _op_label(tc.model.graph.node[0])
    rx = re.compile(filter_re) if filter_re else None
    cases, seen = [], set()
    for tc in raw:
        if tc.name in seen or tc.model is None:
            continue
        seen.add(tc.name)
        if rx is not None and not rx.search(tc.name):
            continue
        base = tc.name.split("_expanded")[0]
        op = base_op.get(base) or (_op_label(tc.model.graph.node[0]) if len(tc.model.graph.node) else "?")
        (inputs, outputs), = tc.data_sets  # node cases carry exactly one data set
        inputs = [normalize(v) for v in inputs]
        outputs = [normalize(v) for v in outputs]
        why = _core_reason(tc.model, inputs, outputs)
        if core_only and why:
            continue
        cases.append(Case(tc.name, op, not why, why, tc.model.SerializeToString(), inputs, outputs,
                          float(tc.rtol), float(tc.atol)))
    return cases


# ---------------------------------------------------------------------------------------------------- comparing
_LOWP_FLOAT = ("bfloat16", "float8", "float4", "float6")
_LOWP_INT = ("int4", "uint4", "int2", "uint2")


# What the ONNX spec leaves undefined is not checked: no runtime (nor the oracle that made the expected data,
# whose answer changed between ml_dtypes versions) is bound to a value there.
CAST_OOR_RULE = ('ONNX Cast: "Casting from floating point to fixed point: undefined if OOR (out of range)."')
_NARROW_INT_RANGE = {"INT4": (-8, 7), "UINT4": (0, 15), "INT2": (-2, 1), "UINT2": (0, 3)}


def _fixed_point_range(elem_type: int) -> tuple[int, int] | None:
    """The value range of an ONNX fixed-point (integer) tensor type; None for any other type."""
    import onnx
    name = onnx.TensorProto.DataType.Name(elem_type)
    if name in _NARROW_INT_RANGE:
        return _NARROW_INT_RANGE[name]
    if name.startswith(("INT", "UINT")):
        info = np.iinfo(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
        return int(info.min), int(info.max)
    return None


def _is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or dtype.name.startswith(_LOWP_FLOAT)


def undefined_elements(model, inputs: list, outputs: list) -> list[np.ndarray | None]:
    """Per graph output, a boolean mask of the elements whose value the ONNX spec leaves undefined (None
    where every element is defined). The rule applied is ``CAST_OOR_RULE``, to every Cast and CastLike: an
    element of a float -> fixed-point cast is undefined when its value truncated toward zero lies outside the
    target's range (NaN and infinities included). Where such a cast feeds a graph output directly the mask is
    those elements; where it reaches one through other nodes, that whole output counts as undefined."""
    import onnx
    proto = onnx.load_model_from_string(model) if isinstance(model, bytes) else model
    graph = proto.graph
    casts = [n for n in graph.node if n.op_type in ("Cast", "CastLike")]
    masks: list = [None] * len(outputs)
    if not casts:
        return masks
    values = {vi.name: np.asarray(v) for vi, v in zip(graph.input, inputs)}
    values.update({t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer})
    if any(n.input[0] not in values or (n.op_type == "CastLike" and n.input[1] not in values) for n in casts):
        from onnx.reference import ReferenceEvaluator
        values.update(ReferenceEvaluator(proto).run(None, dict(zip([vi.name for vi in graph.input], inputs)),
                                                    intermediate=True))
    out_index = {vi.name: i for i, vi in enumerate(graph.output)}
    consumers = collections.defaultdict(list)
    for n in graph.node:
        for name in n.input:
            consumers[name].append(n)
    for n in casts:
        x = values.get(n.input[0])
        if x is None or not _is_float(x.dtype):
            continue
        if n.op_type == "Cast":
            to = next(a.i for a in n.attribute if a.name == "to")
        else:
            to = onnx.helper.np_dtype_to_tensor_dtype(values[n.input[1]].dtype)
        bounds = _fixed_point_range(to)
        if bounds is None:
            continue
        t = np.trunc(x.astype(np.float64))
        oor = np.isnan(t) | (t < bounds[0]) | (t > bounds[1])
        if not oor.any():
            continue
        if n.output[0] in out_index:
            i = out_index[n.output[0]]
            masks[i] = oor if masks[i] is None else (masks[i] | oor)
        reached, todo = set(), [c for c in consumers[n.output[0]]]
        while todo:                          # everything downstream of the cast's undefined elements
            c = todo.pop()
            for name in c.output:
                if name not in reached:
                    reached.add(name)
                    todo.extend(consumers[name])
        for name in reached & set(out_index):
            masks[out_index[name]] = np.ones(np.shape(outputs[out_index[name]]), bool)
    return masks


def compare(expected: list, actual: list, rtol: float, atol: float,
            undefined: list[np.ndarray | None] | None = None) -> str | None:
    """None when ``actual`` matches ``expected``, else why not (shape, dtype, values). ``undefined``
    (from ``undefined_elements``) masks, per output, the elements left out of the value check."""
    if len(actual) != len(expected):
        return f"{len(actual)} outputs, expected {len(expected)}"
    for i, (e, a) in enumerate(zip(expected, actual)):
        if isinstance(e, list):
            if not isinstance(a, (list, tuple)) or len(a) != len(e):
                return f"output {i}: expected a sequence of {len(e)} tensors, got {type(a).__name__}"
            why = compare(e, list(a), rtol, atol)
            if why:
                return f"output {i}: {why}"
            continue
        a = np.asarray(a)
        e = np.asarray(e)
        if a.shape != e.shape:
            return f"output {i}: shape {a.shape}, expected {e.shape}"
        if a.dtype != e.dtype:
            return f"output {i}: dtype {a.dtype}, expected {e.dtype}"
        name = e.dtype.name
        mask = undefined[i] if undefined else None
        if mask is not None:
            a, e = a[~mask], e[~mask]
        try:
            if e.dtype == object:
                np.testing.assert_array_equal(a, e)
            elif name.startswith(_LOWP_INT):
                np.testing.assert_array_equal(a.astype(np.int32), e.astype(np.int32))
            elif name.startswith(_LOWP_FLOAT):
                r = max(rtol, 2 ** -6) if name == "bfloat16" else rtol
                np.testing.assert_allclose(a.astype(np.float32), e.astype(np.float32), rtol=r, atol=atol)
            elif e.dtype.kind in "iub":
                np.testing.assert_array_equal(a, e)
            else:
                np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
        except AssertionError as err:
            text = "\n".join(line for line in str(err).strip().splitlines() if line.strip())
            return f"output {i} ({name}{list(e.shape)}): {text}"
    return None


# ------------------------------------------------------------------------------------------------------ worker
def _classify_exception(exc: BaseException) -> str:
    import ovcl
    if isinstance(exc, ovcl.UnsupportedOpError):
        return "unsupported"
    if isinstance(exc, ovcl.CompileError) and not isinstance(exc, ovcl.KernelBuildError):
        msg = str(exc)
        if "no OpenCL kernel" in msg or "no OpenCL representation" in msg:
            return "unsupported"
    return "error"


def _short(exc: BaseException, limit: int = 1500) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[:limit] + " ..."


def run_case(case: Case, device: str = "CPU") -> tuple[str, str]:
    """Run one case through ovcl in this process; (status, message)."""
    import onnx
    import ovcl
    phase = "read_model"
    try:
        model = ovcl.read_model(case.model)
        phase = "compile_model"
        compiled = ovcl.compile_model(model, device)
        phase = "infer"
        proto = onnx.load_model_from_string(case.model)
        feeds = {vi.name: v for vi, v in zip(proto.graph.input, case.inputs)}
        result = compiled(feeds)
        actual = list(result.to_tuple())
    except Exception as e:  # noqa: BLE001 - every failure is a result
        return _classify_exception(e), f"[{phase}] {_short(e)}"
    why = compare(case.outputs, actual, case.rtol, case.atol,
                  undefined_elements(case.model, case.inputs, case.outputs))
    if why is None:
        return "pass", ""
    return "mismatch", why[:1500]


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    data = struct.pack("<Q", len(data)) + data
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _recv_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        b = os.read(fd, min(left, 1 << 20))
        if not b:
            raise EOFError
        chunks.append(b)
        left -= len(b)
    return b"".join(chunks)


def _recv(fd: int):
    (n,) = struct.unpack("<Q", _recv_exact(fd, 8))
    return pickle.loads(_recv_exact(fd, n))


def worker_main(device: str) -> None:
    """Loop: read a Case from stdin, run it, write (name, status, message, seconds) to the original stdout.

    Anything ovcl, PoCL or a kernel prints goes to stderr, so the protocol channel stays clean."""
    proto_out = os.dup(1)
    os.dup2(2, 1)
    proto_in = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    warnings.simplefilter("ignore")
    try:
        import onnx  # noqa: F401
        import ovcl
        ovcl.Core().available_devices  # noqa: B018 - discover the device once, before the first case
        _send(proto_out, ("ready", os.getpid()))
    except Exception as e:  # noqa: BLE001
        _send(proto_out, ("failed", _short(e)))
        return
    while True:
        try:
            case = _recv(proto_in)
        except EOFError:
            return
        if case is None:
            return
        case = Case(**case)
        t0 = time.perf_counter()
        fault = os.environ.get("OVCL_CONFORMANCE_FAULT", "")   # self-test hook: "<case name>=crash|hang"
        if fault and fault.partition("=")[0] == case.name:
            if fault.endswith("=crash"):
                os.abort()
            time.sleep(1e6)
        status, message = run_case(case, device)
        _send(proto_out, (case.name, status, message, time.perf_counter() - t0))


# ------------------------------------------------------------------------------------------------------- pool
class _Worker:
    def __init__(self, device: str, env: dict | None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", "--device", device],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     env=env, cwd=str(ROOT))
        self.out = self.proc.stdout.fileno()
        self.inp = self.proc.stdin.fileno()
        self.case: Case | None = None
        self.deadline = 0.0
        self.started = 0.0
        self.ready = False
        self.broken = False
        self.ready_deadline = time.monotonic() + WORKER_START_TIMEOUT

    def assign(self, case: Case, timeout: float) -> None:
        self.case = case
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.log.seek(0)
        self.log.truncate()
        _send(self.inp, dict(vars(case)))   # plain data: the worker's module may have another name

    def log_tail(self, n: int = 1200) -> str:
        try:
            self.log.seek(0, os.SEEK_END)
            size = self.log.tell()
            self.log.seek(max(0, size - n))
            return self.log.read().decode(errors="replace").strip()
        except OSError:
            return ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self.log.close()

    def close(self) -> None:
        try:
            _send(self.inp, None)
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        self.kill()


def _crash_message(w: _Worker) -> str:
    rc = w.proc.poll()
    if rc is None:
        try:
            rc = w.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = None
    if rc is not None and rc < 0:
        import signal
        try:
            how = f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            how = f"killed by signal {-rc}"
    else:
        how = f"exited with code {rc}"
    tail = w.log_tail()
    return f"worker {how}" + (f"; stderr tail: {tail[-800:]}" if tail else "")


def run_cases(cases: list[Case], jobs: int = 2, timeout: float = DEFAULT_TIMEOUT, device: str = "CPU",
              env: dict | None = None, progress=None) -> list[Result]:
    """Run ``cases`` in a pool of ``jobs`` crash-safe worker processes; one Result per case, in input order."""
    pending = collections.deque(cases)
    results: dict[str, Result] = {}
    workers: list[_Worker] = []
    restarts = 0
    # a worker that cannot even start (import error, no device) fails every case the same way
    startup_failures = 0

    def finish(case: Case, status: str, message: str, seconds: float) -> None:
        r = Result(case.name, case.op, case.core, status, message, round(seconds, 3), case.not_core)
        results[case.name] = r
        if progress:
            progress(r, len(results), len(cases))

    try:
        for _ in range(max(1, min(jobs, len(cases)))):
            workers.append(_Worker(device, env))
        while pending or any(w.case is not None for w in workers):
            # hand out work to idle, ready workers
            for w in workers:
                if w.ready and w.case is None and pending:
                    case = pending.popleft()
                    try:
                        w.assign(case, timeout)
                    except OSError:   # the worker died while idle: give the case to its successor
                        pending.appendleft(case)
                        w.case = None
                        w.broken = True
            fds = {w.out: w for w in workers if w.proc.stdout and not w.proc.stdout.closed}
            now = time.monotonic()
            waits = [(w.deadline if w.ready else w.ready_deadline) - now for w in workers
                     if w.case is not None or not w.ready]
            wait = max(0.0, min(waits)) if waits else 1.0
            readable, _, _ = select.select(list(fds), [], [], min(wait, 5.0))
            now = time.monotonic()
            for i, w in enumerate(list(workers)):
                dead, msg = w.broken, None
                if not dead and w.out in readable:
                    try:
                        msg = _recv(w.out)
                    except (EOFError, OSError, pickle.UnpicklingError, struct.error):
                        dead = True
                if msg is not None:
                    if not w.ready:
                        if msg[0] == "ready":
                            w.ready = True
                            startup_failures = 0
                        else:
                            dead = True
                    else:
                        name, status, message, secs = msg
                        case, w.case = w.case, None
                        finish(case, status, message, secs)
                        continue
                if not dead:
                    over = (w.case is not None and now > w.deadline) or (not w.ready and now > w.ready_deadline)
                    if not over:
                        continue
                    if w.case is not None:
                        finish(w.case, "timeout", f"no result after {timeout:.0f} s; worker killed", now - w.started)
                    w.case = None
                    w.kill()
                else:
                    if w.case is not None:
                        finish(w.case, "crash", _crash_message(w), now - w.started)
                        w.case = None
                    elif not w.ready:
                        startup_failures += 1
                        tail = w.log_tail()
                        if startup_failures >= 3:
                            raise RuntimeError(f"conformance workers fail to start: {msg!r} {tail[-2000:]}")
                    w.kill()
                restarts += 1
                workers[i] = _Worker(device, env)
    finally:
        for w in workers:
            if w.case is None:
                w.close()
            else:
                w.kill()
    return [results[c.name] for c in cases if c.name in results]


# ---------------------------------------------------------------------------------------------------- reports
def summarize(results: list[Result]) -> dict:
    core = [r for r in results if r.core]
    per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in results:
        per_op[r.op]["total"] += 1
        per_op[r.op][r.status] += 1
        if r.core:
            per_op[r.op]["core_total"] += 1
            per_op[r.op]["core_" + r.status] += 1
    return {
        "cases": len(results),
        "core_cases": len(core),
        "core_passed": sum(r.status == "pass" for r in core),
        "core_status": dict(collections.Counter(r.status for r in core)),
        "all_passed": sum(r.status == "pass" for r in results),
        "per_op": {op: dict(c) for op, c in sorted(per_op.items())},
    }


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(results: list[Result], meta: dict) -> str:
    s = summarize(results)
    rate = 100.0 * s["core_passed"] / max(1, s["core_cases"])
    lines = [
        "# ONNX backend node-test conformance",
        "",
        "Generated by `scripts/conformance.py` from the node test cases of the installed onnx package "
        f"(onnx {meta.get('onnx', '?')}), run on ovcl device `{meta.get('device', 'CPU')}`"
        f"{' with filter `' + meta['filter'] + '`' if meta.get('filter') else ''}.",
        f"Date: {meta.get('date', '?')}; git: {meta.get('git', '?')}.",
        "",
        f"**Core subset: {s['core_passed']} / {s['core_cases']} passed ({rate:.1f} %).** "
        "Core = tensor inputs/outputs only, no training ops, no string tensors.",
        "",
        "| status | core cases |",
        "|---|---|",
    ]
    for st in STATUSES:
        lines.append(f"| {st} | {s['core_status'].get(st, 0)} |")
    lines += ["", f"All cases (incl. non-core): {s['all_passed']} / {s['cases']} passed.", "",
              "## Per op (core cases)", "",
              "| op | passed / total | mismatch | unsupported | error | crash | timeout | non-core |",
              "|---|---|---|---|---|---|---|---|"]
    for op, c in s["per_op"].items():
        noncore = c.get("total", 0) - c.get("core_total", 0)
        ct = c.get("core_total", 0)
        cells = [f"{c.get('core_pass', 0)} / {ct}" if ct else "-"]
        cells += [str(c.get("core_" + st, 0) or "") for st in STATUSES[1:]]
        lines.append(f"| {_md_escape(op)} | " + " | ".join(cells) + f" | {noncore or ''} |")
    failing = [r for r in results if r.core and r.status != "pass"]
    if failing:
        lines += ["", "## Failing core cases", "", "| case | op | status | message |", "|---|---|---|---|"]
        for r in failing:
            lines.append(f"| {r.name} | {_md_escape(r.op)} | {r.status} | {_md_escape(r.message[:200])} |")
    return "\n".join(lines) + "\n"


def read_xfail(path: Path = XFAIL_FILE) -> dict[str, str]:
    """{case name: reason} from the committed list of core cases that do not pass yet."""
    out = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        name, _, reason = line.partition("#")
        name = name.strip()
        if name:
            out[name] = reason.strip()
    return out


def _reason(r: Result) -> str:
    msg = r.message
    msg = re.sub(r"^\[[a-z_]+\] ", "", msg)
    first = msg.splitlines()[0] if msg else ""
    first = re.sub(r"\s+", " ", first)
    return f"{r.status}: {first[:110]}".strip()


def write_xfail(results: list[Result], path: Path = XFAIL_FILE) -> tuple[int, int]:
    """Update the xfail list for the cases in ``results``: failing core ones in, passing ones out. Entries for
    cases not in ``results`` are kept. Returns (added, removed)."""
    old = read_xfail(path)
    new = dict(old)
    ran = {r.name: r for r in results if r.core}
    added = removed = 0
    for name, r in ran.items():
        if r.status == "pass":
            if new.pop(name, None) is not None:
                removed += 1
        else:
            if name not in new:
                added += 1
            new[name] = _reason(r)
    header = ("# ONNX backend node-test cases (core subset) that do not pass on ovcl yet, one per line with the\n"
              "# reason after '#'. Maintained by `python scripts/conformance.py --core-only --update-xfail`;\n"
              "# tests/test_onnx_backend.py fails when a case outside this list fails.\n")
    body = "\n".join(f"{n}  # {new[n]}" for n in sorted(new))
    path.write_text(header + body + ("\n" if body else ""))
    return added, removed


def git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    worker_main(sys.argv[sys.argv.index("--device") + 1] if "--device" in sys.argv else "CPU")
