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
