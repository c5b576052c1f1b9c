"""TFLite SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION and LOCAL_RESPONSE_NORMALIZATION."""
from __future__ import annotations

from .graph import NodeContext, tflite_op


@tflite_op("SOFTMAX")
def _softmax(ctx: NodeContext):
    x = ctx.input(0)
    beta = float(ctx.opt("Beta", 1.0))
    if beta != 1.0:
        x = ctx.make1("Multiply", [x, ctx.scalar_like(x, beta, "beta")], "scale_beta")
    return ctx.make1("Softmax", [x], axis=-1)


@tflite_op("LOG_SOFTMAX")
def _log_softmax(ctx: NodeContext):
    return ctx.make1("LogSoftmax", [ctx.input(0)], axis=-1)


@tflite_op("L2_NORMALIZATION")
def _l2_normalization(ctx: NodeContext):
    x = ctx.input(0)
    y = ctx.make1("NormalizeL2", [x, ctx.i64([ctx.rank(x) - 1], "axes")], eps=1e-6, eps_mode="max")
    return ctx.activation(y)


@tflite_op("LOCAL_RESPONSE_NORMALIZATION")
def _lrn(ctx: NodeContext):
    # TF: x / (bias + alpha * sum(x^2 over radius))^beta; OpenVINO's LRN divides alpha by the window size
    radius = int(ctx.opt("Radius", 5))
    size = 2 * radius + 1
    y = ctx.make1("LRN", [ctx.nchw(ctx.input(0)), ctx.i64([1], "axes")], alpha=float(ctx.opt("Alpha", 1.0)) * size,
                  beta=float(ctx.opt("Beta", 0.5)), bias=float(ctx.opt("Bias", 1.0)), size=size)
    return ctx.nhwc(y)
