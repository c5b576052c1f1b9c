"""Kernels of the ops in ``ovcl.ir.ops.extra``: GridSample, CumProd, NonMaxSuppression, Unique, ROIAlign,
DeformableConvolution, Col2Im, AffineGrid, Det (templates ``kernels/extra_*.cl.mako``)."""
from __future__ import annotations

import numpy as np

from .base import LoweringContext, contiguous_strides, linear_sizes, lowers


def _ftype(*types) -> str:
    return "double" if any(t.name == "f64" for t in types) else "float"


@lowers("GridSample")
def _grid_sample(ctx: LoweringContext):
    x, grid = ctx.inputs
    y = ctx.outputs[0]
    if y.numel == 0:
        return
    osp = int(np.prod(y.shape[2:], dtype=np.int64))
    gsize, lsize = linear_sizes(y.numel, 64)
    ctx.launch("extra_gridsample.cl.mako", gsize, lsize, [x, grid, y], xt=x.type, gt=grid.type, yt=y.type,
               F=_ftype(x.type, grid.type), C=x.shape[1], dims=list(x.shape[2:]), osp=osp, n=y.numel,
               align=bool(ctx.attrs["align_corners"]), mode=ctx.attrs["mode"], pad=ctx.attrs["padding_mode"])


@lowers("CumProd")
def _cumprod(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.numel == 0:
        return
    axis = 0
    if len(ctx.inputs) > 1:
        v = ctx.input_const(1)
        if v is None:      # axis known at run time: one work-item per element walks its prefix
            shape = list(x.shape or (1,))
            gsize, lsize = linear_sizes(out.numel, 64)
            ctx.launch("extra_cumprod_rt.cl.mako", gsize, lsize, [x, ctx.inputs[1], out], t=x.type,
                       at=ctx.inputs[1].type, shape=shape, strides=contiguous_strides(shape), n=out.numel,
                       exclusive=bool(ctx.attrs["exclusive"]), reverse=bool(ctx.attrs["reverse"]))
            return
        axis = int(np.asarray(v).reshape(-1)[0])
    axis %= max(x.rank, 1)
    shape = x.shape or (1,)
    A = shape[axis]
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    segs = x.numel // max(A, 1)
    gsize, lsize = linear_sizes(segs, 64)
    ctx.launch("extra_cumprod.cl.mako", gsize, lsize, [x, out], t=x.type, A=A, I=inner, segs=segs,
               exclusive=bool(ctx.attrs["exclusive"]), reverse=bool(ctx.attrs["reverse"]))


@lowers("NonMaxSuppression")
def _nms(ctx: LoweringContext):
    from ovcl.ir import Type
    boxes, scores = ctx.inputs[0], ctx.inputs[1]
    out_idx, out_scores, valid = ctx.outputs[:3]    # static when the bound is 0
    length = ctx.outputs[3] if len(ctx.outputs) > 3 else ctx.temp((), Type.i64)
    opt = [(ctx.inputs[k] if len(ctx.inputs) > k and ctx.inputs[k].numel > 0 else None) for k in (2, 3, 4)]
    if len(ctx.inputs) > 5 and ctx.inputs[5].numel and ctx.input_const(5) is not None \
            and float(np.asarray(ctx.input_const(5)).reshape(-1)[0]) != 0:
        raise ctx.fail("soft NMS (soft_nms_sigma != 0) is not supported")
    B, N = boxes.shape[0], boxes.shape[1]
    C = scores.shape[1]
    M = out_idx.shape[0]
    mt, ft_iou, ft_st = [(v.type if v is not None else None) for v in opt]
    common = dict(bt=boxes.type, st=scores.type, it=out_idx.type, mt=mt, ft_iou=ft_iou, ft_st=ft_st, B=B, C=C, N=N,
                  M=M, center=ctx.attrs["box_encoding"] == "center",
                  descending=bool(ctx.attrs["sort_result_descending"]))
    order = ctx.temp((max(B * C * N, 1),), Type.i32)
    sel = ctx.temp((max(B * C * N, 1),), Type.i32)
    cnt = ctx.temp((max(B * C, 1),), Type.i32)
    if B * C * N:
        g, l = linear_sizes(B * C * N, 64)
        ctx.launch("extra_nms.cl.mako", g, l, [scores] + ([opt[2]] if opt[2] is not None else []) + [order],
                   phase="rank", **common)
        g, l = linear_sizes(B * C, 64)
        ctx.launch("extra_nms.cl.mako", g, l, [boxes, scores] + [v for v in opt if v is not None] + [order, sel, cnt],
                   phase="select", **common)
    else:
        common["B"] = 0
    flat = ctx.temp((max(B * C * N, 1),), Type.i32)
    ctx.launch("extra_nms.cl.mako", (1,), (1,), [scores, sel, cnt, flat, out_idx, out_scores, valid, length],
               phase="gather", **common)


@lowers("Unique")
def _unique(ctx: LoweringContext):
    from ovcl.ir import Type
    x = ctx.inputs[0]
    y, indices, rev, counts = ctx.outputs[:4]      # static when the length is (one element)
    length = ctx.outputs[4] if len(ctx.outputs) > 4 else ctx.temp((), Type.i64)
    shape = list(x.shape) or [1]
    if len(ctx.inputs) > 1:
        axis = int(np.asarray(ctx.input_const(1)).reshape(-1)[0]) % len(shape)
        outer = int(np.prod(shape[:axis], dtype=np.int64))
        A, inner = shape[axis], int(np.prod(shape[axis + 1:], dtype=np.int64))
    else:
        outer, A, inner = 1, max(x.numel, 1) if x.numel else 0, 1
    common = dict(xt=x.type, it=indices.type, ct=counts.type, outer=outer, A=A, inner=inner,
                  srt=bool(ctx.attrs["sorted"]))
    if A == 0 or outer * inner == 0:
        raise ctx.fail("empty input")
    first = ctx.temp((A,), Type.i32)
    rk = ctx.temp((A,), Type.i32)
    g, l = linear_sizes(A, 64)
    ctx.launch("extra_unique.cl.mako", g, l, [x, first], phase="first", **common)
    ctx.launch("extra_unique.cl.mako", g, l, [x, first, rk, y, indices, counts], phase="place", **common)
    ctx.launch("extra_unique.cl.mako", g, l, [first, rk, rev, length], phase="finish", **common)


@lowers("Col2Im")
def _col2im(ctx: LoweringContext):
    from ovcl.ir.ops.extra import Col2Im, col2im_blocks
    x, y = ctx.inputs[0], ctx.outputs[0]
    img, k = ctx.input_const(1), ctx.input_const(2)
    if img is None or k is None:
        raise ctx.fail("output_size and kernel_size must be constants")
    img, k = [int(v) for v in np.asarray(img).reshape(-1)], [int(v) for v in np.asarray(k).reshape(-1)]
    if y.numel == 0:
        return
    strides, dil, pb, pe = Col2Im.params(ctx.node, len(img))
    blocks = col2im_blocks(img, k, strides, dil, pb, pe)
    C = y.shape[1] if x.rank == 3 else y.shape[0]
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("extra_col2im.cl.mako", g, l, [x, y], t=x.type, C=C, img=img, k=k, blocks=blocks, strides=strides,
               dil=dil, pb=pb, n=y.numel)


@lowers("AffineGrid")
def _affine_grid(ctx: LoweringContext):
    theta, y = ctx.inputs[0], ctx.outputs[0]
    sp = list(y.shape[1:-1])
    n = int(np.prod(y.shape[:-1], dtype=np.int64))
    if n == 0:
        return
    g, l = linear_sizes(n, 64)
    ctx.launch("extra_affine_grid.cl.mako", g, l, [theta, y], t=theta.type, sp=sp,
               align=bool(ctx.attrs["align_corners"]), n=n)


@lowers("DeformableConvolution")
def _deform_conv(ctx: LoweringContext):
    x, off, w = ctx.inputs[:3]
    y = ctx.outputs[0]
    if y.numel == 0:
        return
    a = ctx.attrs
    N, Ci, H, W = x.shape
    Co, Cg, kh, kw = w.shape
    has_mask = len(ctx.inputs) > 3
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("extra_deform_conv.cl.mako", g, l, [x, off, w] + ([ctx.inputs[3]] if has_mask else []) + [y],
               t=x.type, N=N, Ci=Ci, H=H, W=W, Co=Co, Cg=Cg, kh=kh, kw=kw, OH=y.shape[2], OW=y.shape[3],
               group=int(a["group"]), dg=int(a["deformable_group"]), sh=a["strides"][0], sw=a["strides"][1],
               ph=a["pads_begin"][0], pw=a["pads_begin"][1], dh=a["dilations"][0], dw=a["dilations"][1],
               has_mask=has_mask, n=y.numel)


@lowers("ROIAlign")
def _roi_align(ctx: LoweringContext):
    x, rois, bidx = ctx.inputs
    y = ctx.outputs[0]
    if y.numel == 0:
        return
    a = ctx.attrs
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("extra_roi_align.cl.mako", g, l, [x, rois, bidx, y], t=x.type, rt=rois.type, bt=bidx.type,
               C=x.shape[1], H=x.shape[2], W=x.shape[3], PH=int(a["pooled_h"]), PW=int(a["pooled_w"]),
               scale=float(a["spatial_scale"]), ratio=int(a["sampling_ratio"]),
               half=a["aligned_mode"] == "half_pixel", maxmode=a["mode"] == "max", n=y.numel)


@lowers("Det")
def _det(ctx: LoweringContext):
    from ovcl.ir import Type
    x, y = ctx.inputs[0], ctx.outputs[0]
    n = y.numel
    M = x.shape[-1]
    if n == 0:
        return
    work = ctx.temp((n * M * M,), Type.f64 if x.type.name == "f64" else Type.f32)
    g, l = linear_sizes(n, 16)
    ctx.launch("extra_det.cl.mako", g, l, [x, work, y], t=x.type, M=M, n=n)


@lowers("ROIPooling")
def _roi_pool(ctx: LoweringContext):
    x, rois = ctx.inputs
    y = ctx.outputs[0]
    if y.numel == 0:
        return
    a = ctx.attrs
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("extra_roi_pool.cl.mako", g, l, [x, rois, y], t=x.type, rt=rois.type, C=x.shape[1], H=x.shape[2],
               W=x.shape[3], PH=int(a["pooled_h"]), PW=int(a["pooled_w"]), scale=float(a["spatial_scale"]), n=y.numel)
