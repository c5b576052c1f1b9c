"""ONNX GridSample, CumProd, NonMaxSuppression, Unique, CenterCropPad, Col2Im, AffineGrid, DeformConv,
RoiAlign, MaxUnpool and Det: onto OpenVINO's ops where it has them (``ovcl.ir.ops.extra``), else decomposed
or onto ovcl's own ops."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


def _i64(ctx: NodeContext, values, suffix: str):
    return ctx.const(np.asarray(values, dtype=np.int64), suffix=suffix)


def _rank(ctx: NodeContext, x) -> int:
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic:
        raise ctx.fail("the input rank must be known")
    return len(ps)


@onnx_op("GridSample")
def _grid_sample(ctx: NodeContext):
    mode = ctx.attr("mode", "bilinear" if ctx.opset < 20 else "linear")
    mode = {"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode)
    return ctx.make("GridSample", [ctx.input(0), ctx.input(1)], align_corners=bool(ctx.attr("align_corners", 0)),
                    mode=mode, padding_mode=ctx.attr("padding_mode", "zeros"))


@onnx_op("CumProd")
def _cumprod(ctx: NodeContext):
    axis = ctx.input(1)
    if axis is None:
        axis = _i64(ctx, 0, "axis")
    return ctx.make("CumProd", [ctx.input(0), axis], exclusive=bool(ctx.attr("exclusive", 0)),
                    reverse=bool(ctx.attr("reverse", 0)))


@onnx_op("NonMaxSuppression")
def _nms(ctx: NodeContext):
    ins = [ctx.input(0), ctx.input(1)]
    maxo, iou, st = ctx.input(2), ctx.input(3), ctx.input(4)
    ins.append(maxo if maxo is not None else _i64(ctx, 0, "max_output"))
    ins.append(iou if iou is not None else ctx.const(np.array(0, np.float32), suffix="iou_threshold"))
    if st is not None:
        ins.append(st)
    node = ctx.make("NonMaxSuppression", ins, box_encoding="center" if ctx.attr("center_point_box", 0) else "corner",
                    sort_result_descending=False, output_type="i64")
    return [node.output(0)]


@onnx_op("Unique")
def _unique(ctx: NodeContext):
    ins = [ctx.input(0)]
    if ctx.has_attr("axis"):
        ins.append(_i64(ctx, int(ctx.attr("axis")), "axis"))
    node = ctx.make("Unique", ins, sorted=bool(ctx.attr("sorted", 1)), index_element_type="i64",
                    count_element_type="i64")
    return [node.output(k) for k in range(4)]


@onnx_op("CenterCropPad")
def _center_crop_pad(ctx: NodeContext):
    """Slice to the centred window where the target is smaller, Pad with zeros (centred, the odd one after)
    where it is larger; the target may be a run-time value."""
    x = ctx.input(0)
    rank = _rank(ctx, x)
    axes = [int(a) % rank for a in (ctx.attr("axes") or range(rank))]
    target = ctx.make("Convert", [ctx.input(1)], "target", destination_type="i64").output(0)
    ps = x.get_partial_shape()
    if all(ps[a].is_static for a in axes):
        dims = _i64(ctx, [ps[a].get_length() for a in axes], "dims")
    else:
        shape = ctx.make("ShapeOf", [x], "shape", output_type="i64").output(0)
        dims = ctx.make("Gather", [shape, _i64(ctx, axes, "axes_idx"), _i64(ctx, 0, "gaxis")], "dims",
                        batch_dims=0).output(0)
    zero, two = _i64(ctx, 0, "zero"), _i64(ctx, 2, "two")
    diff = ctx.make("Subtract", [dims, target], "diff").output(0)
    start = ctx.make("Divide", [ctx.make("Maximum", [diff, zero], "crop"), two], "start",
                     m_pythondiv=True).output(0)
    stop = ctx.make("Add", [start, ctx.make("Minimum", [dims, target], "kept")], "stop").output(0)
    y = ctx.make("Slice", [x, start, stop, _i64(ctx, [1] * len(axes), "steps"), _i64(ctx, axes, "axes")],
                 "crop_slice").output(0)
    pad = ctx.make("Maximum", [ctx.make("Subtract", [target, dims], "grow"), zero], "pad").output(0)
    pb = ctx.make("Divide", [pad, two], "pad_b", m_pythondiv=True).output(0)
    pe = ctx.make("Subtract", [pad, pb], "pad_e").output(0)
    full = []
    for k, p in enumerate((pb, pe)):
        full.append(ctx.make("ScatterUpdate", [_i64(ctx, [0] * rank, f"zeros{k}"), _i64(ctx, axes, f"pidx{k}"), p,
                                               _i64(ctx, 0, f"paxis{k}")], f"pads{k}").output(0))
    value = ctx.const(np.zeros((), dtype=x.get_element_type().dtype), suffix="value")
    return ctx.make("Pad", [y, full[0], full[1], value], pad_mode="constant")


@onnx_op("Col2Im")
def _col2im(ctx: NodeContext):
    nd = None
    bs = ctx.input(2).get_partial_shape()
    if not bs.rank_is_dynamic and bs[0].is_static:
        nd = bs[0].get_length()
    if nd is None:
        raise ctx.fail("the length of block_shape must be known")
    pads = list(ctx.attr("pads", [0] * (2 * nd)))
    return ctx.make("Col2Im", [ctx.input(0), ctx.input(1), ctx.input(2)],
                    strides=list(ctx.attr("strides", [1] * nd)), dilations=list(ctx.attr("dilations", [1] * nd)),
                    pads_begin=pads[:nd], pads_end=pads[nd:])


@onnx_op("AffineGrid")
def _affine_grid(ctx: NodeContext):
    return ctx.make("AffineGrid", [ctx.input(0), ctx.input(1)], align_corners=bool(ctx.attr("align_corners", 0)))


@onnx_op("DeformConv")
def _deform_conv(ctx: NodeContext):
    x, w, off, b, mask = (ctx.input(i) for i in range(5))
    nd = _rank(ctx, x) - 2
    if nd != 2:
        raise ctx.fail("only 2-D DeformConv is supported")
    pads = list(ctx.attr("pads", [0] * (2 * nd)))
    ins = [x, off, w] + ([mask] if mask is not None else [])
    y = ctx.make("DeformableConvolution", ins, strides=list(ctx.attr("strides", [1] * nd)),
                 pads_begin=pads[:nd], pads_end=pads[nd:], dilations=list(ctx.attr("dilations", [1] * nd)),
                 group=int(ctx.attr("group", 1)), deformable_group=int(ctx.attr("offset_group", 1)),
                 bilinear_interpolation_pad=True).output(0)
    if b is not None:
        bias = ctx.make("Reshape", [b, _i64(ctx, [1, -1, 1, 1], "bias_shape")], "bias", special_zero=False)
        y = ctx.make("Add", [y, bias], "add_bias").output(0)
    return y


@onnx_op("RoiAlign")
def _roi_align(ctx: NodeContext):
    coord = ctx.attr("coordinate_transformation_mode", "half_pixel" if ctx.opset >= 16 else "output_half_pixel")
    return ctx.make("ROIAlign", [ctx.input(0), ctx.input(1), ctx.input(2)],
                    pooled_h=int(ctx.attr("output_height", 1)), pooled_w=int(ctx.attr("output_width", 1)),
                    sampling_ratio=int(ctx.attr("sampling_ratio", 0)),
                    spatial_scale=float(ctx.attr("spatial_scale", 1.0)), mode=ctx.attr("mode", "avg"),
                    aligned_mode="half_pixel" if coord == "half_pixel" else "asymmetric")


@onnx_op("MaxUnpool")
def _max_unpool(ctx: NodeContext):
    """Values scattered to their flat indices in a zero tensor of the inferred shape ((in - 1) * stride -
    pads + kernel); with output_shape, zero-padded (or cut) at the end to it, as ONNX's reference does."""
    x, idx, out_shape = ctx.input(0), ctx.input(1), ctx.input(2)
    ps = x.get_partial_shape()
    if not ps.is_static:
        raise ctx.fail("the input shape must be static")
    shape = ps.to_shape()
    k = list(ctx.attr("kernel_shape"))
    nd = len(k)
    strides = list(ctx.attr("strides", [1] * nd))
    pads = list(ctx.attr("pads", [0] * (2 * nd)))
    inferred = list(shape[:2]) + [(shape[2 + d] - 1) * strides[d] - (pads[d] + pads[nd + d]) + k[d] for d in range(nd)]
    total = int(np.prod(inferred, dtype=np.int64))
    dt = x.get_element_type().dtype
    flat = _i64(ctx, [-1], "flat")
    xs = ctx.make("Reshape", [x, flat], "x_flat", special_zero=False).output(0)
    ids = ctx.make("Reshape", [idx, _i64(ctx, [-1], "flat_i")], "i_flat", special_zero=False).output(0)
    y = ctx.make("ScatterElementsUpdate", [ctx.const(np.zeros(total, dtype=dt), suffix="zeros"), ids, xs,
                                            _i64(ctx, 0, "axis")], "scatter", reduction="none").output(0)
    y = ctx.make("Reshape", [y, _i64(ctx, inferred, "inferred")], "unflat", special_zero=False).output(0)
    if out_shape is None:
        return y
    target = ctx.make("Convert", [out_shape], "target", destination_type="i64").output(0)
    grow = ctx.make("Subtract", [target, _i64(ctx, inferred, "inferred2")], "grow").output(0)
    return ctx.make("Pad", [y, _i64(ctx, [0] * len(inferred), "pads_begin"), grow,
                            ctx.const(np.zeros((), dtype=dt), suffix="value")], pad_mode="constant")


@onnx_op("Det")
def _det(ctx: NodeContext):
    return ctx.make("Det", [ctx.input(0)])


@onnx_op("MaxRoiPool")
def _max_roi_pool(ctx: NodeContext):
    ph, pw = (int(v) for v in ctx.attr("pooled_shape"))
    return ctx.make("ROIPooling", [ctx.input(0), ctx.input(1)], pooled_h=ph, pooled_w=pw,
                    spatial_scale=float(ctx.attr("spatial_scale", 1.0)), method="max")
