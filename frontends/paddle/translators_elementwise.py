"""Element-wise ops: activations, arithmetic with NumPy broadcasting (the legacy ``elementwise_*`` ops' ``axis``
aligns a lower-rank Y at that axis of X instead), scale, dropout at inference, cast."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Output

from .graph import NodeContext, paddle_op

_UNARY = {
    "relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "exp": "Exp", "sqrt": "Sqrt", "abs": "Abs", "log": "Log",
    "erf": "Erf", "floor": "Floor", "ceil": "Ceiling", "hardswish": "HSwish", "silu": "Swish", "mish": "Mish",
    "sin": "Sin", "cos": "Cos", "logical_not": "LogicalNot", "sign": "Sign",
}
_BINARY = {
    "add": "Add", "subtract": "Subtract", "multiply": "Multiply", "divide": "Divide", "maximum": "Maximum",
    "minimum": "Minimum", "elementwise_pow": "Power", "equal": "Equal", "not_equal": "NotEqual",
    "greater_than": "Greater", "greater_equal": "GreaterEqual", "less_than": "Less", "less_equal": "LessEqual",
    "logical_and": "LogicalAnd", "logical_or": "LogicalOr", "remainder": "FloorMod",
}


@paddle_op(*_UNARY)
def _unary(ctx: NodeContext):
    return ctx.make1(_UNARY[ctx.type], [ctx.input(0)])


@paddle_op("rsqrt", "reciprocal", "square")
def _composite_unary(ctx: NodeContext):
    """Ops OpenVINO has no node for, built as every frontend builds them (``NodeBuilder.rsqrt`` ...)."""
    return getattr(ctx, ctx.type)(ctx.input(0))


@paddle_op(*_BINARY)
def _binary(ctx: NodeContext):
    x, y = ctx.input(0), ctx.input(1)
    axis = int(ctx.attr("axis", -1))
    if axis != -1 and ctx.attr("legacy_op"):
        rx, ry = ctx.rank(x), ctx.rank(y)
        if ry < rx:
            y = _align(ctx, y, ry, rx, axis, "y")
        elif rx < ry:
            x = _align(ctx, x, rx, ry, axis, "x")
    return ctx.make1(_BINARY[ctx.type], [x, y])


def _align(ctx: NodeContext, small: Output, r_small: int, r_big: int, axis: int, what: str) -> Output:
    """The legacy ``axis`` rule: the lower-rank operand's dims sit at ``axis`` of the other's, so its shape gets
    trailing ones."""
    axis += r_big if axis < 0 else 0
    if not 0 <= axis <= r_big - r_small:
        raise ctx.fail(f"axis {axis} cannot place a rank-{r_small} operand in a rank-{r_big} one")
    trailing = r_big - axis - r_small
    if trailing == 0:
        return small
    return ctx.make1("Unsqueeze", [small, ctx.i64(list(range(r_small, r_small + trailing)), f"{what}_axes")],
                     f"{what}_aligned")


@paddle_op("floor_divide")
def _floor_divide(ctx: NodeContext):
    """Rounded toward negative infinity: integer Divide does that (Python's division), floats need a Floor."""
    x, y = ctx.input(0), ctx.input(1)
    if x.get_element_type().is_integral():
        return ctx.make1("Divide", [x, y], m_pythondiv=True)
    return ctx.make1("Floor", [ctx.make1("Divide", [x, y], "divide")])


@paddle_op("where")
def _where(ctx: NodeContext):
    return ctx.make1("Select", [ctx.input(0), ctx.input(1), ctx.input(2)])


@paddle_op("relu6")
def _relu6(ctx: NodeContext):
    return ctx.make1("Clamp", [ctx.input(0)], min=0.0, max=float(ctx.attr("threshold", 6.0)))


@paddle_op("clip")
def _clip(ctx: NodeContext):
    lo, hi = ctx.number("min", 1, -np.inf), ctx.number("max", 2, np.inf)
    return ctx.make1("Clamp", [ctx.input(0)], min=lo, max=hi)


@paddle_op("hardtanh", "brelu")
def _hardtanh(ctx: NodeContext):
    lo = float(ctx.attr("t_min", ctx.attr("min", -1.0)))
    hi = float(ctx.attr("t_max", ctx.attr("max", 1.0)))
    return ctx.make1("Clamp", [ctx.input(0)], min=lo, max=hi)


@paddle_op("gelu")
def _gelu(ctx: NodeContext):
    return ctx.make1("Gelu", [ctx.input(0)], approximation_mode="TANH" if ctx.attr("approximate") else "ERF")


@paddle_op("hardsigmoid")
def _hardsigmoid(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("HardSigmoid", [x, ctx.scalar_like(x, ctx.attr("slope", 0.2), "slope"),
                                     ctx.scalar_like(x, ctx.attr("offset", 0.5), "offset")])


@paddle_op("swish")
def _swish(ctx: NodeContext):
    x = ctx.input(0)
    beta = float(ctx.attr("beta", 1.0))
    return ctx.make1("Swish", [x] if beta == 1.0 else [x, ctx.scalar_like(x, beta, "beta")])


@paddle_op("leaky_relu")
def _leaky_relu(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("PRelu", [x, ctx.scalar_like(x, ctx.attr("negative_slope", 0.02), "slope")])


@paddle_op("elu")
def _elu(ctx: NodeContext):
    return ctx.make1("Elu", [ctx.input(0)], alpha=float(ctx.attr("alpha", 1.0)))


@paddle_op("softplus")
def _softplus(ctx: NodeContext):
    """log(1 + exp(beta x)) / beta, x itself above ``threshold`` / beta."""
    x = ctx.input(0)
    beta, threshold = float(ctx.attr("beta", 1.0)), float(ctx.attr("threshold", 20.0))
    bx = x if beta == 1.0 else ctx.make1("Multiply", [x, ctx.scalar_like(x, beta, "beta")], "bx")
    y = ctx.make1("SoftPlus", [bx], "softplus")
    if beta != 1.0:
        y = ctx.make1("Divide", [y, ctx.scalar_like(x, beta, "inv_beta")], "scaled")
    big = ctx.make1("Greater", [bx, ctx.scalar_like(x, threshold, "threshold")], "linear")
    return ctx.make1("Select", [big, x, y])


@paddle_op("pow")
def _pow(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("Power", [x, ctx.scalar_like(x, ctx.number("factor", 1) if ctx.has_input(1) else
                                                   float(ctx.attr("y", ctx.attr("factor", 1.0))), "exponent")])


@paddle_op("scale")
def _scale(ctx: NodeContext):
    """scale · x + bias, or scale · (x + bias) where ``bias_after_scale`` is false."""
    x = ctx.input(0)
    scale, bias = ctx.number("scale", 1, 1.0), float(ctx.attr("bias", 0.0))
    after = bool(ctx.attr("bias_after_scale", True))
    if x.get_element_type().is_integral():
        if scale != int(scale) or bias != int(bias):
            raise ctx.fail("a fractional scale of an integer tensor is not supported")
    y = x
    if bias != 0.0 and not after:
        y = ctx.make1("Add", [y, ctx.scalar_like(x, bias, "bias")], "add_bias")
    if scale != 1.0:
        y = ctx.make1("Multiply", [y, ctx.scalar_like(x, scale, "scale")], "mul_scale")
    if bias != 0.0 and after:
        y = ctx.make1("Add", [y, ctx.scalar_like(x, bias, "bias")], "add_bias")
    return y


@paddle_op("dropout")
def _dropout(ctx: NodeContext):
    """The identity at inference for ``upscale_in_train``; (1 - p) · x for ``downgrade_in_infer``."""
    x = ctx.input(0)
    if str(ctx.attr("mode", "upscale_in_train")) != "downgrade_in_infer":
        return [x]
    p = ctx.number("p", 2, 0.5)
    return [ctx.make1("Multiply", [x, ctx.scalar_like(x, 1.0 - p, "keep")])]


@paddle_op("assign")
def _assign(ctx: NodeContext):
    return [ctx.input(0)]


@paddle_op("cast")
def _cast(ctx: NodeContext):
    x: Output = ctx.input(0)
    return ctx.make1("Convert", [x], destination_type=ctx.element_type())
