"""ONNX losses, decomposed into OpenVINO ops: NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


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
