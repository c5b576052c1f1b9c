"""ONNX ops that OpenVINO's op set has no single op for, decomposed into ops that it has: Celu,
ThresholdedRelu, Shrink, Hardmax, the losses (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss),
Compress, and the window functions."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .graph import NodeContext, onnx_op, onnx_type


def _scalar(ctx: NodeContext, value, like, suffix: str):
    return ctx.const(np.array(value, dtype=like.get_element_type().dtype), suffix=suffix)


@onnx_op("Celu")
def _celu(ctx: NodeContext):
    x = ctx.input(0)
    alpha = float(ctx.attr("alpha", 1.0))
    a = _scalar(ctx, alpha, x, "alpha")
    scaled = ctx.make("Divide", [x, a], "scaled").output(0)
    return ctx.make("Multiply", [ctx.make("Elu", [scaled], "elu", alpha=1.0), a])


@onnx_op("ThresholdedRelu")
def _thresholded_relu(ctx: NodeContext):
    x = ctx.input(0)
    keep = ctx.make("Greater", [x, _scalar(ctx, ctx.attr("alpha", 1.0), x, "alpha")], "keep")
    return ctx.make("Select", [keep, x, _scalar(ctx, 0, x, "zero")])


@onnx_op("Shrink")
def _shrink(ctx: NodeContext):
    x = ctx.input(0)
    lambd, bias = float(ctx.attr("lambd", 0.5)), float(ctx.attr("bias", 0.0))
    lo = ctx.make("Less", [x, _scalar(ctx, -lambd, x, "neg_lambd")], "below")
    hi = ctx.make("Greater", [x, _scalar(ctx, lambd, x, "lambd")], "above")
    up = ctx.make("Add", [x, _scalar(ctx, bias, x, "bias")], "plus_bias")
    down = ctx.make("Subtract", [x, _scalar(ctx, bias, x, "bias2")], "minus_bias")
    inner = ctx.make("Select", [hi, down, _scalar(ctx, 0, x, "zero")], "inner")
    return ctx.make("Select", [lo, up, inner])


def _flatten_2d(ctx: NodeContext, x, axis: int):
    """[d0..d(axis-1), d(axis)..] -> [prod(first), prod(rest)] (opset < 13 softmax-family semantics)."""
    shape = x.get_partial_shape().to_shape()
    rows = int(np.prod(shape[:axis], dtype=np.int64))
    return ctx.make("Reshape", [x, ctx.const(np.array([rows, -1], np.int64), suffix="flat_shape")], "flatten",
                    special_zero=False).output(0), shape


@onnx_op("Hardmax")
def _hardmax(ctx: NodeContext):
    x = ctx.input(0)
    rank = len(x.get_partial_shape())
    axis = int(ctx.attr("axis", -1 if ctx.opset >= 13 else 1)) % rank
    shape = None
    if ctx.opset < 13:
        x, shape = _flatten_2d(ctx, x, axis)
        axis = 1
    depth = x.get_partial_shape()[axis].get_length()
    top = ctx.make("TopK", [x, ctx.const(np.array(1, np.int64), suffix="k")], "argmax", axis=axis, mode="max",
                   sort="none", index_element_type="i64", stable=True)
    idx = ctx.make("Squeeze", [top.output(1), ctx.const(np.array([axis], np.int64), suffix="ax")], "idx").output(0)
    y = ctx.make("OneHot", [idx, ctx.const(np.array(depth, np.int64), suffix="depth"), _scalar(ctx, 1, x, "on"),
                            _scalar(ctx, 0, x, "off")], "onehot", axis=axis).output(0)
    if shape is not None:
        y = ctx.make("Reshape", [y, ctx.const(np.array(shape, np.int64), suffix="shape")], "unflatten",
                     special_zero=False).output(0)
    return y


def _nll(ctx: NodeContext, logp, target, weight):
    """Negative log-likelihood of ``logp`` [N, C, d...] at ``target`` [N, d...], with ONNX's reduction,
    class weights and ignore_index."""
    ft = logp.get_element_type()
    reduction = ctx.attr("reduction", "mean")
    ignore = ctx.attr("ignore_index")
    tgt = target
    mask = None
    if ignore is not None:
        ii = ctx.const(np.array(ignore, dtype=target.get_element_type().dtype), suffix="ignore_index")
        mask = ctx.make("NotEqual", [target, ii], "kept").output(0)
        tgt = ctx.make("Select", [mask, target, ctx.const(np.array(0, target.get_element_type().dtype),
                                                          suffix="zero_index")], "safe_target").output(0)
    picked = ctx.make("GatherElements", [logp, ctx.make("Unsqueeze", [tgt, ctx.const(np.array([1], np.int64),
                                                                                        suffix="c_axis")], "tgt1")],
                      "picked", axis=1)
    loss = ctx.make("Negative", [ctx.make("Squeeze", [picked, ctx.const(np.array([1], np.int64), suffix="sq")],
                                          "picked_sq")], "neg").output(0)
    w = None
    if weight is not None:
        w = ctx.make("Gather", [weight, tgt, ctx.const(np.array(0, np.int64), suffix="w_axis")], "w", batch_dims=0).output(0)
    if mask is not None:
        m = ctx.make("Convert", [mask], "mask_f", destination_type=ft.name).output(0)
        w = m if w is None else ctx.make("Multiply", [w, m], "w_masked").output(0)
    if w is not None:
        loss = ctx.make("Multiply", [loss, w], "weighted").output(0)
    if reduction == "none":
        return loss
    axes = ctx.const(np.arange(len(loss.get_partial_shape()), dtype=np.int64), suffix="all_axes")
    total = ctx.make("ReduceSum", [loss, axes], "sum", keep_dims=False).output(0)
    if reduction == "sum":
        return total
    if reduction != "mean":
        raise ctx.fail(f"reduction '{reduction}' is not supported")
    if w is None:
        count = ctx.make("ReduceMean", [loss, axes], "mean", keep_dims=False).output(0)
        return count
    wsum = ctx.make("ReduceSum", [w, axes], "w_sum", keep_dims=False).output(0)
    return ctx.make("Divide", [total, wsum], "mean").output(0)


@onnx_op("NegativeLogLikelihoodLoss")
def _nll_loss(ctx: NodeContext):
    return _nll(ctx, ctx.input(0), ctx.input(1), ctx.input(2))


@onnx_op("SoftmaxCrossEntropyLoss")
def _softmax_ce(ctx: NodeContext):
    logp = ctx.make("LogSoftmax", [ctx.input(0)], "log_prob", axis=1).output(0)
    loss = _nll(ctx, logp, ctx.input(1), ctx.input(2))
    return [loss, logp]


@onnx_op("Compress")
def _compress(ctx: NodeContext):
    x, cond = ctx.input(0), ctx.input(1)
    axis = ctx.attr("axis")
    if axis is None:
        x = ctx.make("Reshape", [x, ctx.const(np.array([-1], np.int64), suffix="flat")], "flatten",
                     special_zero=False).output(0)
        axis = 0
    n = x.get_partial_shape()[int(axis)]
    if n.is_static and cond.get_partial_shape()[0].is_static and cond.get_partial_shape()[0].get_length() > n.get_length():
        cond = ctx.make("Slice", [cond, ctx.const(np.array([0], np.int64), suffix="c0"),
                                  ctx.const(np.array([n.get_length()], np.int64), suffix="c1"),
                                  ctx.const(np.array([1], np.int64), suffix="c2")], "cond_trim").output(0)
    idx = ctx.make("NonZero", [cond], "where", output_type="i64").output(0)
    idx = ctx.make("Squeeze", [idx, ctx.const(np.array([0], np.int64), suffix="sq")], "indices").output(0)
    return ctx.make("Gather", [x, idx, ctx.const(np.array(int(axis), np.int64), suffix="axis")], batch_dims=0)


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
