"""MatMul (opset1): batched matrix product with NumPy batch broadcasting and embedded transposes.

1-D inputs follow the spec: A of shape [K] is read as [1, K], B of shape [K] as [K, 1], and the added
dimension is removed from the output. ``transpose_a``/``transpose_b`` swap the two innermost dimensions of
inputs of rank >= 2 and do not affect 1-D inputs.
"""
from __future__ import annotations

import numpy as np

from ..node import IRError
from ..shape import Dimension, PartialShape
from .registry import Op, broadcast_shapes, register


def matmul_shapes(a: PartialShape, b: PartialShape, ta: bool, tb: bool, where: str = "MatMul"):
    """Output partial shape of ``MatMul(a, b)``; None when a rank is dynamic."""
    if a.rank_is_dynamic or b.rank_is_dynamic:
        return None
    if len(a) == 0 or len(b) == 0:
        raise IRError(f"{where}: inputs must have rank >= 1, got {a} and {b}")
    da, db = list(a), list(b)
    a1, b1 = len(da) == 1, len(db) == 1
    if a1:
        da = [Dimension(1), da[0]]
    elif ta:
        da[-2], da[-1] = da[-1], da[-2]
    if b1:
        db = [db[0], Dimension(1)]
    elif tb:
        db[-2], db[-1] = db[-1], db[-2]
    ka, kb = da[-1], db[-2]
    if ka.is_static and kb.is_static and ka.min != kb.min:
        raise IRError(f"{where}: inner dimensions differ: {a} x {b} (transpose_a={ta}, transpose_b={tb})")
    batch = broadcast_shapes(PartialShape(da[:-2]), PartialShape(db[:-2]))
    out = list(batch)
    if not a1:
        out.append(da[-2])
    if not b1:
        out.append(db[-1])
    return PartialShape(out)


@register
class MatMul(Op):
    type_name = "MatMul"
    attrs = {"transpose_a": False, "transpose_b": False}
    # extra inputs beyond 2 are allowed only for the epilogue fusion (rt_info["fused"]), see ovcl.lowering.matmul
    num_inputs = (2, None)

    @classmethod
    def infer(cls, node):
        where = f"MatMul node '{node.name}'"
        ps = matmul_shapes(node.input_shape(0), node.input_shape(1), bool(node.attrs["transpose_a"]),
                           bool(node.attrs["transpose_b"]), where)
        if node.input_type(0) != node.input_type(1):
            raise IRError(f"{where}: input types differ ({node.input_type(0)} and {node.input_type(1)})")
        return [(node.input_type(0), ps if ps is not None else PartialShape.dynamic())]

    @classmethod
    def evaluate(cls, node, inputs):
        a, b = inputs[0], inputs[1]
        if a.ndim >= 2 and node.attrs["transpose_a"]:
            a = np.swapaxes(a, -1, -2)
        if b.ndim >= 2 and node.attrs["transpose_b"]:
            b = np.swapaxes(b, -1, -2)
        out = np.matmul(a, b)
        fused = node.rt_info.get("fused") or {}
        if fused:
            if "bias" in fused:
                out = out + inputs[fused["bias"]]
            if "residual" in fused:
                out = out + inputs[fused["residual"]]
            act = fused.get("activation")
            if act is not None:
                from . import get_op, make, parameter
                p = parameter(out.shape, node.input_type(0).name)
                out = get_op(act[0]).evaluate(make(act[0], [p], **dict(act[1])), [out])[0]
        return [np.asarray(out).astype(inputs[0].dtype)]
