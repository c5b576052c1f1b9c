"""Shape and data-movement ops: Transpose, Concat, Split, VariadicSplit, Slice, StridedSlice, the Gather and
Scatter families, Broadcast, Tile, Pad, Range, DepthToSpace, SpaceToDepth, OneHot, Interpolate,
ReverseSequence, Roll, Reverse.

Shapes that depend on an input's value are inferred when that input is a Constant (``node.input_const``);
otherwise the output keeps a dynamic shape until specialisation folds the producer. The NumPy ``evaluate``
of each op is the constant-folding and test reference.
"""
from __future__ import annotations

import math

import numpy as np

from ..node import IRError, Node
from ..shape import Dimension, PartialShape
from ..types import Type, as_type
from .registry import Op, SameShapeOp, broadcast_shapes, normalize_axis, register


def _ints(node: Node, i: int) -> list[int] | None:
    v = node.input_known(i)
    return None if v is None else [int(a) for a in np.asarray(v).reshape(-1).tolist()]


def _rank(ps: PartialShape) -> int | None:
    return None if ps.rank_is_dynamic else len(ps)


def _dyn(node: Node, rank: int | None, t: Type | None = None, n: int = 1):
    return [(t or node.input_type(0), PartialShape.dynamic(rank)) for _ in range(n)]


def _fail(node: Node, why: str) -> IRError:
    return IRError(f"{node.type_name} node '{node.name}': {why}")


# -- Transpose ------------------------------------------------------------------------------------------------

def transpose_order(order: list[int], rank: int) -> list[int]:
    if not order:
        return list(range(rank))[::-1]
    return [a + rank if a < 0 else a for a in order]


@register
class Transpose(Op):
    type_name = "Transpose"
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        order = _ints(node, 1)
        if src.rank_is_dynamic or order is None:
            return _dyn(node, _rank(src))
        perm = transpose_order(order, len(src))
        if sorted(perm) != list(range(len(src))):
            raise _fail(node, f"order {order} is not a permutation of rank {len(src)}")
        return [(node.input_type(0), PartialShape([src[p] for p in perm]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, order = inputs
        return [np.ascontiguousarray(np.transpose(x, transpose_order([int(a) for a in order.reshape(-1)], x.ndim)))]


# -- Concat / Split -------------------------------------------------------------------------------------------

@register
class Concat(Op):
    type_name = "Concat"
    attrs = {"axis": 0}
    num_inputs = (1, None)

    @classmethod
    def infer(cls, node):
        shapes = [node.input_shape(i) for i in range(node.get_input_size())]
        known = [s for s in shapes if not s.rank_is_dynamic]
        if not known:
            return _dyn(node, None)
        rank = len(known[0])
        axis = normalize_axis(node.attrs["axis"], rank, node)
        dims = []
        for k in range(rank):
            if k == axis:
                total = Dimension(0)
                for s in shapes:
                    total = total + (Dimension() if s.rank_is_dynamic else s[k])
                dims.append(total)
            else:
                ds = [s[k] for s in known if s[k].is_static]
                dims.append(ds[0] if ds else Dimension())
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        axis = node.attrs["axis"]
        return [np.concatenate(inputs, axis=axis if axis >= 0 else axis + inputs[0].ndim)]


def _split_out(node, lengths: list[int] | None, axis_input: int = 1):
    src = node.input_shape(0)
    n = node.attrs["num_splits"] if lengths is None else len(lengths)
    axis_v = _ints(node, axis_input)
    if src.rank_is_dynamic or axis_v is None:
        return _dyn(node, _rank(src), n=n)
    axis = normalize_axis(axis_v[0], len(src), node)
    d = src[axis]
    outs = []
    if lengths is None:
        if d.is_static and d.min % n:
            raise _fail(node, f"dimension {d} is not divisible into {n} splits")
        part = Dimension(d.min // n) if d.is_static else Dimension()
        lens = [part] * n
    else:
        if lengths.count(-1) > 1:
            raise _fail(node, "split_lengths holds more than one -1")
        lens = []
        for v in lengths:
            if v == -1:
                if d.is_static:
                    lens.append(Dimension(d.min - sum(x for x in lengths if x != -1)))
                else:
                    lens.append(Dimension())
            else:
                lens.append(Dimension(v))
    for ln in lens:
        dims = list(src)
        dims[axis] = ln
        outs.append((node.input_type(0), PartialShape(dims)))
    return outs


@register
class Split(Op):
    type_name = "Split"
    attrs = {"num_splits": 1}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        return _split_out(node, None)

    @classmethod
    def evaluate(cls, node, inputs):
        x, axis = inputs
        return [np.ascontiguousarray(p) for p in np.split(x, node.attrs["num_splits"], axis=int(axis.reshape(-1)[0]))]


def variadic_lengths(lengths: list[int], dim: int) -> list[int]:
    if -1 in lengths:
        rest = dim - sum(v for v in lengths if v != -1)
        lengths = [rest if v == -1 else v for v in lengths]
    return lengths


@register
class VariadicSplit(Op):
    type_name = "VariadicSplit"
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        lengths = _ints(node, 2)
        if lengths is None:
            n = node.input_shape(2)
            if not n.rank_is_dynamic and n[0].is_static:
                return _dyn(node, _rank(node.input_shape(0)), n=n[0].min)
            raise _fail(node, "the number of outputs is unknown (split_lengths has a dynamic shape)")
        return _split_out(node, lengths)

    @classmethod
    def evaluate(cls, node, inputs):
        x, axis, lengths = inputs
        axis = int(axis.reshape(-1)[0]) % x.ndim
        lens = variadic_lengths([int(v) for v in lengths.reshape(-1)], x.shape[axis])
        return [np.ascontiguousarray(p) for p in np.split(x, np.cumsum(lens)[:-1], axis=axis)]


# -- Slice / StridedSlice -------------------------------------------------------------------------------------

def slice8_plan(shape, start, stop, step, axes=None):
    """Per-dimension Python slices of Slice-8 (ONNX Slice semantics: clamped, any sign of step)."""
    rank = len(shape)
    if axes is None:
        axes = list(range(len(start)))
    sl = [slice(None)] * rank
    for s, e, st, a in zip(start, stop, step, axes):
        a = a + rank if a < 0 else a
        if st == 0:
            raise ValueError("Slice step must not be 0")
        big = 1 << 62
        s = max(min(s, big), -big)
        e = max(min(e, big), -big)
        sl[a] = slice(s, e, st)
    return sl


@register
class Slice(Op):
    type_name = "Slice"
    version = "opset8"
    num_inputs = (4, 5)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        vals = [_ints(node, i) for i in range(1, node.get_input_size())]
        if src.rank_is_dynamic:
            return _dyn(node, None)
        if any(v is None for v in vals):
            return _dyn(node, len(src))
        start, stop, step = vals[:3]
        axes = vals[3] if len(vals) > 3 else None
        plan = slice8_plan([d.to_int() for d in src], start, stop, step, axes)
        dims = []
        for d, s in zip(src, plan):
            if s == slice(None):
                dims.append(d)
            elif d.is_static:
                dims.append(Dimension(len(range(*s.indices(d.min)))))
            else:
                dims.append(Dimension())
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        vals = [[int(a) for a in v.reshape(-1)] for v in inputs[1:]]
        plan = slice8_plan(x.shape, *vals[:3], vals[3] if len(vals) > 3 else None)
        return [np.ascontiguousarray(x[tuple(plan)])]


def _mask(m, k):
    return k < len(m) and int(m[k]) == 1


def strided_slice_plan(rank: int, begin, end, stride, attrs):
    """NumPy indexing items for StridedSlice: slices, ``None`` (new axis), ints (shrunk) and ``Ellipsis``."""
    bm, em = attrs["begin_mask"], attrs["end_mask"]
    nm, sm, elm = attrs["new_axis_mask"], attrs["shrink_axis_mask"], attrs["ellipsis_mask"]
    items = []
    seen_ellipsis = False
    for k in range(len(begin)):
        if _mask(elm, k) and not seen_ellipsis:
            items.append(Ellipsis)
            seen_ellipsis = True
        elif _mask(nm, k):
            items.append(None)
        elif _mask(sm, k):
            items.append(("shrink", int(begin[k])))
        else:
            st = int(stride[k]) if stride is not None else 1
            if st == 0:
                raise ValueError("StridedSlice stride must not be 0")
            items.append(slice(None if _mask(bm, k) else int(begin[k]), None if _mask(em, k) else int(end[k]), st))
    # expand the ellipsis (or append one) to cover the input rank
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    fill = max(rank - consumed, 0)
    out = []
    for it in items:
        if it is Ellipsis:
            out.extend([slice(None)] * fill)
            fill = 0
        else:
            out.append(it)
    out.extend([slice(None)] * fill)
    return out


def strided_slice_resolve(shape, plan):
    """From a plan and a static input shape: per input dim (start, step, count), and the output shape."""
    per_dim = []
    out_shape = []
    d = 0
    for it in plan:
        if it is None:
            out_shape.append(1)
            continue
        n = shape[d]
        if isinstance(it, tuple):
            i = it[1] + n if it[1] < 0 else it[1]
            if not 0 <= i < n:
                raise ValueError(f"shrink index {it[1]} out of range for dimension {n}")
            per_dim.append((i, 1, 1))
        else:
            s, e, st = it.indices(n)
            cnt = len(range(s, e, st))
            per_dim.append((s, st, cnt))
            out_shape.append(cnt)
        d += 1
    return per_dim, out_shape


@register
class StridedSlice(Op):
    type_name = "StridedSlice"
    attrs = {"begin_mask": [], "end_mask": [], "new_axis_mask": [], "shrink_axis_mask": [], "ellipsis_mask": []}
    num_inputs = (3, 4)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        b, e = _ints(node, 1), _ints(node, 2)
        s = _ints(node, 3) if node.get_input_size() > 3 else None
        if src.rank_is_dynamic or b is None or e is None or (node.get_input_size() > 3 and s is None):
            return _dyn(node, None)
        plan = strided_slice_plan(len(src), b, e, s, node.attrs)
        dims = []
        d = 0
        for it in plan:
            if it is None:
                dims.append(Dimension(1))
                continue
            dim = src[d]
            d += 1
            if isinstance(it, tuple):
                continue
            if it == slice(None):
                dims.append(dim)
            elif dim.is_static:
                dims.append(Dimension(len(range(*it.indices(dim.min)))))
            else:
                dims.append(Dimension())
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        b, e = inputs[1].reshape(-1).tolist(), inputs[2].reshape(-1).tolist()
        s = inputs[3].reshape(-1).tolist() if len(inputs) > 3 else None
        plan = strided_slice_plan(x.ndim, b, e, s, node.attrs)
        per_dim, out_shape = strided_slice_resolve(x.shape, plan)
        idx = tuple(slice(st, st + cnt * sp if st + cnt * sp >= 0 else None, sp) if cnt else slice(0, 0)
                    for st, sp, cnt in per_dim)
        return [np.ascontiguousarray(x[idx]).reshape(out_shape)]


# -- Gather family --------------------------------------------------------------------------------------------

def _wrap(idx: np.ndarray, n: int):
    idx = idx.astype(np.int64)
    idx = np.where(idx < 0, idx + n, idx)
    ok = (idx >= 0) & (idx < n)
    return np.where(ok, idx, 0), ok


@register
class Gather(Op):
    type_name = "Gather"
    version = "opset8"
    attrs = {"batch_dims": 0}
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        data, idx = node.input_shape(0), node.input_shape(1)
        axis_v = _ints(node, 2)
        if data.rank_is_dynamic or idx.rank_is_dynamic or axis_v is None:
            return _dyn(node, None)
        axis = normalize_axis(axis_v[0], len(data), node)
        b = node.attrs["batch_dims"]
        b = b + len(idx) if b < 0 else b
        if b > axis:
            raise _fail(node, f"batch_dims {b} exceeds axis {axis}")
        return [(node.input_type(0), PartialShape(list(data[:axis]) + list(idx[b:]) + list(data[axis + 1:])))]

    @classmethod
    def evaluate(cls, node, inputs):
        data, idx, axis = inputs
        axis = int(axis.reshape(-1)[0]) % data.ndim
        b = node.attrs["batch_dims"]
        b = b + idx.ndim if b < 0 else b
        B = int(np.prod(data.shape[:b], dtype=np.int64))
        pre = int(np.prod(data.shape[b:axis], dtype=np.int64))
        A = data.shape[axis]
        post = int(np.prod(data.shape[axis + 1:], dtype=np.int64))
        d = data.reshape(B, pre, A, post)
        i, ok = _wrap(idx.reshape(B, -1), A)
        out = np.stack([d[k][:, i[k], :] for k in range(B)]) if B else np.zeros((0, pre, i.shape[1], post), data.dtype)
        out = np.where(ok[:, None, :, None], out, np.zeros((), data.dtype))
        shape = list(data.shape[:axis]) + list(idx.shape[b:]) + list(data.shape[axis + 1:])
        return [out.astype(data.dtype).reshape(shape)]


@register
class GatherElements(Op):
    type_name = "GatherElements"
    version = "opset6"
    attrs = {"axis": 0}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        return [(node.input_type(0), node.input_shape(1))]

    @classmethod
    def evaluate(cls, node, inputs):
        data, idx = inputs
        axis = node.attrs["axis"] % data.ndim
        i, ok = _wrap(idx, data.shape[axis])
        out = np.take_along_axis(data, i, axis=axis) if data.size else np.zeros(idx.shape, data.dtype)
        return [np.where(ok, out, np.zeros((), data.dtype)).astype(data.dtype)]


@register
class GatherND(Op):
    type_name = "GatherND"
    version = "opset8"
    attrs = {"batch_dims": 0}
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        data, idx = node.input_shape(0), node.input_shape(1)
        if data.rank_is_dynamic or idx.rank_is_dynamic or idx[-1].is_dynamic:
            return _dyn(node, None)
        b = node.attrs["batch_dims"]
        k = idx[-1].min
        lead = list(idx[:-1])
        if node.version == "opset5" and b > 0:          # GatherND-5 flattens the batch dimensions
            flat = Dimension(1)
            for d in idx[:b]:
                flat = flat * d
            lead = [flat] + lead[b:]
        return [(node.input_type(0), PartialShape(lead + list(data[b + k:])))]

    @classmethod
    def evaluate(cls, node, inputs):
        data, idx = inputs
        b = node.attrs["batch_dims"]
        k = idx.shape[-1]
        B = int(np.prod(data.shape[:b], dtype=np.int64))
        d = data.reshape((B,) + data.shape[b:])
        ii = idx.reshape(B, -1, k).astype(np.int64)
        out = np.zeros((B, ii.shape[1]) + data.shape[b + k:], data.dtype)
        for bb in range(B):
            for j in range(ii.shape[1]):
                t = []
                ok = True
                for a in range(k):
                    v = int(ii[bb, j, a])
                    n = data.shape[b + a]
                    v = v + n if v < 0 else v
                    ok = ok and 0 <= v < n
                    t.append(v)
                if ok:
                    out[bb, j] = d[bb][tuple(t)]
        lead = tuple(idx.shape[:-1])
        if node.version == "opset5" and b > 0:
            lead = (B,) + lead[b:]
        return [out.reshape(lead + data.shape[b + k:])]


# -- Scatter family -------------------------------------------------------------------------------------------

_REDUCE = {"sum": np.add, "prod": np.multiply, "min": np.minimum, "max": np.maximum}


def reduction_identity(reduction: str, dtype):
    if reduction in ("sum", "mean"):
        return 0
    if reduction == "prod":
        return 1
    if np.dtype(dtype).kind == "f":
        return np.inf if reduction == "min" else -np.inf
    if np.dtype(dtype).kind == "b":
        return reduction == "min"
    info = np.iinfo(dtype)
    return info.max if reduction == "min" else info.min


@register
class ScatterElementsUpdate(SameShapeOp):
    type_name = "ScatterElementsUpdate"
    version = "opset12"
    attrs = {"reduction": "none", "use_init_val": True}
    num_inputs = (4, 4)

    @classmethod
    def evaluate(cls, node, inputs):
        data, idx, upd, axis = inputs
        axis = int(axis.reshape(-1)[0]) % data.ndim
        red = str(node.attrs["reduction"]).lower()
        out = data.copy()
        i, ok = _wrap(idx, data.shape[axis])
        coords = list(np.indices(idx.shape))
        coords[axis] = i
        coords = tuple(c[ok] for c in coords)
        u = upd[ok]
        if red == "none":
            out[coords] = u
            return [out]
        if not node.attrs["use_init_val"]:
            out[coords] = reduction_identity(red, data.dtype)
        if red == "mean":
            touched = np.zeros(data.shape, bool)
            touched[coords] = True
            acc = out.astype(np.float64)
            cnt = np.zeros(data.shape, np.int64)
            np.add.at(acc, coords, u.astype(np.float64))
            np.add.at(cnt, coords, 1)
            if node.attrs["use_init_val"]:
                cnt = cnt + touched
            res = np.where(touched, acc / np.maximum(cnt, 1), acc)
            if data.dtype.kind in "iu":
                res = np.trunc(res)         # integer division, as OpenVINO
            return [res.astype(data.dtype)]
        _REDUCE[red].at(out, coords, u)
        return [out]


def _nd_targets(data_shape, idx):
    k = idx.shape[-1]
    flat = idx.reshape(-1, k).astype(np.int64)
    res = []
    for row in flat:
        t, ok = [], True
        for a, v in enumerate(row):
            n = data_shape[a]
            v = int(v) + n if v < 0 else int(v)
            ok = ok and 0 <= v < n
            t.append(v)
        res.append(tuple(t) if ok else None)
    return res


@register
class ScatterNDUpdate(SameShapeOp):
    type_name = "ScatterNDUpdate"
    version = "opset15"
    attrs = {"reduction": "none"}
    num_inputs = (3, 3)

    @classmethod
    def evaluate(cls, node, inputs):
        data, idx, upd = inputs
        red = str(node.attrs["reduction"]).lower()
        out = data.copy()
        k = idx.shape[-1]
        u = upd.reshape((-1,) + data.shape[k:])
        for j, t in enumerate(_nd_targets(data.shape, idx)):
            if t is None:
                continue
            if red == "none":
                out[t] = u[j]
            elif red == "sub":
                out[t] = out[t] - u[j]
            else:
                out[t] = _REDUCE[red](out[t], u[j])
        return [out]


@register
class ScatterUpdate(SameShapeOp):
    type_name = "ScatterUpdate"
    version = "opset3"
    num_inputs = (4, 4)

    @classmethod
    def evaluate(cls, node, inputs):
        data, idx, upd, axis = inputs
        axis = int(axis.reshape(-1)[0]) % data.ndim
        out = data.copy()
        n = data.shape[axis]
        flat = idx.reshape(-1).astype(np.int64)
        u = upd.reshape(data.shape[:axis] + (flat.size,) + data.shape[axis + 1:])
        for j, v in enumerate(flat):
            v = v + n if v < 0 else v
            if 0 <= v < n:
                sl = (slice(None),) * axis + (int(v),)
                out[sl] = u[(slice(None),) * axis + (j,)]
        return [out]


# -- Broadcast / Tile / Pad -----------------------------------------------------------------------------------

def broadcast_target(mode: str, src_shape, target, axes_mapping=None):
    mode = mode.lower()
    if mode == "numpy":
        return tuple(int(v) for v in target)
    if mode == "bidirectional":
        return tuple(np.broadcast_shapes(tuple(src_shape), tuple(int(v) for v in target)))
    return tuple(int(v) for v in target)


def explicit_view(src_shape, target, axes_mapping):
    """Shape of the input aligned to the target rank for explicit broadcasting."""
    view = [1] * len(target)
    for d, a in zip(src_shape, axes_mapping):
        view[int(a)] = d
    return view


@register
class Broadcast(Op):
    type_name = "Broadcast"
    version = "opset3"
    attrs = {"mode": "numpy"}
    num_inputs = (2, 3)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        target = _ints(node, 1)
        mode = str(node.attrs["mode"]).lower()
        if target is None:
            n = node.input_shape(1)
            rank = n[0].min if not n.rank_is_dynamic and n[0].is_static else None
            if mode == "bidirectional" and rank is not None and not src.rank_is_dynamic:
                rank = max(rank, len(src))
            return _dyn(node, rank)
        if mode == "bidirectional":
            return [(node.input_type(0), broadcast_shapes(src, PartialShape(target)))]
        if mode == "numpy" and not src.rank_is_dynamic:
            if len(src) > len(target):
                raise _fail(node, f"cannot broadcast {src} to {target}")
            for d, t in zip(list(src)[::-1], target[::-1]):
                if d.is_static and d.min not in (1, t):
                    raise _fail(node, f"cannot broadcast {src} to {target}")
        return [(node.input_type(0), PartialShape(target))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, target = inputs[0], inputs[1].reshape(-1)
        mode = str(node.attrs["mode"]).lower()
        shape = broadcast_target(mode, x.shape, target)
        if mode in ("explicit", "none"):
            x = x.reshape(explicit_view(x.shape, shape, inputs[2].reshape(-1)))
        return [np.ascontiguousarray(np.broadcast_to(x, shape))]


@register
class Tile(Op):
    type_name = "Tile"
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        reps = _ints(node, 1)
        if src.rank_is_dynamic or reps is None:
            return _dyn(node, None)
        rank = max(len(src), len(reps))
        dims = [Dimension(1)] * (rank - len(src)) + list(src)
        reps = [1] * (rank - len(reps)) + reps
        return [(node.input_type(0), PartialShape([d * r for d, r in zip(dims, reps)]))]

    @classmethod
    def evaluate(cls, node, inputs):
        x, reps = inputs
        reps = [int(r) for r in reps.reshape(-1)]
        rank = max(x.ndim, len(reps))
        x = x.reshape((1,) * (rank - x.ndim) + x.shape)
        return [np.tile(x, [1] * (rank - len(reps)) + reps)]


def pad_index(i: int, n: int, mode: str) -> int:
    """Source index of padded coordinate ``i`` (relative to the input start) for a non-constant mode."""
    if mode == "edge":
        return min(max(i, 0), n - 1)
    if mode == "reflect":
        if n == 1:
            return 0
        p = 2 * (n - 1)
        i = abs(i) % p
        return p - i if i >= n else i
    p = 2 * n                             # symmetric
    i = i % p
    return p - 1 - i if i >= n else i


@register
class Pad(Op):
    type_name = "Pad"
    version = "opset12"
    attrs = {"pad_mode": "constant"}
    num_inputs = (3, 4)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        b, e = _ints(node, 1), _ints(node, 2)
        if src.rank_is_dynamic or b is None or e is None:
            return _dyn(node, _rank(src))
        dims = []
        for k, d in enumerate(src):
            lo = b[k] if k < len(b) else 0
            hi = e[k] if k < len(e) else 0
            dims.append(Dimension(d.min + lo + hi) if d.is_static else Dimension())
            if d.is_static and d.min + lo + hi < 0:
                raise _fail(node, f"padding {lo},{hi} of dimension {d} is negative")
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        b = [int(v) for v in inputs[1].reshape(-1)]
        e = [int(v) for v in inputs[2].reshape(-1)]
        b += [0] * (x.ndim - len(b))
        e += [0] * (x.ndim - len(e))
        mode = node.attrs["pad_mode"]
        value = inputs[3].reshape(()) if len(inputs) > 3 else np.zeros((), x.dtype)
        out_shape = [n + lo + hi for n, lo, hi in zip(x.shape, b, e)]
        idx = []
        valid = np.ones(out_shape, bool)
        for k, (n, lo) in enumerate(zip(x.shape, b)):
            c = np.arange(out_shape[k]) - lo
            if mode == "constant":
                ok = (c >= 0) & (c < n)
                shape = [1] * x.ndim
                shape[k] = -1
                valid &= ok.reshape(shape)
                c = np.clip(c, 0, max(n - 1, 0))
            else:
                c = np.array([pad_index(int(i), n, mode) for i in c], dtype=np.int64)
            idx.append(c)
        if x.size == 0:
            return [np.full(out_shape, value, dtype=x.dtype)]
        out = x[np.ix_(*idx)] if idx else x.copy()
        if mode == "constant":
            out = np.where(valid, out, value.astype(x.dtype))
        return [out.astype(x.dtype)]


# -- Range ----------------------------------------------------------------------------------------------------

def range_count(start, stop, step) -> int:
    if step == 0:
        raise ValueError("Range step must not be 0")
    return max(int(math.ceil((float(stop) - float(start)) / float(step))), 0)


@register
class Range(Op):
    type_name = "Range"
    version = "opset4"
    attrs = {"output_type": "i64"}
    num_inputs = (3, 3)

    @classmethod
    def out_type(cls, node) -> Type:
        # Range-1 has no output_type: its output takes the inputs' type
        return node.input_type(0) if node.version == "opset1" else as_type(node.attrs["output_type"])

    @classmethod
    def infer(cls, node):
        t = cls.out_type(node)
        vals = [node.input_known(i) for i in range(3)]
        if any(v is None for v in vals):
            return [(t, PartialShape.dynamic(1))]
        start, stop, step = (np.asarray(v).reshape(-1)[0] for v in vals)
        if t.is_integral():
            start, stop, step = (int(v) if float(v) == int(v) else float(v) for v in (start, stop, step))
        return [(t, PartialShape([range_count(start, stop, step)]))]

    @classmethod
    def evaluate(cls, node, inputs):
        t = cls.out_type(node)
        start, stop, step = (np.asarray(v).reshape(-1)[0] for v in inputs)
        n = range_count(start, stop, step)
        if t.is_integral():
            return [(int(start) + np.arange(n, dtype=np.int64) * int(step)).astype(t.dtype)]
        return [(np.float64(start) + np.arange(n, dtype=np.float64) * np.float64(step)).astype(t.dtype)]


# -- DepthToSpace / SpaceToDepth ------------------------------------------------------------------------------

def depth_to_space_view(shape, bs: int, mode: str):
    """(view shape of the input, permutation) such that the permuted view reshaped is the output."""
    n, c, sp = shape[0], shape[1], list(shape[2:])
    k = len(sp)
    cc = c // bs ** k
    if mode == "blocks_first":
        view = [n] + [bs] * k + [cc] + sp
        perm = [0, k + 1]
        for i in range(k):
            perm += [k + 2 + i, 1 + i]
    else:
        view = [n, cc] + [bs] * k + sp
        perm = [0, 1]
        for i in range(k):
            perm += [k + 2 + i, 2 + i]
    return view, perm


def space_to_depth_view(shape, bs: int, mode: str):
    n, c, sp = shape[0], shape[1], list(shape[2:])
    k = len(sp)
    view = [n, c]
    for d in sp:
        view += [d // bs, bs]
    blocks = [3 + 2 * i for i in range(k)]
    spatial = [2 + 2 * i for i in range(k)]
    perm = [0] + blocks + [1] + spatial if mode == "blocks_first" else [0, 1] + blocks + spatial
    return view, perm


@register
class DepthToSpace(Op):
    type_name = "DepthToSpace"
    attrs = {"block_size": 1, "mode": "blocks_first"}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        if src.rank_is_dynamic:
            return _dyn(node, None)
        bs = node.attrs["block_size"]
        k = len(src) - 2
        c = src[1]
        if c.is_static and c.min % bs ** k:
            raise _fail(node, f"channels {c} not divisible by block_size^{k}")
        dims = [src[0], c // (bs ** k)] + [d * bs for d in src[2:]]
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        bs = node.attrs["block_size"]
        view, perm = depth_to_space_view(x.shape, bs, node.attrs["mode"])
        k = x.ndim - 2
        out = [x.shape[0], x.shape[1] // bs ** k] + [d * bs for d in x.shape[2:]]
        return [np.ascontiguousarray(x.reshape(view).transpose(perm)).reshape(out)]


@register
class SpaceToDepth(Op):
    type_name = "SpaceToDepth"
    attrs = {"block_size": 1, "mode": "blocks_first"}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        if src.rank_is_dynamic:
            return _dyn(node, None)
        bs = node.attrs["block_size"]
        k = len(src) - 2
        dims = [src[0], src[1] * bs ** k] + [d // bs for d in src[2:]]
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        bs = node.attrs["block_size"]
        view, perm = space_to_depth_view(x.shape, bs, node.attrs["mode"])
        k = x.ndim - 2
        out = [x.shape[0], x.shape[1] * bs ** k] + [d // bs for d in x.shape[2:]]
        return [np.ascontiguousarray(x.reshape(view).transpose(perm)).reshape(out)]


# -- OneHot ---------------------------------------------------------------------------------------------------

@register
class OneHot(Op):
    type_name = "OneHot"
    version = "opset16"
    attrs = {"axis": -1, "negative_indices_mode": "ignore_negative"}
    num_inputs = (4, 4)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        depth = _ints(node, 1)
        t = node.input_type(2)
        if src.rank_is_dynamic:
            return _dyn(node, None, t)
        axis = normalize_axis(node.attrs["axis"], len(src) + 1, node)
        dims = list(src)
        dims.insert(axis, Dimension(depth[0]) if depth is not None else Dimension())
        return [(t, PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        idx, depth, on, off = inputs
        depth = int(depth.reshape(-1)[0])
        axis = node.attrs["axis"] % (idx.ndim + 1)
        i = idx.astype(np.int64)
        if node.attrs["negative_indices_mode"] == "normalize":
            i = np.where(i < 0, i + depth, i)
        shape = [1] * (idx.ndim + 1)
        shape[axis] = depth
        r = np.arange(depth).reshape(shape)
        hit = np.expand_dims(i, axis) == r
        return [np.where(hit, on.reshape(()), off.reshape(())).astype(on.dtype)]


# -- Interpolate ----------------------------------------------------------------------------------------------

def _source_coord(x: np.ndarray, scale: float, in_n: int, out_n: int, mode: str) -> np.ndarray:
    """Source coordinates of output coordinates ``x``, computed in f32 as OpenVINO and ONNX Runtime do."""
    f = np.float32
    x = x.astype(f)
    v = _source_coord_any(x, f(scale), f(in_n), f(out_n), mode)
    return np.asarray(v, dtype=f).astype(np.float64)


def _source_coord_any(x, scale, in_n, out_n, mode):
    h = x.dtype.type(0.5)
    if mode == "half_pixel":
        return (x + h) / scale - h
    if mode == "pytorch_half_pixel":
        return (x + h) / scale - h if out_n > 1 else np.zeros_like(x)
    if mode == "asymmetric":
        return x / scale
    if mode == "tf_half_pixel_for_nn":
        return (x + h) / scale
    if mode == "align_corners":
        return x * (in_n - 1) / (out_n - 1) if out_n > 1 else np.zeros_like(x)
    if mode == "half_pixel_symmetric":
        adj = out_n / (scale * in_n)
        center = in_n / 2
        return center * (1 - adj) + (x + h) / scale - h
    raise ValueError(f"coordinate_transformation_mode {mode} is not supported")


def _nearest(xo: np.ndarray, mode: str, scale: float) -> np.ndarray:
    if mode == "round_prefer_floor":
        return np.where(xo == np.floor(xo) + 0.5, np.floor(xo), np.round(xo))
    if mode == "round_prefer_ceil":
        return np.floor(xo + 0.5)
    if mode == "floor":
        return np.floor(xo)
    if mode == "ceil":
        return np.ceil(xo)
    if mode == "simple":
        return np.ceil(xo) if scale < 1 else np.trunc(xo)
    raise ValueError(f"nearest_mode {mode} is not supported")


def _cubic_weight(s, a):
    s = np.abs(s)
    return np.where(s <= 1, ((a + 2) * s - (a + 3)) * s * s + 1,
                    np.where(s < 2, ((a * s - 5 * a) * s + 8 * a) * s - 4 * a, 0.0))


def _antialias_taps(xo, in_n: int, scale: float, mode: str, a: float, exclude: bool = False):
    """Filter taps widened by 1/scale when downsampling (triangle or cubic kernel), normalised over the whole
    window; taps outside the input take the edge value (ONNX exclude_outside=0)."""
    cubic = mode in ("cubic", "bicubic_pillow")
    half = 2.0 if cubic else 1.0
    support = half / scale if scale < 1 else half
    ss = scale if scale < 1 else 1.0
    window = int(math.ceil(support)) * 2 + 1
    center = xo + 0.5
    lo = np.floor(center - support + 0.5).astype(np.int64)
    hi = np.floor(center + support + 0.5).astype(np.int64)
    hi = lo + np.clip(hi - lo, 0, window)
    T = int(max(int((hi - lo).max()), 1))
    idx = lo[:, None] + np.arange(T)[None, :]
    valid = idx < hi[:, None]
    if exclude:
        valid &= (idx >= 0) & (idx < in_n)
    d = (idx - center[:, None] + 0.5) * ss
    w = _cubic_weight(d, a) if cubic else np.maximum(0.0, 1 - np.abs(d))
    w = np.where(valid, w, 0.0)
    tot = w.sum(1, keepdims=True)
    w = w / np.where(tot == 0, 1, tot)
    return np.clip(idx, 0, in_n - 1), w


# rt_info key of Interpolate nodes from ONNX Resize: a comma-separated list of ONNX semantics that OpenVINO's
# op does not have. "scaled_length": align_corners divides by (in * scale - 1), not (out - 1), as ONNX does
# for scales that do not give whole lengths; "exclude_outside": cubic taps outside the input get weight 0
# and the rest are renormalised. "given_scales": an opset4 node in sizes mode takes the coordinate scales from
# its scales input (ONNX keep_aspect_ratio_policy: lengths rounded from one common scale).
ONNX_RESIZE = "onnx_resize"


def interpolate_attrs(node) -> dict:
    """The node's attributes plus its ONNX flags (``_scaled_length``, ``_exclude_outside``) from rt_info."""
    v = node.rt_info.get(ONNX_RESIZE)
    if isinstance(v, dict):
        v = v.get("value", "")
    flags = set(v.split(",")) if isinstance(v, str) else set()
    return dict(node.attrs, _scaled_length="scaled_length" in flags, _exclude_outside="exclude_outside" in flags,
                _given_scales="given_scales" in flags and node.version == "opset4")


def interpolate_taps(in_n: int, out_n: int, scale: float, attrs: dict):
    """Per output coordinate: source indices and weights along one axis, shape [out_n, taps] each."""
    mode = attrs["mode"]
    x = np.arange(out_n, dtype=np.float64)
    if mode in ("bilinear_pillow", "bicubic_pillow"):   # Pillow: half-pixel centres, scale from the sizes
        xo = _source_coord(x, out_n / in_n, in_n, out_n, "half_pixel")
    else:
        length = out_n
        if attrs.get("_scaled_length") and attrs["coordinate_transformation_mode"] == "align_corners":
            length = in_n * float(np.float32(scale))
        xo = _source_coord(x, scale, in_n, length, attrs["coordinate_transformation_mode"])
    if mode in ("bilinear_pillow", "bicubic_pillow"):       # Pillow's resampling: in-range taps only
        return _antialias_taps(xo, in_n, scale, mode, float(attrs.get("cube_coeff", -0.75)), exclude=True)
    if attrs.get("antialias") and mode != "nearest":
        # OpenVINO's "linear" renormalises over in-range taps; linear_onnx/cubic follow ONNX (edge taps clamp)
        return _antialias_taps(xo, in_n, scale, mode, float(attrs.get("cube_coeff", -0.75)), exclude=mode == "linear")
    if mode == "nearest":
        i = _nearest(xo, attrs["nearest_mode"], scale).astype(np.int64)
        return np.clip(i, 0, in_n - 1)[:, None], np.ones((out_n, 1))
    if mode in ("linear", "linear_onnx", "bilinear_pillow"):
        xc = np.clip(xo, 0, in_n - 1)
        x0 = np.floor(xc).astype(np.int64)
        x1 = np.minimum(x0 + 1, in_n - 1)
        w1 = xc - x0
        return np.stack([x0, x1], 1), np.stack([1 - w1, w1], 1)
    if mode in ("cubic", "bicubic_pillow"):
        a = float(attrs.get("cube_coeff", -0.75))
        x0 = np.floor(xo).astype(np.int64)
        t = xo - x0

        def cub(s):
            s = np.abs(s)
            return np.where(s <= 1, ((a + 2) * s - (a + 3)) * s * s + 1,
                            np.where(s < 2, ((a * s - 5 * a) * s + 8 * a) * s - 4 * a, 0.0))
        idx = np.stack([x0 - 1, x0, x0 + 1, x0 + 2], 1)
        w = np.stack([cub(t + 1), cub(t), cub(1 - t), cub(2 - t)], 1)
        if attrs.get("_exclude_outside"):
            w = np.where((idx >= 0) & (idx < in_n), w, 0.0)
            tot = w.sum(1, keepdims=True)
            w = w / np.where(tot == 0, 1, tot)
        return np.clip(idx, 0, in_n - 1), w
    raise ValueError(f"Interpolate mode {mode} is not supported")


def interpolate_plan(node_attrs: dict, in_shape, scales_or_sizes, axes, coord_scales=None):
    """Output shape and per-axis scales of Interpolate-11 (``coord_scales``: the scales of the coordinate
    transformation where they are given apart from the sizes)."""
    rank = len(in_shape)
    axes = list(range(rank)) if axes is None else [a + rank if a < 0 else a for a in axes]
    vals = list(np.asarray(scales_or_sizes).reshape(-1))
    out = list(in_shape)
    scales = [1.0] * rank
    if node_attrs["shape_calculation_mode"] == "sizes":
        for a, v in zip(axes, vals):
            out[a] = int(v)
            scales[a] = out[a] / in_shape[a] if in_shape[a] else 1.0
    else:
        for a, v in zip(axes, vals):
            s = float(np.float32(v))
            scales[a] = s
            out[a] = int(math.floor(in_shape[a] * s + 1e-5))
    if coord_scales is not None:
        for a, v in zip(axes, np.asarray(coord_scales).reshape(-1)):
            scales[a] = float(np.float32(v))
    pb = list(node_attrs.get("pads_begin") or [])
    pe = list(node_attrs.get("pads_end") or [])
    if any(pb) or any(pe):
        raise ValueError("Interpolate pads are not supported")
    return out, scales, axes


def interpolate_ports(version: str, attrs: dict, n_inputs: int):
    """Input indices of (scales or sizes, axes or None): v11 takes (data, scales_or_sizes, [axes]); v4 takes
    (data, sizes, scales, [axes]) and picks by shape_calculation_mode."""
    if version == "opset4":
        return (1 if attrs["shape_calculation_mode"] == "sizes" else 2), (3 if n_inputs > 3 else None)
    return 1, (2 if n_inputs > 2 else None)


@register
class Interpolate(Op):
    type_name = "Interpolate"
    version = "opset11"
    attrs = {"mode": "nearest", "shape_calculation_mode": "sizes", "coordinate_transformation_mode": "half_pixel",
             "nearest_mode": "round_prefer_floor", "antialias": False, "pads_begin": [0], "pads_end": [0],
             "cube_coeff": -0.75}
    num_inputs = (2, 4)

    @classmethod
    def infer(cls, node):
        src = node.input_shape(0)
        si, ai = interpolate_ports(node.version, node.attrs, node.get_input_size())
        ss = node.input_known(si)
        axes = _ints(node, ai) if ai is not None else None
        if src.rank_is_dynamic:
            return _dyn(node, None)
        if ss is None or (ai is not None and axes is None):
            return _dyn(node, len(src))
        rank = len(src)
        ax = list(range(rank)) if axes is None else [a + rank if a < 0 else a for a in axes]
        vals = list(np.asarray(ss).reshape(-1))
        dims = list(src)
        for a, v in zip(ax, vals):
            if node.attrs["shape_calculation_mode"] == "sizes":
                dims[a] = Dimension(int(v))
            elif dims[a].is_static:
                dims[a] = Dimension(int(math.floor(dims[a].min * float(np.float32(v)) + 1e-5)))
            else:
                dims[a] = Dimension()
        return [(node.input_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, node, inputs):
        x = inputs[0]
        si, ai = interpolate_ports(node.version, node.attrs, len(inputs))
        axes = [int(a) for a in inputs[ai].reshape(-1)] if ai is not None else None
        full = interpolate_attrs(node)
        out_shape, scales, axes = interpolate_plan(node.attrs, x.shape, inputs[si], axes,
                                                   inputs[2] if full["_given_scales"] else None)
        y = x.astype(np.float64)
        for a in range(x.ndim):
            if out_shape[a] == x.shape[a] and scales[a] == 1.0:
                continue
            idx, w = interpolate_taps(x.shape[a], out_shape[a], scales[a], full)
            moved = np.moveaxis(y, a, -1)
            acc = np.zeros(moved.shape[:-1] + (out_shape[a],))
            for t in range(idx.shape[1]):
                acc += moved[..., idx[:, t]] * w[:, t]
            y = np.moveaxis(acc, -1, a)
        if x.dtype.kind in "iu":
            info = np.iinfo(x.dtype)
            y = np.trunc(np.clip(y, info.min, info.max))
        return [y.astype(x.dtype)]


# -- ReverseSequence / Roll / Reverse -------------------------------------------------------------------------

@register
class ReverseSequence(SameShapeOp):
    type_name = "ReverseSequence"
    attrs = {"batch_axis": 0, "seq_axis": 1}
    num_inputs = (2, 2)

    @classmethod
    def evaluate(cls, node, inputs):
        x, lens = inputs
        return [np.take_along_axis(x, reverse_sequence_index(x.shape, lens, node.attrs), axis=node.attrs["seq_axis"] % x.ndim)]


def reverse_sequence_index(shape, lens, attrs):
    rank = len(shape)
    ba, sa = attrs["batch_axis"] % rank, attrs["seq_axis"] % rank
    n = np.clip(np.asarray(lens).reshape(-1).astype(np.int64), 0, shape[sa])
    t = np.arange(shape[sa])
    idx = np.where(t[None, :] < n[:, None], n[:, None] - 1 - t[None, :], t[None, :])   # [B, S]
    if ba > sa:
        idx = idx.T
    view = [1] * rank
    view[ba], view[sa] = shape[ba], shape[sa]
    return np.broadcast_to(idx.reshape(view), shape)


@register
class Roll(SameShapeOp):
    type_name = "Roll"
    version = "opset7"
    num_inputs = (3, 3)

    @classmethod
    def evaluate(cls, node, inputs):
        x, shift, axes = inputs
        shift = [int(s) for s in shift.reshape(-1)]
        axes = [int(a) % x.ndim for a in axes.reshape(-1)]
        if len(shift) == 1 and len(axes) > 1:
            shift = shift * len(axes)
        return [np.roll(x, shift, axes) if x.ndim else x.copy()]


def reverse_axes(mode: str, v: np.ndarray, rank: int) -> list[int]:
    v = np.asarray(v).reshape(-1)
    if mode == "mask":
        return [k for k, m in enumerate(v.tolist()) if m]
    return sorted({int(a) % rank for a in v.tolist()})


@register
class Reverse(SameShapeOp):
    type_name = "Reverse"
    attrs = {"mode": "index"}
    num_inputs = (2, 2)

    @classmethod
    def evaluate(cls, node, inputs):
        x, axes = inputs
        ax = reverse_axes(node.attrs["mode"], axes, x.ndim)
        return [np.ascontiguousarray(np.flip(x, ax)) if ax else x.copy()]


# -- SelectBranch ---------------------------------------------------------------------------------------------

@register
class SelectBranch(Op):
    """``then`` when the scalar ``cond`` is true, else ``else_``: inputs (then, cond, else). The ONNX frontend's
    If with a run-time condition whose branches give different shapes (OpenVINO's If keeps the bodies as
    subgraphs; ovcl translates both inline). With ``cond`` computed at run time the output shape is dynamic,
    so a plan is cut here and the tail specialised with the condition as a constant (ovcl/segments.py)."""
    type_name = "SelectBranch"
    version = "ovcl"
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, node):
        c = node.input_known(1)
        a, b = node.input_shape(0), node.input_shape(2)
        t = node.input_type(0)
        if c is not None:
            k = 0 if bool(np.asarray(c).reshape(-1)[0]) else 2
            return [(node.input_type(k), node.input_shape(k))]
        if a.is_static and b.is_static and a.to_shape() == b.to_shape():
            return [(t, a)]
        if not a.rank_is_dynamic and not b.rank_is_dynamic and len(a) == len(b):
            return [(t, PartialShape.dynamic(len(a)))]
        return [(t, PartialShape.dynamic())]

    @classmethod
    def evaluate(cls, node, inputs):
        return [inputs[0] if bool(np.asarray(inputs[1]).reshape(-1)[0]) else inputs[2]]
