"""ONNX GridSample and AffineGrid (``ovcl.ir.ops.sampling``)."""
from __future__ import annotations

from .graph import NodeContext, onnx_op


@onnx_op("GridSample")
def _grid_sample(ctx: NodeContext):
    mode = ctx.attr("mode", "bilinear" if ctx.opset < 20 else "linear")
    mode = {"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode)
    return ctx.make("GridSample", [ctx.input(0), ctx.input(1)], align_corners=bool(ctx.attr("align_corners", 0)),
                    mode=mode, padding_mode=ctx.attr("padding_mode", "zeros"))


@onnx_op("AffineGrid")
def _affine_grid(ctx: NodeContext):
    return ctx.make("AffineGrid", [ctx.input(0), ctx.input(1)], align_corners=bool(ctx.attr("align_corners", 0)))
