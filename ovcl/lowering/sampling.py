"""Kernels of the sampling ops (``ovcl.ir.ops.sampling``): GridSample and AffineGrid
(``kernels/sampling_*.cl.mako``)."""
from __future__ import annotations

import numpy as np

from .base import LoweringContext, linear_sizes, lowers


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
    ctx.launch("sampling_grid_sample.cl.mako", gsize, lsize, [x, grid, y], xt=x.type, gt=grid.type, yt=y.type,
               F=_ftype(x.type, grid.type), C=x.shape[1], dims=list(x.shape[2:]), osp=osp, n=y.numel,
               align=bool(ctx.attrs["align_corners"]), mode=ctx.attrs["mode"], pad=ctx.attrs["padding_mode"])


@lowers("AffineGrid")
def _affine_grid(ctx: LoweringContext):
    theta, y = ctx.inputs[0], ctx.outputs[0]
    sp = list(y.shape[1:-1])
    n = int(np.prod(y.shape[:-1], dtype=np.int64))
    if n == 0:
        return
    g, l = linear_sizes(n, 64)
    ctx.launch("sampling_affine_grid.cl.mako", g, l, [theta, y], t=theta.type, sp=sp,
               align=bool(ctx.attrs["align_corners"]), n=n)
