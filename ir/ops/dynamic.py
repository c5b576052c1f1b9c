"""Ops whose output shapes depend on input values (see ``Op.data_dependent``)."""
from __future__ import annotations

import numpy as np

from ..shape import Dimension, PartialShape
from ..types import as_type
from .registry import Op, register


@register
class NonZero(Op):
    type_name = "NonZero"
    version = "opset3"
    attrs = {"output_type": "i64"}
    num_inputs = (1, 1)
    data_dependent = True

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        t = as_type(node.attrs["output_type"])
        if ps.rank_is_dynamic:
            return [(t, PartialShape([Dimension(), Dimension()]))]
        hi = int(np.prod([d.max for d in ps])) if all(d.max >= 0 for d in ps) else -1
        return [(t, PartialShape([Dimension(len(ps)), Dimension(0, hi)]))]

    @classmethod
    def upper_bounds(cls, node):
        shape = node.input_shape(0).to_shape()
        return [((len(shape), int(np.prod(shape, dtype=np.int64))), 1)]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        idx = np.array(np.nonzero(x if x.ndim else x.reshape(1)))
        return [idx.astype(as_type(node.attrs["output_type"]).dtype)]
