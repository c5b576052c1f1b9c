"""ONNX signal ops: DFT (opset 17 and 20) onto OpenVINO's DFT, IDFT, RDFT and IRDFT; STFT; the window functions
(HannWindow, HammingWindow, BlackmanWindow)."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .graph import NodeContext, onnx_op, onnx_type


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


def _window(ctx: NodeContext, coeffs: list[float]):
    """sum_k (-1)^k a_k cos(2 pi k n / N') for n in [0, size), N' = size (periodic) or size - 1."""
    size = ctx.input(0)
    out_t = onnx_type(ctx.attr("output_datatype", 1))
    ft = Type.f32
    n = ctx.make("Range", [ctx.const(np.array(0, np.int64), suffix="start"), size,
                           ctx.const(np.array(1, np.int64), suffix="step")], "n", output_type="f32").output(0)
    denom = ctx.make("Convert", [size], "size_f", destination_type=ft.name).output(0)
    if not ctx.attr("periodic", 1):
        denom = ctx.make("Subtract", [denom, ctx.const(np.float32(1), suffix="one")], "size_m1").output(0)
    phase = ctx.make("Divide", [ctx.make("Multiply", [n, ctx.const(np.float32(2 * np.pi), suffix="two_pi")], "n2pi"),
                                denom], "phase").output(0)
    acc = ctx.const(np.float32(coeffs[0]), suffix="a0")
    for k, a in enumerate(coeffs[1:], start=1):
        c = ctx.make("Cos", [ctx.make("Multiply", [phase, ctx.const(np.float32(k), suffix=f"k{k}")], f"kphase{k}")],
                     f"cos{k}").output(0)
        term = ctx.make("Multiply", [c, ctx.const(np.float32(a * (-1) ** k), suffix=f"a{k}")], f"term{k}").output(0)
        acc = ctx.make("Add", [acc, term], f"acc{k}").output(0)
    if out_t != ft:
        acc = ctx.make("Convert", [acc], "out", destination_type=out_t.name).output(0)
    return acc


@onnx_op("HannWindow")
def _hann(ctx):
    return _window(ctx, [0.5, 0.5])


@onnx_op("HammingWindow")
def _hamming(ctx):
    return _window(ctx, [25 / 46, 21 / 46])


@onnx_op("BlackmanWindow")
def _blackman(ctx):
    return _window(ctx, [0.42, 0.5, 0.08])


@onnx_op("STFT")
def _stft(ctx: NodeContext):
    """Frames gathered from the signal ([frames, frame_length] indices from two Ranges, so run-time frame
    step and length decide the shapes by value), windowed, then an RDFT (real, one-sided) or DFT over them."""
    x, step, window, length = ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3)
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic or len(ps) != 3 or not ps[1].is_static or not ps[2].is_static:
        raise ctx.fail("the signal must be [batch, length, 1 or 2] with static length and last axis")
    channels = ps[2].get_length()
    onesided = bool(ctx.attr("onesided", 1))
    if channels == 2 and onesided:
        raise ctx.fail("a one-sided STFT of a complex signal is not defined")
    if length is not None:
        fl = ctx.make("Convert", [length], "frame_length", destination_type="i64").output(0)
    elif window is not None and window.get_partial_shape().is_static:
        fl = ctx.i64(window.get_partial_shape().to_shape()[0], "frame_length")
    else:
        raise ctx.fail("neither frame_length nor a window of static length is given")
    fl = ctx.make("Reshape", [fl, ctx.i64(np.zeros(0, np.int64), "scalar")], "fl", special_zero=False).output(0)
    step = ctx.make("Reshape", [ctx.make("Convert", [step], "step_i64", destination_type="i64"),
                                ctx.i64(np.zeros(0, np.int64), "scalar2")], "step", special_zero=False).output(0)
    zero, one = ctx.i64(0, "zero"), ctx.i64(1, "one")
    span = ctx.make("Subtract", [ctx.i64(ps[1].get_length(), "signal_length"), fl], "span")
    frames = ctx.make("Add", [ctx.make("Divide", [span, step], "steps"), one], "frames")
    starts = ctx.make("Multiply", [ctx.make("Range", [zero, frames, one], "frame_index", output_type="i64"), step],
                      "starts")
    offsets = ctx.make("Range", [zero, fl, one], "offsets", output_type="i64")
    idx = ctx.make("Add", [ctx.make("Unsqueeze", [starts, ctx.i64([1], "ax1")], "starts_col"),
                           ctx.make("Unsqueeze", [offsets, ctx.i64([0], "ax0")], "offsets_row")], "indices")
    y = ctx.make("Gather", [x, idx, ctx.i64(1, "gather_axis")], "frames_data", batch_dims=0).output(0)
    if window is not None:
        w = ctx.make("Unsqueeze", [window, ctx.i64([1], "wax")], "window_col").output(0)
        if w.get_element_type() != y.get_element_type():
            w = ctx.make("Convert", [w], "window_t", destination_type=y.get_element_type().name).output(0)
        y = ctx.make("Multiply", [y, w], "windowed").output(0)
    axes = ctx.i64([2], "dft_axes")
    if channels == 1:
        real = ctx.make("Squeeze", [y, ctx.i64([3], "real_axis")], "real").output(0)
        if onesided:
            return ctx.make("RDFT", [real, axes], "rdft")
        y = ctx.make("Concat", [y, ctx.make("Multiply", [y, ctx.const(np.array(0, y.get_element_type().dtype),
                                                                      suffix="zero_f")], "zeros")],
                     "complex", axis=-1).output(0)
    return ctx.make("DFT", [y, axes], "dft")
