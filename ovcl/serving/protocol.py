"""The Open Inference Protocol (KServe v2) on ovcl's side: datatypes, a request's tensors checked against the
model, and the answer's tensors. REST (JSON and the binary tensor extension) and gRPC both go through here, so
both refuse the same bad requests with the same messages.

A ``RequestError`` carries the HTTP status it maps to (gRPC maps it to a status code of its own)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ovcl.ir import Type

# the protocol's datatypes and ovcl's element types
_DATATYPES = {
    "BOOL": Type.boolean, "UINT8": Type.u8, "UINT16": Type.u16, "UINT32": Type.u32, "UINT64": Type.u64,
    "INT8": Type.i8, "INT16": Type.i16, "INT32": Type.i32, "INT64": Type.i64,
    "FP16": Type.f16, "FP32": Type.f32, "FP64": Type.f64, "BF16": Type.bf16, "BYTES": Type.string,
}
_BY_TYPE = {t: name for name, t in _DATATYPES.items()}
# JSON carries numbers and strings; half-precision tensors only travel as binary data
JSON_UNSUPPORTED = {"FP16", "BF16"}


# the server metadata's extensions: what ovcl serve speaks beyond the core protocol
EXTENSIONS = ["binary_tensor_data", "metrics"]


def outcome(status: int) -> str:
    """A refused request's outcome, as the metrics count it."""
    return {400: "bad_request", 404: "not_found", 413: "too_large", 503: "busy"}.get(status, "error")


class RequestError(Exception):
    """A request the server refuses: ``status`` is the HTTP status (400 bad request, 404 unknown model, 413 too
    large, 503 busy)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def datatype_of(t: Type) -> str:
    try:
        return _BY_TYPE[t]
    except KeyError:
        raise RequestError(f"element type {t} has no datatype in the protocol", 500) from None


def numpy_dtype(datatype: str) -> np.dtype:
    t = _DATATYPES.get(datatype)
    if t is None:
        raise RequestError(f"unknown datatype {datatype!r}; the protocol's are {', '.join(_DATATYPES)}")
    return np.dtype(object) if t is Type.string else np.dtype(t.dtype)


def dims_of(port) -> list[int]:
    """A port's shape as the protocol states it: -1 for a dynamic dimension."""
    ps = port.get_partial_shape()
    if ps.rank_is_dynamic:
        return [-1]
    return [d.get_length() if d.is_static else -1 for d in ps]


@dataclass
class TensorSpec:
    """What a model input accepts."""
    name: str
    datatype: str
    partial_shape: object

    def check(self, datatype: str, shape: list[int]) -> None:
        if datatype != self.datatype:
            raise RequestError(f"input '{self.name}' is {self.datatype}, the request says {datatype}")
        if any(not isinstance(d, int) or d < 0 for d in shape):
            raise RequestError(f"input '{self.name}': shape {shape} is not a list of non-negative integers")
        ps = self.partial_shape
        if not ps.rank_is_dynamic:
            if len(shape) != len(ps) or any(not d.compatible(n) for d, n in zip(ps, shape)):
                raise RequestError(f"input '{self.name}': shape {shape} does not fit the model's {ps}")


@dataclass
class InferInput:
    name: str
    datatype: str
    shape: list[int]
    data: object = None                 # JSON: a (nested) list; binary: bytes
    binary: bool = False


@dataclass
class InferOutputRequest:
    name: str
    binary: bool | None = None          # None: as the request as a whole asks


@dataclass
class InferRequest:
    inputs: list[InferInput]
    outputs: list[InferOutputRequest] = field(default_factory=list)
    id: str = ""
    binary_output: bool = False         # the request's binary_data_output parameter


def decode(tensor: InferInput, spec: TensorSpec) -> np.ndarray:
    """The input's data as an array of its datatype and shape, after checking them against the model."""
    spec.check(tensor.datatype, tensor.shape)
    count = int(np.prod(tensor.shape, dtype=np.int64))
    if tensor.datatype == "BYTES":
        items = _bytes_elements(tensor) if tensor.binary else _flatten(tensor)
        if len(items) != count:
            raise RequestError(f"input '{tensor.name}': {len(items)} elements for shape {tensor.shape}")
        return np.array([s if isinstance(s, bytes) else str(s).encode() for s in items],
                        dtype=np.bytes_).reshape(tensor.shape)
    dtype = numpy_dtype(tensor.datatype)
    if tensor.binary:
        data = tensor.data
        if len(data) != count * dtype.itemsize:
            raise RequestError(f"input '{tensor.name}': {len(data)} bytes of binary data, shape {tensor.shape} of "
                               f"{tensor.datatype} needs {count * dtype.itemsize}")
        return np.frombuffer(data, dtype=dtype).reshape(tensor.shape)
    if tensor.datatype in JSON_UNSUPPORTED:
        raise RequestError(f"input '{tensor.name}': {tensor.datatype} data travels as binary data only (JSON has "
                           f"no half-precision numbers)")
    items = _flatten(tensor)
    if len(items) != count:
        raise RequestError(f"input '{tensor.name}': {len(items)} elements for shape {tensor.shape} ({count})")
    try:
        if tensor.datatype == "BOOL":
            if any(not isinstance(v, bool) for v in items):
                raise TypeError("BOOL data must be true or false")
            return np.array(items, dtype=np.bool_).reshape(tensor.shape)
        if dtype.kind in "iu" and any(isinstance(v, float) or isinstance(v, bool) for v in items):
            raise TypeError(f"{tensor.datatype} data must be integers")
        if any(not isinstance(v, (int, float)) for v in items):
            raise TypeError("data must be numbers")
        return np.array(items, dtype=dtype).reshape(tensor.shape)
    except (TypeError, ValueError, OverflowError) as e:
        raise RequestError(f"input '{tensor.name}': {e}") from None


def _flatten(tensor: InferInput) -> list:
    data = tensor.data
    if not isinstance(data, list):
        raise RequestError(f"input '{tensor.name}': 'data' must be a list")
    out, stack = [], [data]
    while stack:                        # iterative: a deeply nested list cannot exhaust the stack
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _bytes_elements(tensor: InferInput) -> list[bytes]:
    """BYTES in binary form: each element a 4-byte little-endian length, then its bytes."""
    data, items, at = tensor.data, [], 0
    while at < len(data):
        if at + 4 > len(data):
            raise RequestError(f"input '{tensor.name}': truncated BYTES element length")
        n = int.from_bytes(data[at:at + 4], "little")
        if at + 4 + n > len(data):
            raise RequestError(f"input '{tensor.name}': a BYTES element runs past the data")
        items.append(bytes(data[at + 4:at + 4 + n]))
        at += 4 + n
    return items


def encode_binary(array: np.ndarray) -> bytes:
    """An output's binary data (BYTES elements with their lengths)."""
    if array.dtype.kind in "SUO":
        parts = []
        for s in array.reshape(-1):
            b = s if isinstance(s, bytes) else str(s).encode()
            parts.append(len(b).to_bytes(4, "little") + b)
        return b"".join(parts)
    return np.ascontiguousarray(array).tobytes()


def json_data(array: np.ndarray, datatype: str) -> list:
    if datatype in JSON_UNSUPPORTED:
        raise RequestError(f"output is {datatype}, which JSON cannot carry: ask for it as binary data "
                           f"(parameters: binary_data true)")
    flat = array.reshape(-1)
    if array.dtype.kind in "SO":
        return [s.decode(errors="replace") if isinstance(s, bytes) else str(s) for s in flat]
    return flat.tolist()
