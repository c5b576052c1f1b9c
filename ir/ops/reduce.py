"""Reductions and scans: Reduce* (opset1), TopK (opset11), CumSum (opset3) and CumProd (CumSum's product twin,
which OpenVINO has no op for)."""
from __future__ import annotations

import numpy as np

from ..node import IRError, Node
from ..shape import Dimension, PartialShape
from ..types import Type, as_type
from .registry import Op, REQUIRED, SameShapeOp, normalize_axis, register


def const_axes(node: Node, i: int, rank: int) -> list[int] | None:
    """Sorted, normalised, de-duplicated axes of constant input ``i``; None when not constant."""
    v = node.input_known(i)
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
        kv = node.input_known(1)
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


@register
class CumProd(SameShapeOp):
    """Cumulative product along an axis (ONNX CumProd-26); attributes as CumSum's."""
    type_name = "CumProd"
    version = "ovcl"
    attrs = {"exclusive": False, "reverse": False}
    num_inputs = (1, 2)

    @classmethod
    def evaluate(cls, node, inputs):
        if inputs[0].ndim == 0:
            if len(inputs) > 1:
                normalize_axis(int(np.asarray(inputs[1]).reshape(-1)[0]), 1, node)
            return [inputs[0].copy()]
        return [cumulative(node, inputs, np.cumprod, 1)]
