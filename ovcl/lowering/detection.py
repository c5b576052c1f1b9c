"""Kernels of the detection ops (``ovcl.ir.ops.detection``): ROIAlign and ROIPooling
(``kernels/detection_*.cl.mako``)."""
from __future__ import annotations

from .base import LoweringContext, linear_sizes, lowers


@lowers("ROIAlign")
def _roi_align(ctx: LoweringContext):
    x, rois, bidx = ctx.inputs
    y = ctx.outputs[0]
    if y.numel == 0:
        return
    a = ctx.attrs
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("detection_roi_align.cl.mako", g, l, [x, rois, bidx, y], t=x.type, rt=rois.type, bt=bidx.type,
               C=x.shape[1], H=x.shape[2], W=x.shape[3], PH=int(a["pooled_h"]), PW=int(a["pooled_w"]),
               scale=float(a["spatial_scale"]), ratio=int(a["sampling_ratio"]),
               half=a["aligned_mode"] == "half_pixel", maxmode=a["mode"] == "max", n=y.numel)


@lowers("ROIPooling")
def _roi_pool(ctx: LoweringContext):
    x, rois = ctx.inputs
    y = ctx.outputs[0]
    if y.numel == 0:
        return
    a = ctx.attrs
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("detection_roi_pool.cl.mako", g, l, [x, rois, y], t=x.type, rt=rois.type, C=x.shape[1], H=x.shape[2],
               W=x.shape[3], PH=int(a["pooled_h"]), PW=int(a["pooled_w"]), scale=float(a["spatial_scale"]), n=y.numel)
