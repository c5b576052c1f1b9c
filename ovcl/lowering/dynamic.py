"""Kernels of the data-dependent ops (``ovcl.ir.ops.dynamic``: NonZero, NonMaxSuppression, Unique), always in
bounded form (see ``ovcl.segments``); templates ``kernels/dynamic_*.cl.mako``."""
import numpy as np

from .base import LocalMem, LoweringContext, linear_sizes, lowers


@lowers("NonZero")
def _nonzero(ctx: LoweringContext):
    x = ctx.inputs[0]
    if len(ctx.outputs) == 1:           # a static shape: only an input without elements has one, [rank, 0]
        if ctx.outputs[0].numel:
            raise ctx.fail(f"a NonZero of static output shape {list(ctx.outputs[0].shape)} (expected its bounded "
                           f"form)")
        return
    out, count = ctx.outputs
    shape = list(x.shape) or [1]
    wg = min(256, ctx.caps.max_work_group_size)
    ctx.launch("dynamic_nonzero.cl.mako", (wg,), (wg,), [x, out, count, LocalMem(4 * wg)], in_t=x.type, out_t=out.type,
               shape=shape, n=max(x.numel, 1), wg=wg)


@lowers("NonMaxSuppression")
def _nms(ctx: LoweringContext):
    from ovcl.ir import Type
    boxes, scores = ctx.inputs[0], ctx.inputs[1]
    out_idx, out_scores, valid = ctx.outputs[:3]    # static when the bound is 0
    length = ctx.outputs[3] if len(ctx.outputs) > 3 else ctx.temp((), Type.i64)
    opt = [(ctx.inputs[k] if len(ctx.inputs) > k and ctx.inputs[k].numel > 0 else None) for k in (2, 3, 4)]
    if len(ctx.inputs) > 5 and ctx.inputs[5].numel and ctx.input_const(5) is not None \
            and float(np.asarray(ctx.input_const(5)).reshape(-1)[0]) != 0:
        raise ctx.fail("soft NMS (soft_nms_sigma != 0) is not supported")
    B, N = boxes.shape[0], boxes.shape[1]
    C = scores.shape[1]
    M = out_idx.shape[0]
    mt, ft_iou, ft_st = [(v.type if v is not None else None) for v in opt]
    common = dict(bt=boxes.type, st=scores.type, it=out_idx.type, mt=mt, ft_iou=ft_iou, ft_st=ft_st, B=B, C=C, N=N,
                  M=M, center=ctx.attrs["box_encoding"] == "center",
                  descending=bool(ctx.attrs["sort_result_descending"]))
    order = ctx.temp((max(B * C * N, 1),), Type.i32)
    sel = ctx.temp((max(B * C * N, 1),), Type.i32)
    cnt = ctx.temp((max(B * C, 1),), Type.i32)
    if B * C * N:
        g, l = linear_sizes(B * C * N, 64)
        ctx.launch("dynamic_nms.cl.mako", g, l, [scores] + ([opt[2]] if opt[2] is not None else []) + [order],
                   phase="rank", **common)
        g, l = linear_sizes(B * C, 64)
        ctx.launch("dynamic_nms.cl.mako", g, l, [boxes, scores] + [v for v in opt if v is not None] + [order, sel, cnt],
                   phase="select", **common)
    else:
        common["B"] = 0
    flat = ctx.temp((max(B * C * N, 1),), Type.i32)
    ctx.launch("dynamic_nms.cl.mako", (1,), (1,), [scores, sel, cnt, flat, out_idx, out_scores, valid, length],
               phase="gather", **common)


@lowers("Unique")
def _unique(ctx: LoweringContext):
    from ovcl.ir import Type
    x = ctx.inputs[0]
    y, indices, rev, counts = ctx.outputs[:4]      # static when the length is (one element)
    length = ctx.outputs[4] if len(ctx.outputs) > 4 else ctx.temp((), Type.i64)
    shape = list(x.shape) or [1]
    if len(ctx.inputs) > 1:
        axis = int(np.asarray(ctx.input_const(1)).reshape(-1)[0]) % len(shape)
        outer = int(np.prod(shape[:axis], dtype=np.int64))
        A, inner = shape[axis], int(np.prod(shape[axis + 1:], dtype=np.int64))
    else:
        outer, A, inner = 1, max(x.numel, 1) if x.numel else 0, 1
    common = dict(xt=x.type, it=indices.type, ct=counts.type, outer=outer, A=A, inner=inner,
                  srt=bool(ctx.attrs["sorted"]))
    if A == 0 or outer * inner == 0:
        raise ctx.fail("empty input")
    first = ctx.temp((A,), Type.i32)
    rk = ctx.temp((A,), Type.i32)
    g, l = linear_sizes(A, 64)
    ctx.launch("dynamic_unique.cl.mako", g, l, [x, first], phase="first", **common)
    ctx.launch("dynamic_unique.cl.mako", g, l, [x, first, rk, y, indices, counts], phase="place", **common)
    ctx.launch("dynamic_unique.cl.mako", g, l, [first, rk, rev, length], phase="finish", **common)
