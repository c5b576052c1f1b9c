"""Element types, named and spelled as OpenVINO spells them (``f32``, ``i64``, ``boolean``...)."""
from __future__ import annotations

import numpy as np


class Type:
    """An element type. Instances are singletons: compare with ``is`` or ``==``."""

    _by_name: dict[str, "Type"] = {}
    _by_dtype: dict[np.dtype, "Type"] = {}

    # filled in below; listed here for type checkers and readers
    f64: "Type"; f32: "Type"; f16: "Type"; bf16: "Type"
    i64: "Type"; i32: "Type"; i16: "Type"; i8: "Type"
    u64: "Type"; u32: "Type"; u16: "Type"; u8: "Type"; u1: "Type"
    boolean: "Type"; string: "Type"; dynamic: "Type"

    def __new__(cls, spec, dtype=..., ir_precision: str = ""):
        if dtype is ...:        # Type(np.float32), Type("f32"): the type itself, as openvino.Type(...) gives
            return Type._of(spec)
        return super().__new__(cls)

    def __init__(self, name, dtype=..., ir_precision: str = ""):
        if dtype is ...:
            return
        self.name = name
        self.dtype = np.dtype(dtype) if dtype is not None else None
        self.ir_precision = ir_precision   # the spelling in IR port precision attributes

    # -- properties (methods, as OpenVINO's Python API has them) -------------------------------------------
    def is_real(self) -> bool:
        return self.name in _REAL

    def is_integral(self) -> bool:
        return self.dtype is not None and not self.is_real()

    def is_integral_number(self) -> bool:
        return self.is_integral() and self is not Type.boolean

    def is_signed(self) -> bool:
        return self.name[0] in "fib"

    def is_quantized(self) -> bool:
        """OpenVINO's quantized types (nf4 and the like); ovcl has none of them."""
        return False

    # the same as properties, as OpenVINO also has them
    real = property(is_real)
    integral = property(is_integral)
    integral_number = property(is_integral_number)
    signed = property(is_signed)
    quantized = property(is_quantized)

    def compatible(self, other) -> bool:
        """Whether the two can be the same type (equal, or one of them dynamic)."""
        other = Type._of(other)
        return self is other or Type.dynamic in (self, other)

    def merge(self, other) -> "Type | None":
        """The type both can be (the static one where the other is dynamic), or None if they differ."""
        other = Type._of(other)
        return (other if self is Type.dynamic else self) if self.compatible(other) else None

    def is_static(self) -> bool:
        return self is not Type.dynamic

    def is_dynamic(self) -> bool:
        return self is Type.dynamic

    @property
    def bitwidth(self) -> int:
        return 8 if self is Type.boolean else self.size * 8

    @property
    def size(self) -> int:
        # a string element's size is OpenVINO's (a C++ std::string), which its tensors report byte sizes in
        return STRING_ELEMENT_BYTES if self is Type.string else self.dtype.itemsize

    @property
    def int_range(self) -> tuple[int, int]:
        """The smallest and largest value of an integral type (the narrow ones by their bit count, not their
        one-byte storage)."""
        if self is Type.boolean:
            return 0, 1
        bits = _NARROW_INT_BITS.get(self.name, self.bitwidth)
        if self.name[0] == "i":
            return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return 0, (1 << bits) - 1

    def get_type_name(self) -> str:
        return self.name

    type_name = property(get_type_name)

    def to_string(self) -> str:
        return self.name

    def get_bitwidth(self) -> int:
        return self.bitwidth

    def get_size(self) -> int:
        return self.size

    def to_dtype(self) -> np.dtype:
        return self.dtype

    def __repr__(self) -> str:
        return f"<Type: '{self.name}'>"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self):
        return (Type.from_name, (self.name,))

    # -- lookup -------------------------------------------------------------
    @staticmethod
    def from_name(name: str) -> "Type":
        key = str(name).strip().lower()
        t = Type._by_name.get(key)
        if t is None:
            raise ValueError(f"unknown element type {name!r}")
        return t

    @staticmethod
    def _of(spec) -> "Type":
        if isinstance(spec, Type):
            return spec
        if isinstance(spec, str):
            return Type.from_name(spec)
        return Type.from_dtype(spec)

    @staticmethod
    def from_dtype(dtype) -> "Type":
        dt = np.dtype(dtype)
        t = Type._by_dtype.get(dt)
        if t is None and dt.kind in "SU":       # NumPy strings of any length (bytes or text)
            return Type.string
        if t is None:
            raise ValueError(f"no element type for NumPy dtype {dt}")
        return t


STRING_ELEMENT_BYTES = 32
_NARROW_INT_BITS = {"i4": 4, "u4": 4, "i2": 2, "u2": 2}
_REAL = ("f64", "f32", "f16", "bf16", "f8e4m3", "f8e4m3fnuz", "f8e5m2", "f8e5m2fnuz", "f4e2m1")


def _ml(name: str):
    """A narrow NumPy dtype from ml_dtypes (installed with onnx), or None without it."""
    try:
        import ml_dtypes
    except ImportError:  # pragma: no cover
        return None
    return getattr(ml_dtypes, name, None)


def _define(name, dtype, ir_precision, *aliases):
    t = Type(name, dtype, ir_precision)
    setattr(Type, name, t)
    for key in (name, ir_precision.lower(), *aliases):
        Type._by_name[key] = t
    if dtype is not None and np.dtype(dtype) not in Type._by_dtype:
        Type._by_dtype[np.dtype(dtype)] = t
    return t


_define("f64", np.float64, "FP64", "float64", "double")
_define("f32", np.float32, "FP32", "float32", "float")
_define("f16", np.float16, "FP16", "float16", "half")
_define("bf16", _ml("bfloat16"), "BF16", "bfloat16")
_define("i64", np.int64, "I64", "int64")
_define("i32", np.int32, "I32", "int32", "int")
_define("i16", np.int16, "I16", "int16")
_define("i8", np.int8, "I8", "int8")
_define("u64", np.uint64, "U64", "uint64")
_define("u32", np.uint32, "U32", "uint32")
_define("u16", np.uint16, "U16", "uint16")
_define("u8", np.uint8, "U8", "uint8")
_define("u1", None, "U1")
# narrow types, one element per byte on the host (as ml_dtypes holds them) and on the device
_define("f8e4m3", _ml("float8_e4m3fn"), "F8E4M3", "float8_e4m3fn")
_define("f8e4m3fnuz", _ml("float8_e4m3fnuz"), "F8E4M3FNUZ", "float8_e4m3fnuz")
_define("f8e5m2", _ml("float8_e5m2"), "F8E5M2", "float8_e5m2")
_define("f8e5m2fnuz", _ml("float8_e5m2fnuz"), "F8E5M2FNUZ", "float8_e5m2fnuz")
_define("f4e2m1", _ml("float4_e2m1fn"), "F4E2M1", "float4_e2m1fn")
_define("i4", _ml("int4"), "I4", "int4")
_define("u4", _ml("uint4"), "U4", "uint4")
_define("i2", _ml("int2"), "I2", "int2")
_define("u2", _ml("uint2"), "U2", "uint2")
_define("boolean", np.bool_, "BOOL", "bool")
# strings: host tensors only (text for tokenizers and the like); no kernel takes them
_define("string", np.bytes_, "STRING", "str")
_define("dynamic", None, "DYNAMIC", "undefined")


def as_type(value) -> Type:
    """Accept a Type, a name ('f32', 'float32', 'FP32'), a NumPy dtype, a Python scalar type or an OpenVINO
    element type (by its name)."""
    if isinstance(value, Type):
        return value
    if isinstance(value, str):
        return Type.from_name(value)
    if hasattr(value, "get_type_name") and not isinstance(value, type):
        return Type.from_name(value.get_type_name())
    if value is float:
        return Type.f32
    if value is int:
        return Type.i64
    if value is bool:
        return Type.boolean
    return Type.from_dtype(value)


def convert_array(x: np.ndarray, t: Type) -> np.ndarray:
    """``x`` converted to ``t`` by ovcl's rules, the ones its kernels follow, so that folding a Convert and
    running it agree. Where C, the ONNX spec and NumPy/ml_dtypes leave a result undefined or
    version-dependent (a float out of an integer type's range), ovcl defines it:
    - float -> integer: truncate toward zero, then saturate to the type's range; NaN gives 0 (OpenCL's
      ``convert_<int>_sat_rtz``; what OpenVINO's CPU plugin does for 8-bit targets, and what quantized
      pipelines expect of a value past the end of the range);
    - integer -> integer: keep the low bits in two's complement (defined by C and by ONNX's Cast);
    - anything -> boolean: nonzero is true; everything else: NumPy's (ml_dtypes') conversion."""
    x = np.asarray(x)
    if t is Type.boolean:
        return x != 0
    if not t.is_integral() or x.dtype == np.bool_:
        return x.astype(t.dtype)
    lo, hi = t.int_range
    wide = np.uint64 if t is Type.u64 else np.int64
    if Type.from_dtype(x.dtype).is_real():
        y = np.trunc(x.astype(np.float64))
        below, above = y <= float(lo), y >= float(hi + 1)   # both bounds are powers of 2: exact in float64
        inside = ~(below | above | np.isnan(y))
        out = np.zeros(y.shape, wide)
        out[inside] = y[inside].astype(wide)
        out[below], out[above] = lo, hi
        return out.astype(t.dtype)
    if t.name in _NARROW_INT_BITS:                      # low bits, sign-extended for the signed types
        span = hi - lo + 1
        v = x.astype(np.int64) & (span - 1)
        if lo < 0:
            v = np.where(v > hi, v - span, v)
        return v.astype(t.dtype)
    return x.astype(t.dtype)                            # NumPy's integer casts wrap
