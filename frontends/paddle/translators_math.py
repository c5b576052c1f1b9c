"""Matrix products, softmax and reductions."""
from __future__ import annotations

from .graph import NodeContext, paddle_op


@paddle_op("matmul")
def _matmul(ctx: NodeContext):
    """MatMul; the legacy v1 op's ``alpha`` scales the product."""
    y = ctx.make1("MatMul", [ctx.input(0), ctx.input(1)], "matmul" if ctx.attr("alpha", 1.0) != 1.0 else "",
                  transpose_a=bool(ctx.attr("transpose_x", False)), transpose_b=bool(ctx.attr("transpose_y", False)))
    alpha = float(ctx.attr("alpha", 1.0))
    if alpha != 1.0:
        y = ctx.make1("Multiply", [y, ctx.scalar_like(y, alpha, "alpha")])
    return y


@paddle_op("softmax", "log_softmax")
def _softmax(ctx: NodeContext):
    return ctx.make1("Softmax" if ctx.type == "softmax" else "LogSoftmax", [ctx.input(0)],
                     axis=int(ctx.attr("axis", -1)))


_REDUCE = {"mean": "ReduceMean", "sum": "ReduceSum", "max": "ReduceMax", "min": "ReduceMin", "prod": "ReduceProd"}


@paddle_op(*_REDUCE)
def _reduce(ctx: NodeContext):
    """Over ``axis`` (every axis where it is empty or ``reduce_all`` is set)."""
    x = ctx.input(0)
    axes = ctx.ints("axis", 1, [])
    if not axes or ctx.attr("reduce_all", False):
        axes = list(range(ctx.rank(x)))
    return ctx.make1(_REDUCE[ctx.type], [x, ctx.i64(axes, "axes")], keep_dims=bool(ctx.attr("keepdim", False)))
