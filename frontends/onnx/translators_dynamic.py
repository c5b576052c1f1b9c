"""ONNX ops whose output shapes depend on values: NonZero, NonMaxSuppression, Unique (onto the OpenVINO ops
of ``ovcl.ir.ops.dynamic``)."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


@onnx_op("NonZero")
def _nonzero(ctx: NodeContext):
    return ctx.make("NonZero", [ctx.input(0)], output_type="i64")


@onnx_op("NonMaxSuppression")
def _nms(ctx: NodeContext):
    ins = [ctx.input(0), ctx.input(1)]
    maxo, iou, st = ctx.input(2), ctx.input(3), ctx.input(4)
    ins.append(maxo if maxo is not None else ctx.i64(0, "max_output"))
    ins.append(iou if iou is not None else ctx.const(np.array(0, np.float32), suffix="iou_threshold"))
    if st is not None:
        ins.append(st)
    node = ctx.make("NonMaxSuppression", ins, box_encoding="center" if ctx.attr("center_point_box", 0) else "corner",
                    sort_result_descending=False, output_type="i64")
    return [node.output(0)]


@onnx_op("Unique")
def _unique(ctx: NodeContext):
    ins = [ctx.input(0)]
    if ctx.has_attr("axis"):
        ins.append(ctx.i64(int(ctx.attr("axis")), "axis"))
    node = ctx.make("Unique", ins, sorted=bool(ctx.attr("sorted", 1)), index_element_type="i64",
                    count_element_type="i64")
    return [node.output(k) for k in range(4)]
