"""Colour conversion of YUV images (NV12 / I420 to RGB / BGR, ``ir/ops/color.py``): ``color_yuv.cl.mako``, one
work-item per output pixel."""
from .base import LoweringContext, linear_sizes, lowers


@lowers("NV12toRGB", "NV12toBGR", "I420toRGB", "I420toBGR")
def _yuv_to_rgb(ctx: LoweringContext):
    out = ctx.outputs[0]
    n, h, w, _ = out.shape
    if out.numel == 0:
        return
    gsize, lsize = linear_sizes(n * h * w, 64)
    ctx.launch("color_yuv.cl.mako", gsize, lsize, [out, *ctx.inputs], t=out.type, kind=ctx.node.type_name[:4],
               planes=len(ctx.inputs), bgr=ctx.node.type_name.endswith("BGR"), N=n, H=h, W=w,
               idx="int" if out.numel < 2 ** 31 - 1 else "long")
