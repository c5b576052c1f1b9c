"""TFLite element-wise operators: arithmetic with fused activations, comparisons, logic, unary math and the
activations (RELU*, LOGISTIC, HARD_SWISH, GELU, LEAKY_RELU, PRELU...), SELECT and CAST."""
from __future__ import annotations

from .graph import NodeContext, tflite_op

_BINARY = {"ADD": "Add", "SUB": "Subtract", "MUL": "Multiply", "DIV": "Divide", "MAXIMUM": "Maximum",
           "MINIMUM": "Minimum", "POW": "Power", "SQUARED_DIFFERENCE": "SquaredDifference",
           "FLOOR_MOD": "FloorMod", "LESS": "Less", "LESS_EQUAL": "LessEqual", "GREATER": "Greater",
           "GREATER_EQUAL": "GreaterEqual", "EQUAL": "Equal", "NOT_EQUAL": "NotEqual",
           "LOGICAL_AND": "LogicalAnd", "LOGICAL_OR": "LogicalOr"}

_UNARY = {"ABS": "Abs", "NEG": "Negative", "EXP": "Exp", "LOG": "Log", "SQRT": "Sqrt", "SIN": "Sin", "COS": "Cos",
          "TANH": "Tanh", "LOGISTIC": "Sigmoid", "RELU": "Relu", "HARD_SWISH": "HSwish", "FLOOR": "Floor",
          "CEIL": "Ceiling", "ELU": "Elu", "LOGICAL_NOT": "LogicalNot", "SIGN": "Sign"}


@tflite_op(*_BINARY)
def _binary(ctx: NodeContext):
    a, b = ctx.input(0), ctx.input(1)
    if ctx.opcode == "DIV" and a.get_element_type().is_integral():
        raise ctx.fail("integer DIV rounds towards zero in TFLite; only float DIV is translated")
    y = ctx.make1(_BINARY[ctx.opcode], [a, b])
    return ctx.activation(y)


@tflite_op("FLOOR_DIV")
def _floor_div(ctx: NodeContext):
    a, b = ctx.input(0), ctx.input(1)
    if a.get_element_type().is_integral():
        return ctx.make1("Divide", [a, b], m_pythondiv=True)      # floors, as FLOOR_DIV does
    return ctx.make1("Floor", [ctx.make1("Divide", [a, b], "div")])


@tflite_op(*_UNARY)
def _unary(ctx: NodeContext):
    return ctx.make1(_UNARY[ctx.opcode], [ctx.input(0)])


@tflite_op("RELU6")
def _relu6(ctx: NodeContext):
    return ctx.make1("Clamp", [ctx.input(0)], min=0.0, max=6.0)


@tflite_op("RELU_N1_TO_1")
def _relu_n1_to_1(ctx: NodeContext):
    return ctx.make1("Clamp", [ctx.input(0)], min=-1.0, max=1.0)


@tflite_op("RELU_0_TO_1")
def _relu_0_to_1(ctx: NodeContext):
    return ctx.make1("Clamp", [ctx.input(0)], min=0.0, max=1.0)


@tflite_op("RSQRT")
def _rsqrt(ctx: NodeContext):
    return ctx.rsqrt(ctx.input(0))


@tflite_op("SQUARE")
def _square(ctx: NodeContext):
    return ctx.square(ctx.input(0))


@tflite_op("GELU")
def _gelu(ctx: NodeContext):
    return ctx.make1("Gelu", [ctx.input(0)], approximation_mode="TANH" if ctx.opt("Approximate", False) else "ERF")


@tflite_op("LEAKY_RELU")
def _leaky_relu(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("PRelu", [x, ctx.scalar_like(x, float(ctx.opt("Alpha", 0.2)), "alpha")])


@tflite_op("PRELU")
def _prelu(ctx: NodeContext):
    # TFLite's alpha broadcasts against the input numpy-style; OpenVINO's PRelu takes a 1-D slope per channel
    # (axis 1) only, so the general form is spelled out: max(x, 0) + alpha * min(x, 0).
    x, alpha = ctx.input(0), ctx.input(1)
    zero = ctx.scalar_like(x, 0.0, "zero")
    pos = ctx.make1("Maximum", [x, zero], "pos")
    neg = ctx.make1("Multiply", [alpha, ctx.make1("Minimum", [x, zero], "neg")], "neg_scaled")
    return ctx.make1("Add", [pos, neg])


@tflite_op("SELECT", "SELECT_V2")
def _select(ctx: NodeContext):
    return ctx.make1("Select", [ctx.input(0), ctx.input(1), ctx.input(2)])


@tflite_op("CAST")
def _cast(ctx: NodeContext):
    # ovcl's Convert truncates floats toward zero and saturates, as TFLite's CAST does in range
    return ctx.make1("Convert", [ctx.input(0)], destination_type=ctx.out_tensor().type.name)


@tflite_op("ZEROS_LIKE")
def _zeros_like(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("Broadcast", [ctx.scalar_like(x, 0, "zero"), ctx.make1("ShapeOf", [x], "shape", output_type="i64")])
