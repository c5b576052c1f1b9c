"""``.pdiparams``: the persistable tensors of a PaddlePaddle inference model, one after another and unnamed.
Both program forms write them sorted by name (``paddle.jit.save`` sorts the variables it hands to
``save_combine``), so the names come from the program. Each tensor is: a uint32 version (0), a uint64 count of
LoD levels and each level's byte size and offsets, a uint32 tensor version (0), an int32 size and that many bytes
of TensorDesc (element type, dims), then the raw little-endian data."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from google.protobuf.message import DecodeError

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Type

from .protos import TensorDesc
from .types import from_var_type

def read_params(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """The tensors of ``path``, named by ``names`` in sorted order; their count must match."""
    if not all(isinstance(n, str) for n in names):
        raise FrontendError(f"{path}: the program names a parameter that is not text")
    names = sorted(names)
    if not names:
        return {}
    try:
        data = path.read_bytes()
    except OSError as e:
        raise FrontendError(f"cannot read the parameters {path}: {e.strerror or e}") from None
    where = str(path)
    pos = 0
    out = {}

    def take(n: int, what: str) -> bytes:
        nonlocal pos
        if n < 0 or pos + n > len(data):
            raise FrontendError(f"{where} is truncated: {what} of tensor {len(out)} ('{names[len(out)]}') "
                                f"needs {n} bytes at offset {pos} of {len(data)}")
        b = data[pos:pos + n]
        pos += n
        return b

    for name in names:
        version, levels = struct.unpack("<IQ", take(12, "the header"))
        if version != 0:
            raise FrontendError(f"{where}: tensor '{name}' has version {version}; only version 0 is known")
        if levels > 64:
            raise FrontendError(f"{where}: tensor '{name}' claims {levels} LoD levels")
        for _ in range(levels):
            (size,) = struct.unpack("<Q", take(8, "a LoD level size"))
            take(size, "a LoD level")
        tensor_version, desc_size = struct.unpack("<Ii", take(8, "the tensor header"))
        if tensor_version != 0:
            raise FrontendError(f"{where}: tensor '{name}' has tensor version {tensor_version}")
        desc = TensorDesc()
        try:
            desc.ParseFromString(take(desc_size, "the TensorDesc"))
        except DecodeError:
            raise FrontendError(f"{where}: the description of tensor '{name}' is damaged") from None
        dims = list(desc.dims)
        if any(d < 0 for d in dims):
            raise FrontendError(f"{where}: tensor '{name}' has negative dims {dims}")
        dtype = np.dtype(Type.from_name(from_var_type(desc.data_type, f"{where}: tensor '{name}'")).dtype)
        count = int(np.prod(dims, dtype=object)) if dims else 1
        raw = take(count * dtype.itemsize, "the data")
        out[name] = np.frombuffer(raw, dtype=dtype).reshape(dims).copy()
    if pos != len(data):
        raise FrontendError(f"{where} holds {len(data) - pos} bytes after the {len(names)} tensors the program "
                            f"names: the parameters do not belong to this program")
    return out
