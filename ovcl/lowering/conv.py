"""Convolutions: Convolution, GroupConvolution and their BackpropData (transposed) forms; DeformableConvolution and
Col2Im (one work-item per output element, ``conv/deformable.cl.mako``, ``conv/col2im.cl.mako``) at the end.

Paths, tried in the order of ``PATHS`` for a convolution with constant weights on f32 or f16 data (f16 is stored
half and computed in float: INFERENCE_PRECISION_HINT f16). The first that applies runs; config
``KERNEL_VARIANT={"conv": NAME}`` forces one, a CompileError where it does not apply; every launch records its
path as ``Launch.path`` (``conv.winograd``...):
* ``winograd``: F(2x2, 3x3) for 3x3 stride-1 convolutions with >= 32 input and >= 16 output channels
  (``winograd.py``).
* ``depthwise``: ``conv/depthwise.cl.mako`` (spec beside it), 2-D/1-D: several output rows per work-item,
  each input row loaded once per kernel column, from the unpadded input (border tiles via a zero-filled
  segment).
* ``gemm``: 1x1 unpadded convolutions of one group with >= POINTWISE_MIN_K input channels on the MatMul
  kernel (``matmul.emit_pointwise_conv``), strided ones after ``conv/subsample.cl.mako`` makes their pixels
  contiguous; strided KxK ones (K = C*KH*KW >= IM2COL_MIN_K) after ``conv/im2col.cl.mako`` lays out their
  columns, a row per output pixel, on the same kernel with a row-major A (``matmul.emit_columns_conv``).
* ``direct``: ``conv/direct.cl.mako`` (spec beside it) over weights packed once at compile time. A work-item
  computes TO output channels x VW*NV output pixels of one row. 1x1 stride-1 unpadded convolutions see the
  whole spatial plane as one row; padded ones read a zero-padded copy of the input made by
  ``conv/pad.cl.mako``, so the hot loop has no bounds checks. Groups tile within a group. Work-groups span
  the channel blocks of a few pixel tiles, so a tile's input panel serves every block. Transposed
  convolutions with constant weights are this kernel over the input spread out with zeros (``conv/pad``
  with ``up`` = stride) and flipped, transposed weights.
* ``generic``: ``conv/generic.cl.mako``, everything else (weights computed at run time, other element types),
  one output element a work-item.

Epilogue fusion: ``node.rt_info["fused"]`` may hold ``bias`` (input index of a [C_out] tensor), ``residual``
(input index of a tensor of the output's shape) and ``activation`` ((op_type, attrs)); the kernels compute
act(conv + bias + residual).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ovcl.ir import Type
from ovcl.ir.ops.nn import Col2Im, backprop_pads, col2im_blocks, window_out, window_pads
from ovcl.kernels.conv.depthwise import VARIANT as DEPTHWISE
from ovcl.kernels.conv.direct import VARIANT as DIRECT
from ovcl.kernels.conv.generic import VARIANT as GENERIC
from ovcl.kernels.conv.relayout import IM2COL, PAD, SUBSAMPLE

from .base import LoweringContext, Value, ctype, half_weights, linear_sizes, lowers
from . import winograd
from .elementwise import fused_epilogue, vector_expr
from .matmul import emit_columns_conv, emit_pointwise_conv

# 1x1 convolutions through the GEMM kernel (matmul.emit_pointwise_conv) from this many input channels
POINTWISE_MIN_K = 16
# strided KxK convolutions as columns + the same GEMM, while the column matrix stays this small
# (from K = C*KH*KW = 64: MobileNetV2's 3-channel stem, K = 27, measured faster direct)
IM2COL_MIN_K = 64
IM2COL_MAX_BYTES = 64 << 20
# floats of a column row one CPU work-item of im2col writes at a time, at least: measured on ResNet-50's 18 copies
# (2-core Zen 4, PoCL) 16 floats 2.3-2.5 ms, 64: 1.8, 128-147: 1.5-1.6, 256: 1.6; one channel at a time 3.2-3.7
IM2COL_RUN = 128
# 1x1 convolutions (strided ones after their subsampled copy) over planes of at most this many pixels, with at
# least this many output channels, transpose their input into a row per pixel first (one more copy): the GEMM
# reads K-major planes at a cache line per k for a work-item's 4 pixels, once per panel of 24 output channels,
# so the copy pays where the panels are many.
# ResNet-50's 7x7 and 14x14 layers with 512-2048 channels: 55.1 -> 53.5 ms; DenseNet-121's and Inception-v1's,
# with 64-384 channels, measured 3-5% slower transposed (2-core Zen 3, PoCL).
ROWS_MAX_PIXELS = 256
ROWS_MIN_CHANNELS = 512
ROWS_MIN_K = 256        # input channels: below, the product is too small for the copy's launch (MobileNetV2's 96-
                        # and 160-channel expansions to 576 and 960: no faster, 7 more launches)


def _pad3(v, fill):
    v = list(v)
    return [fill] * (3 - len(v)) + v


def _emit_pad(ctx, x: Value, src3, dst3, off, up) -> Value:
    n, c = x.shape[0], x.shape[1]
    buf = ctx.temp((n, c) + tuple(dst3), x.type)
    w, pw, ow, uw = src3[2], dst3[2], off[2], up[2]
    lo, hi = max(ow, 0), min(pw, ow + (w - 1) * uw + 1)     # columns that can hold source data
    choice = ctx.configure(PAD, {"rows": n * c * dst3[0], "ph": dst3[1]})
    values = dict(zip(PAD.SIZES, (n * c * dst3[0], *src3, *dst3, *off, *up, lo, hi)))
    ctx.launch_variant(choice, PAD.args(ctype(x.type)), dict(values, out=buf, x=x), t=x.type, spread=uw > 1)
    return buf


@dataclass
class _Conv:
    """One forward convolution with constant weights ``w`` [G*OCg, ICg, KD, KH, KW], axes padded to 3."""
    x: Value
    out: Value
    w: np.ndarray
    groups: int
    sizes3: list
    kernel3: list
    strides3: list
    dil3: list
    pb3: list
    pe3: list
    up3: tuple
    bias: Value | None
    res: Value | None
    act: str | None

    @property
    def icg(self) -> int:
        return self.x.shape[1] // self.groups

    @property
    def ocg(self) -> int:
        return self.out.shape[1] // self.groups

    @property
    def unpadded(self) -> bool:
        return all(p == 0 for p in list(self.pb3) + list(self.pe3))


def _gemm_kind(g: _Conv) -> str | None:
    """How a convolution of one group runs on the GEMM kernel, if it does: ``1x1`` (stride 1, unpadded, also
    1-D and 3-D: the pixels are the rows), ``subsampled`` (strided 1x1: ResNet's downsampling shortcuts) or
    ``im2col`` (strided KxK with C*KH*KW >= IM2COL_MIN_K: ResNet's stem and stride-2 3x3 layers)."""
    c = g.x.shape[1]
    _, oh, ow = _pad3(g.out.shape[2:], 1)
    _, kh, kw = g.kernel3
    if g.groups != 1 or tuple(g.up3) != (1, 1, 1):
        return None
    if list(g.kernel3) == [1, 1, 1] and list(g.strides3) == [1, 1, 1] and g.unpadded and c >= POINTWISE_MIN_K:
        return "1x1"
    if g.sizes3[0] != 1 or g.kernel3[0] != 1 or g.strides3[0] != 1:
        return None
    if kh == kw == 1 and g.unpadded and c >= POINTWISE_MIN_K:
        return "subsampled"
    kk = kh * kw
    if (kk > 1 and max(g.strides3) > 1 and c * kk >= IM2COL_MIN_K
            and g.x.shape[0] * c * kk * oh * ow * 4 <= IM2COL_MAX_BYTES):
        return "im2col"
    return None


def _float_data(*values) -> bool:
    """Whether the paths for constant weights take these tensors: f32, or f16 stored half (each loaded and stored
    in its own type, computed in float)."""
    return all(v is None or v.type in (Type.f32, Type.f16) for v in values)


def _bits(t: Type) -> str:
    """The C type a copy moves elements of ``t`` as: f16 as its bits (half values cannot be assigned without
    cl_khr_fp16), f32 as float."""
    return "ushort" if t is Type.f16 else ctype(t)


def _emit_gemm(ctx: LoweringContext, g: _Conv) -> None:
    """The convolution through the MatMul kernel (``matmul.emit_pointwise_conv``), after a copy that makes the
    pixels it reads contiguous (a quarter of the input for a stride-2 1x1) or lays out its columns (im2col, a row
    per output pixel: the GEMM's A row-major)."""
    x, out = g.x, g.out
    n, c = x.shape[0], x.shape[1]
    _, oh, ow = _pad3(out.shape[2:], 1)
    _, kh, kw = g.kernel3
    kind = _gemm_kind(g)
    m = out.numel // (n * out.shape[1])
    if kind == "im2col" or (kind in ("1x1", "subsampled") and m <= ROWS_MAX_PIXELS
                            and out.shape[1] >= ROWS_MIN_CHANNELS and c >= ROWS_MIN_K):
        # a row per output pixel, then the GEMM over a row-major A. A 1x1 layer takes this way only over small
        # planes with many output channels (see ROWS_MAX_PIXELS); its copy is im2col's with a 1x1 window (a
        # 1x1 layer of any rank as one row of m pixels), so that every such layer shares one kernel
        col = ctx.temp((n, m, c * kh * kw), x.type)
        if kind == "1x1":
            hw = tuple(x.shape[2:]) if x.rank == 4 else (1, m)      # other ranks: one row of m pixels
            _emit_im2col(ctx, x, col, hw, hw, (1, 1), (1, 1), (1, 1), (0, 0))
        else:
            _emit_im2col(ctx, x, col, g.sizes3[1:], (oh, ow), (kh, kw), g.strides3[1:], g.dil3[1:], g.pb3[1:])
        emit_columns_conv(ctx, col, g.w, out, g.bias, g.res, g.act)
        return
    if kind == "subsampled":
        sub = ctx.temp((n, c, oh, ow), x.type)
        choice = ctx.configure(SUBSAMPLE, {"total": n * c * oh})
        ctx.launch_variant(choice, SUBSAMPLE.args(_bits(x.type)), {"out": sub, "x": x, "NR": n * c * oh,
                                                                   "H": g.sizes3[1], "W": g.sizes3[2], "OH": oh,
                                                                   "OW": ow},
                           SH=g.strides3[1], SW=g.strides3[2], ct=_bits(x.type))
        x = sub
    emit_pointwise_conv(ctx, x, g.w, out, g.bias, g.res, g.act)


def _emit_im2col(ctx: LoweringContext, x: Value, col: Value, hw, ohw, khw, strides, dil, pads) -> None:
    """``col`` [N, OH*OW, C*KH*KW] = the columns of 2-D ``x`` (conv/im2col)."""
    n, c = x.shape[0], x.shape[1]
    (h, w), (oh, ow), (kh, kw) = hw, ohw, khw
    pix = ctx.caps.device_type != "CPU"         # a work-item a pixel (GPUs), else a row of pixels
    # a CPU work-item copies a block of channels: at least IM2COL_RUN floats of each destination row
    cb = 1 if pix else min(c, -(-IM2COL_RUN // (kh * kw)))
    rows = n * -(-c // cb) * oh * (ow if pix else 1)
    choice = ctx.configure(IM2COL, {"total": rows})
    ctx.launch_variant(choice, IM2COL.args(_bits(x.type)), {"out": col, "x": x, "NR": rows, "C": c, "H": h,
                                                            "W": w, "OH": oh, "OW": ow, "PT": pads[0],
                                                            "PL": pads[1]},
                       KH=kh, KW=kw, SH=strides[0], SW=strides[1], DH=dil[0], DW=dil[1], CB=cb, PIX=pix,
                       ct=_bits(x.type))


def _emit_winograd(ctx: LoweringContext, g: _Conv) -> None:
    winograd.emit_winograd(ctx, g.x, g.out, g.w, g.pb3[1:], g.bias, g.res, g.act)


def emit_direct(ctx: LoweringContext, x: Value, out: Value, wpacked_src: np.ndarray, groups: int,
                sizes3, kernel3, strides3, dil3, pb3, pe3, bias=None, res=None, act=None, up3=(1, 1, 1)):
    """A convolution with constant weights (``wpacked_src``: [G*OCg, ICg, KD, KH, KW]) on the first of
    ``PATHS`` that applies, or the one config ``KERNEL_VARIANT`` forces."""
    g = _Conv(x, out, wpacked_src, groups, list(sizes3), list(kernel3), list(strides3), list(dil3), list(pb3),
              list(pe3), tuple(up3), bias, res, act)
    forced = ctx.forced_variant("conv")
    if forced is not None and forced not in PATHS:
        raise ctx.fail(f"config KERNEL_VARIANT asks for conv path '{forced}'; the paths for constant weights "
                       f"are {list(PATHS)} (and 'generic')")
    for name, (applies, emit) in PATHS.items():
        if (forced is None or name == forced) and applies(g):
            ctx.path = f"conv.{name}"
            emit(ctx, g)
            return
    raise ctx.fail(f"config KERNEL_VARIANT asks for conv path '{forced}', which does not apply to this "
                   f"convolution (these do: {[n for n, (a, _) in PATHS.items() if a(g)]})")


def _emit_direct(ctx: LoweringContext, g: _Conv) -> None:
    """``conv/direct.cl.mako`` over packed weights (a zero-padded copy of the input where it is padded)."""
    x, out, groups, up3 = g.x, g.out, g.groups, g.up3
    sizes3, kernel3, strides3, dil3, pb3, pe3 = g.sizes3, g.kernel3, g.strides3, g.dil3, g.pb3, g.pe3
    n, c = x.shape[0], x.shape[1]
    oc = out.shape[1]
    od, oh, ow = _pad3(out.shape[2:], 1)
    kd, kh, kw = kernel3
    # f16 on the device when exactly f16 (FP16-compressed IR), see base.py
    w_half = half_weights(ctx, g.w, conv=True)
    flat = kernel3 == [1, 1, 1] and strides3 == [1, 1, 1] and g.unpadded and tuple(up3) == (1, 1, 1)
    if flat:       # the whole plane as one row
        sizes3 = [1, 1, sizes3[0] * sizes3[1] * sizes3[2]]
        od, oh, ow = 1, 1, od * oh * ow
    problem = {"kernel": f"{kd}x{kh}x{kw}s{strides3[1]}{strides3[2]}", "oc": oc, "icg": g.icg, "ocg": g.ocg,
               "groups": groups, "ow": ow, "rows": n * od * oh, "depthwise": g.icg == 1 and g.ocg == 1}
    choice = ctx.configure(DIRECT, problem)
    cfg = choice.params
    to, vw, nv = cfg["TO"], cfg["VW"], cfg["NV"]
    tp = vw * nv
    nt, nblk = DIRECT.tiles(cfg, problem), DIRECT.blocks(cfg, problem)
    need_pad = not g.unpadded or tuple(up3) != (1, 1, 1)
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
    s2v = strides3[2] == 2 and vw == 8 and (need_pad or sizes3[2] >= 2 * ow + (kw - 1) * dil3[2])
    # weights: [OC, ICg, K] -> [NBLK][ICg][K][TO], zero rows for the padded channels
    w = np.asarray(g.w, dtype=np.float32).reshape(oc, g.icg, kd * kh * kw)
    if nblk * to != oc:
        w = np.concatenate([w, np.zeros((nblk * to - oc, g.icg, kd * kh * kw), np.float32)])
    w = np.ascontiguousarray(w.reshape(nblk, to, g.icg, kd * kh * kw).transpose(0, 2, 3, 1))
    wv = ctx.constant(w.astype(np.float16) if w_half else w, f"{ctx.node.name}/weights_packed")
    bt, rt = (None if v is None else v.type for v in (g.bias, g.res))
    sig = DIRECT.args(ctype(out.type), ctype(src.type), "ushort" if w_half else "float", bt and ctype(bt),
                      rt and ctype(rt))
    values = {"out": out, "x": src, "w": wv, "NT": nt, "NBLK": nblk, "OC": oc, "OD": od, "OH": oh, "OW": ow,
              "XC": c, "ICg": g.icg, "OCg": g.ocg, "XPLANE": xd * xh * xw, "XW": xw, "SDXH": strides3[0] * xh,
              "SH": strides3[1], "DDXH": dil3[0] * xh, "DH": dil3[1], "bias": g.bias, "res": g.res}
    ctx.launch_variant(choice, sig, values, flops=2 * out.numel * g.icg * kd * kh * kw, KD=kd, KH=kh, KW=kw,
                       SW=strides3[2], DW=dil3[2], TO=to, NV=nv, VW=vw, safe=safe, xt=src.type, ot=out.type,
                       bt=bt, rt=rt, act=g.act, w_half=w_half, s2v=s2v, vec_epi=True,
                       vec_act=vector_expr(g.act, vw), plain_rows=(n * od == 1), one_group=(groups == 1))


def _emit_dw(ctx: LoweringContext, g: _Conv) -> None:
    """Depthwise 2-D (and 1-D) convolution straight from the unpadded input (``conv/depthwise.cl.mako``)."""
    x, out = g.x, g.out
    n, c = x.shape[0], x.shape[1]
    _, h, wd = g.sizes3
    _, oh, ow = _pad3(out.shape[2:], 1)
    _, kh, kw = g.kernel3
    problem = {"kernel": f"{kh}x{kw}s{g.strides3[1]}{g.strides3[2]}", "nc": n * c, "oh": oh, "ow": ow,
               "stride": g.strides3[1]}
    choice = ctx.configure(DEPTHWISE, problem)
    cfg = choice.params
    wv = ctx.constant(np.ascontiguousarray(np.asarray(g.w, dtype=np.float32).reshape(c, kh * kw)),
                      f"{ctx.node.name}/weights")
    bt, rt = (None if v is None else v.type for v in (g.bias, g.res))
    sig = DEPTHWISE.args(ctype(out.type), ctype(x.type), bt and ctype(bt), rt and ctype(rt))
    values = {"out": out, "x": x, "w": wv, "NC": n * c, "C": c, "H": h, "W": wd, "OH": oh, "OW": ow,
              "PT": g.pb3[1], "PL": g.pb3[2], "NT": DEPTHWISE.tiles(cfg, problem),
              "NR": DEPTHWISE.row_blocks(cfg, problem), "bias": g.bias, "res": g.res}
    ctx.launch_variant(choice, sig, values, flops=2 * out.numel * kh * kw, KH=kh, KW=kw, SH=g.strides3[1],
                       SW=g.strides3[2], DH=g.dil3[1], DW=g.dil3[2], R=cfg["R"], NV=cfg["NV"],
                       xt=x.type, ot=out.type, bt=bt, rt=rt, act=g.act, vec_act=vector_expr(g.act))


# The paths for constant weights, in order of preference: the first whose test passes runs.
PATHS = {
    "winograd": (lambda g: winograd.applies(g.x, g.out, g.groups, g.kernel3, g.strides3, g.dil3, g.up3),
                 _emit_winograd),
    "depthwise": (lambda g: (g.icg == 1 and g.ocg == 1 and g.sizes3[0] == 1 and g.kernel3[0] == 1
                             and tuple(g.up3) == (1, 1, 1) and g.strides3[0] == 1), _emit_dw),
    "gemm": (lambda g: _gemm_kind(g) is not None, _emit_gemm),
    "direct": (lambda g: True, _emit_direct),
}


def emit_generic(ctx: LoweringContext, x: Value, w: Value, out: Value, groups: int, sizes3, kernel3, strides3,
                 dil3, pb3, transposed: bool, wstrides, bias=None, res=None, act=None):
    """One output element a work-item, any element type, weights from a device tensor (``conv/generic``)."""
    ctx.path = "conv.generic"
    n, c = x.shape[0], x.shape[1]
    oc = out.shape[1]
    od, oh, ow = _pad3(out.shape[2:], 1)
    total = out.numel
    choice = ctx.configure(GENERIC, {"total": total})
    sig = GENERIC.args(ctype(x.type), ctype(w.type), ctype(bias.type) if bias is not None else None,
                       ctype(res.type) if res is not None else None)
    ctx.launch_variant(choice, sig, {"out": out, "x": x, "w": w, "bias": bias, "res": res},
                       flops=2 * total * (c // groups) * int(np.prod(kernel3)),
                       t=x.type, wt=w.type, n_total=total, N=n, C=c, D=sizes3[0], H=sizes3[1], W=sizes3[2],
                       OC=oc, OD=od, OH=oh, OW=ow, KD=kernel3[0], KH=kernel3[1], KW=kernel3[2], S=list(strides3),
                       Dl=list(dil3), P=list(pb3), ICg=c // groups, OCg=oc // groups, wg=wstrides[0],
                       wo=wstrides[1], wi=wstrides[2], transposed=transposed, bias=bias is not None,
                       res=res is not None, bt=bias.type if bias is not None else Type.f32,
                       rt=res.type if res is not None else Type.f32, act=act)


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
    bias, res, act = fused_epilogue(ctx, 1)
    sizes3, kernel3 = _pad3(x.shape[2:], 1), _pad3(kernel, 1)
    strides3, dil3, pb3, pe3 = _pad3(strides, 1), _pad3(dil, 1), _pad3(pb, 0), _pad3(pe, 0)
    wc = ctx.weights(1)
    fast = wc is not None and _float_data(x, out, bias, res) and nd <= 3
    if fast and ctx.forced_variant("conv") != "generic":
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
    bias, res, act = fused_epilogue(ctx, 1)
    sizes3, kernel3 = _pad3(x.shape[2:], 1), _pad3(kernel, 1)
    strides3, dil3, pb3 = _pad3(strides, 1), _pad3(dil, 1), _pad3(pb, 0)
    wc = ctx.weights(1)
    fast = wc is not None and _float_data(x, out, bias, res)
    if fast and ctx.forced_variant("conv") != "generic":
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


@lowers("Col2Im")
def _col2im(ctx: LoweringContext):
    x, y = ctx.inputs[0], ctx.outputs[0]
    img, k = ctx.input_const(1), ctx.input_const(2)
    if img is None or k is None:
        raise ctx.fail("output_size and kernel_size must be constants")
    img, k = [int(v) for v in np.asarray(img).reshape(-1)], [int(v) for v in np.asarray(k).reshape(-1)]
    if y.numel == 0:
        return
    strides, dil, pb, pe = Col2Im.params(ctx.node, len(img))
    blocks = col2im_blocks(img, k, strides, dil, pb, pe)
    C = y.shape[1] if x.rank == 3 else y.shape[0]
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("conv/col2im.cl.mako", g, l, [x, y], t=x.type, C=C, img=img, k=k, blocks=blocks, strides=strides,
               dil=dil, pb=pb, n=y.numel)


@lowers("DeformableConvolution")
def _deform_conv(ctx: LoweringContext):
    x, off, w = ctx.inputs[:3]
    y = ctx.outputs[0]
    if y.numel == 0:
        return
    a = ctx.attrs
    N, Ci, H, W = x.shape
    Co, Cg, kh, kw = w.shape
    has_mask = len(ctx.inputs) > 3
    g, l = linear_sizes(y.numel, 64)
    ctx.launch("conv/deformable.cl.mako", g, l, [x, off, w] + ([ctx.inputs[3]] if has_mask else []) + [y],
               t=x.type, N=N, Ci=Ci, H=H, W=W, Co=Co, Cg=Cg, kh=kh, kw=kw, OH=y.shape[2], OW=y.shape[3],
               group=int(a["group"]), dg=int(a["deformable_group"]), sh=a["strides"][0], sw=a["strides"][1],
               ph=a["pads_begin"][0], pw=a["pads_begin"][1], dh=a["dilations"][0], dw=a["dilations"][1],
               has_mask=has_mask, n=y.numel)
