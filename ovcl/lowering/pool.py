"""Pooling and normalisation: MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool (``pool.cl.mako``; 2-D f32
MaxPool without indices as float8 rows, ``pool_max_rows.cl.mako``),
BatchNormInference (an element-wise multiply-add over per-channel scale and shift), LRN (``pool_lrn``)."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type
from ovcl.ir.ops.nn import lrn_window, pool_geometry

from .base import LoweringContext, Value, c_literal, linear_sizes, lowers, round_up
from .elementwise import emit_eltwise
from .reduce import emit_reduce


def _pad3(v, fill):
    v = list(v)
    return [fill] * (3 - len(v)) + v


def _pow2_group(sizes, first: int, most: int = 64) -> tuple[int, ...]:
    """Power-of-two work-group sides for a grid of ``sizes``: the first at most ``first``, each within its
    size, the group at most ``most`` work-items."""
    sides: list[int] = []
    for k, n in enumerate(sizes):
        side, cap, used = 1, min(n, first) if k == 0 else n, int(np.prod(sides)) if sides else 1
        while side * 2 <= cap and used * side * 2 <= most:
            side *= 2
        sides.append(side)
    return tuple(sides)


def _emit_pool(ctx: LoweringContext, mode: str, x: Value, out: Value, idx: Value | None, kernel, strides, dil, pb,
               pe, exclude_pad=False, axis=2, clip_count=False):
    if out.numel == 0:
        return
    if x.rank - 2 > 3:
        raise ctx.fail(f"{x.rank - 2} spatial axes: at most 3 are supported")
    d, h, w = _pad3(x.shape[2:], 1)
    od, oh, ow = _pad3(out.shape[2:], 1)
    # small output planes take several planes a work-group (a global pool: 1x1 planes, one a work-group, cost
    # PoCL about a microsecond each)
    nr = x.shape[0] * x.shape[1] * od
    lx, ly, lz = _pow2_group((ow, oh, nr), 16)
    g = (round_up(ow, lx), round_up(oh, ly), round_up(nr, lz))
    args = [out] + ([idx] if idx is not None else []) + [x]
    ctx.launch("pool.cl.mako", g, (lx, ly, lz), args, mode=mode, t=x.type, NR=nr,
               idx_t=idx.type if idx is not None else None, C=x.shape[1], D=d, H=h, W=w, OD=od, OH=oh, OW=ow, K=_pad3(kernel, 1),
               S=_pad3(strides, 1), Dl=_pad3(dil, 1), P=_pad3(pb, 0), PE=_pad3(pe, 0), exclude_pad=exclude_pad,
               axis=axis, clip_count=clip_count)


@lowers("MaxPool")
def _maxpool(ctx: LoweringContext):
    x = ctx.inputs[0]
    kernel, strides, dil, pb, pe, osz = pool_geometry(ctx.node, x.shape)
    axis = int(ctx.attrs.get("axis", 0))
    if axis < 0:
        axis += x.rank
    # a frontend that knows nobody reads the indices says so (they cost ~40% of the kernel's time)
    want_idx = len(ctx.outputs) > 1 and not ctx.node.rt_info.get("indices_unused", False)
    if not want_idx and _max_rows(ctx, x, ctx.outputs[0], kernel, strides, dil, pb):
        return
    _emit_pool(ctx, "max", x, ctx.outputs[0], ctx.outputs[1] if want_idx else None, kernel, strides,
               dil, pb, pe, axis=axis)


def _max_rows(ctx: LoweringContext, x: Value, out: Value, kernel, strides, dil, pb) -> bool:
    """2-D f32 max pooling as float8 row segments (``pool_max_rows.cl.mako``) where the device prefers float
    vectors (on the others a work-item is a lane already: the per-output kernel). Returns whether it did."""
    if (x.rank != 4 or x.type is not Type.f32 or out.numel == 0 or x.numel >= 2 ** 31
            or ctx.caps.preferred_vector_width_float < 4):
        return False
    (h, w), (oh, ow) = x.shape[2:], out.shape[2:]
    nt, nc = -(-ow // 8), x.shape[0] * x.shape[1]
    # two work-group sizes (PoCL compiles a kernel once per work-group size): 4 tiles by 16 rows of a plane
    # where a row has 4 tiles (the rows share input rows), else 2 rows of 32 planes (PoCL pays about a
    # microsecond a work-group). Inception-v1's 13 max pools: 1.02 ms with their sizes in the source and
    # work-groups fitted to each, 1.25 ms this way (1.18 with fitted work-groups: a compile each), 1.46 ms all
    # (1, 2, 32)
    lsize = (4, 16, 1) if nt >= 4 else (1, 2, 32)
    g = tuple(round_up(v, l) for v, l in zip((nt, oh, nc), lsize))
    sizes = [np.int32(v) for v in (h, w, oh, ow, pb[0], pb[1], nt, nc)]
    ctx.launch("pool_max_rows.cl.mako", g, lsize, [out, x] + sizes, KH=kernel[0], KW=kernel[1], SH=strides[0],
               SW=strides[1], DH=dil[0], DW=dil[1])
    return True


@lowers("AvgPool")
def _avgpool(ctx: LoweringContext):
    x = ctx.inputs[0]
    kernel, strides, dil, pb, pe, osz = pool_geometry(ctx.node, x.shape)
    _emit_pool(ctx, "avg", x, ctx.outputs[0], None, kernel, strides, dil, pb, pe,
               exclude_pad=bool(ctx.attrs["exclude-pad"]),
               clip_count=str(ctx.attrs.get("rounding_type", "floor")).lower() == "ceil_torch")


@lowers("AdaptiveAvgPool")
def _adaptive_avg(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    nd = x.rank - 2
    if out.numel and all(s == 1 for s in out.shape[2:]):
        # a global average (classifier heads): the mean of each plane by the reduction kernel, whose vector
        # partial sums are 4x faster than one serial sum a plane (SqueezeNet's 1000 planes of 13x13)
        emit_reduce(ctx, "ReduceMean", x, out, list(range(2, x.rank)))
        return
    _emit_pool(ctx, "aavg", x, out, None, [1] * nd, [1] * nd, [1] * nd, [0] * nd, [0] * nd)


@lowers("AdaptiveMaxPool")
def _adaptive_max(ctx: LoweringContext):
    x = ctx.inputs[0]
    nd = x.rank - 2
    _emit_pool(ctx, "amax", x, ctx.outputs[0], ctx.outputs[1] if len(ctx.outputs) > 1 else None, [1] * nd,
               [1] * nd, [1] * nd, [0] * nd, [0] * nd, axis=2)


def _per_channel(v: Value, rank: int) -> Value:
    """View a [C] tensor as [C, 1, ...] so that it broadcasts along axis 1 of a rank-``rank`` tensor."""
    return Value((v.numel,) + (1,) * (rank - 2), v.type, v.storage, v.name)


@lowers("BatchNormInference")
def _batchnorm(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    eps = float(ctx.attrs["epsilon"])
    consts = [ctx.input_const(i) for i in range(1, 5)]
    if all(c is not None for c in consts) and x.type.is_real():
        gamma, beta, mean, var = (np.asarray(c, dtype=np.float64).reshape(-1) for c in consts)
        scale = gamma / np.sqrt(var + eps)
        shift = beta - mean * scale
        dt = np.float32 if x.type is Type.f16 else x.type.dtype
        sv = ctx.constant(scale.astype(dt).reshape((-1,) + (1,) * (x.rank - 2)), f"{ctx.node.name}/scale")
        bv = ctx.constant(shift.astype(dt).reshape((-1,) + (1,) * (x.rank - 2)), f"{ctx.node.name}/shift")
        emit_eltwise(ctx, "a0 * a1 + a2", [x, sv, bv], out)
        return
    params = [_per_channel(v, x.rank) for v in ctx.inputs[1:5]]
    e = c_literal(eps, x.type)
    emit_eltwise(ctx, f"(a0 - a3) * a1 / sqrt(a4 + {e}) + a2", [x] + params, out)


@lowers("LRN")
def _lrn(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    axes_v = ctx.input_const(1)
    if axes_v is None:
        raise ctx.fail("axes must be a constant")
    axes = sorted({int(a) % x.rank for a in np.asarray(axes_v).reshape(-1)})
    size = int(ctx.attrs["size"])
    before, after = lrn_window(size)
    if out.numel == 0:
        return
    # one axis and a small window: a work-item walks along the axis, over vec neighbouring positions where
    # they are contiguous floats (see the template)
    walk = len(axes) == 1 and size <= 16
    vec = 1
    if walk and x.type.name in ("f32", "f16"):
        inner = int(np.prod(x.shape[axes[0] + 1:]))
        vec = next((v for v in (8, 4) if inner >= v), 1)
        outer = out.numel // x.shape[axes[0]] // inner
        items = outer * (inner // vec + inner % vec) if vec > 1 else outer * inner
    else:
        items = out.numel // x.shape[axes[0]] if walk else out.numel
    g, l = linear_sizes(items, 64)
    ctx.launch("pool_lrn.cl.mako", g, l, [out, x], t=x.type, n_items=items, walk=walk, vec=vec,
               shape=list(x.shape), axes=axes,
               before=before, after=after, bias=float(ctx.attrs["bias"]),
               scale=float(ctx.attrs["alpha"]) / size ** len(axes), beta=float(ctx.attrs["beta"]))
