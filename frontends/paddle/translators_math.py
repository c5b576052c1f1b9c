"""Matrix products, softmax, reductions, argmax and the sum of a list (add_n)."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .graph import NodeContext, paddle_op


@paddle_op("matmul")
def _matmul(ctx: NodeContext):
    """MatMul; the legacy v1 op's ``alpha`` scales the product."""
    alpha = float(ctx.attr("alpha", 1.0))
    y = ctx.make1("MatMul", [ctx.input(0), ctx.input(1)], "matmul" if alpha != 1.0 else "",
                  transpose_a=bool(ctx.attr("transpose_x", False)), transpose_b=bool(ctx.attr("transpose_y", False)))
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
    """Over ``axis`` (every axis where it is empty or ``reduce_all`` is set). ``sum`` converts to its ``dtype``
    first, and without one sums bool and int32 as int64, as Paddle does."""
    x = ctx.input(0)
    axes = ctx.ints("axis", 1, [])
    if not axes or ctx.attr("reduce_all", False):
        axes = list(range(ctx.rank(x)))
    if ctx.type == "sum":
        typ = ctx.element_type(required=False)
        if typ is None and x.get_element_type() in (Type.boolean, Type.i32):
            typ = "i64"
        if typ is not None and Type.from_name(typ) != x.get_element_type():
            x = ctx.make1("Convert", [x], "convert", destination_type=typ)
    return ctx.make1(_REDUCE[ctx.type], [x, ctx.i64(axes, "axes")], keep_dims=bool(ctx.attr("keepdim", False)))


@paddle_op("add_n")
def _add_n(ctx: NodeContext):
    parts = ctx.input_list(0)
    y = parts[0]
    for k, p in enumerate(parts[1:]):
        y = ctx.make1("Add", [y, p], f"add{k}" if k < len(parts) - 2 else "")
    return y


@paddle_op("argmax")
def _argmax(ctx: NodeContext):
    """The first index of the largest value along ``axis`` (input 1, or the legacy attribute), over all elements
    where ``flatten`` is set."""
    x = ctx.input(0)
    r = ctx.rank(x)
    axis = ctx.ints("axis", 1)[0]
    keep = bool(ctx.attr("keepdims", False))
    if ctx.attr("flatten", False):
        x = ctx.make1("Reshape", [x, ctx.i64([-1], "flat_shape")], "flat", special_zero=False)
        axis, r = 0, 1
    axis += r if axis < 0 else 0
    if not 0 <= axis < r:
        raise ctx.fail(f"axis {axis} does not fit rank {r}")
    topk = ctx.make("TopK", [x, ctx.const(np.array(1, np.int64), suffix="k")], "topk", axis=axis, mode="max",
                    sort="none", index_element_type=ctx.element_type(required=False) or "i64")
    idx = topk.output(1)
    if ctx.attr("flatten", False):
        return ctx.make1("Reshape", [idx, ctx.i64([1] * ctx.rank(ctx.input(0)) if keep else [], "shape")],
                         special_zero=False)
    return idx if keep else ctx.make1("Squeeze", [idx, ctx.i64([axis], "axis")])
