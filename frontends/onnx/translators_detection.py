"""ONNX RoiAlign and MaxRoiPool, onto OpenVINO's ROIAlign and ROIPooling (``ovcl.ir.ops.detection``)."""
from __future__ import annotations

from .graph import NodeContext, onnx_op


@onnx_op("RoiAlign")
def _roi_align(ctx: NodeContext):
    coord = ctx.attr("coordinate_transformation_mode", "half_pixel" if ctx.opset >= 16 else "output_half_pixel")
    return ctx.make("ROIAlign", [ctx.input(0), ctx.input(1), ctx.input(2)],
                    pooled_h=int(ctx.attr("output_height", 1)), pooled_w=int(ctx.attr("output_width", 1)),
                    sampling_ratio=int(ctx.attr("sampling_ratio", 0)),
                    spatial_scale=float(ctx.attr("spatial_scale", 1.0)), mode=ctx.attr("mode", "avg"),
                    aligned_mode="half_pixel" if coord == "half_pixel" else "asymmetric")


@onnx_op("MaxRoiPool")
def _max_roi_pool(ctx: NodeContext):
    ph, pw = (int(v) for v in ctx.attr("pooled_shape"))
    return ctx.make("ROIPooling", [ctx.input(0), ctx.input(1)], pooled_h=ph, pooled_w=pw,
                    spatial_scale=float(ctx.attr("spatial_scale", 1.0)), method="max")
