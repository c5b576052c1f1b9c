"""Reductions and the ops built on per-segment reductions: Reduce* (opset1), Softmax (opset8), LogSoftmax
(opset5), MVN (opset6), NormalizeL2 (opset1), TopK (opset11), CumSum (opset3)."""
from __future__ import annotations

import numpy as np

from ..node import IRError, Node
from ..shape import Dimension, PartialShape
from ..types import Type, as_type
from .registry import REQUIRED, Op, SameShapeOp, normalize_axis, register


def const_axes(node: Node, i: int, rank: int) -> list[int] | None:
    """Sorted, normalised, de-duplicated axes of constant input ``i``; None when not constant."""
    v = node.input_const(i)
    if v is None:
        return None
    return sorted({normalize_axis(int(a), rank, node) for a in np.asarray(v).reshape(-1).tolist()})


def _reduced_shape(src: PartialShape, axes: list[int], keep: bool) -> PartialShape:
    if keep:
        return PartialShape([Dimension(1) if k in axes else d for k, d in enumerate(src)])
    return PartialShape([d for k, d in enumerate(src) if k not in axes])


def _np_l2(x, axis, keepdims):
    return np.sqrt(np.sum(x.astype(np.float64) ** 2, axis=axis, keepdims=keepdims)).astype(x.dtype)


def _lowest(dtype):
    """The identity of max for ``dtype`` (the result of reducing an empty set)."""
    if dtype == np.bool_:
        return False
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    if dtype == np.bool_:
        return True
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


def _np_mean(x, axis, keepdims):
    if x.dtype.kind == "f":
        return np.mean(x, axis=axis, keepdims=keepdims).astype(x.dtype)
    s = np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
    n = max(1, int(np.prod([x.shape[a] for a in axis])))
    return (np.sign(s) * (np.abs(s) // n)).astype(x.dtype)     # C division: truncation toward zero


# name -> (numpy reduction(x, axis, keepdims), boolean)
REDUCTIONS = {
    "ReduceSum": (lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype), False),
    "ReduceMean": (lambda x, axis, keepdims: _np_mean(x, axis, keepdims), False),
    "ReduceMax": (lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims, initial=_lowest(x.dtype)), False),
    "ReduceMin": (lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims, initial=_highest(x.dtype)),
                  False),
    "ReduceProd": (lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype), False),
    "ReduceL1": (lambda x, axis, keepdims: np.sum(np.abs(x), axis=axis, keepdims=keepdims, dtype=x.dtype), False),
    "ReduceL2": (_np_l2, False),
    "ReduceLogicalAnd": (lambda x, axis, keepdims: np.all(x, axis=axis, keepdims=keepdims), True),
    "ReduceLogicalOr": (lambda x, axis, keepdims: np.any(x, axis=axis, keepdims=keepdims), True),
}


def _make_reduce(name, fn, boolean):
    class _Reduce(Op):
        type_name = name
        version = "opset4" if name in ("ReduceL1", "ReduceL2") else "opset1"
        attrs = {"keep_dims": False}
        num_inputs = (2, 2)

        @classmethod
        def infer(cls, node):
            t = Type.boolean if boolean else node.input_type(0)
            src = node.input_shape(0)
            if src.rank_is_dynamic:
                return [(t, PartialShape.dynamic())]
            axes = const_axes(node, 1, len(src))
            if axes is None:
                keep = node.attrs["keep_dims"]
                return [(t, PartialShape.dynamic(len(src)) if keep else PartialShape.dynamic())]
            return [(t, _reduced_shape(src, axes, node.attrs["keep_dims"]))]

        @classmethod
        def evaluate(cls, node, inputs):
            x, axes = inputs
            axes = tuple(sorted({int(a) % max(x.ndim, 1) for a in np.asarray(axes).reshape(-1)}))
            if x.ndim == 0:
                return [x.copy()]
            with np.errstate(all="ignore"):
                return [np.asarray(fn(x, axes, bool(node.attrs["keep_dims"])))]

    _Reduce.__name__ = _Reduce.__qualname__ = name
    return register(_Reduce)


for _n, (_f, _b) in REDUCTIONS.items():
    _make_reduce(_n, _f, _b)


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


def topk_np(x: np.ndarray, k: int, axis: int, mode: str, sort: str):
    """Reference TopK: ties resolved toward the lower index (stable), as the kernels do."""
    xm = np.moveaxis(x, axis, -1)
    key = xm.astype(np.float64)
    if mode == "max":
        key = -key
    order = np.argsort(key, axis=-1, kind="stable")[..., :k]
    if sort == "index":
        order = np.sort(order, axis=-1)
    vals = np.take_along_axis(xm, order, axis=-1)
    return np.moveaxis(vals, -1, axis), np.moveaxis(order, -1, axis)


@register
class TopK(Op):
    type_name = "TopK"
    version = "opset11"
    attrs = {"axis": REQUIRED, "mode": REQUIRED, "sort": REQUIRED, "index_element_type": "i32", "stable": False}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        mode, sort = str(node.attrs["mode"]).lower(), str(node.attrs["sort"]).lower()
        if mode not in ("max", "min"):
            raise IRError(f"TopK node '{node.name}': mode must be max or min, not {mode}")
        if sort not in ("value", "index", "none"):
            raise IRError(f"TopK node '{node.name}': sort must be value, index or none, not {sort}")
        it = as_type(node.attrs["index_element_type"])
        if it.name not in ("i32", "i64"):
            raise IRError(f"TopK node '{node.name}': index_element_type must be i32 or i64, not {it}")
        src = node.input_shape(0)
        t = node.input_type(0)
        if src.rank_is_dynamic:
            return [(t, PartialShape.dynamic()), (it, PartialShape.dynamic())]
        axis = normalize_axis(node.attrs["axis"], len(src), node)
        kv = node.input_const(1)
        dims = list(src)
        if kv is None:
            dims[axis] = Dimension()
        else:
            k = int(np.asarray(kv).reshape(-1)[0])
            if k < 0:
                raise IRError(f"TopK node '{node.name}': k must be >= 0, got {k}")
            if src[axis].is_static:
                k = min(k, src[axis].min)
            dims[axis] = Dimension(k)
        return [(t, PartialShape(dims)), (it, PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, k = inputs
        axis = normalize_axis(node.attrs["axis"], x.ndim, node)
        k = min(int(np.asarray(k).reshape(-1)[0]), x.shape[axis])
        v, i = topk_np(x, k, axis, str(node.attrs["mode"]).lower(), str(node.attrs["sort"]).lower())
        return [v, i.astype(as_type(node.attrs["index_element_type"]).dtype)]


@register
class CumSum(SameShapeOp):
    type_name = "CumSum"
    version = "opset3"
    attrs = {"exclusive": False, "reverse": False}
    num_inputs = (1, 2)

    @classmethod
    def evaluate(cls, node, inputs):
        return [cumulative(node, inputs, np.cumsum, 0)]


def cumulative(node, inputs, scan, identity) -> np.ndarray:
    """CumSum/CumProd reference: ``scan`` along the axis input (default 0), ``exclusive`` shifting in
    ``identity``, ``reverse`` running from the end."""
    x = inputs[0]
    axis = int(np.asarray(inputs[1]).reshape(-1)[0]) if len(inputs) > 1 else 0
    axis = normalize_axis(axis, x.ndim, node)
    y = np.flip(x, axis) if node.attrs["reverse"] else x
    if node.attrs["exclusive"]:
        first = np.full_like(np.take(y, [0], axis=axis), identity)
        y = np.concatenate([first, np.take(y, np.arange(y.shape[axis] - 1), axis=axis)], axis=axis)
    c = scan(y, axis=axis, dtype=x.dtype)
    if node.attrs["reverse"]:
        c = np.flip(c, axis)
    return np.ascontiguousarray(c)
