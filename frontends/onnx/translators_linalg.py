"""ONNX Det (``ovcl.ir.ops.linalg``)."""
from __future__ import annotations

from .graph import NodeContext, onnx_op


@onnx_op("Det")
def _det(ctx: NodeContext):
    return ctx.make("Det", [ctx.input(0)])
