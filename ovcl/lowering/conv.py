"""Convolutions: Convolution, GroupConvolution and their BackpropData (transposed) forms.

Paths, chosen per node:
* Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions with >= 16 channels (``winograd.py``).
* 1x1 unpadded convolutions of one group with >= POINTWISE_MIN_K input channels: the MatMul kernel
  (``matmul.emit_pointwise_conv``), strided ones after ``conv_subsample.cl.mako`` makes their pixels contiguous;
  strided KxK ones (K = C*KH*KW >= IM2COL_MIN_K) the same after ``conv_im2col.cl.mako`` lays out their columns.
* ``conv_direct.cl.mako``: f32 with constant weights (packed once at compile time). A work-item computes a
  tile of TO output channels x 8*NV output pixels of one row. 1x1 stride-1 unpadded convolutions see the
  whole spatial plane as one row (a GEMM over packed weights); padded ones read a zero-padded copy of the
  input made by ``conv_pad.cl.mako`` so the hot loop has no bounds checks. Groups tile within a group.
  Work-groups span the channel blocks of a few pixel tiles, so a tile's input panel serves every block.
* ``conv_dw.cl.mako``: depthwise 2-D/1-D (f32, constant weights): several output rows per work-item, each
  input row loaded once per kernel column; reads the unpadded input (border tiles via a zero-filled segment).
* Transposed convolutions with constant weights are the same direct kernel over the input spread out with
  zeros (``conv_pad`` with ``up`` = stride) and flipped, transposed weights.
* ``conv_generic.cl.mako``: everything else (weights computed at run time, f16 data...), one output each.

Epilogue fusion: ``node.rt_info["fused"]`` may hold ``bias`` (input index of a [C_out] tensor), ``residual``
(input index of a tensor of the output's shape) and ``activation`` ((op_type, attrs)); the kernels compute
act(conv + bias + residual).
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type
from ovcl.ir.ops.nn import backprop_pads, window_out, window_pads

from .base import LoweringContext, Value, half_weights, linear_sizes, lowers, round_up
from . import winograd
from .eltwise import vector_expr
from .matmul import emit_pointwise_conv

# tile shapes (tunable from benchmarks): output channels per work-item and float8 vectors of pixels
TILE_OC = 12
TILE_NV = 1
DEPTHWISE_NV = 2
TILE_VW = 8
DW_KERNEL = True
WG_MODE = "panel"
WG_TILES = 4
DW_PAD = False
DW_ROWS_S1 = 4
DW_ROWS_S2 = 2
DW_NV2_MIN_OW = 16
# depthwise work-group (tiles, row blocks, channels), the same for every layer; (1, 1, 8), (2, 2, 2) ~15% slower
DW_LOCAL = (4, 4, 1)
S2_VECTOR = True
VECTOR_EPILOGUE = True
# 1x1 convolutions through the GEMM kernel (matmul.emit_pointwise_conv) from this many input channels
POINTWISE_GEMM = True
POINTWISE_MIN_K = 16
# strided KxK convolutions as columns + the same GEMM, while the column matrix stays this small
# (from K = C*KH*KW = 64: MobileNetV2's 3-channel stem, K = 27, measured faster direct)
IM2COL = True
IM2COL_MIN_K = 64
IM2COL_MAX_BYTES = 64 << 20


def _pad3(v, fill):
    v = list(v)
    return [fill] * (3 - len(v)) + v


def _fusion(ctx: LoweringContext):
    """(bias Value or None, residual Value or None, activation C expression or None) from rt_info."""
    fused = ctx.node.rt_info.get("fused", {}) or {}
    bias = ctx.inputs[fused["bias"]] if fused.get("bias") is not None else None
    res = ctx.inputs[fused["residual"]] if fused.get("residual") is not None else None
    act = None
    if fused.get("activation"):
        from .eltwise import unary_expr
        op, attrs = fused["activation"]
        act = unary_expr(op, Type.f32, dict(attrs or {}))
        if act is None:
            raise ctx.fail(f"fused activation {op} has no kernel expression")
        act = act.replace("(T)", "(float)")      # unary_expr already uses the prelude's inlined math
    out = ctx.outputs[0]
    if bias is not None and bias.numel != out.shape[1]:
        raise ctx.fail(f"fused bias has {bias.numel} values for {out.shape[1]} output channels")
    if res is not None and tuple(res.shape) != tuple(out.shape):
        raise ctx.fail(f"fused residual of shape {res.shape} does not match the output {out.shape}")
    return bias, res, act


def _emit_pad(ctx, x: Value, src3, dst3, off, up) -> Value:
    n, c = x.shape[0], x.shape[1]
    buf = ctx.temp((n, c) + tuple(dst3), x.type)
    rows = n * c * dst3[0]
    lh = 8      # one local size for every shape (one PoCL compile); rows past PH return
    w, pw, ow, uw = src3[2], dst3[2], off[2], up[2]
    lo, hi = max(ow, 0), min(pw, ow + (w - 1) * uw + 1)     # columns that can hold source data
    sizes = (rows, *src3, *dst3, *off, *up, lo, hi)
    ctx.launch("conv_pad.cl.mako", (round_up(dst3[1], lh), rows), (lh, 1), [buf, x] + [np.int32(v) for v in sizes],
               t=x.type, spread=uw > 1)
    return buf


def _pick_tile_oc(oc: int) -> int:
    """TILE_OC channels per work-item unless that pads the channel count by more than 5%, then 8."""
    if oc <= 8:
        return oc
    if -(-oc // TILE_OC) * TILE_OC <= 1.05 * oc:
        return TILE_OC
    return 8


def _local_panel(nt: int, nb: int, rows: int) -> tuple[int, int]:
    """A work-group of a few pixel tiles x (nearly) all channel blocks: PoCL runs its work-items as a loop
    with the tile index innermost, so each block's weights serve several tiles from L1 while the group's input
    panel serves every block from L1/L2. Channel blocks are split only to leave >= 16 groups for the cores."""
    lx = WG_TILES       # also when nt < WG_TILES (the extra work-items return): one local size, one PoCL compile
    gx = -(-nt // lx) * rows
    split = max(1, -(-16 // gx))
    want = max(1, -(-nb // split))
    # a power of two (at most ``want``): PoCL compiles a kernel again for each local size it is launched with
    ly = 1 << (want.bit_length() - 1)
    return lx, ly


def _local_2d(nt: int, nb: int) -> tuple[int, int]:
    """A work-group of a few pixel tiles x a few channel blocks (PoCL runs a group as one loop)."""
    lx = 1
    while lx * 2 <= min(nt, 8):
        lx *= 2
    ly = 1
    while ly * 2 <= nb and lx * ly * 2 <= 16:
        ly *= 2
    return lx, ly


def _emit_as_gemm(ctx: LoweringContext, x: Value, out: Value, w: np.ndarray, groups: int, sizes3, kernel3,
                  strides3, dil3, pb3, pe3, up3, bias, res, act) -> bool:
    """A 2-D (or 1-D) convolution of one group through the MatMul kernel (``matmul.emit_pointwise_conv``), when it
    fits: 1x1 unpadded (strided ones after a subsampled copy), or strided KxK with C*KH*KW >= IM2COL_MIN_K after
    an im2col copy. Returns whether it emitted."""
    n, c = x.shape[0], x.shape[1]
    _, oh, ow = _pad3(out.shape[2:], 1)
    _, kh, kw = kernel3
    if not POINTWISE_GEMM or groups != 1 or tuple(up3) != (1, 1, 1):
        return False
    unpadded = all(p == 0 for p in pb3 + pe3)
    if list(kernel3) == [1, 1, 1] and list(strides3) == [1, 1, 1] and unpadded and c >= POINTWISE_MIN_K:
        emit_pointwise_conv(ctx, x, w, out, bias, res, act)      # also 1-D and 3-D: the pixels are the rows
        return True
    if sizes3[0] != 1 or kernel3[0] != 1 or strides3[0] != 1:
        return False
    if kh == kw == 1 and unpadded and c >= POINTWISE_MIN_K:
        # strided 1x1 (ResNet's downsampling shortcuts): the pixels it reads, made contiguous (a quarter of the
        # input at stride 2), then the same GEMM
        sub = ctx.temp((n, c, oh, ow), x.type)
        rows = n * c * oh
        ctx.launch("conv_subsample.cl.mako", (round_up(rows, 64),), (64,),
                   [sub, x] + [np.int32(v) for v in (rows, sizes3[1], sizes3[2], oh, ow)],
                   SH=strides3[1], SW=strides3[2])
        emit_pointwise_conv(ctx, sub, w, out, bias, res, act)
        return True
    kk = kh * kw
    if (IM2COL and kk > 1 and max(strides3) > 1 and c * kk >= IM2COL_MIN_K
            and n * c * kk * oh * ow * 4 <= IM2COL_MAX_BYTES):
        # strided KxK (ResNet's stem and stride-2 3x3): the columns as a K-major matrix, then the GEMM
        col = ctx.temp((n, c * kk, oh, ow), x.type)
        rows = n * c * kk * oh
        ctx.launch("conv_im2col.cl.mako", (round_up(rows, 64),), (64,),
                   [col, x] + [np.int32(v) for v in (rows, c, sizes3[1], sizes3[2], oh, ow, pb3[1], pb3[2])],
                   KH=kh, KW=kw, SH=strides3[1], SW=strides3[2], DH=dil3[1], DW=dil3[2])
        emit_pointwise_conv(ctx, col, w, out, bias, res, act)
        return True
    return False


def emit_direct(ctx: LoweringContext, x: Value, out: Value, wpacked_src: np.ndarray, groups: int,
                sizes3, kernel3, strides3, dil3, pb3, pe3, bias=None, res=None, act=None, up3=(1, 1, 1)):
    """Forward direct convolution. ``wpacked_src``: f32 weights [G*OCg, ICg, KD, KH, KW]."""
    n, c = x.shape[0], x.shape[1]
    oc = out.shape[1]
    ocg, icg = oc // groups, c // groups
    od, oh, ow = _pad3(out.shape[2:], 1)
    kd, kh, kw = kernel3
    if winograd.applies(x, out, groups, kernel3, strides3, dil3, up3):
        winograd.emit_winograd(ctx, x, out, wpacked_src, pb3[1:], bias, res, act)
        return
    if (DW_KERNEL and icg == 1 and ocg == 1 and sizes3[0] == 1 and kernel3[0] == 1 and tuple(up3) == (1, 1, 1)
            and strides3[0] == 1):
        emit_depthwise(ctx, x, out, wpacked_src, sizes3, kernel3, strides3, dil3, pb3, bias, res, act)
        return
    if _emit_as_gemm(ctx, x, out, wpacked_src, groups, sizes3, kernel3, strides3, dil3, pb3, pe3, up3, bias, res,
                     act):
        return
    # tile shape
    if icg == 1 and ocg == 1:
        to, nv = 1, DEPTHWISE_NV
    elif groups > 1:
        to = next(t for t in (TILE_OC, 8, 4, 2, 1) if ocg % t == 0)
        nv = TILE_NV
    else:
        to, nv = _pick_tile_oc(oc), TILE_NV
    # f16 on the device when exactly f16 (FP16-compressed IR), see base.py
    w_half = half_weights(ctx, wpacked_src, conv=True)
    flat = (kernel3 == [1, 1, 1] and strides3 == [1, 1, 1] and all(p == 0 for p in pb3 + pe3)
            and tuple(up3) == (1, 1, 1))
    if flat:
        sizes3 = [1, 1, sizes3[0] * sizes3[1] * sizes3[2]]
        od, oh, ow = 1, 1, od * oh * ow
    vw = TILE_VW
    if ow <= 8:
        vw = 8
    if ow < vw * nv:
        nv = 1
    tp = vw * nv
    nt = -(-ow // tp)
    nblk = -(-oc // to)
    need_pad = any(p != 0 for p in pb3 + pe3) or tuple(up3) != (1, 1, 1)
    src = x
    xd, xh, xw = sizes3
    if need_pad:
        xd = (sizes3[0] - 1) * up3[0] + 1 + pb3[0] + pe3[0]
        xh = (sizes3[1] - 1) * up3[1] + 1 + pb3[1] + pe3[1]
        # (+1: stride-2 vector loads read the odd column after a tile's last tap too)
        xw = max((sizes3[2] - 1) * up3[2] + 1 + pb3[2] + pe3[2],
                 (nt * tp - 1) * strides3[2] + (kw - 1) * dil3[2] + 1 + (strides3[2] == 2))
        src = _emit_pad(ctx, x, sizes3, (xd, xh, xw), pb3, up3)
    safe = not need_pad     # tails clamp at run time (one kernel whether or not OW is a multiple of TP)
    # stride-2 rows as shuffled pairs of vectors, where the column after a full tile's last tap exists
    s2v = S2_VECTOR and strides3[2] == 2 and vw == 8 and (need_pad or sizes3[2] >= 2 * ow + (kw - 1) * dil3[2])
    # weights: [OC, ICg, K] -> [NBLK][ICg][K][TO], zero rows for the padded channels
    w = np.asarray(wpacked_src, dtype=np.float32).reshape(oc, icg, kd * kh * kw)
    if nblk * to != oc:
        w = np.concatenate([w, np.zeros((nblk * to - oc, icg, kd * kh * kw), np.float32)])
    w = np.ascontiguousarray(w.reshape(nblk, to, icg, kd * kh * kw).transpose(0, 2, 3, 1))
    wv = ctx.constant(w.astype(np.float16) if w_half else w, f"{ctx.node.name}/weights_packed")
    rows = n * od * oh
    lx, ly = _local_2d(nt, nblk) if WG_MODE == "small" else _local_panel(nt, nblk, rows)
    gsize = (round_up(nt, lx), round_up(nblk, ly), rows)
    args = [out, src, wv] + ([bias] if bias is not None else []) + ([res] if res is not None else [])
    i32 = np.int32
    args += [i32(v) for v in (nt, nblk, oc, od, oh, ow, c, icg, ocg, xd * xh * xw, xw,
                               strides3[0] * xh, strides3[1], dil3[0] * xh, dil3[1])]
    flops = 2 * out.numel * icg * kd * kh * kw
    ctx.launch("conv_direct.cl.mako", gsize, (lx, ly, 1), args, flops=flops,
               KD=kd, KH=kh, KW=kw, SW=strides3[2], DW=dil3[2], TO=to, NV=nv, VW=vw, safe=safe,
               bias=bias is not None, res=res is not None, act=act, w_half=w_half, s2v=s2v,
               vec_epi=VECTOR_EPILOGUE, vec_act=vector_expr(act), plain_rows=(n * od == 1),
               one_group=(groups == 1))


def emit_depthwise(ctx: LoweringContext, x: Value, out: Value, w: np.ndarray, sizes3, kernel3, strides3, dil3,
                   pb3, bias=None, res=None, act=None):
    """Depthwise 2-D (and 1-D) convolution straight from the unpadded input (``conv_dw.cl.mako``)."""
    n, c = x.shape[0], x.shape[1]
    _, h, wd = sizes3
    _, oh, ow = _pad3(out.shape[2:], 1)
    _, kh, kw = kernel3
    r = DW_ROWS_S1 if strides3[1] == 1 else DW_ROWS_S2
    r = max(1, min(r, oh))
    nv = 2 if ow >= DW_NV2_MIN_OW else 1      # 16-pixel tiles on short rows too would save a kernel but cost ~5-10%
    tp = 8 * nv
    nt, nr = -(-ow // tp), -(-oh // r)
    wv = ctx.constant(np.ascontiguousarray(np.asarray(w, dtype=np.float32).reshape(c, kh * kw)),
                      f"{ctx.node.name}/weights")
    pt, pl = pb3[1], pb3[2]
    need_w = (nt * tp - 1) * strides3[2] + (kw - 1) * dil3[2] + 1
    if DW_PAD and (pt != 0 or pl != 0 or pb3[1] < 0 or need_w > wd or (nr * r - 1) * strides3[1] + (kh - 1) * dil3[1] + 1 > h):
        ph = max(h + pt, (nr * r - 1) * strides3[1] + (kh - 1) * dil3[1] + 1)
        pw = max(wd + pl, need_w)
        x = _emit_pad(ctx, x, sizes3, (1, ph, pw), (0, pt, pl), (1, 1, 1))
        h, wd, pt, pl = ph, pw, 0, 0
    # DW_LOCAL for every layer: PoCL compiles a kernel again for each local size; extra work-items return
    nc = n * c
    args = [out, x, wv] + ([bias] if bias is not None else []) + ([res] if res is not None else [])
    args += [np.int32(v) for v in (nc, c, h, wd, oh, ow, pt, pl, nt, nr)]
    l0, l1, l2 = DW_LOCAL
    ctx.launch("conv_dw.cl.mako", (round_up(nt, l0), round_up(nr, l1), round_up(nc, l2)), DW_LOCAL, args,
               flops=2 * out.numel * kh * kw, KH=kh, KW=kw, SH=strides3[1], SW=strides3[2], DH=dil3[1],
               DW=dil3[2], R=r, NV=nv, bias=bias is not None, res=res is not None, act=act,
               vec_act=vector_expr(act))


def emit_generic(ctx: LoweringContext, x: Value, w: Value, out: Value, groups: int, sizes3, kernel3, strides3,
                 dil3, pb3, transposed: bool, wstrides, bias=None, res=None, act=None):
    n, c = x.shape[0], x.shape[1]
    oc = out.shape[1]
    od, oh, ow = _pad3(out.shape[2:], 1)
    total = out.numel
    g, l = linear_sizes(total, 64)
    args = [out, x, w] + ([bias] if bias is not None else []) + ([res] if res is not None else [])
    ctx.launch("conv_generic.cl.mako", g, l, args, flops=2 * total * (c // groups) * int(np.prod(kernel3)),
               t=x.type, wt=w.type, n_total=total, N=n, C=c, D=sizes3[0], H=sizes3[1], W=sizes3[2],
               OC=oc, OD=od, OH=oh, OW=ow, KD=kernel3[0], KH=kernel3[1], KW=kernel3[2], S=list(strides3),
               Dl=list(dil3), P=list(pb3), ICg=c // groups, OCg=oc // groups, wg=wstrides[0], wo=wstrides[1],
               wi=wstrides[2], transposed=transposed, bias=bias is not None, res=res is not None,
               bt=bias.type if bias is not None else Type.f32, rt=res.type if res is not None else Type.f32,
               act=act)


@lowers("Convolution", "GroupConvolution")
def _conv(ctx: LoweringContext):
    x, wval, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    if out.numel == 0:
        return
    grouped = ctx.node.type_name == "GroupConvolution"
    nd = x.rank - 2
    wshape = wval.shape
    groups = wshape[0] if grouped else 1
    kernel = list(wshape[3:] if grouped else wshape[2:])
    strides, dil = [int(v) for v in ctx.attrs["strides"]], [int(v) for v in ctx.attrs["dilations"]]
    pb, pe = window_pads(ctx.node, list(x.shape[2:]), kernel, strides, dil)
    bias, res, act = _fusion(ctx)
    sizes3, kernel3 = _pad3(x.shape[2:], 1), _pad3(kernel, 1)
    strides3, dil3, pb3, pe3 = _pad3(strides, 1), _pad3(dil, 1), _pad3(pb, 0), _pad3(pe, 0)
    wc = ctx.weights(1)
    fast = (x.type is Type.f32 and out.type is Type.f32 and wc is not None
            and (bias is None or bias.type is Type.f32) and (res is None or res.type is Type.f32) and nd <= 3)
    if fast:
        emit_direct(ctx, x, out, wc.reshape(out.shape[1], -1), groups, sizes3, kernel3, strides3, dil3, pb3, pe3,
                    bias, res, act)
        return
    kk = int(np.prod(kernel))
    icg, ocg = x.shape[1] // groups, out.shape[1] // groups
    emit_generic(ctx, x, wval, out, groups, sizes3, kernel3, strides3, dil3, pb3, False,
                 (ocg * icg * kk, icg * kk, kk), bias, res, act)


@lowers("ConvolutionBackpropData", "GroupConvolutionBackpropData")
def _deconv(ctx: LoweringContext):
    x, wval, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    if out.numel == 0:
        return
    grouped = ctx.node.type_name == "GroupConvolutionBackpropData"
    nd = x.rank - 2
    wshape = wval.shape
    if grouped:
        groups, icg, ocg, kernel = wshape[0], wshape[1], wshape[2], list(wshape[3:])
    else:
        groups, icg, ocg, kernel = 1, wshape[0], wshape[1], list(wshape[2:])
    strides = [int(v) for v in ctx.attrs["strides"]] or [1] * nd
    dil = [int(v) for v in ctx.attrs["dilations"]] or [1] * nd
    opad = [int(v) for v in (ctx.attrs.get("output_padding") or [])] or [0] * nd
    oshape = ctx.input_const(2) if len(ctx.inputs) > 2 else None
    pb, pe, osz = backprop_pads(ctx.node, list(x.shape[2:]), kernel, strides, dil, opad,
                                None if oshape is None else np.asarray(oshape).reshape(-1).tolist())
    if list(osz) != list(out.shape[2:]):
        raise ctx.fail(f"output spatial size {osz} does not match the inferred {out.shape[2:]}")
    bias, res, act = _fusion(ctx)
    sizes3, kernel3 = _pad3(x.shape[2:], 1), _pad3(kernel, 1)
    strides3, dil3, pb3 = _pad3(strides, 1), _pad3(dil, 1), _pad3(pb, 0)
    wc = ctx.weights(1)
    fast = (x.type is Type.f32 and out.type is Type.f32 and wc is not None
            and (bias is None or bias.type is Type.f32) and (res is None or res.type is Type.f32))
    if fast:
        # forward weights [G, OCg, ICg, K] flipped in space
        w = wc.reshape([groups, icg, ocg] + kernel).swapaxes(1, 2)
        w = w[(slice(None),) * 3 + (slice(None, None, -1),) * nd]
        w = w.reshape([groups * ocg, icg] + _pad3(kernel, 1))
        o3 = _pad3(osz, 1)
        begin = [(k - 1) * d - p for k, d, p in zip(kernel3, dil3, pb3)]
        # padded extent: o + (k-1)*d on each axis; express it as begin/end pads of the spread input
        spread = [(s - 1) * u + 1 for s, u in zip(sizes3, strides3)]
        end = [o + (k - 1) * d - b - sp for o, k, d, b, sp in zip(o3, kernel3, dil3, begin, spread)]
        emit_direct(ctx, x, out, w, groups, sizes3, kernel3, [1, 1, 1], dil3, begin, end, bias, res, act,
                    up3=strides3)
        return
    kk = int(np.prod(kernel))
    emit_generic(ctx, x, wval, out, groups, sizes3, kernel3, strides3, dil3, pb3, True,
                 (icg * ocg * kk, kk, ocg * kk), bias, res, act)


__all__ = ["emit_direct", "emit_generic", "window_out"]
