"""Normalisation (``ovcl.ir.ops.normalization``), one work-group per segment:
- Softmax and LogSoftmax along one axis (``softmax/row.cl.mako``), the row's maximum subtracted first;
- MVN and NormalizeL2 over a set of axes, and the fusion's RMSNorm over the last axis
  (``norm/segment.cl.mako``).
Their work-group size and float8 body are the specs' (``kernels/softmax/row.py``, ``kernels/norm/segment.py``).
"""
from __future__ import annotations

import numpy as np

from ovcl.kernels.norm.segment import VARIANT as SEGMENT
from ovcl.kernels.softmax.row import VARIANT as ROW

from .base import LoweringContext, c_literal, ctype, lowers
from .reduce import axes_of, offset_code, segments


@lowers("Softmax", "LogSoftmax")
def _softmax(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.numel == 0:
        return
    if not x.type.is_real():
        raise ctx.fail(f"element type {x.type} is not a floating-point type")
    shape = x.shape or (1,)
    axis = int(ctx.attrs["axis"]) % len(shape)
    A = shape[axis]
    I = int(np.prod(shape[axis + 1:], dtype=np.int64))
    rows = x.numel // A
    choice = ctx.configure(ROW, {"segments": rows, "R": A, "vec_ok": x.type.name == "f32" and I == 1})
    ctx.launch_variant(choice, ROW.args(ctype(x.type)), {"in": x, "out": out}, flops=5 * x.numel, t=x.type,
                       A=A, I=I, rows=rows, log=ctx.node.type_name == "LogSoftmax", **choice.params)


def _launch(ctx: LoweringContext, mode: str, axes: list[int], gamma=None, **params):
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.numel == 0:
        return
    if not x.type.is_real():
        raise ctx.fail(f"element type {x.type} is not a floating-point type")
    kept, red = segments(x.shape, axes)
    R = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1
    n_seg = x.numel // max(R, 1)
    choice = ctx.configure(SEGMENT, {"segments": n_seg, "R": R, "vec_ok": (x.type.name == "f32" and len(red) == 1
                                                                          and red[0][1] == 1)})
    args = SEGMENT.args(ctype(x.type))
    if gamma is not None:
        args.buffer("gamma", ctype(gamma.type), const=True)
    ctx.launch_variant(choice, args, {"in": x, "out": out, "gamma": gamma}, flops=4 * x.numel, t=x.type,
                       gamma_t=None if gamma is None else gamma.type, mode=mode, R=R,
                       base_code=offset_code("base", "o", kept),
                       red_code=offset_code("roff", "r", red), **choice.params, **params)


@lowers("MVN")
def _mvn(ctx: LoweringContext):
    t = ctx.inputs[0].type
    _launch(ctx, "mvn", axes_of(ctx, 1, ctx.inputs[0].rank), normalize_variance=bool(ctx.attrs["normalize_variance"]),
            eps=c_literal(float(ctx.attrs["eps"]), t), eps_mode=str(ctx.attrs["eps_mode"]).lower())


@lowers("NormalizeL2")
def _normalize_l2(ctx: LoweringContext):
    t = ctx.inputs[0].type
    _launch(ctx, "l2", axes_of(ctx, 1, ctx.inputs[0].rank), normalize_variance=False,
            eps=c_literal(float(ctx.attrs["eps"]), t),
            eps_mode=str(ctx.attrs["eps_mode"]).lower())


@lowers("RMSNorm")
def _rms_norm(ctx: LoweringContext):
    x = ctx.inputs[0]
    _launch(ctx, "rms", [x.rank - 1], gamma=ctx.inputs[1] if len(ctx.inputs) > 1 else None,
            normalize_variance=False, eps=c_literal(float(ctx.attrs["eps"]), x.type), eps_mode="add")
