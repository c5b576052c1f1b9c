"""Element-wise ops: one kernel per node from ``eltwise.cl.mako``, with the op's math as a C expression.

Expressions read ``a0``, ``a1``, ... (inputs in their compute types) and may use ``T`` for the output's
compute type. Broadcast inputs get strides; dimensions that every input walks contiguously are merged first,
so the index arithmetic is as short as the broadcast pattern allows.
"""
from __future__ import annotations

import re

import numpy as np

from ovcl.ir import Type

from .base import (LoweringContext, Value, broadcast_strides, c_literal, cctype, contiguous_strides, ctype,
                   linear_sizes, lowers, vector_math)


def collapse(out_shape, strides_list):
    """Merge adjacent output dims that every input walks with compatible strides."""
    dims = list(out_shape)
    strides = [list(s) for s in strides_list]
    d = len(dims) - 1
    while d > 0:
        if all(s[d - 1] == s[d] * dims[d] for s in strides):
            dims[d - 1] *= dims[d]
            for s in strides:
                s[d - 1] = s[d]
                del s[d]
            del dims[d]
        d -= 1
    return dims, strides


def permuted_strides(shape, perm, out_shape) -> list[int]:
    """Element strides of a tensor of ``shape`` read as its Transpose by ``perm``, broadcast to ``out_shape``."""
    src = contiguous_strides(shape)
    seen = [int(shape[p]) for p in perm]
    strides = [0 if n == 1 and o != 1 else src[p] for n, p, o in zip(seen, perm, out_shape[len(out_shape) - len(perm):])]
    return [0] * (len(out_shape) - len(perm)) + strides


def emit_eltwise(ctx: LoweringContext, expr: str, inputs: list[Value], out: Value, body=(), perms=None,
                 rotations=None):
    """Launch ``out = expr(inputs)`` with NumPy broadcasting of the inputs to ``out.shape``; ``body`` holds
    (type, name, C expression) steps computed before ``expr`` (the steps of a fused chain); ``perms`` maps an
    input's index to the order it is read in (it is a Transpose's input: the kernel reads it transposed);
    ``rotations`` maps an input of the output's shape to h, half its last axis: element j of a row is read
    as -x[j + h] for j < h, else x[j - h] (rotary embeddings' rotate-half)."""
    n = out.numel
    if n == 0:
        return
    if not out.shape:
        shape = [1]
    else:
        shape = list(out.shape)
    perms = perms or {}
    strides = [permuted_strides(v.shape, perms[k], shape) if k in perms else
               broadcast_strides(v.shape if v.shape else [1], shape) for k, v in enumerate(inputs)]
    dims, cstrides = collapse(shape, [contiguous_strides(shape)] + strides)
    own = cstrides[0]
    # single-value constants become literals in the source: no argument, no load, folded by the compiler
    ins = [(v.type, None if s == own else s, _literal(v)) for v, s in zip(inputs, cstrides[1:])]
    idx = "int" if n < 2 ** 31 - 1 else "long"
    expr = expr.replace("(T)", f"({cctype(out.type)})")
    rot = {}
    for k, h in (rotations or {}).items():
        if tuple(inputs[k].shape) != tuple(shape) or shape[-1] != 2 * h or ins[k][1] is not None:
            raise ctx.fail(f"input {k} read rotated must have the output's shape {shape}, not {inputs[k].shape}")
        rot[k] = (shape[-1], h)
    vec = _vector_width(ctx, expr, ins, out, dims, body, [h for _, h in rot.values()])
    gsize, lsize = linear_sizes(n // vec, 256)
    args = [out] + [v for v, (_, _, lit) in zip(inputs, ins) if lit is None]
    args.append((np.int32 if idx == "int" else np.int64)(n // vec))
    ctx.launch("eltwise.cl.mako", gsize, lsize, args, out_t=out.type, ins=ins, dims=dims, expr=expr, idx=idx,
               body=list(body), vec=vec, rot=rot)


def _vector_width(ctx: LoweringContext, expr: str, ins, out: Value, dims, body, halves=()) -> int:
    """Elements a work-item computes as one vector: the device's preferred float vector width (1 on most
    GPUs, whose work-items are lanes already) where everything is f32, the expressions are valid on vectors,
    the innermost dimension divides into vectors, and every input either walks it or is broadcast along it;
    an input read rotate-half needs its ``halves`` to divide into vectors too (a vector within one half)."""
    want = ctx.caps.preferred_vector_width_float
    if want not in (4, 8, 16) or out.type is not Type.f32 or not vector_expr(expr):
        return 1
    if any(t is not Type.f32 or not vector_expr(e) for t, _, e in body):
        return 1
    for t, strides, lit in ins:
        if lit is None and (t is not Type.f32 or (strides is not None and strides[-1] not in (0, 1))):
            return 1
    vec = min(want, 8)
    while vec > 1 and (dims[-1] % vec or any(h % vec for h in halves)):
        vec //= 2
    return vec if vec >= 4 else 1


def _scalar_const(v: Value):
    """The value of a single-element compile-time constant, else None."""
    s = v.storage
    if s.kind == "const" and s.const is not None and s.const.size == 1 and v.numel == 1:
        return s.const.reshape(-1)[0]
    return None


def _literal(v: Value) -> str | None:
    value = _scalar_const(v)
    if value is None or v.type.name not in _LITERAL_TYPES:
        return None
    return c_literal(value.item() if hasattr(value, "item") else value, v.type)


_LITERAL_TYPES = ("f32", "f64", "i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8", "boolean")


def _math(t: Type):
    """Names of math functions for compute type ``t``: the prelude's inlined float versions (PoCL calls the
    builtins out of line, 5-190 ns an element), the builtins for double."""
    if cctype(t) == "float":
        return lambda name: f"ovcl_{name}"
    return lambda name: name


def vector_expr(act: str | None, lanes: int = 8) -> bool:
    """Whether the activation expression is also valid OpenCL C on float<lanes> vectors once the prelude's math
    helpers take their vector names (``base.vector_math``, which a kernel's vector code applies): only builtins
    with vector forms, no scalar-only ``ovcl_*`` helpers, no scalar casts, no classification builtins (their
    vector forms return int vectors). On 16 lanes, no builtin calls but the prelude's (inline) helpers: PoCL 3.0
    on a Zen 4 prefers float16 but compiles kernels for Zen 3 (no AVX-512), so a float16 argument to its
    out-of-line builtin library passes by another ABI than the library's, and the process crashes (log1p)."""
    if act is None or re.search(r"\bovcl_\w*[A-Za-z_]\(", vector_math(act, 8)):
        return False
    if lanes > 8 and any(not f.startswith("ovcl_") for f in re.findall(r"\b([A-Za-z_]\w*)\s*\(", act)):
        return False
    return not any(tok in act for tok in ("(float)", "(double)", "(int)", "isnan", "isinf", "isfinite", "&&",
                                          "||"))


def unary_expr(op: str, t: Type, attrs: dict) -> str | None:
    f = t.is_real()
    L = lambda v: c_literal(v, t)  # noqa: E731
    fn = _math(t)
    table = {
        "Abs": f"{fn('fabs')}(a0)" if f else ("a0" if not t.is_signed() else "(a0 < 0 ? -a0 : a0)"),
        "Negative": "-a0",
        "Relu": f"(a0 > {L(0)} ? a0 : {L(0)})",
        "Ceiling": "ceil(a0)" if f else "a0",
        "Floor": "floor(a0)" if f else "a0",
        "Sign": f"(T)((a0 > {L(0)}) - (a0 < {L(0)}))" if not f else f"(a0 != a0 ? a0 : (T)((a0 > {L(0)}) - (a0 < {L(0)})))",
        "LogicalNot": "!a0",
        "BitwiseNot": "!a0" if t is Type.boolean else "~a0",
        "IsNaN": "(a0 != a0)" if f else "0",
        "IsFinite": "isfinite(a0)",
        "Round": ("rint(a0)" if attrs.get("mode") == "half_to_even" else "round(a0)") if f else "a0",
    }
    if op in table:
        return table[op]
    if not f:
        return None
    one = L(1)
    floats = {
        "Acos": "acos(a0)", "Acosh": "acosh(a0)", "Asin": "asin(a0)", "Asinh": "asinh(a0)",
        "Atan": "atan(a0)", "Atanh": "atanh(a0)", "Cos": "cos(a0)", "Cosh": "cosh(a0)", "Erf": f"{fn('erf')}(a0)",
        "Exp": f"{fn('exp')}(a0)", "Log": "log(a0)", "Sin": "sin(a0)", "Sinh": "sinh(a0)", "Sqrt": "sqrt(a0)",
        "Tan": "tan(a0)", "Tanh": f"{fn('tanh')}(a0)",
        "Sigmoid": f"{one} / ({one} + {fn('exp')}(-a0))",
        "SoftPlus": f"(a0 > {L(20)} ? a0 : log1p({fn('exp')}(a0)))",
        "SoftSign": f"a0 / ({one} + {fn('fabs')}(a0))",
        "HSwish": f"a0 * {fn('fmin')}({fn('fmax')}(a0 + {L(3)}, {L(0)}), {L(6)}) / {L(6)}",
        # NaN stays NaN, as in ONNX Runtime and OpenVINO (fmin/fmax alone would replace it)
        "HSigmoid": f"(a0 != a0 ? a0 : {fn('fmin')}({fn('fmax')}(a0 + {L(3)}, {L(0)}), {L(6)}) / {L(6)})",
        "Mish": f"a0 * {fn('tanh')}(a0 > {L(20)} ? a0 : log1p({fn('exp')}(a0)))",
        "Swish": f"a0 / ({one} + {fn('exp')}(-a0))",         # single-input form (beta 1), as activations
        "Elu": f"(a0 > {L(0)} ? a0 : {L(attrs.get('alpha', 1.0))} * ({fn('exp')}(a0) - {one}))",
        "IsInf": ("(" + " || ".join(
            (["(isinf(a0) && a0 > 0)"] if attrs.get("detect_positive", True) else [])
            + (["(isinf(a0) && a0 < 0)"] if attrs.get("detect_negative", True) else [])) + ")")
        if (attrs.get("detect_positive", True) or attrs.get("detect_negative", True)) else "0",
    }
    if op == "Gelu":
        if str(attrs.get("approximation_mode", "ERF")).upper() == "TANH":
            return (f"{L(0.5)} * a0 * ({one} + {fn('tanh')}({L(0.7978845608028654)} * "
                    f"(a0 + {L(0.044715)} * a0 * a0 * a0)))")
        return f"{L(0.5)} * a0 * ({one} + {fn('erf')}(a0 * {L(0.7071067811865476)}))"
    if op == "Clamp":      # NaN stays NaN (fmin/fmax alone would replace it)
        lo, hi = L(attrs["min"]), L(attrs["max"])
        return f"(a0 != a0 ? a0 : (a0 < {lo} ? {lo} : (a0 > {hi} ? {hi} : a0)))"
    return floats.get(op)


# what a fused epilogue (fusion.fuse_epilogues) may end with: single-input ops with a kernel expression here
# (tests/test_fusion.py checks each has one)
EPILOGUE_ACTIVATIONS = {"Relu", "Clamp", "Sigmoid", "Tanh", "Gelu", "HSwish", "HSigmoid", "Elu", "Mish", "SoftPlus",
                        "Swish"}


def fused_epilogue(ctx: LoweringContext, channel_axis: int):
    """(bias, residual, activation) of a node with a fused epilogue (MatMul, convolutions): the node's
    ``rt_info["fused"]`` may hold ``bias`` (the index of an extra input with one value per output channel,
    along ``channel_axis`` of the output), ``residual`` (the index of an extra input of the output's shape) and
    ``activation`` ((op_type, attrs)), returned as a C expression over ``a0`` in the output's compute type."""
    fused = ctx.node.rt_info.get("fused") or {}
    out = ctx.outputs[0]
    bias = ctx.inputs[fused["bias"]] if fused.get("bias") is not None else None
    res = ctx.inputs[fused["residual"]] if fused.get("residual") is not None else None
    act = None
    if fused.get("activation"):
        op, attrs = fused["activation"]
        ct = Type.f32 if out.type.is_real() and out.type.name != "f64" else out.type
        act = unary_expr(op, ct, dict(attrs or {}))
        if act is None and op == "Swish":            # single-input Swish (SiLU): x * sigmoid(x)
            sig = unary_expr("Sigmoid", ct, {})
            act = f"a0 * ({sig})" if sig else None
        if act is None:
            raise ctx.fail(f"fused activation {op} has no kernel expression")
        act = act.replace("(T)", f"({cctype(out.type)})")
    channels = out.shape[channel_axis] if out.shape else 1
    if bias is not None and bias.numel != channels:
        raise ctx.fail(f"fused bias has {bias.numel} values for {channels} output channels")
    if res is not None and tuple(res.shape) != tuple(out.shape):
        raise ctx.fail(f"fused residual of shape {res.shape} does not match the output {out.shape}")
    return bias, res, act


def binary_expr(op: str, t: Type, attrs: dict) -> str | None:
    f = t.is_real()
    zero = c_literal(0, t)
    common = {
        "Add": "a0 + a1", "Subtract": "a0 - a1", "Multiply": "a0 * a1",
        "SquaredDifference": "(a0 - a1) * (a0 - a1)",
        "Equal": "a0 == a1", "NotEqual": "a0 != a1", "Less": "a0 < a1", "LessEqual": "a0 <= a1",
        "Greater": "a0 > a1", "GreaterEqual": "a0 >= a1",
        "LogicalAnd": "a0 && a1", "LogicalOr": "a0 || a1", "LogicalXor": "(!a0) != (!a1)",
        "Maximum": "(a0 > a1 || a0 != a0 ? a0 : a1)" if f else "(a0 > a1 ? a0 : a1)",
        "Minimum": "(a0 < a1 || a0 != a0 ? a0 : a1)" if f else "(a0 < a1 ? a0 : a1)",
    }
    if op in common:
        if t is Type.boolean and op in ("Add", "Multiply", "Maximum", "Minimum"):
            return {"Add": "a0 || a1", "Multiply": "a0 && a1", "Maximum": "a0 || a1", "Minimum": "a0 && a1"}[op]
        return common[op]
    if f:
        return {
            "Divide": "a0 / a1",
            "Power": "pow(a0, a1)",
            "Mod": "fmod(a0, a1)",
            # Python's modulo: the sign of the divisor; x mod 0 is NaN, x mod inf keeps x or is inf
            "FloorMod": f"((fmod(a0, a1) != {zero} && ((fmod(a0, a1) < {zero}) != (a1 < {zero}))) "
                        f"? fmod(a0, a1) + a1 : (fmod(a0, a1) == {zero} ? (a1 < {zero} ? -{zero} : {zero}) "
                        f": fmod(a0, a1)))",
        }.get(op)
    w = t.bitwidth
    neg = "a1 < 0 || " if t.is_signed() else ""
    # shifts by a negative amount or by the width or more are defined (0, or -1 for a negative value shifted
    # right), where C leaves them undefined
    fill = f"(a0 < {zero} ? ({ctype(t)})-1 : {zero})" if t.is_signed() else zero
    bits = {"BitwiseAnd": "a0 & a1", "BitwiseOr": "a0 | a1", "BitwiseXor": "a0 ^ a1",
            "BitwiseLeftShift": f"(({neg}a1 >= {w}) ? {zero} : (a0 << a1))",
            "BitwiseRightShift": f"(({neg}a1 >= {w}) ? {fill} : (a0 >> a1))"}
    if op in bits:
        return bits[op]
    if op == "Divide":
        if attrs.get("m_pythondiv", True) and t.is_signed():
            return (f"(a1 == {zero} ? {zero} : (a0 / a1 - (((a0 % a1) != {zero}) && "
                    f"((a0 < {zero}) != (a1 < {zero})))))")
        return f"(a1 == {zero} ? {zero} : a0 / a1)"
    if op == "Mod":
        return f"(a1 == {zero} ? {zero} : a0 % a1)"
    if op == "FloorMod":
        if not t.is_signed():
            return f"(a1 == {zero} ? {zero} : a0 % a1)"
        return (f"(a1 == {zero} ? {zero} : (((a0 % a1) != {zero} && (((a0 % a1) < {zero}) != (a1 < {zero}))) "
                f"? (a0 % a1) + a1 : (a0 % a1)))")
    if op == "Power":
        return "(T)pow((double)a0, (double)a1)"
    return None


UNARY_OPS = ["Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceiling", "Cos", "Cosh", "Erf", "Exp",
             "Floor", "Log", "Negative", "Relu", "Sigmoid", "Sign", "Sin", "Sinh", "Sqrt", "Tan", "Tanh",
             "SoftPlus", "SoftSign", "HSwish", "HSigmoid", "Mish", "Gelu", "Elu", "Clamp", "Round",
             "LogicalNot", "BitwiseNot", "IsNaN", "IsFinite", "IsInf"]
BINARY_OPS = ["Add", "Subtract", "Multiply", "Divide", "Power", "Maximum", "Minimum", "SquaredDifference", "Mod",
              "FloorMod", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd",
              "LogicalOr", "LogicalXor", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseLeftShift",
              "BitwiseRightShift"]


def _int_clamp(t: Type, attrs: dict) -> str:
    """Clamp on integers: bounds rounded inward and saturated to the type, as OpenVINO does."""
    import math
    info = np.iinfo(t.dtype)
    lo, hi = attrs["min"], attrs["max"]
    lo = info.min if lo == -math.inf else max(int(math.ceil(lo)), info.min)
    hi = info.max if hi == math.inf else min(int(math.floor(hi)), info.max)
    lo, hi = c_literal(lo, t), c_literal(hi, t)
    return f"(a0 < {lo} ? {lo} : (a0 > {hi} ? {hi} : a0))"


def _saturating_convert(t: Type, out_type: Type) -> str:
    """Float to integer as ``ir.types.convert_array`` defines it: truncate toward zero, saturate to the
    range, NaN to 0. Both bounds compare against powers of 2, exact in every float type, so a value just
    below ``hi + 1`` truncates in range; a plain C cast would be undefined outside it."""
    lo, hi = out_type.int_range
    flo, fhi = c_literal(float(lo), t), c_literal(float(hi + 1), t)
    clo, chi = c_literal(lo, out_type), c_literal(hi, out_type)
    return f"(a0 != a0 ? (T)0 : (a0 <= {flo} ? {clo} : (a0 >= {fhi} ? {chi} : (T)(a0))))"


def node_expr(op: str, attrs: dict, in_types: list[Type], out_type: Type, consts: dict | None = None) -> str | None:
    """The C expression of one element-wise op over ``a0``, ``a1``, ... (None if there is no kernel for it).
    ``(T)`` in the result stands for the output's compute type; ``consts`` maps operand positions to known
    scalar values, for cheaper special cases (a power of 2 or 3 is a product, not pow())."""
    t = in_types[0]
    one, zero = c_literal(1, t), c_literal(0, t)
    if op == "Power" and t.is_real() and consts and 1 in consts:
        special = {1.0: "a0", 2.0: "a0 * a0", 3.0: "a0 * a0 * a0", 4.0: "(a0 * a0) * (a0 * a0)",
                   0.5: "sqrt(a0)", -1.0: f"{one} / a0", -0.5: "rsqrt(a0)", 0.0: one}
        if float(consts[1]) in special:
            return special[float(consts[1])]
    if op == "Clamp" and not t.is_real():
        return _int_clamp(t, attrs)
    if op in UNARY_OPS:
        return unary_expr(op, t, attrs)
    if op in BINARY_OPS:
        return binary_expr(op, t, attrs)
    if op in ("Convert", "ConvertLike"):
        if out_type is Type.boolean:
            return "a0 != 0"
        if t.is_real() and out_type.is_integral():
            return _saturating_convert(t, out_type)
        return "(T)(a0)"     # integer to integer keeps the low bits (stores of narrow types mask them)
    if op == "Select":
        return "(a0 ? a1 : a2)"
    if op == "PRelu":
        return f"(a0 < {zero} ? a0 * a1 : a0)"
    fn = _math(t)
    if op == "Swish":
        return (f"a0 / ({one} + {fn('exp')}(-a0))" if len(in_types) == 1
                else f"a0 / ({one} + {fn('exp')}(-a0 * a1))")
    if op == "Selu":
        return f"a2 * (a0 > {zero} ? a0 : a1 * ({fn('exp')}(a0) - {one}))"
    if op == "HardSigmoid":
        return f"(a0 != a0 ? a0 : {fn('fmin')}({fn('fmax')}(a1 * a0 + a2, {zero}), {one}))"     # NaN stays NaN
    return None


ELTWISE_OPS = UNARY_OPS + BINARY_OPS + ["Convert", "ConvertLike", "Select", "PRelu", "Swish", "Selu", "HardSigmoid"]


@lowers(*ELTWISE_OPS)
def _eltwise(ctx: LoweringContext):
    ins, out = list(ctx.inputs), ctx.outputs[0]
    consts = {k: c for k, v in enumerate(ins) if (c := _scalar_const(v)) is not None}
    expr = node_expr(ctx.node.type_name, ctx.attrs, [v.type for v in ins], out.type, consts)
    if expr is None:
        raise ctx.fail(f"no kernel for element type {ins[0].type}")
    if ctx.node.type_name == "PRelu":
        x, slope = ins
        if slope.rank == 1 and x.rank >= 2 and slope.shape[0] == x.shape[1] and slope.shape[0] != x.shape[-1]:
            ins[1] = Value((slope.shape[0],) + (1,) * (x.rank - 2), slope.type, slope.storage)   # per channel
    emit_eltwise(ctx, expr, ins, out)


_OPERAND = re.compile(r"\ba(\d+)\b")


@lowers("FusedEltwise")
def _fused(ctx: LoweringContext):
    """A chain of element-wise ops in one kernel: each step's result is a local variable."""
    body = []
    types = [v.type for v in ctx.inputs]           # operand k < n: external input; k >= n: step k - n
    names = [f"a{k}" for k in range(len(ctx.inputs))]
    known = {k: c for k, v in enumerate(ctx.inputs) if (c := _scalar_const(v)) is not None}
    for j, step in enumerate(ctx.attrs["steps"]):
        op, attrs, operands, out_t = step["op"], step["attrs"], step["operands"], Type.from_name(step["type"])
        consts = {i: known[k] for i, k in enumerate(operands) if k in known}
        expr = node_expr(op, attrs, [types[k] for k in operands], out_t, consts)
        if expr is None:
            raise ctx.fail(f"step {op} has no kernel for {types[operands[0]]}")
        expr = _OPERAND.sub(lambda m: names[operands[int(m.group(1))]], expr).replace("(T)", f"({cctype(out_t)})")
        body.append((out_t, f"t{j}", expr))
        types.append(out_t)
        names.append(f"t{j}")
    perms = {int(k): [int(p) for p in v] for k, v in ctx.attrs.get("input_perms", {}).items()}
    rotations = {int(k): int(h) for k, h in ctx.attrs.get("input_rotations", {}).items()}
    emit_eltwise(ctx, names[-1], ctx.inputs, ctx.outputs[0], body=body, perms=perms, rotations=rotations)
