"""Softmax and LogSoftmax along one axis: one work-group per row (``softmax/row.cl.mako``; its work-group
size and float8 body are the spec's, ``kernels/softmax/row.py``), max subtracted."""
from __future__ import annotations

import numpy as np

from ovcl.kernels.softmax.row import VARIANT as ROW

from .base import LoweringContext, ctype, lowers


@lowers("Softmax", "LogSoftmax")
def _softmax(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.numel == 0:
        return
    if not x.type.is_real:
        raise ctx.fail(f"element type {x.type} is not a floating-point type")
    shape = x.shape or (1,)
    axis = int(ctx.attrs["axis"]) % len(shape)
    A = shape[axis]
    I = int(np.prod(shape[axis + 1:], dtype=np.int64))
    rows = x.numel // A
    choice = ctx.configure(ROW, {"segments": rows, "R": A, "vec_ok": x.type.name == "f32" and I == 1})
    ctx.launch_variant(choice, ROW.args(ctype(x.type)), {"in": x, "out": out}, flops=5 * x.numel, t=x.type,
                       A=A, I=I, rows=rows, log=ctx.node.type_name == "LogSoftmax", **choice.params)
