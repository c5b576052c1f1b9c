"""Softmax and LogSoftmax along one axis: one work-group per row (``softmax.cl.mako``), max subtracted."""
from __future__ import annotations

import numpy as np

from .base import LoweringContext, lowers
from .reduce import group_size


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
    wg = group_size(ctx, rows, A)
    ctx.launch("softmax.cl.mako", (rows * wg,), (wg,), [x, out], t=x.type, A=A, I=I, rows=rows, WG=wg,
               log=ctx.node.type_name == "LogSoftmax", vec=(x.type.name == "f32" and I == 1 and wg == 1 and A >= 16),
               flops=5 * x.numel)
