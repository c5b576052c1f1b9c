"""Reductions (Reduce*), TopK, CumSum and CumProd.

Reduce*: one work-group per output element (``reduce/segment.cl.mako``; its work-group size and float8 body
are the spec's, ``kernels/reduce/segment.py``). The kept and the reduced axes are each collapsed to as few
(size, stride) pairs as the layout allows, so the common cases (innermost axes, or one outer axis) index with
one multiply.

TopK: one work-item per segment keeps the best k in private arrays (insertion, k <= 64); larger k ranks every
element against its segment (one work-item per element). Ties keep the lower index first (stable).
CumSum and CumProd: one work-item per segment.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from ovcl.kernels.reduce.segment import VARIANT as SEGMENT

from .base import LoweringContext, Value, c_literal, cctype, contiguous_strides, ctype, linear_sizes, lowers


def _merge(pairs):
    out = []
    for d, s in pairs:
        if out and out[-1][1] == s * d:
            out[-1] = (out[-1][0] * d, s)
        else:
            out.append((d, s))
    return out


def segments(shape, axes) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(size, element stride) pairs of the kept and of the reduced axes of a contiguous tensor, collapsed."""
    strides = contiguous_strides(shape)
    kept = [(int(shape[i]), strides[i]) for i in range(len(shape)) if i not in axes and shape[i] != 1]
    red = [(int(shape[i]), strides[i]) for i in sorted(axes) if shape[i] != 1]
    return _merge(kept), _merge(red)


def offset_code(var: str, idx: str, pairs) -> str:
    """C statements declaring ``long var``: the element offset of linear index ``idx`` over ``pairs``."""
    def term(x, s):
        return x if s == 1 else f"{x} * {s}"
    if not pairs:
        return f"const long {var} = 0;"
    if len(pairs) == 1:
        return f"const long {var} = {term('(long)(' + idx + ')', pairs[0][1])};"
    lines = [f"long {var} = 0;", f"{{ long _q = {idx};"]
    for d, s in reversed(pairs[1:]):
        lines.append(f"  {var} += {term(f'(_q % {d})', s)}; _q /= {d};")
    lines.append(f"  {var} += {term('_q', pairs[0][1])}; }}")
    return "\n    ".join(lines)


def axes_of(ctx: LoweringContext, i: int, rank: int) -> list[int]:
    v = ctx.input_const(i)
    if v is None:
        raise ctx.fail("the axes input must be a constant (it is computed at run time)")
    return sorted({int(a) % max(rank, 1) for a in np.asarray(v).reshape(-1).tolist()})


def _acc_type(t: Type, op: str) -> str:
    if op in ("ReduceLogicalAnd", "ReduceLogicalOr"):
        return "int"
    return cctype(t)


def _reduce_exprs(op: str, t: Type, R: int):
    """(init, map over x, combine over a and b, final over a) in C for the reduction ``op`` on type ``t``."""
    f = t.is_real()
    ct = cctype(t)
    if t is Type.boolean:
        op = {"ReduceMax": "ReduceLogicalOr", "ReduceSum": "ReduceLogicalOr", "ReduceL1": "ReduceLogicalOr",
              "ReduceMin": "ReduceLogicalAnd", "ReduceProd": "ReduceLogicalAnd"}.get(op, op)
    if op in ("ReduceSum", "ReduceMean", "ReduceL1", "ReduceL2"):
        mapx = {"ReduceL1": ("fabs(x)" if f else ("(x < 0 ? -x : x)" if t.is_signed() else "x")),
                "ReduceL2": "x * x"}.get(op, "x")
        fin = {"ReduceMean": f"a / ({ct}){max(R, 1)}", "ReduceL2": "sqrt(a)" if f else f"({ct})sqrt((double)a)"}
        return c_literal(0, t), mapx, "a + b", fin.get(op, "a")
    if op == "ReduceProd":
        return c_literal(1, t), "x", "a * b", "a"
    if op in ("ReduceMax", "ReduceMin"):
        big = np.inf if f else np.iinfo(t.dtype).max
        small = -np.inf if f else np.iinfo(t.dtype).min
        if op == "ReduceMax":
            comb = "(b > a || isnan(b) ? b : a)" if f else "(b > a ? b : a)"
            return c_literal(small, t), "x", comb, "a"
        comb = "(b < a || isnan(b) ? b : a)" if f else "(b < a ? b : a)"
        return c_literal(big, t), "x", comb, "a"
    if op == "ReduceLogicalAnd":
        return "1", "(x != 0)", "(a && b)", "a"
    if op == "ReduceLogicalOr":
        return "0", "(x != 0)", "(a || b)", "a"
    raise KeyError(op)


REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogicalAnd", "ReduceLogicalOr"]


@lowers(*REDUCE_OPS)
def _reduce(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.numel == 0:
        return
    emit_reduce(ctx, ctx.node.type_name, x, out, axes_of(ctx, 1, x.rank))


def emit_reduce(ctx: LoweringContext, op: str, x: Value, out: Value, axes: list[int]) -> None:
    """``out`` = reduction ``op`` (a REDUCE_OPS name) of ``x`` over ``axes`` (``reduce/segment``)."""
    kept, red = segments(x.shape, axes)
    R = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1
    if x.numel == 0:
        R = 0
    if x.type is Type.boolean:
        acc = "int"
    elif op not in ("ReduceLogicalAnd", "ReduceLogicalOr") and not x.type.is_real() and x.type.size < 4:
        acc = "int" if x.type.is_signed() else "uint"
    else:
        acc = _acc_type(x.type, op)
    init, mapx, comb, fin = _reduce_exprs(op, x.type, R)
    if op == "ReduceMean" and not x.type.is_real():
        fin = f"a / {max(R, 1)}"
    problem = {"segments": out.numel, "R": R, "vec_ok": (x.type.name == "f32" and acc == "float" and len(red) == 1
               and red[0][1] == 1 and op not in ("ReduceLogicalAnd", "ReduceLogicalOr"))}
    choice = ctx.configure(SEGMENT, problem)
    ctx.launch_variant(choice, SEGMENT.args(ctype(x.type), ctype(out.type)), {"in": x, "out": out},
                       flops=x.numel, in_t=x.type, out_t=out.type, acc=acc, init=init, mapx=mapx, comb=comb,
                       fin=fin, R=R, n_out=out.numel, base_code=offset_code("base", "o", kept),
                       red_code=offset_code("roff", "r", red), **choice.params)


@lowers("TopK")
def _topk(ctx: LoweringContext):
    x = ctx.inputs[0]
    vals, idxs = ctx.outputs
    axis = int(ctx.attrs["axis"]) % x.rank
    k = vals.shape[axis]
    A = x.shape[axis]
    if vals.numel == 0:
        return
    I = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    segs = x.numel // max(A, 1)
    mode, sort = str(ctx.attrs["mode"]).lower(), str(ctx.attrs["sort"]).lower()
    common = dict(t=x.type, it=idxs.type, A=A, I=I, k=k, segs=segs, largest=(mode == "max"),
                  by_index=(sort == "index"))
    if k <= 64:
        g, l = linear_sizes(segs, 64 if ctx.caps.device_type == "GPU" else 8)
        ctx.launch("reduce/topk.cl.mako", g, l, [x, vals, idxs], phase="insert", **common)
        return
    n = segs * A
    g, l = linear_sizes(n, 64)
    if sort != "index":
        ctx.launch("reduce/topk.cl.mako", g, l, [x, vals, idxs], phase="rank", **common)
        return
    ranks = ctx.temp((n,), Type.i32)
    ctx.launch("reduce/topk.cl.mako", g, l, [x, ranks], phase="ranks", **common)
    g, l = linear_sizes(segs, 8)
    ctx.launch("reduce/topk.cl.mako", g, l, [x, ranks, vals, idxs], phase="gather", **common)


@lowers("CumSum", "CumProd")
def _scan(ctx: LoweringContext):
    """CumSum and CumProd (``reduce/scan.cl.mako``): one work-item per segment along the axis; an axis known
    only at run time is read by the kernel."""
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.numel == 0:
        return
    common = dict(t=x.type, op="sum" if ctx.node.type_name == "CumSum" else "prod",
                  exclusive=bool(ctx.attrs["exclusive"]), reverse=bool(ctx.attrs["reverse"]))
    wg = 64 if ctx.caps.device_type == "GPU" else 8
    axis = 0
    if len(ctx.inputs) > 1:
        v = ctx.input_const(1)
        if v is None:
            g, l = linear_sizes(x.numel, wg)
            ctx.launch("reduce/scan.cl.mako", g, l, [x, out, ctx.inputs[1]], A=0, I=0, segs=x.numel,
                       dims=list(x.shape or (1,)), ax_t=ctx.inputs[1].type, **common)
            return
        axis = int(np.asarray(v).reshape(-1)[0])
    axis %= max(x.rank, 1)
    shape = x.shape or (1,)
    A = shape[axis]
    I = int(np.prod(shape[axis + 1:], dtype=np.int64))
    segs = x.numel // max(A, 1)
    g, l = linear_sizes(segs, wg)
    ctx.launch("reduce/scan.cl.mako", g, l, [x, out], A=A, I=I, segs=segs, dims=None, ax_t=None, **common)
