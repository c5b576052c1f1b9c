"""Linear algebra beyond MatMul: Det (ONNX's determinant, which OpenVINO has no single op for).

The ``evaluate`` is a NumPy reference (folding and tests); inference runs in ``ovcl/lowering/linalg.py``.
"""
from __future__ import annotations

import numpy as np

from ..shape import PartialShape
from .registry import Op, node_error, register


@register
class Det(Op):
    """Determinant of the trailing square matrices (ONNX Det; no OpenVINO op): [..., M, M] -> [...]."""
    type_name = "Det"
    version = "ovcl"
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        if ps.rank_is_dynamic:
            return [(node.input_type(0), PartialShape.dynamic())]
        if len(ps) < 2:
            raise node_error(node, "the input must have rank 2 or more")
        return [(node.input_type(0), PartialShape(list(ps)[:-2]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        return [np.asarray(np.linalg.det(x.astype(np.float64))).astype(x.dtype)]
