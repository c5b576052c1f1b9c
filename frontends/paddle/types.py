"""Paddle's element types under their three spellings (the VarType code of the legacy program and of
``.pdiparams``, PIR's type names such as ``t_f32``, and the dtype names attributes carry, ``float32``) and the
ovcl type each one is."""
from __future__ import annotations

from ovcl.frontends.errors import FrontendError

from .protos import VAR_TYPES

# VarType name: (PIR type, dtype name, ovcl type)
_TYPES = {
    "BOOL": ("t_bool", "bool", "boolean"), "INT8": ("t_i8", "int8", "i8"), "UINT8": ("t_ui8", "uint8", "u8"),
    "INT16": ("t_i16", "int16", "i16"), "UINT16": ("t_ui16", "uint16", "u16"), "INT32": ("t_i32", "int32", "i32"),
    "UINT32": ("t_ui32", "uint32", "u32"), "INT64": ("t_i64", "int64", "i64"), "UINT64": ("t_ui64", "uint64", "u64"),
    "FP16": ("t_f16", "float16", "f16"), "BF16": ("t_bf16", "bfloat16", "bf16"), "FP32": ("t_f32", "float32", "f32"),
    "FP64": ("t_f64", "float64", "f64"),
}
_BY_CODE = {VAR_TYPES[k]: (k, v[2]) for k, v in _TYPES.items()}
_BY_PIR = {v[0]: v[2] for v in _TYPES.values()}
_BY_DTYPE = {v[1]: v[2] for v in _TYPES.values()}
_CODE_NAMES = {v: k for k, v in VAR_TYPES.items()}


def _unsupported(where: str, name) -> FrontendError:
    return FrontendError(f"{where}: {name} tensors are not supported")


def from_var_type(code: int, where: str) -> str:
    """The ovcl type name of VarType code ``code``."""
    if code not in _BY_CODE:
        raise _unsupported(where, _CODE_NAMES.get(code, f"type {code}"))
    return _BY_CODE[code][1]


def from_pir_type(name: str, where: str) -> str:
    """The ovcl type name of a PIR type name (``t_f32``)."""
    if name not in _BY_PIR:
        raise _unsupported(where, name[2:] if name.startswith("t_") else name)
    return _BY_PIR[name]


def from_dtype_name(name: str, where: str) -> str:
    """The ovcl type name of a dtype name (``float32``)."""
    if name not in _BY_DTYPE:
        raise _unsupported(where, name)
    return _BY_DTYPE[name]
