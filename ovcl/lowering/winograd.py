"""Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions with constant weights (NCHW, one group; f32 or f16 data,
the transforms and their GEMM in f32).

Each 2x2 output tile needs 16 multiplies per (input, output channel) pair instead of 36: the convolution
becomes 16 independent GEMMs over transformed data, 2.25x fewer FLOPs than the direct kernel.
Parameters and launch sizes of the two transforms: ``kernels/conv/winograd.py``.

* ``conv/winograd_in.cl.mako``: input tiles 4x4 (stride 2, zero padded) -> V = B^T d B, stored as 16 matrices
  [C][T] (T = tiles of all images);
* ``matmul/tiled.cl.mako`` (through ``matmul.emit_const_gemm``): M[xi] = V[xi]^T . U[xi], U = G g G^T the weights
  transformed and packed once at compile time -> [16][T][OC];
* ``conv/winograd_out.cl.mako``: Y = A^T m A per tile, 8 output channels at a time as vectors, plus the conv
  epilogue (bias, residual, activation).
F(2x2, 3x3) keeps f32 accuracy (its transforms only add and halve); larger tiles (F(4x4, 3x3)) would save more
multiplies but lose digits and need bigger transforms.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type
from ovcl.kernels.conv.winograd import VARIANT as WINOGRAD

from .base import LoweringContext, Value, ctype
from .elementwise import vector_expr
from .matmul import emit_const_gemm

# Winograd from this many input and output channels: with fewer, the 16 GEMMs (K = input channels) are too
# small to pay for the two transforms. Measured on SqueezeNet's 3x3 layers (PoCL, 2-core Zen 3, per layer):
# 16 -> 64 channels at 55x55 direct 0.68 ms, Winograd 0.94-1.04; 32 -> 128 at 27x27 direct 0.69-0.75,
# Winograd 0.41-0.47
MIN_IN_CHANNELS = 32
MIN_OUT_CHANNELS = 16

_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], np.float64)
_GG = np.kron(_G, _G)           # [16, 9]: row 4*i + j, column 3*k + l


def applies(x: Value, out: Value, groups: int, kernel3, strides3, dil3, up3) -> bool:
    return (groups == 1 and x.rank == 4 and list(kernel3) == [1, 3, 3] and list(strides3) == [1, 1, 1]
            and list(dil3) == [1, 1, 1] and tuple(up3) == (1, 1, 1) and x.shape[1] >= MIN_IN_CHANNELS
            and out.shape[1] >= MIN_OUT_CHANNELS)


def transform_weights(w: np.ndarray) -> np.ndarray:
    """[OC, C, 3, 3] -> U [16, C, OC]: G g G^T per channel pair (in f64, rounded once to f32)."""
    oc, c = w.shape[0], w.shape[1]
    # one GEMM: (G g G^T)[i, j] = sum over (k, l) of G[i, k] G[j, l] g[k, l], i.e. kron(G, G) times g's 9 taps,
    # on the taps laid out [9, C, OC] first, so that the product is U's layout (an einsum over the four indices
    # took 0.33 s of ResNet-50's compile, the product of [OC * C, 9] then transposed 0.13-0.18 s, this 0.05-0.1)
    taps = np.ascontiguousarray(np.asarray(w, np.float32).reshape(oc, c, 9).transpose(2, 1, 0))
    return (_GG @ taps.reshape(9, c * oc).astype(np.float64)).astype(np.float32).reshape(16, c, oc)


def emit_winograd(ctx: LoweringContext, x: Value, out: Value, w: np.ndarray, pads_begin, bias=None, res=None,
                  act=None) -> None:
    n, c, h, wd = x.shape
    oc, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    th, tw = -(-oh // 2), -(-ow // 2)
    t = n * th * tw
    pt, pl = int(pads_begin[0]), int(pads_begin[1])
    problem = {"n": n, "c": c, "oc": oc, "th": th, "tw": tw, "group_max": ctx.caps.max_work_group_size,
               "z_max": ctx.caps.max_work_item_sizes[2]}
    choice = ctx.configure(WINOGRAD, problem)
    cfg = choice.params
    v = ctx.temp((16, c, t), Type.f32)
    ctx.launch_variant(choice, WINOGRAD.in_args(ctype(x.type)), {"V": v, "x": x, "C": c, "H": h, "W": wd, "PT": pt,
                                                                 "PL": pl, "TH": th, "TW": tw, "T": t},
                       NT=cfg["NT"], one_image=(n == 1), xt=x.type)
    m = ctx.temp((16, t, oc), Type.f32)
    emit_const_gemm(ctx, v, transform_weights(w.reshape(oc, c, 3, 3)), m, a_kmajor=True)
    values = {"out": out, "M": m, "OC": oc, "OH": oh, "OW": ow, "TH": th, "TW": tw, "T": t, "bias": bias, "res": res}
    bt, rt = (None if v is None else v.type for v in (bias, res))
    sig = WINOGRAD.out_args(ctype(out.type), bt and ctype(bt), rt and ctype(rt))
    ctx.launch_variant(choice, sig, values, template=WINOGRAD.also[0],
                       sizes=(WINOGRAD.out_global_size(cfg, problem), WINOGRAD.out_local_size(cfg, problem)),
                       ot=out.type, bt=bt, rt=rt, act=act, vec_act=vector_expr(act, 8), one_image=(n == 1))
