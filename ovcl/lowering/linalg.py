"""Kernels of the linear-algebra ops beyond MatMul (``ovcl.ir.ops.linalg``): Det (``kernels/linalg_det.cl.mako``)."""
from __future__ import annotations

from .base import LoweringContext, linear_sizes, lowers


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
    ctx.launch("linalg_det.cl.mako", g, l, [x, work, y], t=x.type, M=M, n=n)
