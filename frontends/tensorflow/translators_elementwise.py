"""TensorFlow element-wise ops: arithmetic (broadcasting as NumPy does, which is OpenVINO's default), comparisons,
logic, unary math and the activations."""
from __future__ import annotations

from .graph import NodeContext, tf_op

_BINARY = {"Add": "Add", "AddV2": "Add", "Sub": "Subtract", "Mul": "Multiply", "RealDiv": "Divide",
           "Maximum": "Maximum", "Minimum": "Minimum", "Pow": "Power", "SquaredDifference": "SquaredDifference",
           "FloorMod": "FloorMod", "TruncateMod": "Mod", "Less": "Less", "LessEqual": "LessEqual",
           "Greater": "Greater", "GreaterEqual": "GreaterEqual", "Equal": "Equal", "NotEqual": "NotEqual",
           "LogicalAnd": "LogicalAnd", "LogicalOr": "LogicalOr"}

_UNARY = {"Neg": "Negative", "Abs": "Abs", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Tanh": "Tanh",
          "Sigmoid": "Sigmoid", "Relu": "Relu", "Elu": "Elu", "Softplus": "SoftPlus",
          "Softsign": "SoftSign", "Erf": "Erf", "Sin": "Sin", "Cos": "Cos", "Tan": "Tan", "Asin": "Asin",
          "Acos": "Acos", "Atan": "Atan", "Sinh": "Sinh", "Cosh": "Cosh", "Asinh": "Asinh", "Acosh": "Acosh",
          "Atanh": "Atanh", "Floor": "Floor", "Ceil": "Ceiling", "Sign": "Sign", "LogicalNot": "LogicalNot",
          "IsNan": "IsNaN", "IsInf": "IsInf", "IsFinite": "IsFinite"}


@tf_op(*_BINARY)
def _binary(ctx: NodeContext):
    return ctx.make1(_BINARY[ctx.op], [ctx.input(0), ctx.input(1)])


@tf_op("Div", "TruncateDiv")
def _div(ctx: NodeContext):
    # integers: Div and TruncateDiv round towards zero (OpenVINO's Divide without python division)
    return ctx.make1("Divide", [ctx.input(0), ctx.input(1)], m_pythondiv=False)


@tf_op("FloorDiv")
def _floor_div(ctx: NodeContext):
    a, b = ctx.input(0), ctx.input(1)
    if a.get_element_type().is_integral():
        return ctx.make1("Divide", [a, b], m_pythondiv=True)
    return ctx.make1("Floor", [ctx.make1("Divide", [a, b], "div")])


@tf_op("DivNoNan")
def _div_no_nan(ctx: NodeContext):
    a, b = ctx.input(0), ctx.input(1)
    zero = ctx.scalar_like(b, 0, "zero")
    q = ctx.make1("Divide", [a, b], "div")
    return ctx.make1("Select", [ctx.make1("Equal", [b, zero], "b_is_zero"), zero, q])


@tf_op("AddN")
def _add_n(ctx: NodeContext):
    xs = ctx.inputs()
    y = xs[0]
    for k, x in enumerate(xs[1:]):
        y = ctx.make1("Add", [y, x], f"add{k}")
    return y


@tf_op(*_UNARY)
def _unary(ctx: NodeContext):
    return ctx.make1(_UNARY[ctx.op], [ctx.input(0)])


@tf_op("Round", "Rint")
def _round(ctx: NodeContext):
    return ctx.make1("Round", [ctx.input(0)], mode="half_to_even")


@tf_op("Rsqrt")
def _rsqrt(ctx: NodeContext):
    return ctx.rsqrt(ctx.input(0))


@tf_op("Reciprocal", "Inv")
def _reciprocal(ctx: NodeContext):
    return ctx.reciprocal(ctx.input(0))


@tf_op("Square")
def _square(ctx: NodeContext):
    return ctx.square(ctx.input(0))


@tf_op("Erfc")
def _erfc(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("Subtract", [ctx.scalar_like(x, 1.0, "one"), ctx.make1("Erf", [x], "erf")])


@tf_op("Log1p")
def _log1p(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("Log", [ctx.make1("Add", [x, ctx.scalar_like(x, 1.0, "one")], "plus_one")])


@tf_op("Expm1")
def _expm1(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("Subtract", [ctx.make1("Exp", [x], "exp"), ctx.scalar_like(x, 1.0, "one")])


@tf_op("Relu6")
def _relu6(ctx: NodeContext):
    return ctx.make1("Clamp", [ctx.input(0)], min=0.0, max=6.0)


@tf_op("Selu")
def _selu(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("Selu", [x, ctx.scalar_like(x, 1.6732632423543772, "alpha"),
                              ctx.scalar_like(x, 1.0507009873554805, "lambda")])


@tf_op("LeakyRelu")
def _leaky_relu(ctx: NodeContext):
    x = ctx.input(0)
    alpha = ctx.scalar_like(x, float(ctx.attr("alpha", 0.2)), "alpha")
    positive = ctx.make1("GreaterEqual", [x, ctx.scalar_like(x, 0.0, "zero")], "positive")
    return ctx.make1("Select", [positive, x, ctx.make1("Multiply", [x, alpha], "scaled")])


@tf_op("ClipByValue")
def _clip(ctx: NodeContext):
    x, lo, hi = ctx.inputs()
    return ctx.make1("Minimum", [ctx.make1("Maximum", [x, lo], "low"), hi])
