"""Shape and data-movement ops.

Most of them are one strided copy (``data_copy.cl.mako``): each output dimension gets an output stride, an
input stride and an index map (identity, constant pad, edge/reflect/symmetric pad, roll), all folded to
constants, with the dimensions that both sides walk contiguously merged first. Transpose, Slice, StridedSlice,
Tile, Broadcast, Pad, Roll, Reverse, DepthToSpace, SpaceToDepth, Concat (one copy per input into its part of
the output, unless the part is contiguous: then the input's producer writes it in place) and Split (one copy
per output) are that kernel. Elements move as raw bits, so every type (f16
included) takes the same kernel. Gather, Scatter, OneHot, Range, Interpolate and ReverseSequence have kernels
of their own.
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type
from ovcl.ir.ops import data as D
from ovcl.ir.ops.state import STATE_IN_PLACE

from .base import (LoweringContext, Value, broadcast_strides, c_literal, contiguous_strides, ctype, half_weights,
                   linear_sizes, lowers, round_up)

_RAW = {1: "uchar", 2: "ushort", 4: "uint", 8: "ulong"}


def raw(t: Type) -> str:
    return _RAW[t.size]


def _idx(*counts) -> str:
    return "int" if max([1, *counts]) < 2 ** 31 - 1 else "long"


def _pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def sizes_2d(n0: int, rows: int, wg: int = 64):
    """Global and local sizes for an (inner, rows) launch."""
    l0 = min(_pow2(max(n0, 1)), wg)
    l1 = max(1, min(wg // l0, _pow2(max(rows, 1))))
    return (round_up(n0, l0), round_up(rows, l1)), (l0, l1)


def _vec(n: int, size: int, limit_bytes: int = 16) -> int:
    for v in (16, 8, 4, 2):
        if v * size <= limit_bytes and n % v == 0 and n >= v:
            return v
    return 1


def dim(D_, os_, is_, mode="lin", lo=0, n=0, short=False) -> dict:
    return {"D": int(D_), "os": int(os_), "is": int(is_), "mode": mode, "lo": int(lo), "n": int(n),
            "short": bool(short)}


def _simplify(dims: list[dict]) -> list[dict]:
    dims = [d for d in dims if not (d["mode"] == "lin" and d["D"] == 1)]
    out: list[dict] = []
    for d in dims:
        if out and out[-1]["mode"] == "lin" and d["mode"] == "lin" \
                and out[-1]["os"] == d["os"] * d["D"] and out[-1]["is"] == d["is"] * d["D"]:
            p = out[-1]
            out[-1] = dim(p["D"] * d["D"], d["os"], d["is"])
        else:
            out.append(d)
    return out or [dim(1, 0, 0)]


def emit_copy(ctx: LoweringContext, out: Value, src: Value, dims: list[dict], obase: int = 0, ibase: int = 0,
              padv: Value | None = None):
    """out[obase + Σ c_d·os_d] = src[ibase + Σ map_d(c_d)·is_d] for every output coordinate c."""
    if any(d["D"] == 0 for d in dims) or out.numel == 0:
        return
    dims = _simplify(dims)
    inner = dims[-1]
    if _tiled_transpose(ctx, out, src, dims, obase, ibase):
        return
    V = 1
    if inner["mode"] == "lin" and inner["is"] == 1 and inner["os"] == 1:
        V = _vec(inner["D"], out.type.size)
    R = int(np.prod([d["D"] for d in dims[:-1]], dtype=np.int64))
    n0 = inner["D"] // V
    gsize, lsize = sizes_2d(n0, R)
    args = [out, src] + ([padv] if padv is not None and any(d["mode"] == "const" for d in dims) else [])
    ctx.launch("data_copy.cl.mako", gsize, lsize, args, T=raw(out.type), idx=_idx(out.numel * 2, src.numel * 2),
               dims=dims, obase=int(obase), ibase=int(ibase), V=V, R=R, N0=n0, padv=len(args) == 3)


TILE = 16


def _tiled_transpose(ctx, out: Value, src: Value, dims: list[dict], obase: int, ibase: int) -> bool:
    """Use the local-memory tiled kernel when the innermost output dim is strided in the input and another
    dim is contiguous there (a transpose of the two innermost-in-memory dims)."""
    if obase or ibase or any(d["mode"] != "lin" for d in dims) or len(dims) < 2 \
            or TILE * TILE > ctx.caps.max_work_group_size:
        return False
    a = dims[-1]
    if a["os"] != 1 or a["is"] == 1 or a["D"] < TILE // 2:
        return False
    cand = [k for k, d in enumerate(dims[:-1]) if d["is"] == 1 and d["D"] >= TILE // 2]
    if not cand:
        return False
    kb = cand[0]
    b = dims[kb]
    if ctx.caps.device_type == "CPU" and (a["D"] < 512 or b["D"] < 512):
        return False      # on CPUs the plain copy is faster unless both sides are long (cache/TLB bound)
    rest = [(d["D"], d["os"], d["is"]) for k, d in enumerate(dims[:-1]) if k != kb]
    R = int(np.prod([r[0] for r in rest], dtype=np.int64))
    gsize = (round_up(a["D"], TILE), round_up(b["D"], TILE), R)
    ctx.launch("data_transpose.cl.mako", gsize, (TILE, TILE, 1), [out, src], T=raw(out.type),
               idx=_idx(out.numel * 2, src.numel * 2), TS=TILE, NA=a["D"], SA=a["is"], NB=b["D"], OB=b["os"],
               rest=rest, R=R)
    return True


def permute_copy(ctx, out: Value, src: Value, view_shape, perm):
    st = contiguous_strides(view_shape)
    oshape = [view_shape[p] for p in perm]
    ost = contiguous_strides(oshape)
    emit_copy(ctx, out, src, [dim(oshape[k], ost[k], st[p]) for k, p in enumerate(perm)])


def _const_ints(ctx: LoweringContext, i: int) -> list[int]:
    v = ctx.input_const(i)
    if v is None:
        raise ctx.fail(f"input {i} must be a constant on the device (it decides the data layout)")
    return [int(a) for a in np.asarray(v).reshape(-1).tolist()]


# -- Transpose, Concat, Split ---------------------------------------------------------------------------------

@lowers("Transpose")
def _transpose(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    perm = D.transpose_order(_const_ints(ctx, 1), x.rank)
    moved = [p for p in perm if x.shape[p] != 1]
    if moved == sorted(moved):      # only axes of size 1 move (a decode step's [1, 1, heads, d]): the same bytes
        ctx.alias(0, x)
        return
    permute_copy(ctx, out, x, list(x.shape), perm)


def _outer_inner(shape, axis):
    return int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis + 1:], dtype=np.int64))


@lowers("Concat")
def _concat(ctx: LoweringContext):
    out = ctx.outputs[0]
    axis = ctx.attrs["axis"] % max(out.rank, 1)
    outer, inner = _outer_inner(out.shape, axis)
    total = out.shape[axis]
    off = 0
    for x in ctx.inputs:
        a = x.shape[axis] if x.rank else 1
        # where each input is one contiguous part of the output, its producer writes it there: no copy
        if not (outer == 1 and ctx.place(x, out, off * inner * out.type.size)):
            emit_copy(ctx, out, x, [dim(outer, total * inner, a * inner), dim(a, inner, inner), dim(inner, 1, 1)],
                      obase=off * inner)
        off += a


def _split_copies(ctx: LoweringContext, axis: int, lengths: list[int]):
    x = ctx.inputs[0]
    outer, inner = _outer_inner(x.shape, axis)
    total = x.shape[axis]
    off = 0
    for out, a in zip(ctx.outputs, lengths):
        emit_copy(ctx, out, x, [dim(outer, a * inner, total * inner), dim(a, inner, inner), dim(inner, 1, 1)],
                  ibase=off * inner)
        off += a


@lowers("Split")
def _split(ctx: LoweringContext):
    x = ctx.inputs[0]
    axis = _const_ints(ctx, 1)[0] % x.rank
    n = ctx.attrs["num_splits"]
    _split_copies(ctx, axis, [x.shape[axis] // n] * n)


@lowers("VariadicSplit")
def _variadic_split(ctx: LoweringContext):
    x = ctx.inputs[0]
    axis = _const_ints(ctx, 1)[0] % x.rank
    _split_copies(ctx, axis, D.variadic_lengths(_const_ints(ctx, 2), x.shape[axis]))


# -- Slice, StridedSlice, Reverse -----------------------------------------------------------------------------

def _strided(ctx, out: Value, x: Value, per_dim):
    """per_dim: (start, step, count) for every input dim; output dims are the counts (sizes of 1 dropped)."""
    ist = contiguous_strides(x.shape)
    ibase = sum(s * st for (s, _, _), st in zip(per_dim, ist))
    items = [(cnt, step * st) for (s, step, cnt), st in zip(per_dim, ist)]
    ost = contiguous_strides([c for c, _ in items])
    emit_copy(ctx, out, x, [dim(c, o, s) for (c, s), o in zip(items, ost)], ibase=ibase)


@lowers("Slice")
def _slice(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    vals = [_const_ints(ctx, i) for i in range(1, len(ctx.inputs))]
    plan = D.slice8_plan(x.shape, *vals[:3], vals[3] if len(vals) > 3 else None)
    per_dim = []
    for n, s in zip(x.shape, plan):
        r = range(*s.indices(n))
        per_dim.append((r.start if len(r) else 0, r.step, len(r)))
    _strided(ctx, out, x, per_dim)


@lowers("StridedSlice")
def _strided_slice(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    b, e = _const_ints(ctx, 1), _const_ints(ctx, 2)
    s = _const_ints(ctx, 3) if len(ctx.inputs) > 3 else None
    plan = D.strided_slice_plan(x.rank, b, e, s, ctx.attrs)
    per_dim, _ = D.strided_slice_resolve(x.shape, plan)
    per_dim = [(st if cnt else 0, sp, cnt) for st, sp, cnt in per_dim]
    _strided(ctx, out, x, per_dim)


@lowers("Reverse")
def _reverse(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    v = ctx.input_const(1)
    if v is None:
        raise ctx.fail("reversed axes must be constant")
    axes = D.reverse_axes(ctx.attrs["mode"], v, x.rank)
    _strided(ctx, out, x, [(n - 1, -1, n) if k in axes else (0, 1, n) for k, n in enumerate(x.shape)])


# -- Broadcast, Tile, Pad, Roll ------------------------------------------------------------------------------

@lowers("Broadcast")
def _broadcast(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    in_shape = list(x.shape)
    if str(ctx.attrs["mode"]).lower() in ("explicit", "none"):
        in_shape = D.explicit_view(x.shape, out.shape, _const_ints(ctx, 2))
    ist = broadcast_strides(in_shape, out.shape)
    ost = contiguous_strides(out.shape)
    emit_copy(ctx, out, x, [dim(n, o, s) for n, o, s in zip(out.shape, ost, ist)])


@lowers("Tile")
def _tile(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    reps = _const_ints(ctx, 1)
    rank = out.rank
    shape = [1] * (rank - x.rank) + list(x.shape)
    reps = [1] * (rank - len(reps)) + reps
    ist = contiguous_strides(shape)
    ost = contiguous_strides(out.shape)
    dims = []
    for n, r, i, o in zip(shape, reps, ist, ost):
        dims.append(dim(r, n * o, 0))
        dims.append(dim(n, o, i))
    emit_copy(ctx, out, x, dims)


@lowers("Pad")
def _pad(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    b, e = _const_ints(ctx, 1), _const_ints(ctx, 2)
    b += [0] * (x.rank - len(b))
    e += [0] * (x.rank - len(e))
    mode = ctx.attrs["pad_mode"]
    ist = contiguous_strides(x.shape)
    ost = contiguous_strides(out.shape)
    dims, ibase = [], 0
    if x.numel == 0 and mode != "constant":
        raise ctx.fail(f"{mode} padding of an empty tensor")
    for k in range(x.rank):
        n, lo, hi = x.shape[k], b[k], e[k]
        if lo <= 0 and hi <= 0:
            ibase += -lo * ist[k]
            dims.append(dim(out.shape[k], ost[k], ist[k]))
        else:
            limit = n - 1 if mode == "reflect" else n          # pads within one reflection: no modulo
            dims.append(dim(out.shape[k], ost[k], ist[k], mode if mode != "constant" else "const", lo, n,
                            short=max(lo, 0) <= limit and max(hi, 0) <= limit))
    if mode == "constant":
        padv = ctx.inputs[3] if len(ctx.inputs) > 3 else ctx.constant(np.zeros(1, dtype=np.bool_ if x.type is Type.boolean else x.type.dtype))
        if x.numel == 0:
            emit_copy(ctx, out, padv, [dim(n, o, 0) for n, o in zip(out.shape, ost)])
            return
    else:
        padv = None
    emit_copy(ctx, out, x, dims, ibase=ibase, padv=padv)


@lowers("Roll")
def _roll(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    shift, axes = _const_ints(ctx, 1), _const_ints(ctx, 2)
    if len(shift) == 1 and len(axes) > 1:
        shift = shift * len(axes)
    total = [0] * x.rank
    for s, a in zip(shift, axes):
        total[a % x.rank] += s
    st = contiguous_strides(x.shape)
    dims = []
    for n, s, k in zip(x.shape, st, total):
        k = (-k) % n if n else 0
        dims.append(dim(n, s, s, "roll", k, n) if k else dim(n, s, s))
    emit_copy(ctx, out, x, dims)


# -- DepthToSpace, SpaceToDepth -------------------------------------------------------------------------------

@lowers("DepthToSpace")
def _d2s(ctx: LoweringContext):
    x = ctx.inputs[0]
    view, perm = D.depth_to_space_view(x.shape, ctx.attrs["block_size"], ctx.attrs["mode"])
    permute_copy(ctx, ctx.outputs[0], x, view, perm)


@lowers("SpaceToDepth")
def _s2d(ctx: LoweringContext):
    x = ctx.inputs[0]
    view, perm = D.space_to_depth_view(x.shape, ctx.attrs["block_size"], ctx.attrs["mode"])
    permute_copy(ctx, ctx.outputs[0], x, view, perm)


# -- Gather family --------------------------------------------------------------------------------------------

@lowers("Gather")
def _gather(ctx: LoweringContext):
    data, idx, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    if out.numel == 0:
        return
    axis = _const_ints(ctx, 2)[0] % data.rank
    b = ctx.attrs["batch_dims"]
    b = b + idx.rank if b < 0 else b
    B = int(np.prod(data.shape[:b], dtype=np.int64))
    P = int(np.prod(data.shape[b:axis], dtype=np.int64))
    A = data.shape[axis]
    K = int(np.prod(data.shape[axis + 1:], dtype=np.int64))
    M = int(np.prod(idx.shape[b:], dtype=np.int64))
    V = _vec(K, data.type.size)
    table = ctx.weights(0) if data.type.name == "f32" else None
    half = table is not None and half_weights(ctx, table)
    if half:        # an f16-exact constant table (FP16 IR's embeddings): f16 on the device, decoded by the kernel
        data = ctx.constant(np.asarray(table).astype(np.float16), f"{ctx.node.name}/table_f16")
    gsize, lsize = sizes_2d(K // V, B * P * M)
    ctx.launch("data_gather.cl.mako", gsize, lsize, [out, data, idx], T=raw(data.type), IT=ctype(idx.type),
               idx=_idx(data.numel, out.numel), B=B, P=P, M=M, A=A, K=K, V=V, half=half)


@lowers("GatherElements")
def _gather_elements(ctx: LoweringContext):
    data, idx, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    if out.numel == 0:
        return
    axis = ctx.attrs["axis"] % data.rank
    gsize, lsize = linear_sizes(out.numel, 64)
    ctx.launch("data_gather_elements.cl.mako", gsize, lsize, [out, data, idx], T=raw(data.type),
               IT=ctype(idx.type), idx=_idx(data.numel, out.numel), shape=list(idx.shape),
               dstrides=contiguous_strides(data.shape), axis=axis, A=data.shape[axis], n=out.numel)


@lowers("GatherND")
def _gather_nd(ctx: LoweringContext):
    data, idx, out = ctx.inputs[0], ctx.inputs[1], ctx.outputs[0]
    if out.numel == 0:
        return
    b = ctx.attrs["batch_dims"]
    k = idx.shape[-1]
    B = int(np.prod(data.shape[:b], dtype=np.int64))
    M = int(np.prod(idx.shape[b:-1], dtype=np.int64))
    S = int(np.prod(data.shape[b + k:], dtype=np.int64))
    st = contiguous_strides(data.shape)
    BS = int(np.prod(data.shape[b:], dtype=np.int64))
    V = _vec(S, data.type.size)
    gsize, lsize = sizes_2d(S // V, B * M)
    ctx.launch("data_gather_nd.cl.mako", gsize, lsize, [out, data, idx], T=raw(data.type), IT=ctype(idx.type),
               idx=_idx(data.numel, out.numel, idx.numel), B=B, M=M, Kt=k, S=S, V=V, BS=BS,
               dims=list(data.shape[b:b + k]), strides=st[b:b + k])


# -- Scatter family -------------------------------------------------------------------------------------------

def _scatter_start(ctx: LoweringContext):
    """What the Scatter family shares: the output starts as a copy of the data, then the updates land on it; a
    KV-cache append (``STATE_IN_PLACE``, lowering/state.py) lands them in the state buffer the data is a view of.
    (data, indices, updates, output), or None when there is nothing to update."""
    data, idx, upd = ctx.inputs[:3]
    out = ctx.outputs[0]
    if STATE_IN_PLACE in ctx.node.rt_info and data.storage.kind == "state":
        ctx.alias(0, data)
    else:
        emit_copy(ctx, out, data, [dim(out.numel, 1, 1)])
    return None if idx.numel == 0 or out.numel == 0 else (data, idx, upd, out)


@lowers("ScatterElementsUpdate")
def _scatter_elements(ctx: LoweringContext):
    start = _scatter_start(ctx)
    if start is None:
        return
    data, idx, upd, out = start
    axis = _const_ints(ctx, 3)[0] % data.rank
    red = str(ctx.attrs["reduction"]).lower()
    ushape = list(idx.shape)
    full = red == "none"
    ncols = int(np.prod([n for k, n in enumerate(ushape) if full or k != axis], dtype=np.int64))
    gsize, lsize = linear_sizes(ncols, 64)
    ident = c_literal(D.reduction_identity(red, data.type.dtype if data.type.dtype is not None else np.float32), data.type) \
        if red not in ("none", "mean") else "0"
    args = [out, idx, upd]
    if red == "mean":
        args.append(ctx.temp(out.shape, Type.i32))
    ctx.launch("data_scatter_elements.cl.mako", gsize, lsize, args, t=data.type, IT=ctype(idx.type),
               idx=_idx(data.numel, upd.numel), ushape=ushape, ustrides=contiguous_strides(upd.shape),
               ostrides=contiguous_strides(out.shape), axis=axis, A=data.shape[axis], reduction=red,
               use_init=bool(ctx.attrs["use_init_val"]), ncols=ncols, ident=ident, full=full)


@lowers("ScatterNDUpdate")
def _scatter_nd(ctx: LoweringContext):
    start = _scatter_start(ctx)
    if start is None:
        return
    data, idx, upd, out = start
    k = idx.shape[-1]
    M = idx.numel // k if k else 0
    S = int(np.prod(data.shape[k:], dtype=np.int64))
    red = str(ctx.attrs["reduction"]).lower()
    seq = red != "none"
    if seq:
        gsize, lsize = linear_sizes(S, 64)
    else:
        gsize, lsize = sizes_2d(S, M)
    ctx.launch("data_scatter_nd.cl.mako", gsize, lsize, [out, idx, upd], t=data.type, IT=ctype(idx.type),
               idx=_idx(data.numel, upd.numel), M=M, Kt=k, S=S, dims=list(data.shape[:k]),
               strides=contiguous_strides(data.shape)[:k], reduction=red, seq=seq)


@lowers("ScatterUpdate")
def _scatter_update(ctx: LoweringContext):
    start = _scatter_start(ctx)
    if start is None:
        return
    data, idx, upd, out = start
    axis = _const_ints(ctx, 3)[0] % data.rank
    P, K = _outer_inner(data.shape, axis)
    M = idx.numel
    gsize, lsize = sizes_2d(K, P * M)
    ctx.launch("data_scatter_update.cl.mako", gsize, lsize, [out, idx, upd], T=raw(data.type),
               IT=ctype(idx.type), idx=_idx(data.numel, upd.numel), P=P, A=data.shape[axis], M=M, K=K)


# -- OneHot, Range --------------------------------------------------------------------------------------------

@lowers("OneHot")
def _onehot(ctx: LoweringContext):
    idx, _, on, off = ctx.inputs
    out = ctx.outputs[0]
    if out.numel == 0:
        return
    axis = ctx.attrs["axis"] % out.rank
    P, Q = _outer_inner(out.shape, axis)
    gsize, lsize = linear_sizes(out.numel, 64)
    ctx.launch("data_onehot.cl.mako", gsize, lsize, [out, idx, on, off], T=raw(out.type), IT=ctype(idx.type),
               idx=_idx(out.numel), P=P, D=out.shape[axis], Q=Q,
               normalize=ctx.attrs["negative_indices_mode"] == "normalize", n=out.numel)


@lowers("Range")
def _range(ctx: LoweringContext):
    start, _, step = ctx.inputs
    out = ctx.outputs[0]
    if out.numel == 0:
        return
    gsize, lsize = linear_sizes(out.numel, 64)
    ctx.launch("data_range.cl.mako", gsize, lsize, [out, start, step], t=out.type, st=start.type, pt=step.type,
               n=out.numel)


# -- Interpolate ----------------------------------------------------------------------------------------------

def _nearest_as_repeat(ctx, out: Value, x: Value, dims, tidx: np.ndarray) -> bool:
    """Nearest resizing by whole factors that repeats every source element k times (index = c // k) is a
    strided copy with a zero stride: no tables."""
    spec = []
    ost = contiguous_strides(out.shape)
    for (D_, ist, tab), o in zip(dims, ost):
        if tab is None:
            spec.append(dim(D_, o, ist))
            continue
        off, _ = tab
        spec.append((D_, o, ist, tidx[off:off + D_]))
    copy_dims = []
    for k, item in enumerate(spec):
        if isinstance(item, dict):
            copy_dims.append(item)
            continue
        D_, o, ist, table = item
        n = x.shape[k]
        if D_ % n or not np.array_equal(table, np.arange(D_) // (D_ // n)):
            return False
        rep = D_ // n
        copy_dims += [dim(n, rep * o, ist), dim(rep, o, 0)]
    emit_copy(ctx, out, x, copy_dims)
    return True


@lowers("Interpolate")
def _interpolate(ctx: LoweringContext):
    x, out = ctx.inputs[0], ctx.outputs[0]
    if out.numel == 0:
        return
    si, ai = D.interpolate_ports(ctx.node.version, ctx.attrs, len(ctx.inputs))
    ss = ctx.input_const(si)
    if ss is None:
        raise ctx.fail("scales/sizes must be constant")
    axes = _const_ints(ctx, ai) if ai is not None else None
    full = D.interpolate_attrs(ctx.node)
    coord = ctx.input_const(2) if full["_given_scales"] else None
    if full["_given_scales"] and coord is None:
        raise ctx.fail("the coordinate scales must be constant")
    out_shape, scales, _ = D.interpolate_plan(ctx.attrs, x.shape, ss, axes, coord)
    ist = contiguous_strides(x.shape)
    nearest = ctx.attrs["mode"] == "nearest"
    tidx, tw, dims = [], [], []
    off = 0
    for a in range(x.rank):
        if out_shape[a] == x.shape[a] and scales[a] == 1.0:
            dims.append((out_shape[a], ist[a], None))
            continue
        i, w = D.interpolate_taps(x.shape[a], out_shape[a], scales[a], full)
        T = i.shape[1]
        tidx.append(i.reshape(-1).astype(np.int32))
        tw.append(w.reshape(-1).astype(np.float32))
        dims.append((out_shape[a], ist[a], (off, T)))
        off += i.size
    if not tidx:
        emit_copy(ctx, out, x, [dim(out.numel, 1, 1)])
        return
    if nearest and _nearest_as_repeat(ctx, out, x, dims, np.concatenate(tidx)):
        return
    ti = ctx.constant(np.concatenate(tidx), f"{ctx.node.name}/taps")
    twv = ctx.constant(np.concatenate(tw), f"{ctx.node.name}/weights")
    R = out.numel // out.shape[-1]
    gsize, lsize = sizes_2d(out.shape[-1], R)
    ctx.launch("data_interpolate.cl.mako", gsize, lsize, [out, x, ti, twv], t=x.type,
               idx=_idx(out.numel, x.numel), R=R, dims=dims, nearest=nearest)


# -- ReverseSequence ------------------------------------------------------------------------------------------

@lowers("ReverseSequence")
def _reverse_sequence(ctx: LoweringContext):
    x, lens = ctx.inputs
    out = ctx.outputs[0]
    if out.numel == 0:
        return
    ba, sa = ctx.attrs["batch_axis"] % x.rank, ctx.attrs["seq_axis"] % x.rank
    gsize, lsize = linear_sizes(out.numel, 64)
    ctx.launch("data_reverse_sequence.cl.mako", gsize, lsize, [out, x, lens], T=raw(x.type), LT=ctype(lens.type),
               idx=_idx(out.numel), shape=list(x.shape), strides=contiguous_strides(x.shape), ba=ba, sa=sa,
               n=out.numel)


# -- SelectBranch ---------------------------------------------------------------------------------------------

@lowers("SelectBranch")
def _select_branch(ctx: LoweringContext):
    """Planned once the condition is a constant (a value cut before it): a view of the chosen input."""
    c = ctx.input_const(1)
    if c is None:
        raise ctx.fail("the condition must be known when planning (a value cut resolves it)")
    ctx.alias(0, ctx.inputs[0 if bool(np.asarray(c).reshape(-1)[0]) else 2])
