"""ONNX Softmax and LogSoftmax, LayerNormalization, InstanceNormalization, GroupNormalization,
MeanVarianceNormalization and LpNormalization, as OpenVINO's ONNX frontend translates them: Softmax, MVN and
NormalizeL2 (``ovcl.ir.ops.normalization``) plus element-wise ops."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


@onnx_op("Softmax", "LogSoftmax")
def _softmax(ctx: NodeContext):
    x = ctx.input(0)
    op = ctx.op_type
    if ctx.opset >= 13:
        return ctx.make(op, [x], axis=int(ctx.attr("axis", -1)))
    # opset < 13: the input is seen as 2-D [prod(dims[:axis]), prod(dims[axis:])]
    ps = x.get_partial_shape()
    rank = ctx.rank(x)
    axis = int(ctx.attr("axis", 1)) % max(rank, 1)
    if axis == rank - 1:
        return ctx.make(op, [x], axis=axis)
    tail = ps[axis:]
    if not all(d.is_static for d in tail):
        raise ctx.fail(f"opset {ctx.opset} softmax over axes {axis}.. needs their sizes static, got {ps}")
    inner = int(np.prod([d.min for d in tail], dtype=np.int64))
    flat = ctx.make("Reshape", [x, ctx.i64([-1, inner], "flat_shape")], "flatten", special_zero=False).output(0)
    y = ctx.make(op, [flat], "softmax", axis=1).output(0)
    if ps.is_static:
        target = ctx.i64(list(ps.to_shape()), "shape")
    else:
        target = ctx.make("ShapeOf", [x], "shape", output_type="i64").output(0)
    return ctx.make("Reshape", [y, target], special_zero=False)


def _per_channel(ctx: NodeContext, v, rank: int, suffix: str):
    """[C] -> [C, 1, ..., 1] so that it broadcasts along axis 1 of a rank-``rank`` tensor."""
    if rank <= 2:
        return v
    return ctx.make("Unsqueeze", [v, ctx.i64(list(range(1, rank - 1)), suffix + "_axes")], suffix).output(0)


@onnx_op("LayerNormalization")
def _layer_norm(ctx: NodeContext):
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    rank = ctx.rank(x)
    axis = int(ctx.attr("axis", -1)) % rank
    eps = float(ctx.attr("epsilon", 1e-5))
    axes = ctx.i64(list(range(axis, rank)))
    y = ctx.make("MVN", [x, axes], "mvn", normalize_variance=True, eps=eps, eps_mode="inside_sqrt").output(0)
    if scale is not None:
        y = ctx.make("Multiply", [y, scale], "scale").output(0)
    if bias is not None:
        y = ctx.make("Add", [y, bias], "bias").output(0)
    outs = [y]
    wants = [k < len(ctx.proto.output) and bool(ctx.proto.output[k]) for k in (1, 2)]
    if any(wants):
        mean = ctx.make("ReduceMean", [x, axes], "mean", keep_dims=True).output(0)
        d = ctx.make("Subtract", [x, mean], "centered").output(0)
        var = ctx.make("ReduceMean", [ctx.make("Multiply", [d, d], "sq").output(0), axes], "var",
                       keep_dims=True).output(0)
        std = ctx.make("Sqrt", [ctx.make("Add", [var, ctx.scalar_like(var, eps, "eps")], "var_eps").output(0)],
                       "std").output(0)
        inv = ctx.make("Divide", [ctx.scalar_like(std, 1.0, "one"), std], "inv_std").output(0)
        outs += [mean, inv]
    return outs


@onnx_op("InstanceNormalization")
def _instance_norm(ctx: NodeContext):
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    rank = ctx.rank(x)
    eps = float(ctx.attr("epsilon", 1e-5))
    y = ctx.make("MVN", [x, ctx.i64(list(range(2, rank)))], "mvn", normalize_variance=True, eps=eps,
                 eps_mode="inside_sqrt").output(0)
    y = ctx.make("Multiply", [y, _per_channel(ctx, scale, rank, "scale_c")], "scale").output(0)
    return ctx.make("Add", [y, _per_channel(ctx, bias, rank, "bias_c")])


@onnx_op("GroupNormalization")
def _group_norm(ctx: NodeContext):
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    rank = ctx.rank(x)
    g = int(ctx.attr("num_groups"))
    eps = float(ctx.attr("epsilon", 1e-5))
    grouped = ctx.make("Reshape", [x, ctx.i64([0, g, -1], "group_shape")], "group", special_zero=True).output(0)
    y = ctx.make("MVN", [grouped, ctx.i64([2])], "mvn", normalize_variance=True, eps=eps,
                 eps_mode="inside_sqrt").output(0)
    if ctx.opset < 21:           # opset 18: scale and bias per group
        s = ctx.make("Reshape", [scale, ctx.i64([1, g, 1], "gshape_s")], "scale_g", special_zero=False).output(0)
        b = ctx.make("Reshape", [bias, ctx.i64([1, g, 1], "gshape_b")], "bias_g", special_zero=False).output(0)
        y = ctx.make("Add", [ctx.make("Multiply", [y, s], "scale").output(0), b], "bias").output(0)
    ps = x.get_partial_shape()
    target = (ctx.i64(list(ps.to_shape()), "shape") if ps.is_static
              else ctx.make("ShapeOf", [x], "shape", output_type="i64").output(0))
    y = ctx.make("Reshape", [y, target], "ungroup", special_zero=False).output(0)
    if ctx.opset >= 21:          # opset 21: per channel
        y = ctx.make("Multiply", [y, _per_channel(ctx, scale, rank, "scale_c")], "scale").output(0)
        y = ctx.make("Add", [y, _per_channel(ctx, bias, rank, "bias_c")], "bias").output(0)
    return y


@onnx_op("MeanVarianceNormalization")
def _mvn(ctx: NodeContext):
    x = ctx.input(0)
    axes = list(ctx.attr("axes", [0, 2, 3]))
    return ctx.make("MVN", [x, ctx.i64(axes)], normalize_variance=True, eps=1e-9, eps_mode="outside_sqrt")


@onnx_op("LpNormalization")
def _lp_norm(ctx: NodeContext):
    x = ctx.input(0)
    axis = int(ctx.attr("axis", -1))
    p = int(ctx.attr("p", 2))
    axes = ctx.i64([axis])
    if p == 2:
        return ctx.make("NormalizeL2", [x, axes], eps=0.0, eps_mode="add")
    if p == 1:
        return ctx.make("Divide", [x, ctx.make("ReduceL1", [x, axes], "l1", keep_dims=True).output(0)])
    raise ctx.fail(f"p must be 1 or 2, got {p}")
