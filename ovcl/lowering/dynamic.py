"""Kernels of data-dependent ops, always in bounded form (see ``ovcl.segments``)."""
from .base import LocalMem, LoweringContext, lowers


@lowers("NonZero")
def _nonzero(ctx: LoweringContext):
    x = ctx.inputs[0]
    out, count = ctx.outputs
    shape = list(x.shape) or [1]
    wg = min(256, ctx.caps.max_work_group_size)
    ctx.launch("nonzero.cl.mako", (wg,), (wg,), [x, out, count, LocalMem(4 * wg)], in_t=x.type, out_t=out.type,
               shape=shape, n=max(x.numel, 1), wg=wg)
