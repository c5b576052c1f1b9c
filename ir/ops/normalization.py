"""Normalisation: Softmax (opset8), LogSoftmax (opset5), MVN (opset6), NormalizeL2 (opset1). Inference runs in
``ovcl/lowering/normalization.py``."""
from __future__ import annotations

import numpy as np

from ..node import IRError
from .reduce import const_axes
from .registry import Op, REQUIRED, normalize_axis, register


def _softmax_np(x, axis, log):
    xf = x.astype(np.float64)
    m = np.max(xf, axis=axis, keepdims=True)
    e = np.exp(xf - m)
    s = np.sum(e, axis=axis, keepdims=True)
    return ((xf - m - np.log(s)) if log else e / s).astype(x.dtype)


@register
class Softmax(Op):
    type_name = "Softmax"
    version = "opset8"
    attrs = {"axis": 1}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        if not src.rank_is_dynamic:
            normalize_axis(node.attrs["axis"], len(src), node)
        return [(node.input_type(0), src)]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        return [_softmax_np(x, normalize_axis(node.attrs["axis"], x.ndim, node), False)]


@register
class LogSoftmax(Softmax):
    type_name = "LogSoftmax"
    version = "opset5"

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        return [_softmax_np(x, normalize_axis(node.attrs["axis"], x.ndim, node), True)]


@register
class MVN(Op):
    type_name = "MVN"
    version = "opset6"
    attrs = {"normalize_variance": True, "eps": 1e-9, "eps_mode": "inside_sqrt"}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        mode = str(node.attrs["eps_mode"]).lower()
        if mode not in ("inside_sqrt", "outside_sqrt"):
            raise IRError(f"MVN node '{node.name}': eps_mode must be inside_sqrt or outside_sqrt, not {mode}")
        src = node.input_shape(0)
        if not src.rank_is_dynamic:
            const_axes(node, 1, len(src))     # validates the range
        return [(node.input_type(0), src)]

    @classmethod
    def evaluate(cls, node, inputs):
        x, axes = inputs
        axes = tuple(sorted({int(a) % x.ndim for a in np.asarray(axes).reshape(-1)}))
        xf = x.astype(np.float64)
        c = xf - np.mean(xf, axis=axes, keepdims=True)
        if node.attrs["normalize_variance"]:
            var = np.mean(c * c, axis=axes, keepdims=True)
            eps = float(node.attrs["eps"])
            if str(node.attrs["eps_mode"]).lower() == "inside_sqrt":
                c = c / np.sqrt(var + eps)
            else:
                c = c / (np.sqrt(var) + eps)
        return [c.astype(x.dtype)]


@register
class NormalizeL2(Op):
    type_name = "NormalizeL2"
    attrs = {"eps": REQUIRED, "eps_mode": REQUIRED}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        mode = str(node.attrs["eps_mode"]).lower()
        if mode not in ("add", "max"):
            raise IRError(f"NormalizeL2 node '{node.name}': eps_mode must be add or max, not {mode}")
        src = node.input_shape(0)
        if not src.rank_is_dynamic:
            const_axes(node, 1, len(src))
        return [(node.input_type(0), src)]

    @classmethod
    def evaluate(cls, node, inputs):
        x, axes = inputs
        axes = tuple(sorted({int(a) % max(x.ndim, 1) for a in np.asarray(axes).reshape(-1)}))
        xf = x.astype(np.float64)
        ss = np.sum(xf * xf, axis=axes, keepdims=True) if axes else xf * xf
        eps = float(node.attrs["eps"])
        d = np.sqrt(ss + eps) if str(node.attrs["eps_mode"]).lower() == "add" else np.sqrt(np.maximum(ss, eps))
        with np.errstate(all="ignore"):
            return [(xf / d).astype(x.dtype)]
