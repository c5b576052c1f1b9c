"""Constants, shapes and data movement: full / full_like / full_int_array / assign_value / arange, shape,
reshape, flatten, transpose, slice, concat, split, squeeze / unsqueeze, stack / unstack, gather, embedding,
expand."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Type

from .graph import NodeContext, paddle_op

# the most elements a ``full`` may make at translation (1 GiB of f32): more is a damaged program
_MAX_FULL = 1 << 28


def _scalar_of(value, typ: Type):
    """``value`` (a number, or the legacy ``str_value`` text) as a ``typ`` scalar. Paddle reads both as a double,
    so an integer loses the digits a double cannot hold; beyond the type's range it saturates (PIR writes int64
    max as the double 2**63, and Paddle's own cast of that gives int64 max back)."""
    v = float(value)
    if not typ.is_integral() or typ is Type.boolean:
        return v
    info = np.iinfo(typ.dtype)
    return min(max(int(v), int(info.min)), int(info.max))


@paddle_op("full")
def _full(ctx: NodeContext):
    shape = ctx.ints("shape", 0, [])
    if any(d < 0 for d in shape) or int(np.prod(shape, dtype=object)) > _MAX_FULL:
        raise ctx.fail(f"shape {shape} is not one a constant can have")
    typ = Type.from_name(ctx.element_type())
    value = ctx.attr("str_value") or ctx.attr("value", 0.0)   # the legacy fill_constant keeps the exact text
    return ctx.const(np.full(shape, _scalar_of(value, typ), dtype=typ.dtype), typ, "value")


@paddle_op("full_like")
def _full_like(ctx: NodeContext):
    """x's shape filled with the value (input 1, or the legacy attribute), of ``dtype`` or x's type."""
    x = ctx.input(0)
    name = ctx.element_type(required=False)
    typ = Type.from_name(name) if name else x.get_element_type()
    value = ctx.const(np.array(_scalar_of(ctx.number("value", 1), typ), dtype=typ.dtype), typ, "value")
    return ctx.make1("Broadcast", [value, ctx.make1("ShapeOf", [x], "shape", output_type="i64")])


@paddle_op("arange")
def _arange(ctx: NodeContext):
    """[start, end) by step: inputs 0-2 (scalars or one-element tensors)."""
    parts = [ctx.make1("Squeeze", [ctx.input(i)], f"{n}_scalar") if ctx.rank(ctx.input(i)) else ctx.input(i)
             for i, n in enumerate(("start", "end", "step"))]
    return ctx.make1("Range", parts, output_type=ctx.element_type())


@paddle_op("full_int_array")
def _full_int_array(ctx: NodeContext):
    typ = Type.from_name(ctx.element_type())
    return ctx.const(np.asarray(ctx.attr("value", []), dtype=typ.dtype).reshape(-1), typ, "value")


@paddle_op("assign_value")
def _assign_value(ctx: NodeContext):
    typ = Type.from_name(ctx.element_type())
    values = ctx.attr("values")
    if values is None:      # legacy: one list per type
        values = next((ctx.attr(k) for k in ("fp32_values", "int32_values", "int64_values", "bool_values",
                                               "fp64_values") if ctx.attr(k)), [])
    return ctx.const(np.asarray(values, dtype=typ.dtype).reshape(ctx.ints("shape", None)), typ, "value")


@paddle_op("shape", "shape64")
def _shape(ctx: NodeContext):
    return ctx.make1("ShapeOf", [ctx.input(0)], output_type="i64" if ctx.type == "shape64" else "i32")


@paddle_op("reshape")
def _reshape(ctx: NodeContext):
    """A 0 copies the input's dimension, -1 is inferred (OpenVINO's special_zero)."""
    x = ctx.input(0)
    if ctx.has_input(1) and ctx.const_value(1) is None:
        parts = ctx.input_list(1)
        shape = parts[0] if len(parts) == 1 else ctx.make1(
            "Concat", [ctx.make1("Convert", [p], f"part{k}_i64", destination_type="i64") for k, p in
                       enumerate(parts)], "shape", axis=0)
        shape = ctx.make1("Convert", [shape], "shape_i64", destination_type="i64")
    else:
        shape = ctx.i64(ctx.ints("shape", 1), "shape")
    return ctx.make1("Reshape", [x, shape], special_zero=True)


@paddle_op("flatten")
def _flatten(ctx: NodeContext):
    x = ctx.input(0)
    r = ctx.rank(x)
    if r == 0:
        return ctx.make1("Reshape", [x, ctx.i64([1], "shape")], special_zero=False)
    start, stop = int(ctx.attr("start_axis", 1)), int(ctx.attr("stop_axis", -1))
    start += r if start < 0 else 0
    stop += r if stop < 0 else 0
    if not 0 <= start <= stop < r:
        raise ctx.fail(f"start_axis {start} and stop_axis {stop} do not fit rank {r}")
    dims = list(x.get_partial_shape())
    after = [d.get_length() if d.is_static else None for d in dims[stop + 1:]]
    if None in after:
        raise ctx.fail("the dimensions after stop_axis must be static")
    return ctx.make1("Reshape", [x, ctx.i64([0] * start + [-1] + after, "shape")], special_zero=True)


@paddle_op("flatten_2d")
def _flatten_2d(ctx: NodeContext):
    """The legacy ``flatten`` / ``flatten2``: a matrix of the dimensions before ``axis`` by those from it."""
    x = ctx.input(0)
    dims = list(x.get_partial_shape())
    axis = int(ctx.attr("axis", 1))
    if not 0 <= axis <= len(dims):
        raise ctx.fail(f"axis {axis} does not fit rank {len(dims)}")
    head, tail = dims[:axis], dims[axis:]
    if all(d.is_static for d in head):
        shape = [int(np.prod([d.get_length() for d in head])), -1]
    elif all(d.is_static for d in tail):
        shape = [-1, int(np.prod([d.get_length() for d in tail]))]
    else:
        raise ctx.fail("the dimensions on one side of axis must be static")
    return ctx.make1("Reshape", [x, ctx.i64(shape, "shape")], special_zero=False)


@paddle_op("transpose")
def _transpose(ctx: NodeContext):
    return ctx.make1("Transpose", [ctx.input(0), ctx.i64(ctx.ints("perm", None), "perm")])


@paddle_op("slice", "strided_slice")
def _slice(ctx: NodeContext):
    """Slice at ``axes`` (clamped as Python slices are), by ``strides`` for strided_slice; ``decrease_axis``
    (slice, and the legacy strided_slice) removes the sliced axes."""
    x = ctx.input(0)
    axes = ctx.ints("axes", None)
    steps = ctx.ints("strides", 3) if ctx.type == "strided_slice" else [1] * len(axes)
    y = ctx.make1("Slice", [x, ctx.i64(ctx.ints("starts", 1), "start"), ctx.i64(ctx.ints("ends", 2), "stop"),
                            ctx.i64(steps, "step"), ctx.i64(axes, "axes")], "slice")
    decrease = [int(a) for a in ctx.attr("decrease_axis", []) or []]
    if decrease:
        y = ctx.make1("Squeeze", [y, ctx.i64(decrease, "decrease")])
    return y


@paddle_op("concat")
def _concat(ctx: NodeContext):
    parts = ctx.input_list(0)
    axis = ctx.ints("axis", 1)[0]
    return ctx.make1("Concat", parts, axis=axis)


@paddle_op("split", "split_with_num")
def _split(ctx: NodeContext):
    """Into ``sections`` (one may be -1) or ``num`` equal parts along ``axis``; the outputs as one list."""
    x = ctx.input(0)
    legacy = ctx.attr("legacy_op") is not None
    axis = ctx.ints("axis", 2 if legacy or ctx.type == "split" else 1)[0]
    sections = ctx.ints("sections", 1, []) if ctx.type == "split" else []
    if sections:
        node = ctx.make("VariadicSplit", [x, ctx.i64(axis, "axis"), ctx.i64(sections, "lengths")])
    else:
        node = ctx.make("Split", [x, ctx.i64(axis, "axis")], num_splits=int(ctx.attr("num")))
    return [[node.output(i) for i in range(node.get_output_size())]]


@paddle_op("squeeze")
def _squeeze(ctx: NodeContext):
    """Squeezes the listed axes that have size 1 or a dynamic size (Paddle's compile-time rule: a dynamic axis is
    taken to be 1), leaving the others as Paddle does; every size-1 axis where none are listed."""
    x = ctx.input(0)
    axes = ctx.ints("axis", 1, [])
    dims = list(x.get_partial_shape())
    r = len(dims)
    if not axes:
        axes = [i for i, d in enumerate(dims) if d.is_static and d.get_length() == 1]
    if any(not -r <= a < r for a in axes):
        raise ctx.fail(f"axes {axes} do not fit rank {r}")
    keep = sorted({a + r if a < 0 else a for a in axes})
    keep = [a for a in keep if not dims[a].is_static or dims[a].get_length() == 1]
    if not keep:
        return [x]
    return ctx.make1("Squeeze", [x, ctx.i64(keep, "axes")])


@paddle_op("unsqueeze")
def _unsqueeze(ctx: NodeContext):
    """Paddle inserts the axes one at a time, each against the rank reached so far (``[2, 0]`` on [3, 4] gives
    [1, 3, 4, 1]), so each earlier position moves up past a later one inserted before it."""
    x = ctx.input(0)
    rank = ctx.rank(x)
    positions: list[int] = []
    for a in ctx.ints("axis", 1):
        a += rank + 1 if a < 0 else 0
        if not 0 <= a <= rank:
            raise ctx.fail(f"axis {a} does not fit rank {rank}")
        positions = [p + 1 if p >= a else p for p in positions] + [a]
        rank += 1
    return ctx.make1("Unsqueeze", [x, ctx.i64(sorted(positions), "axes")])


@paddle_op("stack")
def _stack(ctx: NodeContext):
    parts = ctx.input_list(0)
    axis = int(ctx.attr("axis", 0))
    r = ctx.rank(parts[0]) + 1
    axis += r if axis < 0 else 0
    ups = [ctx.make1("Unsqueeze", [p, ctx.i64([axis], f"axis{k}")], f"unsqueeze{k}") for k, p in enumerate(parts)]
    return ctx.make1("Concat", ups, axis=axis)


@paddle_op("unstack")
def _unstack(ctx: NodeContext):
    """Split into the slices along ``axis``, each without it; the outputs as one list."""
    x = ctx.input(0)
    r = ctx.rank(x)
    axis = int(ctx.attr("axis", 0))
    axis += r if axis < 0 else 0
    d = list(x.get_partial_shape())[axis] if 0 <= axis < r else None
    n = d.get_length() if d is not None and d.is_static else 0
    if n < 1:
        raise ctx.fail(f"axis {axis} of rank {r} must be a static, non-empty dimension")
    parts = ctx.make("Split", [x, ctx.i64(axis, "axis")], num_splits=n)
    return [[ctx.make1("Squeeze", [parts.output(k), ctx.i64([axis], f"axis{k}")], f"squeeze{k}") for k in range(n)]]


@paddle_op("gather")
def _gather(ctx: NodeContext):
    axis = ctx.ints("axis", 2, [0])[0]
    return ctx.make1("Gather", [ctx.input(0), ctx.input(1), ctx.i64(axis, "axis")])


@paddle_op("embedding")
def _embedding(ctx: NodeContext):
    """Rows of the table; rows of ``padding_idx`` (when ≥ 0) come out as zeros."""
    ids, table = ctx.input(0), ctx.input(1)
    pad = int(ctx.attr("padding_idx", -1))
    if pad >= 0:
        value = ctx.const_value(1)
        if value is None:
            raise ctx.fail("padding_idx needs a constant table")
        value = np.array(value)
        value[pad] = 0
        table = ctx.const(value, suffix="table")
    return ctx.make1("Gather", [table, ids, ctx.i64(0, "axis")])


@paddle_op("expand")
def _expand(ctx: NodeContext):
    """Broadcast to ``shape``; -1 keeps the input's dimension."""
    x = ctx.input(0)
    shape = ctx.ints("shape", 1)
    dims = list(x.get_partial_shape())
    lead = len(shape) - len(dims)
    target = []
    for i, s in enumerate(shape):
        if s == -1:
            if i < lead:
                raise ctx.fail(f"shape {shape}: a -1 stands for an input dimension, and dimension {i} is new")
            d = dims[i - lead]
            if not d.is_static:
                raise ctx.fail("a -1 in shape needs a static input dimension")
            s = d.get_length()
        target.append(s)
    return ctx.make1("Broadcast", [x, ctx.i64(target, "shape")])
