"""Element-wise ops: one kernel per node from ``eltwise.cl.mako``, with the op's math as a C expression.

Expressions read ``a0``, ``a1``, ... (inputs in their compute types) and may use ``T`` for the output's
compute type. Broadcast inputs get strides; dimensions that every input walks contiguously are merged first,
so the index arithmetic is as short as the broadcast pattern allows.
"""
from __future__ import annotations

from ovcl.ir import Type

from .base import LoweringContext, Value, broadcast_strides, c_literal, cctype, contiguous_strides, linear_sizes, lowers


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


def emit_eltwise(ctx: LoweringContext, expr: str, inputs: list[Value], out: Value, what: str = "eltwise"):
    """Launch ``out = expr(inputs)`` with NumPy broadcasting of the inputs to ``out.shape``."""
    n = out.numel
    if n == 0:
        return
    if not out.shape:
        shape = [1]
    else:
        shape = list(out.shape)
    strides = [broadcast_strides(v.shape if v.shape else [1], shape) for v in inputs]
    dims, cstrides = collapse(shape, [contiguous_strides(shape)] + strides)
    own = cstrides[0]
    ins = [(v.type, None if s == own else s) for v, s in zip(inputs, cstrides[1:])]
    gsize, lsize = linear_sizes(n, 256)
    idx = "int" if n < 2 ** 31 - 1 else "long"
    expr = expr.replace("(T)", f"({cctype(out.type)})")
    ctx.launch("eltwise.cl.mako", gsize, lsize, [out, *inputs], out_t=out.type, ins=ins, dims=dims, n=n,
               expr=expr, idx=idx)


def _is_float(t: Type) -> bool:
    return t.is_real


def unary_expr(op: str, t: Type, attrs: dict) -> str | None:
    f = _is_float(t)
    L = lambda v: c_literal(v, t)  # noqa: E731
    table = {
        "Abs": "fabs(a0)" if f else ("a0" if not t.is_signed else "(a0 < 0 ? -a0 : a0)"),
        "Negative": "-a0",
        "Relu": f"(a0 > {L(0)} ? a0 : {L(0)})",
        "Ceiling": "ceil(a0)" if f else "a0",
        "Floor": "floor(a0)" if f else "a0",
        "Sign": f"(T)((a0 > {L(0)}) - (a0 < {L(0)}))" if not f else f"(isnan(a0) ? a0 : (T)((a0 > {L(0)}) - (a0 < {L(0)})))",
        "LogicalNot": "!a0",
        "BitwiseNot": "!a0" if t is Type.boolean else "~a0",
        "IsNaN": "isnan(a0)",
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
        "Atan": "atan(a0)", "Atanh": "atanh(a0)", "Cos": "cos(a0)", "Cosh": "cosh(a0)", "Erf": "erf(a0)",
        "Exp": "exp(a0)", "Log": "log(a0)", "Sin": "sin(a0)", "Sinh": "sinh(a0)", "Sqrt": "sqrt(a0)",
        "Tan": "tan(a0)", "Tanh": "tanh(a0)",
        "Sigmoid": f"{one} / ({one} + exp(-a0))",
        "SoftPlus": f"(a0 > {L(20)} ? a0 : log1p(exp(a0)))",
        "SoftSign": f"a0 / ({one} + fabs(a0))",
        "HSwish": f"a0 * fmin(fmax(a0 + {L(3)}, {L(0)}), {L(6)}) / {L(6)}",
        "HSigmoid": f"fmin(fmax(a0 + {L(3)}, {L(0)}), {L(6)}) / {L(6)}",
        "Mish": f"a0 * tanh(a0 > {L(20)} ? a0 : log1p(exp(a0)))",
        "Elu": f"(a0 > {L(0)} ? a0 : {L(attrs.get('alpha', 1.0))} * (exp(a0) - {one}))",
        "IsInf": ("(" + " || ".join(
            (["(isinf(a0) && a0 > 0)"] if attrs.get("detect_positive", True) else [])
            + (["(isinf(a0) && a0 < 0)"] if attrs.get("detect_negative", True) else [])) + ")")
        if (attrs.get("detect_positive", True) or attrs.get("detect_negative", True)) else "0",
    }
    if op == "Gelu":
        if str(attrs.get("approximation_mode", "ERF")).upper() == "TANH":
            return (f"{L(0.5)} * a0 * ({one} + tanh({L(0.7978845608028654)} * "
                    f"(a0 + {L(0.044715)} * a0 * a0 * a0)))")
        return f"{L(0.5)} * a0 * ({one} + erf(a0 * {L(0.7071067811865476)}))"
    if op == "Clamp":
        return f"fmin(fmax(a0, {L(attrs['min'])}), {L(attrs['max'])})"
    return floats.get(op)


def binary_expr(op: str, t: Type, attrs: dict) -> str | None:
    f = _is_float(t)
    zero = c_literal(0, t)
    common = {
        "Add": "a0 + a1", "Subtract": "a0 - a1", "Multiply": "a0 * a1",
        "SquaredDifference": "(a0 - a1) * (a0 - a1)",
        "Equal": "a0 == a1", "NotEqual": "a0 != a1", "Less": "a0 < a1", "LessEqual": "a0 <= a1",
        "Greater": "a0 > a1", "GreaterEqual": "a0 >= a1",
        "LogicalAnd": "a0 && a1", "LogicalOr": "a0 || a1", "LogicalXor": "(!a0) != (!a1)",
        "Maximum": "(a0 > a1 || isnan(a0) ? a0 : a1)" if f else "(a0 > a1 ? a0 : a1)",
        "Minimum": "(a0 < a1 || isnan(a0) ? a0 : a1)" if f else "(a0 < a1 ? a0 : a1)",
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
            "FloorMod": f"((fmod(a0, a1) != {zero} && ((fmod(a0, a1) < {zero}) != (a1 < {zero}))) "
                        f"? fmod(a0, a1) + a1 : fmod(a0, a1))",
        }.get(op)
    bits = {"BitwiseAnd": "a0 & a1", "BitwiseOr": "a0 | a1", "BitwiseXor": "a0 ^ a1",
            "BitwiseLeftShift": "a0 << a1", "BitwiseRightShift": "a0 >> a1"}
    if op in bits:
        return bits[op]
    if op == "Divide":
        if attrs.get("m_pythondiv", True) and t.is_signed:
            return (f"(a1 == {zero} ? {zero} : (a0 / a1 - (((a0 % a1) != {zero}) && "
                    f"((a0 < {zero}) != (a1 < {zero})))))")
        return f"(a1 == {zero} ? {zero} : a0 / a1)"
    if op == "Mod":
        return f"(a1 == {zero} ? {zero} : a0 % a1)"
    if op == "FloorMod":
        if not t.is_signed:
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


@lowers(*UNARY_OPS)
def _unary(ctx: LoweringContext):
    x = ctx.inputs[0]
    expr = unary_expr(ctx.node.type_name, x.type, ctx.attrs)
    if expr is None:
        raise ctx.fail(f"no kernel for element type {x.type}")
    if ctx.node.type_name == "Clamp" and not x.type.is_real:
        import math
        lo, hi = ctx.attrs["min"], ctx.attrs["max"]
        info = __import__("numpy").iinfo(x.type.dtype)
        lo = info.min if lo == -math.inf else max(int(math.ceil(lo)), info.min)
        hi = info.max if hi == math.inf else min(int(math.floor(hi)), info.max)
        expr = f"(a0 < {c_literal(lo, x.type)} ? {c_literal(lo, x.type)} : (a0 > {c_literal(hi, x.type)} ? {c_literal(hi, x.type)} : a0))"
    emit_eltwise(ctx, expr, [x], ctx.outputs[0])


@lowers(*BINARY_OPS)
def _binary(ctx: LoweringContext):
    a, b = ctx.inputs
    expr = binary_expr(ctx.node.type_name, a.type, ctx.attrs)
    if expr is None:
        raise ctx.fail(f"no kernel for element type {a.type}")
    emit_eltwise(ctx, expr, [a, b], ctx.outputs[0])


@lowers("Convert", "ConvertLike")
def _convert(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.type is Type.boolean:
        expr = "a0 != 0"
    elif x.type.is_real and not out.type.is_real:
        expr = "(T)(a0)"      # C truncation toward zero, as OpenVINO's Convert
    else:
        expr = "(T)(a0)"
    emit_eltwise(ctx, expr, [x], out)


@lowers("Select")
def _select(ctx: LoweringContext):
    emit_eltwise(ctx, "(a0 ? a1 : a2)", ctx.inputs, ctx.outputs[0])


@lowers("PRelu")
def _prelu(ctx: LoweringContext):
    x, slope = ctx.inputs
    if slope.rank == 1 and x.rank >= 2 and slope.shape[0] == x.shape[1] and slope.shape[0] != x.shape[-1]:
        slope = Value((slope.shape[0],) + (1,) * (x.rank - 2), slope.type, slope.storage)   # per channel
    zero = c_literal(0, x.type)
    emit_eltwise(ctx, f"(a0 < {zero} ? a0 * a1 : a0)", [x, slope], ctx.outputs[0])


@lowers("Swish")
def _swish(ctx: LoweringContext):
    one = c_literal(1, ctx.inputs[0].type)
    if len(ctx.inputs) == 1:
        emit_eltwise(ctx, f"a0 / ({one} + exp(-a0))", ctx.inputs, ctx.outputs[0])
    else:
        emit_eltwise(ctx, f"a0 / ({one} + exp(-a0 * a1))", ctx.inputs, ctx.outputs[0])


@lowers("Selu")
def _selu(ctx: LoweringContext):
    one, zero = c_literal(1, ctx.inputs[0].type), c_literal(0, ctx.inputs[0].type)
    emit_eltwise(ctx, f"a2 * (a0 > {zero} ? a0 : a1 * (exp(a0) - {one}))", ctx.inputs, ctx.outputs[0])


@lowers("HardSigmoid")
def _hard_sigmoid(ctx: LoweringContext):
    one, zero = c_literal(1, ctx.inputs[0].type), c_literal(0, ctx.inputs[0].type)
    emit_eltwise(ctx, f"fmin(fmax(a1 * a0 + a2, {zero}), {one})", ctx.inputs, ctx.outputs[0])
