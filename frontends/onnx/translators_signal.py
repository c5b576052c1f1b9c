"""ONNX DFT (opset 17 and 20) onto OpenVINO's DFT, IDFT, RDFT and IRDFT."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


@onnx_op("DFT")
def _dft(ctx: NodeContext):
    x = ctx.input(0)
    rank = len(x.get_partial_shape())
    complex_in = x.get_partial_shape()[-1].get_length() == 2
    inverse, onesided = bool(ctx.attr("inverse", 0)), bool(ctx.attr("onesided", 0))
    if ctx.opset >= 20:
        axis = ctx.input(2) if ctx.input(2) is not None else ctx.const(np.array(-2, np.int64), suffix="axis")
    else:
        axis = ctx.const(np.array(ctx.attr("axis", 1), np.int64), suffix="axis")
    # a negative axis counts from the end of the whole tensor (the complex axis included)
    axis = ctx.make("Convert", [axis], "axis_i64", destination_type="i64").output(0)
    wrapped = ctx.make("Add", [axis, ctx.const(np.array(rank, np.int64), suffix="rank")], "wrapped").output(0)
    negative = ctx.make("Less", [axis, ctx.const(np.array(0, np.int64), suffix="zero")], "negative").output(0)
    axis = ctx.make("Select", [negative, wrapped, axis], "axis_norm").output(0)
    axes = ctx.make("Unsqueeze", [axis, ctx.const(np.array([0], np.int64), suffix="ax0")], "axes").output(0)
    ins = [axes]
    if ctx.input(1) is not None:
        ins.append(ctx.make("Unsqueeze", [ctx.make("Convert", [ctx.input(1)], "len_i64", destination_type="i64"),
                                          ctx.const(np.array([0], np.int64), suffix="len0")], "signal_size").output(0))
    last = ctx.const(np.array([rank - 1], np.int64), suffix="last")
    if inverse and onesided:
        if not complex_in:
            raise ctx.fail("an inverse one-sided DFT needs complex input")
        y = ctx.make("IRDFT", [x] + ins, "irdft").output(0)
        return ctx.make("Unsqueeze", [y, last], "real_out")
    if not complex_in:
        real = ctx.make("Squeeze", [x, last], "real").output(0)
        if onesided and not inverse:
            return ctx.make("RDFT", [real] + ins, "rdft")
        x = ctx.make("Concat", [x, ctx.make("Multiply", [x, ctx.const(np.array(0, x.get_element_type().dtype),
                                                                      suffix="zero_f")], "zeros")],
                     "complex", axis=-1).output(0)
    if onesided:
        raise ctx.fail("a one-sided DFT of complex input is not supported")
    return ctx.make("IDFT" if inverse else "DFT", [x] + ins)
