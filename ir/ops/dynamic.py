"""Ops whose output shapes depend on input values (see ``Op.data_dependent``): NonZero-3,
NonMaxSuppression-9, Unique-10. Inference runs in ``ovcl/lowering/dynamic.py``."""
from __future__ import annotations

import numpy as np

from ..shape import Dimension, PartialShape
from ..types import as_type
from .registry import Op, known_ints, node_error, normalize_axis, register


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


def _nms_iou(a: np.ndarray, b: np.ndarray, center: bool) -> float:
    if center:
        ax0, ax1, ay0, ay1 = a[0] - a[2] / 2, a[0] + a[2] / 2, a[1] - a[3] / 2, a[1] + a[3] / 2
        bx0, bx1, by0, by1 = b[0] - b[2] / 2, b[0] + b[2] / 2, b[1] - b[3] / 2, b[1] + b[3] / 2
    else:
        ay0, ay1 = min(a[0], a[2]), max(a[0], a[2])
        ax0, ax1 = min(a[1], a[3]), max(a[1], a[3])
        by0, by1 = min(b[0], b[2]), max(b[0], b[2])
        bx0, bx1 = min(b[1], b[3]), max(b[1], b[3])
    iw, ih = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    a1, a2 = (ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0)
    union = a1 + a2 - inter
    if a1 <= 0 or a2 <= 0 or union <= 0:
        return 0.0
    return inter / union


@register
class NonMaxSuppression(Op):
    """OpenVINO NonMaxSuppression-9 (hard NMS; soft_nms_sigma must be 0). Inputs: boxes [B, N, 4], scores
    [B, C, N], max_output_boxes_per_class, iou_threshold, score_threshold (all optional after scores; a missing
    score_threshold filters nothing). Outputs: selected_indices [M, 3] (batch, class, box), selected_scores
    [M, 3] (batch, class, score), valid_outputs [1]. Per class, boxes go by score (ties: lower index first);
    a box is dropped when its IoU with a kept one exceeds iou_threshold; scores must exceed score_threshold.
    ``sort_result_descending`` False keeps batch, class, score order (ONNX's)."""
    type_name = "NonMaxSuppression"
    version = "opset9"
    attrs = {"box_encoding": "corner", "sort_result_descending": True, "output_type": "i64"}
    num_inputs = (2, 6)
    data_dependent = True

    @classmethod
    def _bound(cls, node) -> int:
        b, s = node.input_shape(0), node.input_shape(1)
        if b.rank_is_dynamic or s.rank_is_dynamic or not (b.is_static and s.is_static):
            return -1
        B, N = b[0].get_length(), b[1].get_length()
        C = s[1].get_length()
        k = N
        m = known_ints(node, 2) if node.get_input_size() > 2 else [0]
        if m is not None:
            k = min(N, max(m[0], 0)) if m else 0
        return B * C * k

    @classmethod
    def infer(cls, node):
        if node.attrs["box_encoding"] not in ("corner", "center"):
            raise node_error(node, f"box_encoding {node.attrs['box_encoding']!r} is not corner or center")
        hi = cls._bound(node)
        t = as_type(node.attrs["output_type"])
        m = Dimension(0, hi) if hi >= 0 else Dimension()
        return [(t, PartialShape([m, Dimension(3)])), (node.input_type(1), PartialShape([m, Dimension(3)])),
                (t, PartialShape([Dimension(1)]))]

    @classmethod
    def upper_bounds(cls, node):
        hi = cls._bound(node)
        return [((hi, 3), 0), ((hi, 3), 0), ((1,), None)]

    @classmethod
    def evaluate(cls, node, inputs):
        boxes, scores = inputs[0], inputs[1]
        get = lambda i, d: np.asarray(inputs[i]).reshape(-1)[0] if len(inputs) > i and np.asarray(inputs[i]).size else d  # noqa: E731
        max_out = max(int(get(2, 0)), 0)
        iou_t = float(get(3, 0.0))
        has_st = len(inputs) > 4 and np.asarray(inputs[4]).size > 0
        score_t = float(get(4, 0.0))
        center = node.attrs["box_encoding"] == "center"
        rows, srows = [], []
        B, C, N = scores.shape
        for b in range(B):
            for c in range(C):
                cand = [i for i in range(N) if not has_st or scores[b, c, i] > score_t]
                cand.sort(key=lambda i: (-scores[b, c, i], i))
                kept = []
                for i in cand:
                    if len(kept) >= max_out:
                        break
                    if all(_nms_iou(boxes[b, i], boxes[b, j], center) <= iou_t for j in kept):
                        kept.append(i)
                        rows.append((b, c, i))
                        srows.append((b, c, scores[b, c, i]))
        if node.attrs["sort_result_descending"]:
            order = sorted(range(len(rows)), key=lambda k: (-srows[k][2], k))
            rows, srows = [rows[k] for k in order], [srows[k] for k in order]
        t = as_type(node.attrs["output_type"]).dtype
        return [np.array(rows, dtype=t).reshape(-1, 3), np.array(srows, dtype=scores.dtype).reshape(-1, 3),
                np.array([len(rows)], dtype=t)]


@register
class Unique(Op):
    """OpenVINO Unique-10: data and an optional constant scalar axis (none: the flattened data). Outputs: the
    unique elements (slices along axis), the index of each one's first occurrence, for every input element
    (slice) the index of its unique one, and the counts. ``sorted`` False keeps first-occurrence order."""
    type_name = "Unique"
    version = "opset10"
    attrs = {"sorted": True, "index_element_type": "i64", "count_element_type": "i64"}
    num_inputs = (1, 2)
    data_dependent = True

    @classmethod
    def _axis(cls, node) -> int | None:
        if node.get_input_size() < 2:
            return None
        a = known_ints(node, 1)
        if a is None:
            raise node_error(node, "the axis input must be a constant")
        return normalize_axis(a[0], len(node.input_shape(0)), node)

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        it, ct = as_type(node.attrs["index_element_type"]), as_type(node.attrs["count_element_type"])
        if ps.rank_is_dynamic:
            return [(node.input_type(0), PartialShape.dynamic()), (it, PartialShape([Dimension()])),
                    (it, PartialShape([Dimension()])), (ct, PartialShape([Dimension()]))]
        axis = cls._axis(node)
        if axis is None:
            n = int(np.prod([d.max for d in ps])) if all(d.max >= 0 for d in ps) else -1
            total = Dimension(n) if ps.is_static else Dimension()
            u = Dimension(min(n, 1), n) if n >= 0 else Dimension()
            y = PartialShape([u])
        else:
            n = ps[axis].max
            total = ps[axis]
            u = Dimension(min(n, 1), n) if n >= 0 else Dimension()
            dims = list(ps)
            dims[axis] = u
            y = PartialShape(dims)
        return [(node.input_type(0), y), (it, PartialShape([u])), (it, PartialShape([total])),
                (ct, PartialShape([u]))]

    @classmethod
    def upper_bounds(cls, node):
        shape = node.input_shape(0).to_shape()
        axis = cls._axis(node)
        if axis is None:
            n = int(np.prod(shape, dtype=np.int64))
            return [((n,), 0), ((n,), 0), ((n,), None), ((n,), 0)]
        n = shape[axis]
        return [(tuple(shape), axis), ((n,), 0), ((n,), None), ((n,), 0)]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        axis = None if len(inputs) < 2 else normalize_axis(int(np.asarray(inputs[1]).reshape(-1)[0]), x.ndim, node)
        src = x.reshape(-1) if axis is None else x
        xs = src.astype(np.float64) if src.dtype.kind == "V" or src.dtype.name == "bfloat16" else src
        _, idx, inv, cnt = np.unique(xs, return_index=True, return_inverse=True, return_counts=True, axis=axis if axis is not None else 0)
        inv = inv.reshape(-1)
        if not node.attrs["sorted"]:
            order = np.argsort(idx, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            idx, cnt, inv = idx[order], cnt[order], rank[inv]
        y = np.take(src, idx, axis=0 if axis is None else axis)
        it, ct = as_type(node.attrs["index_element_type"]).dtype, as_type(node.attrs["count_element_type"]).dtype
        return [y, idx.astype(it), inv.astype(it), cnt.astype(ct)]
