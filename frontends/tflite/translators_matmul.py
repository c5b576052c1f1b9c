"""TFLite FULLY_CONNECTED and BATCH_MATMUL, onto OpenVINO's MatMul (+ bias Add)."""
from __future__ import annotations

from .graph import NodeContext, tflite_op


@tflite_op("FULLY_CONNECTED")
def _fully_connected(ctx: NodeContext):
    x, w = ctx.input(0), ctx.input(1)                          # w [units, K]
    if int(ctx.opt("WeightsFormat", 0)) != 0:
        raise ctx.fail("only the DEFAULT weights format is supported (not shuffled 4x16 int8)")
    k = ctx.static_shape(w, "weights")[1]
    if not ctx.opt("KeepNumDims", False) and ctx.rank(x) != 2:
        x = ctx.make1("Reshape", [x, ctx.i64([-1, k], "flat_shape")], "flatten", special_zero=False)
    y = ctx.make1("MatMul", [x, w], "matmul", transpose_b=True)
    b = ctx.input(2)
    if b is not None:
        y = ctx.make1("Add", [y, b], "add_bias")
    return ctx.activation(y)


@tflite_op("BATCH_MATMUL")
def _batch_matmul(ctx: NodeContext):
    return ctx.make1("MatMul", [ctx.input(0), ctx.input(1)], transpose_a=bool(ctx.opt("AdjX", False)),
                     transpose_b=bool(ctx.opt("AdjY", False)))
