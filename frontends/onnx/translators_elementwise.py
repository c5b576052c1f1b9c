"""ONNX element-wise ops: math, activations, comparisons, logic, Cast, Where, Clip, variadic Sum/Max/..."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op, onnx_type

_SAME_NAME = {
    "Abs": "Abs", "Acos": "Acos", "Acosh": "Acosh", "Asin": "Asin", "Asinh": "Asinh", "Atan": "Atan",
    "Atanh": "Atanh", "Ceil": "Ceiling", "Cos": "Cos", "Cosh": "Cosh", "Erf": "Erf", "Exp": "Exp",
    "Floor": "Floor", "Log": "Log", "Neg": "Negative", "Relu": "Relu", "Sigmoid": "Sigmoid", "Sign": "Sign",
    "Sin": "Sin", "Sinh": "Sinh", "Sqrt": "Sqrt", "Tan": "Tan", "Tanh": "Tanh", "Softplus": "SoftPlus",
    "Softsign": "SoftSign", "HardSwish": "HSwish", "Mish": "Mish", "Not": "LogicalNot", "IsNaN": "IsNaN",
    "BitwiseNot": "BitwiseNot",
}


@onnx_op(*_SAME_NAME)
def _unary(ctx: NodeContext):
    return ctx.make(_SAME_NAME[ctx.op_type], [ctx.input(0)])


@onnx_op("Round")
def _round(ctx):
    return ctx.make("Round", [ctx.input(0)], mode="half_to_even")


@onnx_op("IsInf")
def _isinf(ctx):
    return ctx.make("IsInf", [ctx.input(0)], detect_positive=bool(ctx.attr("detect_positive", 1)),
                    detect_negative=bool(ctx.attr("detect_negative", 1)))


_BINARY = {
    "Add": "Add", "Sub": "Subtract", "Mul": "Multiply", "Pow": "Power", "Equal": "Equal", "Less": "Less",
    "LessOrEqual": "LessEqual", "Greater": "Greater", "GreaterOrEqual": "GreaterEqual", "And": "LogicalAnd",
    "Or": "LogicalOr", "Xor": "LogicalXor", "BitwiseAnd": "BitwiseAnd", "BitwiseOr": "BitwiseOr",
    "BitwiseXor": "BitwiseXor",
}


def _legacy_broadcast(ctx: NodeContext, a, b):
    """Opset < 7 broadcasting: ``broadcast=1`` with ``axis`` aligns b at that axis of a."""
    if ctx.opset >= 7 or not ctx.attr("broadcast", 0):
        return b
    ra, rb = len(a.get_partial_shape()), len(b.get_partial_shape())
    axis = ctx.attr("axis", ra - rb)
    if axis < 0:
        axis += ra
    trailing = ra - axis - rb
    if trailing > 0:
        b = ctx.make("Unsqueeze", [b, ctx.const(np.arange(rb, rb + trailing, dtype=np.int64))], "align").output(0)
    return b


@onnx_op(*_BINARY)
def _binary(ctx: NodeContext):
    a, b = ctx.input(0), ctx.input(1)
    b = _legacy_broadcast(ctx, a, b)
    if ctx.op_type == "Pow" and a.get_element_type() != b.get_element_type():
        b = ctx.make("Convert", [b], "exponent", destination_type=a.get_element_type().name).output(0)
    return ctx.make(_BINARY[ctx.op_type], [a, b])


@onnx_op("Div")
def _div(ctx):
    a, b = ctx.input(0), _legacy_broadcast(ctx, ctx.input(0), ctx.input(1))
    return ctx.make("Divide", [a, b], m_pythondiv=False)   # ONNX integer division truncates


@onnx_op("Mod")
def _mod(ctx):
    return ctx.make("Mod" if ctx.attr("fmod", 0) else "FloorMod", [ctx.input(0), ctx.input(1)])


@onnx_op("Swish")
def _swish(ctx):
    x = ctx.input(0)
    alpha = ctx.const(np.array(ctx.attr("alpha", 1.0), dtype=x.get_element_type().dtype), suffix="alpha")
    return ctx.make("Swish", [x, alpha])


@onnx_op("BitShift")
def _bitshift(ctx):
    op = "BitwiseLeftShift" if ctx.attr("direction") == "LEFT" else "BitwiseRightShift"
    return ctx.make(op, [ctx.input(0), ctx.input(1)])


@onnx_op("Sum", "Max", "Min", "Mean")
def _variadic(ctx: NodeContext):
    op = {"Sum": "Add", "Max": "Maximum", "Min": "Minimum", "Mean": "Add"}[ctx.op_type]
    ins = [i for i in ctx.inputs() if i is not None]
    acc = ins[0]
    for k, x in enumerate(ins[1:]):
        acc = ctx.make(op, [acc, x], f"acc{k}").output(0)
    if ctx.op_type == "Mean" and len(ins) > 1:
        n = ctx.const(np.array(len(ins), dtype=acc.get_element_type().dtype))
        acc = ctx.make("Divide", [acc, n]).output(0)
    elif len(ins) == 1:
        acc = ctx.make("Convert", [acc], destination_type=acc.get_element_type().name).output(0)
    return acc


def _convert(ctx: NodeContext, x, t):
    """Convert, saturating to the finite range of an 8-bit float target unless ``saturate=0``."""
    if t.name.startswith("f8") and x.get_element_type().is_real() and ctx.attr("saturate", 1):
        import ml_dtypes
        hi = float(ml_dtypes.finfo(t.dtype).max)
        x = ctx.make("Clamp", [x], "saturate", min=-hi, max=hi).output(0)
    return ctx.make("Convert", [x], destination_type=t.name)


@onnx_op("Cast")
def _cast(ctx):
    return _convert(ctx, ctx.input(0), onnx_type(ctx.attr("to")))


@onnx_op("BitCast")
def _bitcast(ctx):
    return ctx.make("BitCast", [ctx.input(0)], destination_type=onnx_type(ctx.attr("to")).name)


@onnx_op("CastLike")
def _cast_like(ctx):
    return _convert(ctx, ctx.input(0), ctx.input(1).get_element_type())


@onnx_op("Where")
def _where(ctx):
    return ctx.make("Select", [ctx.input(0), ctx.input(1), ctx.input(2)])


@onnx_op("Clip")
def _clip(ctx: NodeContext):
    x = ctx.input(0)
    t = x.get_element_type()
    if ctx.opset < 11:
        return ctx.make("Clamp", [x], min=float(ctx.attr("min", -np.inf)), max=float(ctx.attr("max", np.inf)))
    lo, hi = ctx.const_value(1), ctx.const_value(2)
    if (ctx.input(1) is None or lo is not None) and (ctx.input(2) is None or hi is not None) and t.is_real():
        return ctx.make("Clamp", [x], min=float(lo) if lo is not None else -np.inf,
                        max=float(hi) if hi is not None else np.inf)
    out = x
    if ctx.input(1) is not None:
        out = ctx.make("Maximum", [out, ctx.input(1)], "min").output(0)
    if ctx.input(2) is not None:
        out = ctx.make("Minimum", [out, ctx.input(2)], "max").output(0)
    if out is x:
        out = ctx.make("Convert", [x], destination_type=t.name).output(0)
    return out


@onnx_op("LeakyRelu")
def _leaky(ctx):
    x = ctx.input(0)
    slope = ctx.const(np.array([ctx.attr("alpha", 0.01)], dtype=x.get_element_type().dtype))
    return ctx.make("PRelu", [x, slope])


@onnx_op("PRelu")
def _prelu(ctx):
    return ctx.make("PRelu", [ctx.input(0), ctx.input(1)])


@onnx_op("Elu")
def _elu(ctx):
    return ctx.make("Elu", [ctx.input(0)], alpha=float(ctx.attr("alpha", 1.0)))


@onnx_op("Selu")
def _selu(ctx):
    dt = ctx.input(0).get_element_type().dtype
    alpha = ctx.const(np.array([ctx.attr("alpha", 1.67326319217681884765625)], dtype=dt), suffix="alpha")
    gamma = ctx.const(np.array([ctx.attr("gamma", 1.05070102214813232421875)], dtype=dt), suffix="gamma")
    return ctx.make("Selu", [ctx.input(0), alpha, gamma])


@onnx_op("HardSigmoid")
def _hard_sigmoid(ctx):
    dt = ctx.input(0).get_element_type().dtype
    alpha = ctx.const(np.array(ctx.attr("alpha", 0.2), dtype=dt), suffix="alpha")
    beta = ctx.const(np.array(ctx.attr("beta", 0.5), dtype=dt), suffix="beta")
    return ctx.make("HardSigmoid", [ctx.input(0), alpha, beta])


@onnx_op("Gelu")
def _gelu(ctx):
    mode = "TANH" if ctx.attr("approximate", "none") == "tanh" else "ERF"
    return ctx.make("Gelu", [ctx.input(0)], approximation_mode=mode)


@onnx_op("Reciprocal")
def _reciprocal(ctx):
    x = ctx.input(0)
    one = ctx.const(np.array(1, dtype=x.get_element_type().dtype))
    return ctx.make("Divide", [one, x])


@onnx_op("Identity")
def _identity(ctx):
    x = ctx.input(0)
    return ctx.make("Convert", [x], destination_type=x.get_element_type().name)


@onnx_op("Celu")
def _celu(ctx: NodeContext):
    x = ctx.input(0)
    alpha = float(ctx.attr("alpha", 1.0))
    a = ctx.scalar_like(x, alpha, "alpha")
    scaled = ctx.make("Divide", [x, a], "scaled").output(0)
    return ctx.make("Multiply", [ctx.make("Elu", [scaled], "elu", alpha=1.0), a])


@onnx_op("ThresholdedRelu")
def _thresholded_relu(ctx: NodeContext):
    x = ctx.input(0)
    keep = ctx.make("Greater", [x, ctx.scalar_like(x, ctx.attr("alpha", 1.0), "alpha")], "keep")
    return ctx.make("Select", [keep, x, ctx.scalar_like(x, 0, "zero")])


@onnx_op("Shrink")
def _shrink(ctx: NodeContext):
    x = ctx.input(0)
    lambd, bias = float(ctx.attr("lambd", 0.5)), float(ctx.attr("bias", 0.0))
    lo = ctx.make("Less", [x, ctx.scalar_like(x, -lambd, "neg_lambd")], "below")
    hi = ctx.make("Greater", [x, ctx.scalar_like(x, lambd, "lambd")], "above")
    up = ctx.make("Add", [x, ctx.scalar_like(x, bias, "bias")], "plus_bias")
    down = ctx.make("Subtract", [x, ctx.scalar_like(x, bias, "bias2")], "minus_bias")
    inner = ctx.make("Select", [hi, down, ctx.scalar_like(x, 0, "zero")], "inner")
    return ctx.make("Select", [lo, up, inner])
