"""Assorted ops: GridSample-9 (N-D), NonMaxSuppression-9, Unique-10, ROIAlign-9, DeformableConvolution-8,
Col2Im-15 (N-D) from OpenVINO's op set, and ops OpenVINO has no single op for: CumProd (CumSum's product
twin), AffineGrid, Det.

Each ``evaluate`` is a NumPy reference (folding and tests); inference runs in ``ovcl/lowering/extra.py``.
"""
from __future__ import annotations

import numpy as np

from ..node import IRError, Node
from ..shape import Dimension, PartialShape
from ..types import as_type
from .reduce import cumulative
from .registry import REQUIRED, Op, SameShapeOp, normalize_axis, register


def _ints(node: Node, i: int) -> list[int] | None:
    v = node.input_const(i)
    return None if v is None else [int(a) for a in np.asarray(v).reshape(-1).tolist()]


def _fail(node: Node, why: str) -> IRError:
    return IRError(f"{node.type_name} node '{node.name}': {why}")


def _dims(ps: PartialShape) -> list[Dimension]:
    return list(ps)


# -- GridSample -----------------------------------------------------------------------------------------------

def gs_reflect(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Reflect ``v`` by the near border until it lies in [lo, hi] (as PyTorch's grid sampler)."""
    rng = hi - lo
    if rng <= 0:
        return np.full_like(v, lo)
    below, above = v < lo, v > hi
    dx = np.where(below, lo - v, np.where(above, v - hi, 0.0))
    n = np.floor(dx / rng)
    r = dx - n * rng
    even = np.mod(n, 2) == 0
    return np.where(below, np.where(even, lo + r, hi - r), np.where(above, np.where(even, hi - r, lo + r), v))


def cubic_coeffs(t: np.ndarray, a: float = -0.75) -> list[np.ndarray]:
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


@register
class GridSample(Op):
    """OpenVINO GridSample-9, extended to any number of spatial dims (ONNX GridSample-20): X [N, C, d...],
    grid [N, o..., D] with coordinates in reverse dimension order (x first)."""
    type_name = "GridSample"
    version = "opset9"
    attrs = {"align_corners": False, "mode": "bilinear", "padding_mode": "zeros"}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        x, g = node.input_shape(0), node.input_shape(1)
        if node.attrs["mode"] not in ("bilinear", "bicubic", "nearest"):
            raise _fail(node, f"mode {node.attrs['mode']!r} is not bilinear, bicubic or nearest")
        if node.attrs["padding_mode"] not in ("zeros", "border", "reflection"):
            raise _fail(node, f"padding_mode {node.attrs['padding_mode']!r} is not zeros, border or reflection")
        if x.rank_is_dynamic or g.rank_is_dynamic:
            rank = None if x.rank_is_dynamic else len(x)
            return [(node.input_type(0), PartialShape.dynamic(rank))]
        return [(node.input_type(0), PartialShape([x[0], x[1], *list(g)[1:-1]]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, grid = inputs
        align, mode, pad = node.attrs["align_corners"], node.attrs["mode"], node.attrs["padding_mode"]
        N, C, dims = x.shape[0], x.shape[1], x.shape[2:]
        D = len(dims)
        g = grid.astype(np.float64)
        taps = []
        for d in range(D):
            L = dims[d]
            n = g[..., D - 1 - d]
            v = (n + 1) / 2 * (L - 1) if align else ((n + 1) * L - 1) / 2
            if mode == "nearest":
                v = np.rint(v)
            lo, hi = (0.0, L - 1.0) if align else (-0.5, L - 0.5)
            if pad == "border":      # only coordinates outside [lo, hi] are clamped
                v = np.where((v < lo) | (v > hi), np.clip(v, 0, L - 1), v)
            elif pad == "reflection":
                v = gs_reflect(v, lo, hi)
            if mode == "nearest":
                idx, w = [np.trunc(v).astype(np.int64)], [np.ones_like(v)]
            else:
                f = np.floor(v)
                t = v - f
                if mode == "bilinear":
                    idx, w = [f, f + 1], [1 - t, t]
                else:
                    idx, w = [f - 1, f, f + 1, f + 2], cubic_coeffs(t)
                idx = [i.astype(np.int64) for i in idx]
            fixed = []
            for i in idx:
                if pad == "zeros":
                    ok = (i >= 0) & (i < L)
                    fixed.append((np.clip(i, 0, L - 1), ok))
                elif pad == "border":
                    fixed.append((np.clip(i, 0, L - 1), np.ones(i.shape, bool)))
                else:
                    r = np.trunc(gs_reflect(i.astype(np.float64), lo, hi)).astype(np.int64)
                    fixed.append((np.clip(r, 0, L - 1), np.ones(i.shape, bool)))
            taps.append(list(zip(fixed, w)))
        out = np.zeros((N, C) + g.shape[1:-1], dtype=np.float64)
        import itertools
        for combo in itertools.product(*taps):
            w = np.ones(g.shape[:-1])
            ok = np.ones(g.shape[:-1], bool)
            for (i, k), wd in combo:
                w = w * wd
                ok &= k
            for b in range(N):
                vals = x[b][(slice(None),) + tuple(i[b] for (i, _), _ in combo)].astype(np.float64)
                out[b] += np.where(ok[b], w[b] * vals, 0.0)
        return [out.astype(x.dtype)]


# -- CumProd --------------------------------------------------------------------------------------------------

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


# -- NonMaxSuppression ----------------------------------------------------------------------------------------

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
        m = _ints(node, 2) if node.get_input_size() > 2 else [0]
        if m is not None:
            k = min(N, max(m[0], 0)) if m else 0
        return B * C * k

    @classmethod
    def infer(cls, node):
        if node.attrs["box_encoding"] not in ("corner", "center"):
            raise _fail(node, f"box_encoding {node.attrs['box_encoding']!r} is not corner or center")
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


# -- Unique ---------------------------------------------------------------------------------------------------

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
        a = _ints(node, 1)
        if a is None:
            raise _fail(node, "the axis input must be a constant")
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


# -- Col2Im ---------------------------------------------------------------------------------------------------

def col2im_blocks(img, k, strides, dil, pb, pe) -> list[int]:
    return [(img[d] + pb[d] + pe[d] - (dil[d] * (k[d] - 1) + 1)) // strides[d] + 1 for d in range(len(img))]


@register
class Col2Im(Op):
    """OpenVINO Col2Im-15, extended to any number of spatial dims (as ONNX Col2Im): data [N, C*prod(k), L]
    (or unbatched [C*prod(k), L]), output_size and kernel_size; sums each column back into its window."""
    type_name = "Col2Im"
    version = "opset15"
    attrs = {"strides": [1, 1], "dilations": [1, 1], "pads_begin": [0, 0], "pads_end": [0, 0]}
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        ps = node.input_shape(0)
        img, k = _ints(node, 1), _ints(node, 2)
        if ps.rank_is_dynamic or img is None or k is None:
            rank = None if ps.rank_is_dynamic else len(ps) + node.input_shape(1)[0].get_length() - 1 \
                if not node.input_shape(1).rank_is_dynamic and node.input_shape(1)[0].is_static else None
            return [(node.input_type(0), PartialShape.dynamic(rank))]
        dims = list(ps)
        batched = len(dims) == 3
        cdim = dims[1] if batched else dims[0]
        kp = int(np.prod(k))
        c = Dimension(cdim.get_length() // kp) if cdim.is_static else Dimension()
        out = ([dims[0]] if batched else []) + [c] + [Dimension(v) for v in img]
        return [(node.input_type(0), PartialShape(out))]

    @classmethod
    def params(cls, node, nd):
        a = node.attrs

        def full(v, d):
            v = list(v)
            return v if len(v) == nd else [d] * nd if not v else (v * nd)[:nd]
        return full(a["strides"], 1), full(a["dilations"], 1), full(a["pads_begin"], 0), full(a["pads_end"], 0)

    @classmethod
    def evaluate(cls, node, inputs):
        x, img, k = inputs[0], [int(v) for v in inputs[1].reshape(-1)], [int(v) for v in inputs[2].reshape(-1)]
        batched = x.ndim == 3
        if not batched:
            x = x[None]
        nd = len(img)
        strides, dil, pb, pe = cls.params(node, nd)
        blocks = col2im_blocks(img, k, strides, dil, pb, pe)
        N, CK, L = x.shape
        C = CK // int(np.prod(k))
        padded = np.zeros((N, C) + tuple(img[d] + pb[d] + pe[d] for d in range(nd)), dtype=np.float64)
        cols = x.reshape((N, C) + tuple(k) + tuple(blocks)).astype(np.float64)
        import itertools
        for kk in itertools.product(*[range(v) for v in k]):
            sl = tuple(slice(kk[d] * dil[d], kk[d] * dil[d] + strides[d] * (blocks[d] - 1) + 1, strides[d])
                       for d in range(nd))
            padded[(slice(None), slice(None)) + sl] += cols[(slice(None), slice(None)) + kk]
        out = padded[(slice(None), slice(None)) + tuple(slice(pb[d], pb[d] + img[d]) for d in range(nd))]
        out = out.astype(x.dtype)
        return [out if batched else out[0]]


# -- AffineGrid -----------------------------------------------------------------------------------------------

def affine_base(n: int, align: bool) -> np.ndarray:
    i = np.arange(n, dtype=np.float64)
    if align:
        return np.full(n, -1.0) if n == 1 else -1 + 2 * i / (n - 1)
    return -1 + (2 * i + 1) / n


@register
class AffineGrid(Op):
    """ONNX AffineGrid-20 (no OpenVINO op): theta [N, 2, 3] or [N, 3, 4] and size (N, C, H, W) or
    (N, C, D, H, W) give the sampling grid [N, H, W, 2] or [N, D, H, W, 3] (x first)."""
    type_name = "AffineGrid"
    version = "ovcl"
    attrs = {"align_corners": False}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        size = _ints(node, 1)
        if size is None:
            n = node.input_shape(1)
            rank = n[0].get_length() if not n.rank_is_dynamic and n[0].is_static else None
            return [(node.input_type(0), PartialShape.dynamic(rank))]
        nd = len(size) - 2
        return [(node.input_type(0), PartialShape([Dimension(size[0])] + [Dimension(v) for v in size[2:]]
                                                  + [Dimension(nd)]))]

    @classmethod
    def evaluate(cls, node, inputs):
        theta, size = inputs[0], [int(v) for v in inputs[1].reshape(-1)]
        sp = size[2:]
        nd = len(sp)
        axes = [affine_base(n, node.attrs["align_corners"]) for n in sp]
        mesh = np.meshgrid(*axes, indexing="ij")                   # [d0..] per dim, in dimension order
        homo = np.stack(list(mesh[::-1]) + [np.ones(sp)], axis=-1)  # x first, then 1
        grid = np.einsum("...k,njk->n...j", homo, theta.astype(np.float64))
        return [grid.astype(theta.dtype).reshape([size[0]] + sp + [nd])]


# -- DeformableConvolution ------------------------------------------------------------------------------------

def _bilinear_zero(img: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """img [H, W] sampled at real (y, x), corners outside the image read as zero."""
    H, W = img.shape
    y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
    out = np.zeros(y.shape, dtype=np.float64)
    for dy in (0, 1):
        for dx in (0, 1):
            yy, xx = y0 + dy, x0 + dx
            w = (1 - np.abs(y - yy)) * (1 - np.abs(x - xx))
            ok = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
            out += np.where(ok, w * img[np.clip(yy, 0, H - 1), np.clip(xx, 0, W - 1)], 0.0)
    return out


@register
class DeformableConvolution(Op):
    """OpenVINO DeformableConvolution-8 (2-D): data [N, Ci, H, W], offsets [N, dg*kh*kw*2, OH, OW] ((y, x)
    pairs per kernel tap), filters [Co, Ci/group, kh, kw], optional mask [N, dg*kh*kw, OH, OW]. Samples are
    bilinear with corners outside the image reading zero (``bilinear_interpolation_pad`` True)."""
    type_name = "DeformableConvolution"
    version = "opset8"
    attrs = {"strides": REQUIRED, "pads_begin": REQUIRED, "pads_end": REQUIRED, "dilations": REQUIRED,
             "auto_pad": "explicit", "group": 1, "deformable_group": 1, "bilinear_interpolation_pad": False}
    num_inputs = (3, 4)

    @classmethod
    def infer(cls, node):
        x, w = node.input_shape(0), node.input_shape(2)
        if x.rank_is_dynamic or w.rank_is_dynamic or not (x.is_static and w.is_static):
            return [(node.input_type(0), PartialShape.dynamic(4))]
        a = node.attrs
        H, W = x[2].get_length(), x[3].get_length()
        kh, kw = w[2].get_length(), w[3].get_length()
        oh = (H + a["pads_begin"][0] + a["pads_end"][0] - (a["dilations"][0] * (kh - 1) + 1)) // a["strides"][0] + 1
        ow = (W + a["pads_begin"][1] + a["pads_end"][1] - (a["dilations"][1] * (kw - 1) + 1)) // a["strides"][1] + 1
        return [(node.input_type(0), PartialShape([x[0], w[0], Dimension(oh), Dimension(ow)]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, off, w = inputs[:3]
        a = node.attrs
        N, Ci, H, W = x.shape
        Co, Cg, kh, kw = w.shape
        OH, OW = off.shape[2:]
        dg, g = a["deformable_group"], a["group"]
        off = off.reshape(N, dg, kh, kw, 2, OH, OW).astype(np.float64)
        mask = inputs[3].reshape(N, dg, kh, kw, OH, OW) if len(inputs) > 3 else np.ones((N, dg, kh, kw, OH, OW))
        oy = (np.arange(OH) * a["strides"][0] - a["pads_begin"][0])[:, None]
        ox = (np.arange(OW) * a["strides"][1] - a["pads_begin"][1])[None, :]
        out = np.zeros((N, Co, OH, OW))
        cog = Co // g
        for b in range(N):
            for ci in range(Ci):
                og = ci // (Ci // dg)
                grp = ci // Cg
                for i in range(kh):
                    for j in range(kw):
                        y = oy + i * a["dilations"][0] + off[b, og, i, j, 0]
                        xx = ox + j * a["dilations"][1] + off[b, og, i, j, 1]
                        v = _bilinear_zero(x[b, ci].astype(np.float64), y, xx) * mask[b, og, i, j]
                        for co in range(grp * cog, (grp + 1) * cog):
                            out[b, co] += w[co, ci % Cg, i, j] * v
        return [out.astype(x.dtype)]


# -- ROIAlign -------------------------------------------------------------------------------------------------

@register
class ROIAlign(Op):
    """OpenVINO ROIAlign-9: data [N, C, H, W], rois [R, 4] (x1, y1, x2, y2), batch_indices [R] ->
    [R, C, pooled_h, pooled_w]. Samples outside [-1, H] x [-1, W] count zero; "max" takes, per sample, the
    largest of its four weighted corners (as OpenVINO's and ONNX's references do)."""
    type_name = "ROIAlign"
    version = "opset9"
    attrs = {"pooled_h": REQUIRED, "pooled_w": REQUIRED, "sampling_ratio": REQUIRED, "spatial_scale": REQUIRED,
             "mode": "avg", "aligned_mode": "asymmetric"}
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        x, r = node.input_shape(0), node.input_shape(1)
        if node.attrs["mode"] not in ("avg", "max"):
            raise _fail(node, f"mode {node.attrs['mode']!r} is not avg or max")
        c = x[1] if not x.rank_is_dynamic else Dimension()
        n = r[0] if not r.rank_is_dynamic else Dimension()
        return [(node.input_type(0), PartialShape([n, c, Dimension(int(node.attrs["pooled_h"])),
                                                   Dimension(int(node.attrs["pooled_w"]))]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, rois, bidx = inputs
        a = node.attrs
        PH, PW, scale, ratio = int(a["pooled_h"]), int(a["pooled_w"]), float(a["spatial_scale"]), int(a["sampling_ratio"])
        half = a["aligned_mode"] == "half_pixel"
        N, C, H, W = x.shape
        out = np.zeros((rois.shape[0], C, PH, PW))
        for r in range(rois.shape[0]):
            off = 0.5 if half else 0.0
            x0, y0, x1, y1 = [float(v) * scale - off for v in rois[r]]
            rw, rh = x1 - x0, y1 - y0
            if not half:
                rw, rh = max(rw, 1.0), max(rh, 1.0)
            bh, bw = rh / PH, rw / PW
            gh = ratio if ratio > 0 else int(np.ceil(rh / PH))
            gw = ratio if ratio > 0 else int(np.ceil(rw / PW))
            img = x[int(bidx[r])].astype(np.float64)
            for ph in range(PH):
                for pw in range(PW):
                    vals = []
                    for iy in range(gh):
                        yy = y0 + ph * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            xx = x0 + pw * bw + (ix + 0.5) * bw / gw
                            if yy < -1.0 or yy > H or xx < -1.0 or xx > W:
                                vals.append(np.zeros(C) if a["mode"] == "avg" else np.zeros((4, C)))
                                continue
                            y, xv = max(yy, 0.0), max(xx, 0.0)
                            yl, xl = int(y), int(xv)
                            if yl >= H - 1:
                                yh = yl = H - 1
                                y = float(yl)
                            else:
                                yh = yl + 1
                            if xl >= W - 1:
                                xh = xl = W - 1
                                xv = float(xl)
                            else:
                                xh = xl + 1
                            ly, lx = y - yl, xv - xl
                            terms = np.stack([(1 - ly) * (1 - lx) * img[:, yl, xl], (1 - ly) * lx * img[:, yl, xh],
                                              ly * (1 - lx) * img[:, yh, xl], ly * lx * img[:, yh, xh]])
                            vals.append(terms.sum(0) if a["mode"] == "avg" else terms)
                    if a["mode"] == "avg":
                        out[r, :, ph, pw] = np.sum(vals, axis=0) / max(gh * gw, 1)
                    else:
                        out[r, :, ph, pw] = np.max(np.stack(vals).max(axis=1), axis=0)
        return [out.astype(x.dtype)]


# -- Det ------------------------------------------------------------------------------------------------------

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
            raise _fail(node, "the input must have rank 2 or more")
        return [(node.input_type(0), PartialShape(list(ps)[:-2]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        return [np.asarray(np.linalg.det(x.astype(np.float64))).astype(x.dtype)]


# -- ROIPooling -----------------------------------------------------------------------------------------------

@register
class ROIPooling(Op):
    """OpenVINO ROIPooling-2, method "max" (Caffe's, ONNX MaxRoiPool): rois [R, 5] (batch, x1, y1, x2, y2),
    corners rounded after scaling, bins floor/ceil-split, an empty bin gives 0."""
    type_name = "ROIPooling"
    version = "opset2"
    attrs = {"pooled_h": REQUIRED, "pooled_w": REQUIRED, "spatial_scale": REQUIRED, "method": "max"}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        if node.attrs["method"] != "max":
            raise _fail(node, "only the max method is supported")
        x, r = node.input_shape(0), node.input_shape(1)
        c = x[1] if not x.rank_is_dynamic else Dimension()
        n = r[0] if not r.rank_is_dynamic else Dimension()
        return [(node.input_type(0), PartialShape([n, c, Dimension(int(node.attrs["pooled_h"])),
                                                   Dimension(int(node.attrs["pooled_w"]))]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, rois = inputs
        PH, PW, scale = int(node.attrs["pooled_h"]), int(node.attrs["pooled_w"]), float(node.attrs["spatial_scale"])
        N, C, H, W = x.shape
        rnd = lambda v: float(np.sign(v) * np.floor(abs(v) + 0.5))  # noqa: E731 - C round()
        out = np.zeros((rois.shape[0], C, PH, PW), dtype=x.dtype)
        for r in range(rois.shape[0]):
            b = int(rois[r, 0])
            sw, sh, ew, eh = (int(rnd(float(v) * scale)) for v in rois[r, 1:])
            rh, rw = max(eh - sh + 1, 1), max(ew - sw + 1, 1)
            bh, bw = rh / PH, rw / PW
            for ph in range(PH):
                h0 = min(max(int(np.floor(ph * bh)) + sh, 0), H)
                h1 = min(max(int(np.ceil((ph + 1) * bh)) + sh, 0), H)
                for pw in range(PW):
                    w0 = min(max(int(np.floor(pw * bw)) + sw, 0), W)
                    w1 = min(max(int(np.ceil((pw + 1) * bw)) + sw, 0), W)
                    if h1 > h0 and w1 > w0:
                        out[r, :, ph, pw] = x[b, :, h0:h1, w0:w1].max(axis=(1, 2))
        return [out]
