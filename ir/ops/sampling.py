"""Spatial sampling: GridSample-9 (N-D) and AffineGrid (the grid an affine transform samples; ONNX's, which
OpenVINO has no single op for).

Each ``evaluate`` is a NumPy reference (folding and tests); inference runs in ``ovcl/lowering/sampling.py``.
"""
from __future__ import annotations

import numpy as np

from ..shape import Dimension, PartialShape
from .registry import Op, known_ints, node_error, register


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
            raise node_error(node, f"mode {node.attrs['mode']!r} is not bilinear, bicubic or nearest")
        if node.attrs["padding_mode"] not in ("zeros", "border", "reflection"):
            raise node_error(node, f"padding_mode {node.attrs['padding_mode']!r} is not zeros, border or reflection")
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
        size = known_ints(node, 1)
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
