"""ONNX reductions and scans: Reduce*, ArgMax/ArgMin, TopK, CumSum, CumProd, and Hardmax (ArgMax then
OneHot), onto OpenVINO's Reduce*, TopK, CumSum and ovcl's CumProd (``ovcl.ir.ops.reduce``)."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


@onnx_op("CumProd")
def _cumprod(ctx: NodeContext):
    axis = ctx.input(1)
    if axis is None:
        axis = ctx.i64(0, "axis")
    return ctx.make("CumProd", [ctx.input(0), axis], exclusive=bool(ctx.attr("exclusive", 0)),
                    reverse=bool(ctx.attr("reverse", 0)))


def _reduce_axes(ctx: NodeContext, x):
    """The axes Output of an ONNX Reduce* node, or None for "leave the input as it is"."""
    as_input = ctx.opset >= (13 if ctx.op_type == "ReduceSum" else 18)
    if as_input:
        axes_in = ctx.input(1)
        ps = axes_in.get_partial_shape() if axes_in is not None else None
        if ps is not None and ps.is_static and int(np.prod(ps.to_shape())) == 0:
            axes_in = None                 # an empty axes tensor (even a graph input) is "no axes given"
        if axes_in is not None:
            v = ctx.const_value(1)
            if v is None:
                return axes_in
            axes = np.asarray(v).reshape(-1).tolist()
        else:
            axes = []
    else:
        axes = list(ctx.attr("axes", []) or [])
    if not axes:
        if ctx.attr("noop_with_empty_axes", 0):
            return None
        axes = list(range(ctx.rank(x)))
    return ctx.i64(axes)


def _reduce(ctx: NodeContext, op: str, x, axes, keep: bool, suffix: str = ""):
    return ctx.make(op, [x, axes], suffix, keep_dims=keep).output(0)


_DIRECT = {"ReduceSum": "ReduceSum", "ReduceMean": "ReduceMean", "ReduceMax": "ReduceMax", "ReduceMin": "ReduceMin",
           "ReduceProd": "ReduceProd", "ReduceL1": "ReduceL1", "ReduceL2": "ReduceL2"}


@onnx_op("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
         "ReduceLogSumExp", "ReduceSumSquare")
def _reductions(ctx: NodeContext):
    x = ctx.input(0)
    keep = bool(ctx.attr("keepdims", 1))
    axes = _reduce_axes(ctx, x)
    op = ctx.op_type
    if axes is None:                      # noop_with_empty_axes: the input unchanged (a copy)
        if op == "ReduceSumSquare":
            return ctx.make("Multiply", [x, x])
        if op == "ReduceLogSum":
            return ctx.make("Log", [x])
        if op in ("ReduceL1", "ReduceL2"):
            return ctx.make("Abs", [x])
        return ctx.make("Convert", [x], destination_type=x.get_element_type().name)
    if op in _DIRECT:
        return ctx.make(_DIRECT[op], [x, axes], keep_dims=keep)
    if op == "ReduceSumSquare":
        sq = ctx.make("Multiply", [x, x], "square").output(0)
        return ctx.make("ReduceSum", [sq, axes], keep_dims=keep)
    if op == "ReduceLogSum":
        return ctx.make("Log", [_reduce(ctx, "ReduceSum", x, axes, keep, "sum")])
    # ReduceLogSumExp, stable: log(sum(exp(x - max))) + max
    m_keep = _reduce(ctx, "ReduceMax", x, axes, True, "max_keep")
    e = ctx.make("Exp", [ctx.make("Subtract", [x, m_keep], "shift").output(0)], "exp").output(0)
    s = ctx.make("Log", [_reduce(ctx, "ReduceSum", e, axes, keep, "sum")], "log").output(0)
    m = m_keep if keep else _reduce(ctx, "ReduceMax", x, axes, False, "max")
    return ctx.make("Add", [s, m])


@onnx_op("ArgMax", "ArgMin")
def _argmax(ctx: NodeContext):
    x = ctx.input(0)
    rank = ctx.rank(x)
    axis = int(ctx.attr("axis", 0)) % rank
    keep = bool(ctx.attr("keepdims", 1))
    last = bool(ctx.attr("select_last_index", 0))
    src = x
    if last:
        src = ctx.make("Reverse", [x, ctx.i64([axis])], "reverse", mode="index").output(0)
    topk = ctx.make("TopK", [src, ctx.const(np.array(1, dtype=np.int64), suffix="k")], "topk", axis=axis,
                    mode="max" if ctx.op_type == "ArgMax" else "min", sort="none", index_element_type="i64")
    idx = topk.output(1)
    if last:
        dim = x.get_partial_shape()[axis]
        if not dim.is_static:
            raise ctx.fail("select_last_index needs a static size of the reduced axis")
        idx = ctx.make("Subtract", [ctx.const(np.array(dim.min - 1, dtype=np.int64), suffix="last"), idx],
                       "last").output(0)
    if not keep:
        idx = ctx.make("Squeeze", [idx, ctx.i64([axis])], "squeeze").output(0)
    return idx


@onnx_op("TopK")
def _topk(ctx: NodeContext):
    x = ctx.input(0)
    if ctx.opset < 10:
        k = ctx.const(np.array(int(ctx.attr("k")), dtype=np.int64), suffix="k")
    else:
        v = ctx.const_value(1)
        k = ctx.const(np.array(int(np.asarray(v).reshape(-1)[0]), dtype=np.int64), suffix="k") if v is not None \
            else ctx.make("Squeeze", [ctx.input(1)], "k").output(0)
    largest = bool(ctx.attr("largest", 1)) if ctx.opset >= 11 else True
    sort = ("value" if ctx.attr("sorted", 1) else "none") if ctx.opset >= 11 else "value"
    node = ctx.make("TopK", [x, k], axis=int(ctx.attr("axis", -1)), mode="max" if largest else "min", sort=sort,
                    index_element_type="i64")
    return [node.output(0), node.output(1)]


@onnx_op("CumSum")
def _cumsum(ctx: NodeContext):
    return ctx.make("CumSum", [ctx.input(0), ctx.input(1)], exclusive=bool(ctx.attr("exclusive", 0)),
                    reverse=bool(ctx.attr("reverse", 0)))


@onnx_op("Hardmax")
def _hardmax(ctx: NodeContext):
    x = ctx.input(0)
    rank = len(x.get_partial_shape())
    axis = int(ctx.attr("axis", -1 if ctx.opset >= 13 else 1)) % rank
    shape = None
    if ctx.opset < 13:
        x, shape = _flatten_2d(ctx, x, axis)
        axis = 1
    depth = x.get_partial_shape()[axis].get_length()
    top = ctx.make("TopK", [x, ctx.const(np.array(1, np.int64), suffix="k")], "argmax", axis=axis, mode="max",
                   sort="none", index_element_type="i64", stable=True)
    idx = ctx.make("Squeeze", [top.output(1), ctx.const(np.array([axis], np.int64), suffix="ax")], "idx").output(0)
    y = ctx.make("OneHot", [idx, ctx.const(np.array(depth, np.int64), suffix="depth"), ctx.scalar_like(x, 1, "on"),
                            ctx.scalar_like(x, 0, "off")], "onehot", axis=axis).output(0)
    if shape is not None:
        y = ctx.make("Reshape", [y, ctx.const(np.array(shape, np.int64), suffix="shape")], "unflatten",
                     special_zero=False).output(0)
    return y


def _flatten_2d(ctx: NodeContext, x, axis: int):
    """[d0..d(axis-1), d(axis)..] -> [prod(first), prod(rest)] (opset < 13 softmax-family semantics)."""
    shape = x.get_partial_shape().to_shape()
    rows = int(np.prod(shape[:axis], dtype=np.int64))
    return ctx.make("Reshape", [x, ctx.const(np.array([rows, -1], np.int64), suffix="flat_shape")], "flatten",
                    special_zero=False).output(0), shape
