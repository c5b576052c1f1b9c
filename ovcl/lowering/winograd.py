"""Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions with constant weights (f32, NCHW, one group).

Each 2x2 output tile needs 16 multiplies per (input, output channel) pair instead of 36: the convolution
becomes 16 independent GEMMs over transformed data, 2.25x fewer FLOPs than the direct kernel.
* ``conv_winograd_in.cl.mako``: input tiles 4x4 (stride 2, zero padded) -> V = B^T d B, stored as 16 matrices
  [C][T] (T = tiles of all images);
* ``matmul.cl.mako`` (through ``matmul.emit_const_gemm``): M[xi] = V[xi]^T . U[xi], U = G g G^T the weights
  transformed and packed once at compile time -> [16][T][OC];
* ``conv_winograd_out.cl.mako``: Y = A^T m A per tile, plus the conv epilogue (bias, residual, activation).
F(2x2, 3x3) keeps f32 accuracy (its transforms only add and halve); larger tiles (F(4x4, 3x3)) would save more
multiplies but lose digits and need bigger transforms.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .base import LoweringContext, Value, round_up
from .matmul import emit_const_gemm

# Winograd from this many input and output channels: with fewer, the GEMMs are too small to pay for the two
# transforms (a judgement, not measured per size: ResNet's and the bench's layers all have >= 64)
MIN_CHANNELS = 16
ENABLED = True
IN_TILES = 4        # tiles per work-item of the input transform
IN_LOCAL = 4

_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], np.float64)


def applies(x: Value, out: Value, groups: int, kernel3, strides3, dil3, up3) -> bool:
    return (ENABLED and groups == 1 and x.rank == 4 and list(kernel3) == [1, 3, 3] and list(strides3) == [1, 1, 1]
            and list(dil3) == [1, 1, 1] and tuple(up3) == (1, 1, 1) and x.shape[1] >= MIN_CHANNELS
            and out.shape[1] >= MIN_CHANNELS)


def transform_weights(w: np.ndarray) -> np.ndarray:
    """[OC, C, 3, 3] -> U [16, C, OC]: G g G^T per channel pair (in f64, rounded once to f32)."""
    u = np.einsum("ik,ockl,jl->ijco", _G, np.asarray(w, np.float64), _G)     # [4, 4, C, OC]
    return np.ascontiguousarray(u.reshape(16, w.shape[1], w.shape[0]).astype(np.float32))


def emit_winograd(ctx: LoweringContext, x: Value, out: Value, w: np.ndarray, pads_begin, bias=None, res=None,
                  act=None) -> None:
    n, c, h, wd = x.shape
    oc, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    th, tw = -(-oh // 2), -(-ow // 2)
    t = n * th * tw
    pt, pl = int(pads_begin[0]), int(pads_begin[1])
    v = ctx.temp((16, c, t), Type.f32)
    nt = IN_TILES
    l0 = IN_LOCAL
    ctx.launch("conv_winograd_in.cl.mako", (round_up(-(-tw // nt), l0), th, n * c), (l0, 1, 1),
               [v, x] + [np.int32(a) for a in (c, h, wd, pt, pl, th, tw, t)], NT=nt, one_image=(n == 1))
    m = ctx.temp((16, t, oc), Type.f32)
    emit_const_gemm(ctx, v, transform_weights(w.reshape(oc, c, 3, 3)), m, a_kmajor=True)
    args = [out, m] + ([bias] if bias is not None else []) + ([res] if res is not None else [])
    args += [np.int32(a) for a in (oc, oh, ow, th, tw, t)]
    lo = 16
    ctx.launch("conv_winograd_out.cl.mako", (round_up(oc, lo), tw, n * th), (lo, 1, 1), args,
               bias=bias is not None, res=res is not None, act=act, one_image=(n == 1))
