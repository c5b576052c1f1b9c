"""A ``.tflite`` FlatBuffer read into plain Python objects (subgraph 0: its tensors, operators, inputs and
outputs, with constant data and quantization), through the ``tflite`` package's generated schema code.

Everything is read up front, inside one ``try``: a truncated or corrupt file fails here with a FrontendError
naming the file, never later in a translator."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Type

FILE_IDENTIFIER = b"TFL3"

# TensorType enum of the schema -> element type (STRING, COMPLEX, RESOURCE, VARIANT have none)
_TYPES = {0: Type.f32, 1: Type.f16, 2: Type.i32, 3: Type.u8, 4: Type.i64, 6: Type.boolean, 7: Type.i16,
          9: Type.i8, 10: Type.f64, 12: Type.u64, 15: Type.u32, 16: Type.u16, 17: Type.i4}
_TYPE_NAMES = {5: "STRING", 8: "COMPLEX64", 11: "COMPLEX128", 13: "RESOURCE", 14: "VARIANT"}


@dataclass
class Quantization:
    """real = scale * (q - zero_point), per tensor or along ``axis``."""
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int

    @property
    def per_axis(self) -> bool:
        return self.scale.size > 1


@dataclass
class Tensor:
    index: int
    name: str
    type: Type
    shape: list[int]                  # -1 where the dimension is dynamic (from shape_signature)
    data: np.ndarray | None           # constant data, shaped
    quant: Quantization | None        # set for quantized integer tensors only
    is_variable: bool = False


@dataclass
class Operator:
    index: int
    opcode: str                       # BuiltinOperator name ("CONV_2D"), or "CUSTOM:<code>"
    version: int
    inputs: list[int]                 # -1: an omitted optional input
    outputs: list[int]
    options: object | None            # the tflite.<Name>Options table, initialised
    options_name: str


@dataclass
class Graph:
    name: str
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    input_names: dict[int, str] = field(default_factory=dict)    # tensor index -> signature name
    output_names: dict[int, str] = field(default_factory=dict)


def read(buf: bytes, source: str) -> Graph:
    """Parse the model in ``buf`` (``source`` names it in errors) and return its subgraph 0."""
    if len(buf) < 8:
        raise FrontendError(f"{source}: {len(buf)} bytes is too short for a TFLite model")
    if buf[4:8] != FILE_IDENTIFIER:
        raise FrontendError(f"{source}: not a TFLite model (file identifier {bytes(buf[4:8])!r}, expected "
                            f"{FILE_IDENTIFIER!r})")
    try:
        import tflite
    except ImportError as e:
        raise FrontendError("reading .tflite files needs the 'tflite' package: pip install tflite") from e
    try:
        return _read(tflite, buf)
    except FrontendError as e:
        raise FrontendError(f"{source}: {e}") from e
    except Exception as e:        # a corrupt FlatBuffer fails with struct/Index errors deep in generated code
        raise FrontendError(f"{source}: the TFLite FlatBuffer is corrupt or truncated "
                            f"({type(e).__name__}: {e})") from e


def _read(tflite, buf: bytes) -> Graph:
    model = tflite.Model.GetRootAs(buf, 0)
    if model.SubgraphsLength() < 1:
        raise FrontendError("the model has no subgraph")
    codes = [_opcode(tflite, model.OperatorCodes(i)) for i in range(model.OperatorCodesLength())]
    sg = model.Subgraphs(0)
    tensors = [_tensor(model, buf, sg.Tensors(i), i) for i in range(sg.TensorsLength())]
    n = len(tensors)
    operators = []
    for k in range(sg.OperatorsLength()):
        op = sg.Operators(k)
        idx = op.OpcodeIndex()
        if idx >= len(codes):
            raise FrontendError(f"operator {k} uses opcode index {idx} of {len(codes)}")
        name, version = codes[idx]
        ins = [int(v) for v in op.InputsAsNumpy()] if op.InputsLength() else []
        outs = [int(v) for v in op.OutputsAsNumpy()] if op.OutputsLength() else []
        for t in ins + outs:
            if not -1 <= t < n:
                raise FrontendError(f"operator {k} ({name}) refers to tensor {t} of {n}")
        options, options_name = _options(tflite, op)
        operators.append(Operator(k, name, version, ins, outs, options, options_name))
    inputs = [int(v) for v in sg.InputsAsNumpy()] if sg.InputsLength() else []
    outputs = [int(v) for v in sg.OutputsAsNumpy()] if sg.OutputsLength() else []
    for t in inputs + outputs:
        if not 0 <= t < n:
            raise FrontendError(f"subgraph 0 lists tensor {t} of {n} as an input or output")
    graph = Graph(_str(sg.Name()) or "tflite_model", tensors, operators, inputs, outputs)
    for s in range(model.SignatureDefsLength()):
        sig = model.SignatureDefs(s)
        if sig.SubgraphIndex() != 0:
            continue
        for i in range(sig.InputsLength()):
            graph.input_names[sig.Inputs(i).TensorIndex()] = _str(sig.Inputs(i).Name())
        for i in range(sig.OutputsLength()):
            graph.output_names[sig.Outputs(i).TensorIndex()] = _str(sig.Outputs(i).Name())
        break
    return graph


def _str(b) -> str:
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")


def _opcode(tflite, code) -> tuple[str, int]:
    # Opcodes above 127 live in builtin_code only, with deprecated_builtin_code = 127 (PLACEHOLDER_FOR_...);
    # older files set deprecated_builtin_code only.
    value = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
    if value == tflite.BuiltinOperator.CUSTOM:
        return f"CUSTOM:{_str(code.CustomCode())}", code.Version()
    return _BUILTIN_NAMES(tflite).get(value, f"BUILTIN_{value}"), code.Version()


_names_cache: dict[int, str] = {}


def _BUILTIN_NAMES(tflite) -> dict[int, str]:
    if not _names_cache:
        for k, v in vars(tflite.BuiltinOperator).items():
            if not k.startswith("_") and isinstance(v, int):
                _names_cache.setdefault(v, k)
    return _names_cache


def _options(tflite, op):
    """The operator's builtin options table as its generated class, initialised (None when absent)."""
    kind = op.BuiltinOptionsType()
    table = op.BuiltinOptions()
    if kind == 0 or table is None:
        kind2 = op.BuiltinOptions2Type() if hasattr(op, "BuiltinOptions2Type") else 0
        table2 = op.BuiltinOptions2() if kind2 else None
        if not kind2 or table2 is None:
            return None, ""
        kind, table, enum = kind2, table2, tflite.BuiltinOptions2
    else:
        enum = tflite.BuiltinOptions
    name = next((k for k, v in vars(enum).items() if v == kind and not k.startswith("_")), None)
    cls = getattr(tflite, name, None) if name else None
    if cls is None:
        return None, name or str(kind)
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    return obj, name


def _tensor(model, buf: bytes, t, index: int) -> Tensor:
    name = _str(t.Name()) or f"tensor_{index}"
    code = int(t.Type())
    if code not in _TYPES:
        raise FrontendError(f"tensor {index} ('{name}') has element type "
                            f"{_TYPE_NAMES.get(code, code)}, which ovcl does not support")
    etype = _TYPES[code]
    shape = [int(v) for v in t.ShapeAsNumpy()] if t.ShapeLength() else []
    if t.ShapeSignatureLength():
        sig = [int(v) for v in t.ShapeSignatureAsNumpy()]
        if len(sig) == len(shape):
            shape = [s if s >= 0 else -1 for s in sig]
    data = _buffer(model, buf, t.Buffer(), etype, shape, index, name)
    quant = None
    q = t.Quantization()
    if q is not None and q.ScaleLength() and etype.is_integral():
        scale = q.ScaleAsNumpy().astype(np.float32)
        zp = q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength() else np.zeros(scale.shape, np.int64)
        if zp.size not in (1, scale.size):
            raise FrontendError(f"tensor {index} ('{name}'): {scale.size} scales but {zp.size} zero points")
        quant = Quantization(scale, np.broadcast_to(zp, scale.shape).copy(), int(q.QuantizedDimension()))
    return Tensor(index, name, etype, shape, data, quant, bool(t.IsVariable()))


def _buffer(model, buf: bytes, bindex: int, etype: Type, shape: list[int], index: int, name: str):
    if bindex == 0 or bindex >= model.BuffersLength():
        return None                    # buffer 0 is the empty sentinel: not a constant
    b = model.Buffers(bindex)
    offset, size = int(b.Offset()), int(b.Size())
    if offset > 1:                     # models over 2 GB keep buffers after the FlatBuffer (offset 1: unset)
        if offset + size > len(buf):
            raise FrontendError(f"tensor {index} ('{name}'): buffer {bindex} at [{offset}, {offset + size}) lies "
                                f"past the end of the file ({len(buf)} bytes)")
        raw = np.frombuffer(buf, dtype=np.uint8, count=size, offset=offset)
    elif b.DataLength():
        raw = b.DataAsNumpy()
    else:
        return None
    if any(d < 0 for d in shape):
        raise FrontendError(f"tensor {index} ('{name}') holds data but has a dynamic shape {shape}")
    count = int(np.prod(shape, dtype=np.int64))
    dtype = np.bool_ if etype is Type.boolean else etype.dtype
    if etype is Type.i4:               # two values a byte, low nibble first
        packed = np.asarray(raw, np.uint8)
        vals = np.stack([packed & 15, packed >> 4], axis=-1).reshape(-1)[:count].astype(np.int8)
        return np.where(vals > 7, vals - 16, vals).astype(etype.dtype).reshape(shape)
    need = count * np.dtype(dtype).itemsize
    if raw.size != need:
        raise FrontendError(f"tensor {index} ('{name}') of shape {shape} and type {etype} needs {need} bytes, its "
                            f"buffer {bindex} holds {raw.size}")
    return np.frombuffer(raw.tobytes(), dtype=dtype).reshape(shape).copy()
