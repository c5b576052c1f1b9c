"""Mutation fuzzing of ovcl's model readers and of the compiler's front half (specialise, fuse, lower: everything
before kernels are built): seeded byte-level mutations of valid models (bit flips, overwritten bytes, truncation,
deletions, duplicated and inserted chunks, boundary integers), each read under a watchdog. A rejection must be an
``OVCLError``; anything else (another exception, a hang) is a finding. Used by ``tests/test_fuzz.py`` (ONNX,
IR), the TFLite, TensorFlow and Paddle test modules (on the models they make) and, for long runs,
``scripts/fuzz_readers.py``."""
from __future__ import annotations

import contextlib
import signal
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\xff", b"\x00\x00\x00\x80", b"\xff\xff\xff\x7f",
               b"-1", b"0", b"999999999999", b"<", b">", b'"', b"\xc3\x28"]


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """``data`` with one to four random edits."""
    buf = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        n = len(buf)
        kind = int(rng.integers(0, 7))
        if n == 0:
            buf += bytes(rng.integers(0, 256, 8, dtype=np.uint8))
            continue
        at = int(rng.integers(0, n))
        if kind == 0:                                   # flip bits
            buf[at] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:                                 # overwrite bytes
            k = min(n - at, int(rng.integers(1, 9)))
            buf[at:at + k] = bytes(rng.integers(0, 256, k, dtype=np.uint8))
        elif kind == 2:                                 # truncate
            del buf[at:]
        elif kind == 3:                                 # delete a chunk
            del buf[at:at + int(rng.integers(1, 65))]
        elif kind == 4:                                 # duplicate a chunk
            k = int(rng.integers(1, 65))
            buf[at:at] = buf[at:at + k]
        elif kind == 5:                                 # insert random bytes
            buf[at:at] = bytes(rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8))
        else:                                           # a boundary value
            v = INTERESTING[int(rng.integers(0, len(INTERESTING)))]
            buf[at:at + len(v)] = v
    return bytes(buf)


class Hang(Exception):
    pass


@contextlib.contextmanager
def watchdog(seconds: int):
    """Raises Hang when the block runs longer (SIGALRM: the main thread of a Unix process)."""
    def fire(signum, frame):
        raise Hang(f"no answer in {seconds} s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Report:
    runs: int = 0
    read: int = 0                                       # read and lowered without error
    rejected: int = 0                                   # typed errors
    findings: list = field(default_factory=list)        # (input index, what happened)


def lower(model) -> None:
    """Specialise (dynamic dimensions as 1), fuse and lower ``model`` for PoCL's device, without building
    kernels."""
    from ovcl.compiler import Compiler
    from ovcl.device import get_device
    from ovcl.ir.passes import specialize
    from ovcl.segments import first_cut
    shapes = {}
    for k, port in enumerate(model.inputs):
        ps = port.get_partial_shape()
        if not ps.rank_is_dynamic:
            shapes[k] = tuple(d.get_length() if d.is_static else 1 for d in ps)
    static = specialize(model, shapes)
    if first_cut(static) is None:       # (a model cut at run-time shapes is planned in pieces: not here)
        Compiler(get_device("CPU"), {}).lower(static)


def fuzz(read, seeds: list[bytes], runs: int, seed: int = 0, timeout: int = 20, save_dir: Path | None = None,
         mutator=mutate) -> Report:
    """``runs`` mutated inputs through ``read(bytes) -> Model`` and ``lower``; a finding's input is written to
    ``save_dir`` (when given) to replay."""
    from ovcl.errors import OVCLError
    rng = np.random.default_rng(seed)
    report = Report()
    for k in range(runs):
        data = mutator(seeds[k % len(seeds)], rng)
        report.runs += 1
        try:
            with watchdog(timeout):
                model = read(data)
                lower(model)
            report.read += 1
        except OVCLError:
            report.rejected += 1
        except Hang as e:
            report.findings.append((k, f"hang: {e}"))
        except Exception as e:  # noqa: BLE001 - exactly what the fuzzer looks for
            report.findings.append((k, f"{type(e).__name__}: {str(e)[:300]}"))
        else:
            continue
        if save_dir is not None and report.findings and report.findings[-1][0] == k:
            save_dir.mkdir(parents=True, exist_ok=True)
            (save_dir / f"finding_{seed}_{k}.bin").write_bytes(data)
    return report


def check(report: Report, what: str) -> None:
    """The fuzz run's verdict: every input answered, read or rejected with a typed error."""
    assert report.runs and not report.findings, f"{what}: {len(report.findings)} findings, e.g. {report.findings[:5]}"
    assert report.read + report.rejected == report.runs


# -- the readers and their seeds ---------------------------------------------------------------------------------

def onnx_seeds() -> list[bytes]:
    """The bundled digits CNN and two small graphs (element-wise with broadcasting; reshape, concat, softmax)."""
    from onnx import TensorProto, helper, numpy_helper
    digits = (Path(__file__).parent.parent / "ovcl" / "models" / "digits.onnx").read_bytes()
    g1 = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Relu", ["s"], ["y"])], "eltwise",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    g2 = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("Concat", ["r", "r"], ["c"], axis=1),
         helper.make_node("Softmax", ["c"], ["y"], axis=-1)], "shapes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 6])],
        initializer=[numpy_helper.from_array(np.array([4, 3], np.int64), "shape")])
    return [digits] + [helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
                       for g in (g1, g2)]


def read_onnx(data: bytes):
    import ovcl
    return ovcl.read_model(data)


OP_TYPES = ["Add", "Relu", "Conv", "Reshape", "Concat", "Softmax", "Gather", "Slice", "Transpose", "MatMul",
            "ReduceMean", "Pad", "Resize", "Expand", "Tile", "Split", "Squeeze", "Unsqueeze", "Range", "NonZero",
            "ConstantOfShape", "TopK", "Where", "Cast", "Loop", "If", "Scan", "Unknown"]
BOUNDARY_INTS = [0, 1, -1, 2, 3, 7, -7, 2 ** 31 - 1, -2 ** 31, 2 ** 63 - 1, -2 ** 63, 10 ** 9]


def mutate_onnx(data: bytes, rng: np.random.Generator) -> bytes:
    """Half the time bytes (``mutate``), half the time the graph: an attribute's value, a dimension, an
    operator's type, an input's name, an initializer's shape or data, an output dropped."""
    import onnx
    if rng.random() < 0.5:
        return mutate(data, rng)
    m = onnx.load_model_from_string(data)
    g = m.graph
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(0, 6))
        pick = lambda seq: seq[int(rng.integers(0, len(seq)))] if len(seq) else None  # noqa: E731
        if kind == 0 and (node := pick(g.node)) is not None and (att := pick(node.attribute)) is not None:
            if att.ints:
                att.ints[int(rng.integers(0, len(att.ints)))] = int(pick(BOUNDARY_INTS))
            else:
                att.i = int(pick(BOUNDARY_INTS))
                att.f = float(pick([0.0, -1.0, 1e30, float("nan"), float("inf")]))
        elif kind == 1 and (vi := pick(list(g.input) + list(g.output))) is not None:
            dims = vi.type.tensor_type.shape.dim
            if len(dims):
                pick(dims).dim_value = abs(int(pick(BOUNDARY_INTS))) % (2 ** 40)
        elif kind == 2 and (node := pick(g.node)) is not None:
            node.op_type = pick(OP_TYPES)
        elif kind == 3 and (node := pick(g.node)) is not None and len(node.input):
            names = [t for n in g.node for t in n.output] + [i.name for i in g.input] + ["", "missing"]
            node.input[int(rng.integers(0, len(node.input)))] = pick(names)
        elif kind == 4 and (init := pick(g.initializer)) is not None:
            if len(init.dims) and rng.random() < 0.5:
                init.dims[int(rng.integers(0, len(init.dims)))] = int(pick(BOUNDARY_INTS)) % (2 ** 40)
            elif init.raw_data:
                init.raw_data = init.raw_data[:int(rng.integers(0, len(init.raw_data)))]
        elif kind == 5 and len(g.output) > 1:
            del g.output[int(rng.integers(0, len(g.output)))]
    return m.SerializeToString()


def ir_seed() -> tuple[bytes, bytes]:
    """The digits model as IR written by ovcl (FP16-compressed weights)."""
    import tempfile
    import ovcl
    with tempfile.TemporaryDirectory() as d:
        model = ovcl.read_model(str(Path(__file__).parent.parent / "ovcl" / "models" / "digits.onnx"))
        ovcl.save_model(model, f"{d}/m.xml")
        return Path(f"{d}/m.xml").read_bytes(), Path(f"{d}/m.bin").read_bytes()


def file_reader(path: Path, work: Path, whole_folder: bool = False):
    """A reader of mutated bytes of the model file ``path`` (TFLite, a TensorFlow GraphDef or SavedModel, a Paddle
    program), read by path from ``work``, where the files beside it (weights) lie intact: the files of the same
    stem, or ``whole_folder`` (a SavedModel: read as its folder)."""
    import shutil
    import ovcl
    if whole_folder:
        folder = Path(shutil.copytree(path.parent, work / path.parent.name))
        target, arg = folder / path.name, folder
    else:
        for f in path.parent.glob(f"{path.stem}.*"):
            shutil.copy(f, work)
        target = arg = work / path.name

    def read(data: bytes):
        target.write_bytes(data)
        return ovcl.read_model(str(arg))
    return read


def ir_readers(xml: bytes, weights: bytes):
    """Two readers over IR: one mutates the XML (weights intact), one the weights (XML intact)."""
    from ovcl.ir.ir_reader import read_ir_bytes
    return (lambda data: read_ir_bytes(data, weights)), (lambda data: read_ir_bytes(xml, data))
