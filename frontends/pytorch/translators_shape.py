"""ATen shape and data-movement ops: sizes, view/reshape, permute, expand, cat, slicing and indexing,
gather/embedding, arange/full, split, cumsum, pad. Dynamic sizes go through ShapeOf/Gather/Concat subgraphs
that ovcl folds to constants when it specialises a model to concrete input shapes."""
from __future__ import annotations

import operator

import numpy as np

from ovcl.ir import Output, Type

from .graph import INT64_MAX, NodeContext, torch_op


def _norm(d: int, rank: int) -> int:
    return d + rank if d < 0 else d


@torch_op("aten.sym_size.int")
def _sym_size(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.dim(x, _norm(int(ctx.arg(1)), ctx.rank(x)))


@torch_op("aten.sym_numel.default", "aten.numel.default")
def _numel(ctx):
    x = ctx.input(0)
    return ctx.make("ReduceProd", [ctx.shape_of(x), ctx.i64([0])], keep_dims=False)


@torch_op("operator.getitem")
def _getitem(ctx):
    seq, i = ctx.arg(0), ctx.arg(1)
    if isinstance(seq, Output):
        raise ctx.fail("indexing a tensor with getitem is not supported")
    return seq[i]


@torch_op("aten.view.default", "aten._unsafe_view.default", "aten.reshape.default", "aten.view_copy.default",
          "aten._reshape_copy.default")
def _view(ctx):
    x = ctx.input(0)
    sizes = list(ctx.arg(1))
    if any(isinstance(s, Output) for s in sizes) and not any(not isinstance(s, Output) and s == 0 for s in sizes):
        # a dynamic size that is the input's own size at that position becomes 0 (copy) with special_zero:
        # the target stays a constant, so shape inference keeps the static dimensions
        src, dst = ctx.val(0).shape, ctx.out_val.shape
        same = [isinstance(s, Output) and k < len(src) and _same_size(src[k], dst[k]) for k, s in enumerate(sizes)]
        if any(same):
            sizes = [0 if same[k] else s for k, s in enumerate(sizes)]
            return ctx.make("Reshape", [x, ctx.shape_vector(sizes)], special_zero=True)
    return ctx.make("Reshape", [x, ctx.shape_vector(sizes)], special_zero=False)


def _same_size(a, b) -> bool:
    """Whether two torch sizes (ints or SymInts) are the same symbol or number."""
    ea, eb = getattr(getattr(a, "node", None), "expr", a), getattr(getattr(b, "node", None), "expr", b)
    try:
        return bool(ea == eb)
    except Exception:  # noqa: BLE001
        return False


@torch_op("aten.flatten.using_ints")
def _flatten(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    if r == 0:
        return ctx.make("Reshape", [x, ctx.i64([1])], special_zero=False)
    s, e = _norm(ctx.arg(1, 0), r), _norm(ctx.arg(2, -1), r)
    if s == e:
        return x
    items = [0] * s + [-1] + [ctx.dim(x, k) for k in range(e + 1, r)]
    return ctx.make("Reshape", [x, ctx.shape_vector(items)], special_zero=True)


@torch_op("aten.unflatten.int")
def _unflatten(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    d = _norm(ctx.arg(1), r)
    items = [ctx.dim(x, k) for k in range(d)] + list(ctx.arg(2)) + [ctx.dim(x, k) for k in range(d + 1, r)]
    return ctx.make("Reshape", [x, ctx.shape_vector(items)], special_zero=False)


@torch_op("aten.permute.default", "aten.permute_copy.default")
def _permute(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    perm = [_norm(int(p), r) for p in ctx.arg(1)]
    if perm == list(range(r)):
        return x
    return ctx.make("Transpose", [x, ctx.i64(perm)])


@torch_op("aten.transpose.int", "aten.transpose_copy.int")
def _transpose(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    a, b = _norm(ctx.arg(1), r), _norm(ctx.arg(2), r)
    perm = list(range(r))
    perm[a], perm[b] = perm[b], perm[a]
    if a == b:
        return x
    return ctx.make("Transpose", [x, ctx.i64(perm)])


@torch_op("aten.t.default", "aten.numpy_T.default")
def _t(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    if r < 2:
        return x
    return ctx.make("Transpose", [x, ctx.i64(list(range(r))[::-1])])


@torch_op("aten.unsqueeze.default", "aten.unsqueeze_copy.default")
def _unsqueeze(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(1)), ctx.rank(x) + 1)
    return ctx.make("Unsqueeze", [x, ctx.i64([d])])


@torch_op("aten.squeeze.dim", "aten.squeeze.dims", "aten.squeeze.default", "aten.squeeze_copy.dim",
          "aten.squeeze_copy.dims")
def _squeeze(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    val = ctx.val(0)
    if ctx.op_name.endswith("default"):
        dims = list(range(r))
    else:
        d = ctx.arg(1)
        dims = [d] if isinstance(d, int) else list(d)
    # torch squeezes only the listed dims that are 1; torch's meta shape says which they are
    keep = []
    for d in dims:
        d = _norm(d, r)
        size = val.shape[d]
        if _is_one(size):
            keep.append(d)
    if not keep:
        return x
    return ctx.make("Squeeze", [x, ctx.i64(sorted(keep))])


def _is_one(size) -> bool:
    try:
        return int(size) == 1 and not _symbolic(size)
    except Exception:  # noqa: BLE001
        return False


def _symbolic(v) -> bool:
    import torch
    return isinstance(v, torch.SymInt) and not getattr(v.node.expr, "is_number", False)


@torch_op("aten.expand.default", "aten.expand_copy.default", "aten.broadcast_to.default")
def _expand(ctx):
    x = ctx.input(0)
    sizes = list(ctx.arg(1))
    r = ctx.rank(x)
    n = len(sizes)
    items = []
    src = ctx.val(0).shape
    for k, s in enumerate(sizes):
        j = k - (n - r)              # the input dimension aligned with this one
        if not isinstance(s, Output) and s == -1:
            items.append(1)          # bidirectional broadcast keeps the input's dimension
        elif isinstance(s, Output) and j >= 0 and _same_size(src[j], ctx.out_val.shape[k]):
            items.append(1)          # the input already has this (dynamic) size
        else:
            items.append(s)
    if n == r and all(not isinstance(s, Output) and s == 1 for s in items) and \
            all(not isinstance(s, Output) and s in (-1, 1) for s in sizes) and \
            all(s == -1 or _same_size(src[k], 1) for k, s in enumerate(sizes)):
        return x
    return ctx.make("Broadcast", [x, ctx.shape_vector(items)], mode="bidirectional")


@torch_op("aten.expand_as.default")
def _expand_as(ctx):
    x, y = ctx.input(0), ctx.input(1)
    return ctx.make("Broadcast", [x, ctx.shape_of(y)], mode="bidirectional")


@torch_op("aten.cat.default", "aten.concat.default", "aten.concatenate.default")
def _cat(ctx):
    t = ctx.out_type
    vals = ctx.val(0)
    ins = []
    for v, m in zip(ctx.arg(0), vals):
        if m is not None and m.dim() == 1 and _is_zero(m.shape[0]):
            continue                 # torch allows empty 1-D tensors in cat with any shape
        ins.append(ctx.tensor(v, t))
    if not ins:
        return ctx.tensor(ctx.arg(0)[0], t)
    if len(ins) == 1:
        return ins[0]
    r = ctx.rank(ins[0])
    return ctx.make("Concat", ins, axis=_norm(int(ctx.arg(1, 0)), r))


def _is_zero(size) -> bool:
    try:
        return not _symbolic(size) and int(size) == 0
    except Exception:  # noqa: BLE001
        return False


@torch_op("aten.stack.default")
def _stack(ctx):
    t = ctx.out_type
    ins = [ctx.tensor(v, t) for v in ctx.arg(0)]
    d = _norm(int(ctx.arg(1, 0)), ctx.rank(ins[0]) + 1)
    parts = [ctx.make("Unsqueeze", [x, ctx.i64([d])], f"u{k}") for k, x in enumerate(ins)]
    return parts[0] if len(parts) == 1 else ctx.make("Concat", parts, axis=d)


@torch_op("aten.slice.Tensor", "aten.slice_copy.Tensor")
def _slice(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    d = _norm(int(ctx.arg(1, 0)), r)
    start, end, step = ctx.arg(2), ctx.arg(3), ctx.arg(4, 1)
    start = 0 if start is None else start
    end = INT64_MAX if end is None else end
    if not isinstance(start, Output) and not isinstance(end, Output) and start == 0 and end >= INT64_MAX \
            and step == 1:
        return x
    if not isinstance(start, Output) and not isinstance(end, Output) and start == 0 and step == 1:
        size = ctx.dim(x, d)
        if isinstance(size, int) and end >= size:
            return x
    return ctx.make("Slice", [x, ctx.shape_vector([start]), ctx.shape_vector([end]), ctx.shape_vector([step]),
                              ctx.i64([d])])


@torch_op("aten.select.int", "aten.select_copy.int")
def _select(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(1)), ctx.rank(x))
    return ctx.make("Gather", [x, ctx.scalar(ctx.arg(2)), ctx.i64(d)])


@torch_op("aten.narrow.default")
def _narrow(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(1)), ctx.rank(x))
    start, length = ctx.arg(2), ctx.arg(3)
    end = operator.add(start, length) if not isinstance(start, Output) and not isinstance(length, Output) else \
        ctx.make("Add", [ctx.scalar(start), ctx.scalar(length)], "end")
    return ctx.make("Slice", [x, ctx.shape_vector([start]), ctx.shape_vector([end]), ctx.i64([1]), ctx.i64([d])])


@torch_op("aten.index_select.default")
def _index_select(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(1)), ctx.rank(x))
    return ctx.make("Gather", [x, ctx.input(2), ctx.i64(d)])


@torch_op("aten.embedding.default")
def _embedding(ctx):
    return ctx.make("Gather", [ctx.input(0), ctx.input(1), ctx.i64(0)])


@torch_op("aten.gather.default")
def _gather(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(1)), ctx.rank(x))
    idx = ctx.convert(ctx.input(2), Type.i64)
    return ctx.make("GatherElements", [x, idx], axis=d)


def _normalize_index(ctx, idx: Output, size, k: int) -> Output:
    """Negative indices counted from the end (Gather on a flattened tensor would not wrap them)."""
    if idx.node.type_name == "Constant":
        v = idx.node.value
        if (v >= 0).all():
            return idx
        if isinstance(size, int):
            return ctx.const(np.where(v < 0, v + size, v).astype(np.int64))
    neg = ctx.make("Less", [idx, ctx.i64(0)], f"neg{k}")
    return ctx.make("Select", [neg, ctx.make("Add", [idx, ctx.scalar(size)], f"wrap{k}"), idx], f"idx{k}")


@torch_op("aten.index.Tensor", "aten._unsafe_index.Tensor")
def _index(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    raw = list(ctx.arg(1))
    metas = list(ctx.val(1))
    pos = [k for k, i in enumerate(raw) if i is not None]
    if not pos:
        return x
    for k in pos:
        if metas[k].dtype.is_floating_point:
            raise ctx.fail("float index tensor")
        if str(metas[k].dtype) in ("torch.bool", "torch.uint8"):
            raise ctx.fail("indexing with a boolean mask gives a data-dependent shape; ovcl cannot translate it")
    idx = [ctx.convert(ctx.tensor(raw[k]), Type.i64) for k in pos]
    if len(pos) == 1:
        return ctx.make("Gather", [x, idx[0], ctx.i64(pos[0])])
    # several index tensors: broadcast them, flatten the indexed axes (moved to the front) and gather once
    idx_rank = max(metas[k].dim() for k in pos)
    consecutive = pos == list(range(pos[0], pos[0] + len(pos)))
    rest = [k for k in range(r) if k not in pos]
    perm = pos + rest
    xt = x if perm == list(range(r)) else ctx.make("Transpose", [x, ctx.i64(perm)], "front")
    sizes = [ctx.dim(x, k) for k in pos]
    flat = None
    for j, (i, size) in enumerate(zip(idx, sizes)):
        i = _normalize_index(ctx, i, size, j)
        stride_parts = sizes[j + 1:]
        if stride_parts:
            stride = _product(ctx, stride_parts, j)
            i = ctx.make("Multiply", [i, ctx.scalar(stride)], f"stride{j}")
        flat = i if flat is None else ctx.make("Add", [flat, i], f"flat{j}")
    target = [-1] + [ctx.dim(x, k) for k in rest]
    xf = ctx.make("Reshape", [xt, ctx.shape_vector(target)], "flatten", special_zero=False)
    out = ctx.make("Gather", [xf, flat, ctx.i64(0)])
    if consecutive and pos[0] > 0:
        nb = pos[0]
        order = [idx_rank + j for j in range(nb)] + list(range(idx_rank)) + \
                [idx_rank + j for j in range(nb, len(rest))]
        out = ctx.make("Transpose", [out, ctx.i64(order)], "place")
    return out


def _product(ctx, parts, j):
    if all(isinstance(p, int) for p in parts):
        return int(np.prod(parts))
    acc = ctx.scalar(parts[0])
    for k, p in enumerate(parts[1:]):
        acc = ctx.make("Multiply", [acc, ctx.scalar(p)], f"size{j}_{k}")
    return acc


@torch_op("aten.arange.start_step", "aten.arange.start", "aten.arange.default", "aten.arange.start_out")
def _arange(ctx):
    t = ctx.out_type
    if ctx.op_name.endswith(".default"):
        start, end, step = 0, ctx.arg(0), 1
    elif ctx.op_name.endswith(".start"):
        start, end, step = ctx.arg(0), ctx.arg(1), 1
    else:
        start, end, step = ctx.arg(0), ctx.arg(1), ctx.arg(2, 1)
    if not any(isinstance(v, Output) for v in (start, end, step)):
        return ctx.const(np.arange(start, end, step).astype(t.dtype))
    st = t if t.is_real() else Type.i64
    return ctx.make("Range", [ctx.scalar(start, st), ctx.scalar(end, st), ctx.scalar(step, st)],
                    output_type=t.name)


def _full(ctx, shape_items, value, t: Type):
    if isinstance(value, Output):
        v = ctx.scalar(value, t)
    else:
        v = None
    if v is None and all(not isinstance(s, Output) for s in shape_items):
        return ctx.const(np.full([int(s) for s in shape_items], value, dtype=t.dtype))
    if v is None:
        v = ctx.const(np.asarray(value, dtype=t.dtype))
    return ctx.make("Broadcast", [v, ctx.shape_vector(shape_items)], mode="numpy")


@torch_op("aten.full.default", "aten.zeros.default", "aten.ones.default", "aten.empty.memory_format",
          "aten.empty.default")
def _full_op(ctx):
    name = ctx.op_name.split(".")[1]
    value = {"zeros": 0, "ones": 1, "empty": 0}.get(name)
    if value is None:
        value = ctx.arg(1)
    return _full(ctx, list(ctx.arg(0)), value, ctx.out_type)


@torch_op("aten.full_like.default", "aten.zeros_like.default", "aten.ones_like.default",
          "aten.empty_like.default")
def _full_like(ctx):
    name = ctx.op_name.split(".")[1]
    value = {"zeros_like": 0, "ones_like": 1, "empty_like": 0}.get(name)
    if value is None:
        value = ctx.arg(1)
    x = ctx.input(0)
    t = ctx.out_type
    ps = x.get_partial_shape()
    if ps.is_static and not isinstance(value, Output):
        return ctx.const(np.full(ps.to_shape(), value, dtype=t.dtype))
    v = ctx.scalar(value, t) if isinstance(value, Output) else ctx.const(np.asarray(value, dtype=t.dtype))
    return ctx.make("Broadcast", [v, ctx.shape_of(x)], mode="numpy")


@torch_op("aten.new_full.default", "aten.new_zeros.default", "aten.new_ones.default", "aten.new_empty.default")
def _new_full(ctx):
    name = ctx.op_name.split(".")[1]
    value = {"new_zeros": 0, "new_ones": 1, "new_empty": 0}.get(name)
    if value is None:
        value = ctx.arg(2)
    return _full(ctx, list(ctx.arg(1)), value, ctx.out_type)


def _split_at(ctx, x, d, bounds):
    outs = []
    for k, (s, e) in enumerate(bounds):
        outs.append(ctx.make("Slice", [x, ctx.shape_vector([s]), ctx.shape_vector([e]), ctx.i64([1]),
                                       ctx.i64([d])], f"part{k}"))
    return outs


@torch_op("aten.split_with_sizes.default", "aten.split_with_sizes_copy.default")
def _split_sizes(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(2, 0)), ctx.rank(x))
    bounds = []
    pos = 0
    for k, s in enumerate(ctx.arg(1)):
        if isinstance(pos, Output) or isinstance(s, Output):
            end = ctx.make("Add", [ctx.scalar(pos), ctx.scalar(s)], f"end{k}")
        else:
            end = pos + s
        bounds.append((pos, end))
        pos = end
    return _split_at(ctx, x, d, bounds)


@torch_op("aten.split.Tensor", "aten.split_copy.Tensor")
def _split(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(2, 0)), ctx.rank(x))
    size = ctx.arg(1)
    n = len(ctx.out_val)
    if isinstance(size, Output):
        raise ctx.fail("split with a dynamic split size")
    bounds = [(k * size, (k + 1) * size if k < n - 1 else INT64_MAX) for k in range(n)]
    return _split_at(ctx, x, d, bounds)


@torch_op("aten.unbind.int", "aten.unbind_copy.int")
def unbind_arguments(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(1, 0)), ctx.rank(x))
    n = len(ctx.out_val)
    return [ctx.make("Gather", [x, ctx.i64(k), ctx.i64(d)], f"item{k}") for k in range(n)]


@torch_op("aten.chunk.default")
def _chunk(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(2, 0)), ctx.rank(x))
    n = len(ctx.out_val)
    sizes = [int(v.shape[d]) for v in ctx.out_val]
    pos, bounds = 0, []
    for k, s in enumerate(sizes):
        bounds.append((pos, pos + s if k < n - 1 else INT64_MAX))
        pos += s
    return _split_at(ctx, x, d, bounds)


@torch_op("aten.cumsum.default")
def _cumsum(ctx):
    t = ctx.out_type
    x = ctx.input(0, t)
    d = _norm(int(ctx.arg(1)), max(ctx.rank(x), 1))
    return ctx.make("CumSum", [x, ctx.i64(d)])


@torch_op("aten.repeat.default")
def _repeat(ctx):
    x = ctx.input(0)
    reps = list(ctx.arg(1))
    r = ctx.rank(x)
    if len(reps) > r:
        x = ctx.make("Reshape", [x, ctx.shape_vector([1] * (len(reps) - r) + [ctx.dim(x, k) for k in range(r)])],
                     "rank", special_zero=False)
    return ctx.make("Tile", [x, ctx.shape_vector(reps)])


@torch_op("aten.constant_pad_nd.default")
def _pad(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    pad = list(ctx.arg(1))
    value = ctx.arg(2, 0)
    begin, end = [0] * r, [0] * r
    for k in range(len(pad) // 2):
        begin[r - 1 - k] = pad[2 * k]
        end[r - 1 - k] = pad[2 * k + 1]
    t = x.get_element_type()
    return ctx.make("Pad", [x, ctx.shape_vector(begin), ctx.shape_vector(end),
                            ctx.const(np.asarray(value, dtype=t.dtype))], pad_mode="constant")


@torch_op("aten.flip.default")
def _flip(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    out = x
    for d in ctx.arg(1):
        d = _norm(d, r)
        out = ctx.make("Slice", [out, ctx.i64([-1]), ctx.i64([-INT64_MAX]), ctx.i64([-1]), ctx.i64([d])], f"flip{d}")
    return out


@torch_op("aten.tril.default", "aten.triu.default")
def _tri(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    k = ctx.arg(1, 0)
    rows = ctx.make("Range", [ctx.i64(0), ctx.scalar(ctx.dim(x, r - 2)), ctx.i64(1)], "rows", output_type="i64")
    cols = ctx.make("Range", [ctx.i64(0), ctx.scalar(ctx.dim(x, r - 1)), ctx.i64(1)], "cols", output_type="i64")
    rows = ctx.make("Unsqueeze", [rows, ctx.i64([1])], "rows2")
    rk = ctx.make("Add", [rows, ctx.scalar(k)], "diag")
    # tril keeps col <= row + k, triu keeps col >= row + k
    keep = ctx.make("GreaterEqual" if "tril" in ctx.op_name else "LessEqual", [rk, cols], "keep")
    zero = ctx.const(np.asarray(0, dtype=x.get_element_type().dtype))
    return ctx.make("Select", [keep, x, zero])
