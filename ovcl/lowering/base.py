"""The vocabulary of lowering: device values, launches, and the context a lowering function works in.

A lowering function takes a ``LoweringContext`` for one node of a static, folded graph and emits launches
of kernels rendered from templates (``ctx.launch``), or declares an output a view of an input
(``ctx.alias``). It never touches OpenCL objects: the compiler builds, allocates and binds afterwards.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ovcl.ir import Node, Type

from ..errors import CompileError
from ..programs import render

LOWERINGS: dict[str, Callable[["LoweringContext"], None]] = {}


def lowers(*type_names: str):
    """Register a lowering function for the given op types."""
    def deco(fn):
        for t in type_names:
            if t in LOWERINGS:
                raise ValueError(f"two lowerings for {t}")
            LOWERINGS[t] = fn
        return fn
    return deco


# -- element types in OpenCL C ------------------------------------------------------------------------------

_CTYPE = {"f64": "double", "f32": "float", "f16": "half", "i64": "long", "i32": "int", "i16": "short",
          "i8": "char", "u64": "ulong", "u32": "uint", "u16": "ushort", "u8": "uchar", "boolean": "uchar",
          "bf16": "ushort"}
# narrow types: one byte per element, decoded and encoded by the functions in kernels/prelude.cl.mako
NARROW = ("f8e4m3", "f8e4m3fnuz", "f8e5m2", "f8e5m2fnuz", "f4e2m1", "i4", "u4", "i2", "u2")


def ctype(t: Type) -> str:
    """How a tensor of type ``t`` is stored in device memory."""
    if t.name in NARROW:
        return "uchar"
    try:
        return _CTYPE[t.name]
    except KeyError:
        raise CompileError(f"element type {t} has no OpenCL representation") from None


def cctype(t: Type) -> str:
    """The type arithmetic on ``t`` uses: f16, bf16 and the narrow floats compute in float, narrow
    integers in int (storage keeps the narrow form)."""
    if t.name in ("f16", "bf16") or (t.name in NARROW and t.is_real()):
        return "float"
    if t.name in NARROW:
        return "int"
    return ctype(t)


def load(t: Type, ptr: str, idx: str) -> str:
    """C expression reading element ``idx`` of ``ptr`` as ``cctype(t)``."""
    if t.name == "f16":
        return f"vload_half({idx}, {ptr})"
    if t.name == "bf16" or t.name in NARROW:
        return f"ovcl_{t.name}_load({ptr}[{idx}])"
    return f"{ptr}[{idx}]"


def store(t: Type, ptr: str, idx: str, val: str) -> str:
    """C statement writing ``val`` to element ``idx`` of ``ptr``."""
    if t.name == "f16":
        return f"vstore_half_rte((float)({val}), {idx}, {ptr});"     # (float: an int literal is ambiguous)
    if t.name == "boolean":
        return f"{ptr}[{idx}] = (uchar)(({val}) != 0);"
    if t.name == "bf16" or t.name in NARROW:
        return f"{ptr}[{idx}] = ovcl_{t.name}_store({val});"
    return f"{ptr}[{idx}] = ({ctype(t)})({val});"


def c_literal(value, t: Type) -> str:
    """A C literal of ``value`` in the compute type of ``t`` (handles inf and nan)."""
    ct = cctype(t)
    if t.is_real():
        v = float(value)
        if np.isnan(v):
            return "NAN" if ct == "float" else "((double)NAN)"
        if np.isinf(v):
            inf = "INFINITY" if ct == "float" else "((double)INFINITY)"
            return inf if v > 0 else f"(-{inf})"
        return f"{v!r}f" if ct == "float" else f"{v!r}"
    if t.name == "boolean":
        return "1" if value else "0"
    v = int(value)
    suffix = {"long": "L", "ulong": "UL", "uint": "U"}.get(ct, "")
    if ct == "long" and v == -(1 << 63):
        return "LONG_MIN"
    return f"(({ct}){v}{suffix})"


def stride2_vector(ptr: str, off: int, n: int, t: Type = Type.f32) -> str:
    """A float<n> of ``ptr[off]``, ``ptr[off + 2]``, ... as OpenCL C: the even lanes of one unaligned load of
    2n values (n <= 8). f16 data (``t``) is loaded lane by lane."""
    if t is not Type.f32 or n > 8:
        return gather_vector(t, ptr, [off + 2 * j for j in range(n)])
    return "(%s).even" % vload_u("float", 2 * n, "(%s + %d)" % (ptr, off))


def vload_u(ct: str, n: int, ptr: str, space: str = "__global") -> str:
    """An n-vector of C type ``ct`` at ``ptr`` (a pointer into ``space``, aligned to its element only), as
    OpenCL C: one unaligned vector load through the prelude's ``ovcl_<ct><n>_u``."""
    return f"(*({space} const ovcl_{ct}{n}_u *)({ptr}))"


def vstore_u(ct: str, n: int, ptr: str, val: str) -> str:
    """The C statement storing n-vector ``val`` of C type ``ct`` at ``ptr`` (aligned to its element only)."""
    return f"*(__global ovcl_{ct}{n}_u *)({ptr}) = {val};"


def vector_at(ptr: str, n: int, t: Type = Type.f32) -> str:
    """A float<n> of ``ptr[0]`` ... ``ptr[n - 1]`` (elements of ``t``, computed in float): one unaligned load
    for f32, element loads otherwise."""
    if t is Type.f32:
        return vload_u("float", n, ptr)
    return gather_vector(t, ptr, list(range(n)))


# The prelude's float math helpers that also come as float2..float16 versions (ovcl_exp -> ovcl_exp8)
VECTOR_MATH = ("exp", "tanh", "sigmoid", "erf", "fabs", "fmin", "fmax")
_SCALAR_MATH = re.compile(r"\bovcl_(%s)\(" % "|".join(VECTOR_MATH))


def vector_math(expr: str, n: int) -> str:
    """``expr`` (C over floats) for float<n> operands: the prelude's math helpers by their float<n> names."""
    return _SCALAR_MATH.sub(lambda m: f"ovcl_{m.group(1)}{n}(", expr) if n > 1 else expr


def gather_vector(t: Type, ptr: str, offsets) -> str:
    """A float<len(offsets)> of the elements of ``ptr`` (of type ``t``, computed in float) at ``offsets`` (C
    expressions): scalar loads, which LLVM merges into a vector load where the offsets are consecutive."""
    return "(float%d)(%s)" % (len(offsets), ", ".join(load(t, ptr, str(o)) for o in offsets))


TEMPLATE_HELPERS = {"ctype": ctype, "cctype": cctype, "load": load, "store": store, "lit": c_literal,
                    "stride2_vector": stride2_vector, "gather_vector": gather_vector,
                    "vector_at": vector_at, "vload_u": vload_u, "vstore_u": vstore_u,
                    "vector_math": vector_math}


# -- values and launches ------------------------------------------------------------------------------------

class Storage:
    """A device allocation to be: values that alias (views) share one storage. A storage with a ``parent``
    is no allocation of its own but the parent's bytes from ``offset`` on (a concatenation's input, which
    its producer writes straight into the concatenation's output)."""
    __slots__ = ("id", "nbytes", "kind", "const", "first", "last", "buffer", "parent", "offset", "variable")

    def __init__(self, sid: int, nbytes: int, kind: str, const: np.ndarray | None = None,
                 parent: "Storage | None" = None, offset: int = 0):
        self.id = sid
        self.nbytes = nbytes
        self.kind = kind            # "input", "const", "temp" (planned by liveness), "state" (a request's)
        self.const = const          # host data uploaded once at compile time
        self.first = -1             # first launch index that touches it
        self.last = -1              # last launch index that touches it
        self.buffer = None          # cl.Buffer (a sub-buffer where there is a parent), bound by the compiler
        self.parent = parent
        self.offset = offset        # bytes into the parent
        self.variable: tuple[str, str] | None = None   # "state": (variable id, "read" or "write")

    def root(self) -> "tuple[Storage, int]":
        """The allocation this storage is part of, and the byte offset into it."""
        s, off = self, 0
        while s.parent is not None:
            s, off = s.parent, off + s.offset
        return s, off


@dataclass(eq=False)
class Value:
    """A tensor on the device: shape and type known, storage assigned at compile time."""
    shape: tuple[int, ...]
    type: Type
    storage: Storage
    name: str = ""

    @property
    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.numel * self.type.size

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass(frozen=True)
class LocalMem:
    """A ``__local`` kernel argument of ``nbytes`` bytes."""
    nbytes: int


@dataclass(eq=False)
class Launch:
    node: str                         # friendly name of the node served
    op: str                           # its op type
    nodes: list[str]                  # every graph node this launch computes (more than one when fused)
    kernel: str                       # kernel function name (unique per source)
    source: str                       # rendered OpenCL C
    gsize: tuple[int, ...]
    lsize: tuple[int, ...]
    args: list[Any]                   # Value | LocalMem | NumPy scalar
    template: str = ""
    flops: int = 0                    # for reports: useful floating-point operations of this launch
    meta: dict = field(default_factory=dict)
    variant: str = ""                 # the kernel variant ("matmul.tiled"), where the template is one
    params: dict = field(default_factory=dict)      # its parameters
    shape: str = ""                   # the tuning database's shape key of this launch
    tuning: str = ""                  # where the parameters came from: default, forced, or a database entry
    path: str = ""                    # the op family's path that emitted it ("conv.winograd", "matmul.tiled")

    @property
    def exec_type(self) -> str:
        """What ran it, as profiling and execution graphs name it: the variant, the path, or the template."""
        return self.variant or self.path or self.template.removesuffix(".cl.mako") or self.kernel


@dataclass(frozen=True)
class Choice:
    """A kernel variant's parameters for one launch, and where they came from (see LoweringContext.configure)."""
    variant: Any
    params: dict
    shape: str
    tuning: str
    problem: dict


def half_weights(ctx: "LoweringContext", arr: np.ndarray, conv: bool = False) -> bool:
    """Whether constant weights ``arr`` may live on the device as f16 bits (decoded inline by the prelude's
    ``ovcl_h2f*``): config ``OVCL_WEIGHTS_F16`` allows it and every value is finite and exactly an f16
    value. Weights of FP16-compressed IR (an f16 Const behind a decompression Convert, folded at compile time)
    are so by construction; f32 models and BatchNorm-folded weights almost never are, and stay f32.

    ``OVCL_WEIGHTS_F16``: YES (every eligible weight), NO, or AUTO (the default): GEMM weights always, convolution
    weights (``conv``) only off CPU devices: on PoCL the direct convolution runs 1.4-1.7x slower with f16
    weights (its taps broadcast each weight; decoding them costs as much as the FMAs), GEMMs 4-9%."""
    mode = str(ctx.config.get("OVCL_WEIGHTS_F16", "AUTO")).upper()
    if mode in ("NO", "0", "FALSE", "OFF"):
        return False
    if mode == "AUTO" and conv and ctx.caps.device_type == "CPU":
        return False
    a = np.asarray(arr)
    if a.dtype == np.float16:
        return bool(np.isfinite(a).all())
    if a.dtype != np.float32 or a.size == 0:
        return False
    # a sample across the array first: weights that are not f16 values (an f32 model's) almost always show it
    # there, and the whole array's round trip cost ResNet-50's compile 0.3 s (a leading sample is not enough:
    # an embedding's padding row is zeros)
    flat = a.reshape(-1)
    return _f16_exact(flat[::max(1, flat.size // 256)]) and _f16_exact(flat)


def _f16_exact(a: np.ndarray) -> bool:
    with np.errstate(over="ignore"):
        h = a.astype(np.float16)
    # equality also rejects NaN; inf survives the round trip, so finiteness is checked on the f16 values
    return bool(np.array_equal(h.astype(np.float32), a) and np.isfinite(h).all())


def round_up(x: int, m: int) -> int:
    return (x + m - 1) // m * m


def linear_sizes(n: int, wg: int = 64) -> tuple[tuple[int], tuple[int]]:
    """Global and local size for ``n`` independent work-items in 1-D (the kernel checks bounds)."""
    wg = max(1, min(wg, round_up(n, 8)))
    return (round_up(n, wg),), (wg,)


class LoweringContext:
    """What a lowering function sees for one node."""

    def __init__(self, compiler, node: Node, inputs: list[Value], outputs: list[Value]):
        self._compiler = compiler
        self.node = node
        self.inputs = inputs
        self.outputs = outputs
        self.caps = compiler.device.caps
        self.config = compiler.config
        self.path = ""              # set by a lowering that chooses among paths; recorded on each launch

    @property
    def attrs(self) -> dict:
        return self.node.attrs

    def input_const(self, i: int) -> np.ndarray | None:
        return self.node.input_const(i)

    def weights(self, i: int) -> np.ndarray | None:
        """Input ``i``'s value when known at compile time: a Constant, or a Constant behind a Convert (the
        decompression of FP16 IR, when compilation has not folded it), in the input's element type."""
        v = self.input_const(i)
        if v is not None:
            return np.asarray(v)
        src = self.node.input_value(i).node
        if src.type_name == "Convert" and src.input_const(0) is not None:
            return np.asarray(src.input_const(0)).astype(self.inputs[i].type.dtype)
        return None

    def configure(self, variant, problem: dict) -> Choice:
        """The parameters of kernel ``variant`` for ``problem`` on this device: the variant's capability
        defaults, overridden by the tuning database's entry for this device and shape (if any), overridden by
        config ``KERNEL_PARAMS`` (``{"matmul.tiled": {...}, "matmul.tiled@<shape key>": {...}}``); then fitted
        to the problem and checked against the device. A forced configuration that cannot run is a
        CompileError; a database entry that cannot is a warning, and the defaults run."""
        from ovcl.tuning import database
        caps, shape = self.caps, variant.shape_key(problem)
        table = self.config.get("KERNEL_PARAMS") or {}
        forced = {**table.get(variant.id, {}), **table.get(f"{variant.id}@{shape}", {})}
        defaults = variant.defaults(problem, caps)
        cfg, where = variant.fit(defaults, problem, caps), "default"
        entry = database.lookup(self._compiler.device.tuning_identity, variant.id, shape, variant.source_hash())
        if entry is not None:
            tuned = variant.fit({**defaults, **entry.params}, problem, caps)
            why = variant.name_error(entry.params) or variant.check(tuned, problem, caps)
            if why is None:
                cfg, where = tuned, entry.where
            else:
                import warnings
                warnings.warn(f"tuning entry {entry.where} for {variant.id} ({entry.params}) cannot run "
                              f"{shape}: {why}; the defaults run", database.TuningWarning, stacklevel=2)
        if forced:
            why = variant.name_error(forced)
            if why is not None:
                raise self.fail(f"config KERNEL_PARAMS for {variant.id}: {why}")
            cfg, where = variant.fit({**cfg, **forced}, problem, caps), "forced"
        why = variant.check(cfg, problem, caps)
        if why is not None:
            raise self.fail(f"{variant.id} parameters {cfg} ({where}) cannot run {shape}: {why}")
        return Choice(variant, cfg, shape, where, problem)

    def forced_variant(self, family: str) -> str | None:
        """The variant config ``KERNEL_VARIANT`` (``{"conv": "direct"}``) asks for in ``family``, if any."""
        return (self.config.get("KERNEL_VARIANT") or {}).get(family)

    def fail(self, why: str) -> CompileError:
        return CompileError(f"{self.node.type_name} node '{self.node.name}': {why}")

    def launch(self, template: str, gsize, lsize, args: list, flops: int = 0, choice: Choice | None = None,
               **params) -> Launch:
        """Render ``template`` with ``params`` (plus the type helpers and a kernel ``name``) and emit it;
        ``choice``: the variant's parameters this launch runs with, recorded on it.

        The kernel's name is derived from a hash of its source, so identical specialisations share it."""
        gsize, lsize = tuple(int(g) for g in gsize), tuple(int(v) for v in lsize)
        if any(g % l for g, l in zip(gsize, lsize)):
            raise self.fail(f"global size {gsize} is not a multiple of local size {lsize}")
        src = render(template, name="__KNAME__", **TEMPLATE_HELPERS, **params)
        digest = hashlib.sha1(src.encode()).hexdigest()[:12]
        stem = template.split(".")[0].replace("/", "_")
        kname = f"{stem}_{digest}"
        src = src.replace("__KNAME__", kname)
        nodes = list(self.node.rt_info.get("fused_nodes", [self.node.name]))
        launch = Launch(node=self.node.name, op=self.node.type_name, nodes=nodes, kernel=kname, source=src,
                        gsize=gsize, lsize=lsize, args=list(args), template=template, flops=flops)
        launch.path = self.path
        if choice is not None:
            launch.variant, launch.params = choice.variant.id, dict(choice.params)
            launch.shape, launch.tuning = choice.shape, choice.tuning
            launch.meta.update(spec=choice.variant, problem=choice.problem)     # for the tuner
        self._compiler.emit(launch)
        return launch

    def launch_variant(self, choice: Choice, args, values: dict, template: str | None = None, sizes=None,
                       flops: int = 0, **params) -> Launch:
        """Launch a template of ``choice.variant`` (its main one unless ``template``) with the arguments
        ``args`` (a ``kernels.variant.Args``) declares, bound by name from ``values`` (a None value is an
        optional buffer left out), at the variant's launch sizes unless ``sizes`` = (global, local)."""
        v, cfg = choice.variant, choice.params
        gsize, lsize = sizes or (v.global_size(cfg, choice.problem), v.local_size(cfg, choice.problem))
        try:
            bound = args.bind({k: x for k, x in values.items() if x is not None})
        except ValueError as e:
            raise self.fail(f"{v.id}: {e} (a size this large is beyond the kernel)") from None
        return self.launch(template or v.template, gsize, lsize, bound, flops=flops, choice=choice,
                           signature=args.c_params(), **params)

    def alias(self, out_index: int, value: Value) -> None:
        """Make output ``out_index`` a view of ``value`` (same bytes, new shape): no launch."""
        out = self.outputs[out_index]
        if out.nbytes != value.nbytes:
            raise self.fail(f"view of {value.shape} as {out.shape} changes the size")
        out.storage = value.storage

    def place(self, part: Value, whole: Value, offset: int) -> bool:
        """Make ``part``'s storage the bytes of ``whole``'s from byte ``offset`` on, so that the launches
        which write ``part`` (emitted already) write there directly; False, changing nothing, where that
        cannot be: ``part`` is an input, constant or already placed, is not its storage's whole extent, or
        the offset is not aligned for a sub-buffer on this device."""
        s, w = part.storage, whole.storage
        if (s.kind != "temp" or s.parent is not None or s.nbytes != part.nbytes or part.nbytes == 0
                or offset % self.caps.base_addr_align or offset + part.nbytes > w.nbytes):
            return False
        root = w
        while root is not None:           # never into itself
            if root is s:
                return False
            root = root.parent
        s.parent, s.offset = w, offset
        return True

    def constant(self, array: np.ndarray, name: str = "") -> Value:
        """A new device constant made at compile time (e.g. weights packed for a kernel)."""
        return self._compiler.new_constant(np.require(array, requirements="C"), name or f"{self.node.name}/packed")

    def temp(self, shape, t: Type) -> Value:
        """A scratch tensor for this node's own launches."""
        return self._compiler.new_temp(tuple(shape), t, f"{self.node.name}/temp")

    def state(self, variable_id: str, role: str, shape, t: Type) -> Value:
        """The value of a model variable in the infer request's state buffer, which ``role`` "read" (the value
        before this inference) or "write" (the value after it); bound at each inference."""
        return self._compiler.new_state(tuple(shape), t, variable_id, role)


def contiguous_strides(shape) -> list[int]:
    strides, acc = [], 1
    for d in reversed(list(shape)):
        strides.append(acc)
        acc *= int(d)
    return strides[::-1]


def broadcast_strides(in_shape, out_shape) -> list[int]:
    """Element strides of an input read at output coordinates under NumPy broadcasting (0 = broadcast)."""
    in_shape = [1] * (len(out_shape) - len(in_shape)) + list(in_shape)
    strides = contiguous_strides(in_shape)
    return [0 if d == 1 and o != 1 else s for d, o, s in zip(in_shape, out_shape, strides)]
