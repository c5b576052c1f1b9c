"""ONNX quantisation ops, as OpenVINO's ONNX frontend treats them: decomposed into Convert, arithmetic,
Round and Clamp around float MatMul/Convolution. Integer products are accumulated in f32, exact while the
sum of products stays below 2**24 (u8 x u8 products: K up to 258); larger reductions round."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .graph import NodeContext, onnx_op, onnx_type
from .translators_nn import group_weights, spatial_rank, window_attrs


def _f(ctx: NodeContext, x, t: Type, suffix: str):
    if x.get_element_type() == t:
        return x
    return ctx.make("Convert", [x], suffix, destination_type=t.name).output(0)


def _along_axis(ctx: NodeContext, v, x, axis: int, block: int, suffix: str):
    """Shape a scale or zero point ``v`` to broadcast against ``x``: scalars as they are, 1-D per-axis
    vectors along ``axis``, blocked ones repeated ``block`` times along ``axis``."""
    vs, xs = v.get_partial_shape(), x.get_partial_shape()
    rank = len(xs)
    axis = axis % rank if rank else 0
    if len(vs) == 0 or (len(vs) == 1 and vs[0].is_static and vs[0].get_length() == 1 and block == 0):
        return v
    if block:
        # [.., D/B, ..] -> [.., D/B, 1, ..] -> broadcast [.., D/B, B, ..] -> [.., D, ..]
        u = ctx.make("Unsqueeze", [v, ctx.const(np.array([axis + 1], np.int64), suffix=f"{suffix}_ax")],
                     f"{suffix}_unsqueeze").output(0)
        dims = [d.get_length() for d in vs]
        target = dims[:axis + 1] + [block] + dims[axis + 1:]
        b = ctx.make("Broadcast", [u, ctx.const(np.array(target, np.int64), suffix=f"{suffix}_target")],
                     f"{suffix}_repeat", mode="numpy").output(0)
        full = [d.get_length() for d in xs]
        shape = dims[:axis] + [dims[axis] * block] + dims[axis + 1:]
        r = ctx.make("Reshape", [b, ctx.const(np.array(shape, np.int64), suffix=f"{suffix}_shape")],
                     f"{suffix}_blocks", special_zero=False).output(0)
        if shape[axis] != full[axis]:          # the last block may be partial
            r = ctx.make("Slice", [r, ctx.const(np.array([0], np.int64), suffix=f"{suffix}_b0"),
                                   ctx.const(np.array([full[axis]], np.int64), suffix=f"{suffix}_b1"),
                                   ctx.const(np.array([1], np.int64), suffix=f"{suffix}_b2"),
                                   ctx.const(np.array([axis], np.int64), suffix=f"{suffix}_b3")],
                         f"{suffix}_trim").output(0)
        return r
    shape = [1] * rank
    shape[axis] = -1
    return ctx.make("Reshape", [v, ctx.const(np.array(shape, np.int64), suffix=f"{suffix}_shape")],
                    f"{suffix}_axis", special_zero=False).output(0)


def _quantize(ctx: NodeContext, x, scale, zp, out_t: Type, axis: int, block: int, saturate_to=None):
    ft = x.get_element_type()
    import ml_dtypes
    scale = _f(ctx, _along_axis(ctx, scale, x, axis, block, "scale"), ft, "scale_f")
    y = ctx.make("Divide", [x, scale], "div").output(0)
    if out_t.is_integral():        # float targets round in their own encoding
        y = ctx.make("Round", [y], "round", mode="half_to_even").output(0)
    if zp is not None:
        y = ctx.make("Add", [y, _f(ctx, _along_axis(ctx, zp, x, axis, block, "zp"), ft, "zp_f")], "add_zp").output(0)
    if out_t.is_integral():
        info = ml_dtypes.iinfo(out_t.dtype)
        y = ctx.make("Clamp", [y], "saturate", min=float(info.min), max=float(info.max)).output(0)
    elif ctx.attr("saturate", 1) and out_t.name.startswith("f8"):
        hi = float(ml_dtypes.finfo(out_t.dtype).max)
        y = ctx.make("Clamp", [y], "saturate", min=-hi, max=hi).output(0)
    return ctx.make("Convert", [y], "to_int", destination_type=out_t.name).output(0)


def _dequantize(ctx: NodeContext, x, scale, zp, axis: int, block: int):
    ft = scale.get_element_type()
    y = _f(ctx, x, ft, "x_f")
    if zp is not None:
        y = ctx.make("Subtract", [y, _f(ctx, _along_axis(ctx, zp, x, axis, block, "zp"), ft, "zp_f")], "sub_zp").output(0)
    return ctx.make("Multiply", [y, _along_axis(ctx, scale, x, axis, block, "scale")], "mul_scale").output(0)


@onnx_op("QuantizeLinear")
def _quantize_linear(ctx: NodeContext):
    x, scale, zp = ctx.input(0), ctx.input(1), ctx.input(2)
    if zp is not None:
        out_t = zp.get_element_type()
    elif ctx.attr("output_dtype", 0):
        out_t = onnx_type(ctx.attr("output_dtype"))
    else:
        out_t = Type.u8
    return _quantize(ctx, x, scale, zp, out_t, int(ctx.attr("axis", 1)), int(ctx.attr("block_size", 0)))


@onnx_op("DequantizeLinear")
def _dequantize_linear(ctx: NodeContext):
    return _dequantize(ctx, ctx.input(0), ctx.input(1), ctx.input(2), int(ctx.attr("axis", 1)),
                       int(ctx.attr("block_size", 0)))


@onnx_op("DynamicQuantizeLinear")
def _dynamic_quantize(ctx: NodeContext):
    x = ctx.input(0)
    all_axes = ctx.const(np.arange(len(x.get_partial_shape()), dtype=np.int64), suffix="axes")
    zero = ctx.const(np.float32(0), suffix="zero")
    hi = ctx.make("Maximum", [ctx.make("ReduceMax", [x, all_axes], "max", keep_dims=False), zero], "max0").output(0)
    lo = ctx.make("Minimum", [ctx.make("ReduceMin", [x, all_axes], "min", keep_dims=False), zero], "min0").output(0)
    scale = ctx.make("Divide", [ctx.make("Subtract", [hi, lo], "range"), ctx.const(np.float32(255), suffix="q")],
                     "scale").output(0)
    zp = ctx.make("Round", [ctx.make("Divide", [ctx.make("Negative", [lo], "neg_min"), scale], "zp_div")],
                  "zp_round", mode="half_to_even").output(0)
    zp = ctx.make("Clamp", [zp], "zp_clamp", min=0.0, max=255.0).output(0)
    y = ctx.make("Add", [ctx.make("Round", [ctx.make("Divide", [x, scale], "y_div")], "y_round",
                                  mode="half_to_even"), zp], "y_zp").output(0)
    y = ctx.make("Clamp", [y], "y_clamp", min=0.0, max=255.0).output(0)
    return [ctx.make("Convert", [y], "y", destination_type="u8").output(0), scale,
            ctx.make("Convert", [zp], "zp", destination_type="u8").output(0)]


def _centered(ctx: NodeContext, x, zp, suffix: str, row_axis: int | None = None):
    """float(x) - float(zp); a 1-D zero point per row of A (MatMulInteger) is made a column."""
    y = _f(ctx, x, Type.f32, f"{suffix}_f")
    if zp is None:
        return y
    z = _f(ctx, zp, Type.f32, f"{suffix}_zp_f")
    zs = zp.get_partial_shape()
    if row_axis is not None and len(zs) == 1 and zs[0].is_static and zs[0].get_length() > 1:
        z = ctx.make("Unsqueeze", [z, ctx.const(np.array([1], np.int64), suffix=f"{suffix}_col")],
                     f"{suffix}_zp_col").output(0)
    return ctx.make("Subtract", [y, z], f"{suffix}_centered").output(0)


@onnx_op("MatMulInteger")
def _matmul_integer(ctx: NodeContext):
    a = _centered(ctx, ctx.input(0), ctx.input(2), "a", row_axis=0)
    b = _centered(ctx, ctx.input(1), ctx.input(3), "b")
    y = ctx.make("MatMul", [a, b], "matmul", transpose_a=False, transpose_b=False).output(0)
    return ctx.make("Convert", [y], "to_i32", destination_type="i32")


def _conv_f32(ctx: NodeContext, x, w):
    nd = spatial_rank(ctx, x, w)
    attrs = window_attrs(ctx, nd)
    attrs["dilations"] = [int(v) for v in ctx.attr("dilations", [1] * nd)]
    groups = int(ctx.attr("group", 1))
    if groups == 1:
        return ctx.make("Convolution", [x, w], "conv", **attrs).output(0), nd
    return ctx.make("GroupConvolution", [x, group_weights(ctx, w, groups, False)], "conv", **attrs).output(0), nd


def _per_out_channel(ctx: NodeContext, v, nd: int, suffix: str):
    """A per-output-channel vector shaped [1, C, 1, ...] for a convolution output."""
    vs = v.get_partial_shape()
    if len(vs) == 0 or (vs[0].is_static and vs[0].get_length() == 1):
        return v
    return ctx.make("Reshape", [v, ctx.const(np.array([1, -1] + [1] * nd, np.int64), suffix=f"{suffix}_shape")],
                    f"{suffix}_per_channel", special_zero=False).output(0)


@onnx_op("ConvInteger")
def _conv_integer(ctx: NodeContext):
    x = _centered(ctx, ctx.input(0), ctx.input(2), "x")
    w = _f(ctx, ctx.input(1), Type.f32, "w_f")
    if ctx.input(3) is not None:
        nd = len(ctx.input(1).get_partial_shape()) - 2
        wz = ctx.input(3)
        wzs = wz.get_partial_shape()
        wz = _f(ctx, wz, Type.f32, "w_zp_f")
        if len(wzs) == 1 and wzs[0].is_static and wzs[0].get_length() > 1:
            wz = ctx.make("Reshape", [wz, ctx.const(np.array([-1] + [1] * (nd + 1), np.int64), suffix="wz_shape")],
                          "w_zp_per_oc", special_zero=False).output(0)
        w = ctx.make("Subtract", [w, wz], "w_centered").output(0)
    y, _ = _conv_f32(ctx, x, w)
    return ctx.make("Convert", [y], "to_i32", destination_type="i32")


@onnx_op("QLinearMatMul")
def _qlinear_matmul(ctx: NodeContext):
    a = _dequantize(ctx, ctx.input(0), ctx.input(1), ctx.input(2), 1, 0)
    b = _dequantize(ctx, ctx.input(3), ctx.input(4), ctx.input(5), 1, 0)
    ft = a.get_element_type()
    if ft != Type.f32:       # compute in f32, quantise from there
        a, b = _f(ctx, a, Type.f32, "a32"), _f(ctx, b, Type.f32, "b32")
    y = ctx.make("MatMul", [a, b], "matmul", transpose_a=False, transpose_b=False).output(0)
    return _quantize(ctx, y, _f(ctx, ctx.input(6), Type.f32, "y_scale32"), ctx.input(7),
                     ctx.input(7).get_element_type(), 1, 0)


@onnx_op("QLinearConv")
def _qlinear_conv(ctx: NodeContext):
    x = _dequantize(ctx, ctx.input(0), ctx.input(1), ctx.input(2), 1, 0)
    w = _dequantize(ctx, ctx.input(3), ctx.input(4), ctx.input(5), 0, 0)
    y, nd = _conv_f32(ctx, x, w)
    b = ctx.input(8)
    if b is not None:
        # bias is int32 at scale x_scale * w_scale (per output channel)
        bscale = ctx.make("Multiply", [ctx.input(1), ctx.input(4)], "bias_scale").output(0)
        bias = ctx.make("Multiply", [_f(ctx, b, Type.f32, "bias_f"), bscale], "bias").output(0)
        y = ctx.make("Add", [y, _per_out_channel(ctx, bias, nd, "bias")], "add_bias").output(0)
    return _quantize(ctx, y, ctx.input(6), ctx.input(7), ctx.input(7).get_element_type(), 1, 0)
