"""TensorFlow constants, variables, identities and data movement: reshapes, transposes, concatenation, packing,
slicing, splitting, gathers, padding, tiling, casts and the shape ops (Shape, Size, Rank, Fill, Range...)."""
from __future__ import annotations

import numpy as np

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Output, Type
from ovcl.ir import ops

from .graph import NodeContext, Resource, tf_op

_BIG = np.iinfo(np.int64).max


def as_i64(ctx: NodeContext, x: Output, suffix: str) -> Output:
    if x.get_element_type().name == "i64":
        return x
    return ctx.make1("Convert", [x], suffix, destination_type="i64")


def scalar(ctx: NodeContext, x: Output, suffix: str) -> Output:
    return ctx.make1("Reshape", [x, ctx.i64([], suffix + "_shape")], suffix, special_zero=False)


@tf_op("Const")
def _const(ctx: NodeContext):
    value = ctx.attr("value")
    if value is None or value.dtype == object:
        raise ctx.fail("string constants are not supported")
    return ops.constant(value, name=ctx.name).output(0)


@tf_op("Identity", "IdentityN", "StopGradient", "PreventGradient", "Snapshot", "EnsureShape", "CheckNumerics")
def _identity(ctx: NodeContext):
    n = ctx.num_inputs if ctx.op == "IdentityN" else 1
    return [ctx.value(i) for i in range(n)]


@tf_op("PlaceholderWithDefault")
def _placeholder_with_default(ctx: NodeContext):
    return ctx.input(0)


@tf_op("Placeholder")
def _placeholder(ctx: NodeContext):
    raise ctx.fail("this Placeholder is not one of the model's inputs (a SavedModel signature feeds only its "
                   "own inputs)")


@tf_op("VarHandleOp")
def _var_handle(ctx: NodeContext):
    value = ctx.variable()
    if value is None:
        raise ctx.fail("a variable whose value ovcl cannot find: give the SavedModel directory, or freeze the "
                       "graph (variables to constants) before saving it")
    return Resource(value, ctx.name)


@tf_op("VariableV2", "Variable")
def _variable_v1(ctx: NodeContext):
    raise ctx.fail("TF1 variables: freeze the graph (variables to constants) before saving it")


@tf_op("ReadVariableOp")
def _read_variable(ctx: NodeContext):
    v = ctx.value(0)
    if not isinstance(v, Resource):
        raise ctx.fail("input 0 is not a variable handle")
    return ops.constant(v.value, name=ctx.name).output(0)


@tf_op("ResourceGather")
def _resource_gather(ctx: NodeContext):
    v = ctx.value(0)
    if not isinstance(v, Resource):
        raise ctx.fail("input 0 is not a variable handle")
    table = ctx.const(v.value, suffix="table")
    return ctx.make1("Gather", [table, ctx.input(1), ctx.i64(0, "axis")], batch_dims=int(ctx.attr("batch_dims", 0)))


@tf_op("Reshape")
def _reshape(ctx: NodeContext):
    return ctx.make1("Reshape", [ctx.input(0), as_i64(ctx, ctx.input(1), "shape")], special_zero=False)


@tf_op("Squeeze")
def _squeeze(ctx: NodeContext):
    x = ctx.input(0)
    dims = ctx.attr("squeeze_dims", []) or []
    if dims:
        return ctx.make1("Squeeze", [x, ctx.i64(dims, "axes")])
    if x.get_partial_shape().is_static:
        return ctx.make1("Squeeze", [x, ctx.i64([k for k, d in enumerate(ctx.static_shape(x)) if d == 1], "axes")])
    return ctx.make1("Squeeze", [x])          # which axes are 1 is known at run time


@tf_op("ExpandDims")
def _expand_dims(ctx: NodeContext):
    x = ctx.input(0)
    axis = ctx.ints(1, "axis")[0]
    if axis < 0:
        axis += ctx.rank(x) + 1
    return ctx.make1("Unsqueeze", [x, ctx.i64([axis], "axes")])


@tf_op("Transpose")
def _transpose(ctx: NodeContext):
    return ctx.make1("Transpose", [ctx.input(0), as_i64(ctx, ctx.input(1), "perm")])


@tf_op("ConcatV2", "Concat")
def _concat(ctx: NodeContext):
    n = ctx.num_inputs
    axis_at, first = (n - 1, 0) if ctx.op == "ConcatV2" else (0, 1)
    parts = [ctx.input(i) for i in range(first, first + n - 1)]
    return ctx.make1("Concat", parts, axis=ctx.ints(axis_at, "axis")[0] % ctx.rank(parts[0]))


@tf_op("Pack")
def _pack(ctx: NodeContext):
    parts = ctx.inputs()
    axis = int(ctx.attr("axis", 0))
    if axis < 0:
        axis += ctx.rank(parts[0]) + 1
    ax = ctx.i64([axis], "axis")
    parts = [ctx.make1("Unsqueeze", [p, ax], f"unsqueeze_{k}") for k, p in enumerate(parts)]
    return ctx.make1("Concat", parts, axis=axis)


@tf_op("Unpack")
def _unpack(ctx: NodeContext):
    x = ctx.input(0)
    axis = int(ctx.attr("axis", 0)) % ctx.rank(x)
    parts = ctx.make("Split", [x, ctx.i64(axis, "axis")], "split", num_splits=int(ctx.attr("num"))).outputs()
    ax = ctx.i64([axis], "squeeze_axis")
    return [ctx.make1("Squeeze", [p, ax], f"squeeze_{k}") for k, p in enumerate(parts)]


@tf_op("Shape")
def _shape(ctx: NodeContext):
    return ctx.make1("ShapeOf", [ctx.input(0)], output_type=ctx.attr("out_type", Type.i32).name)


@tf_op("Size")
def _size(ctx: NodeContext):
    dims = ctx.make1("ShapeOf", [ctx.input(0)], "shape", output_type=ctx.attr("out_type", Type.i32).name)
    return ctx.make1("ReduceProd", [dims, ctx.i64(0, "axis")], keep_dims=False)


@tf_op("Rank")
def _rank(ctx: NodeContext):
    return ctx.const(np.array(ctx.rank(ctx.input(0)), dtype=np.int32), suffix="rank")


@tf_op("StridedSlice")
def _strided_slice(ctx: NodeContext):
    x = ctx.input(0)
    begin, end, strides = (as_i64(ctx, ctx.input(i), s) for i, s in ((1, "begin"), (2, "end"), (3, "strides")))
    n = ctx.static_shape(ctx.input(1), "begin")[0]
    masks = {k: [(int(ctx.attr(k, 0)) >> b) & 1 for b in range(n)]
             for k in ("begin_mask", "end_mask", "new_axis_mask", "shrink_axis_mask", "ellipsis_mask")}
    return ctx.make1("StridedSlice", [x, begin, end, strides], **masks)


@tf_op("Slice")
def _slice(ctx: NodeContext):
    x = ctx.input(0)
    begin, size = as_i64(ctx, ctx.input(1), "begin"), as_i64(ctx, ctx.input(2), "size")
    # size -1 takes the rest of the axis
    whole = ctx.make1("Equal", [size, ctx.i64(-1, "minus_one")], "to_end")
    end = ctx.make1("Select", [whole, ctx.i64(_BIG, "big"), ctx.make1("Add", [begin, size], "end")], "stop")
    steps = ctx.make1("Broadcast", [ctx.i64(1, "one"), ctx.make1("ShapeOf", [begin], "n")], "step")
    return ctx.make1("Slice", [x, begin, end, steps])


@tf_op("GatherV2", "Gather")
def _gather(ctx: NodeContext):
    axis = ctx.ints(2, "axis")[0] if ctx.op == "GatherV2" else 0
    return ctx.make1("Gather", [ctx.input(0), ctx.input(1), ctx.i64(axis, "axis")],
                     batch_dims=int(ctx.attr("batch_dims", 0)))


@tf_op("GatherNd")
def _gather_nd(ctx: NodeContext):
    return ctx.make1("GatherND", [ctx.input(0), ctx.input(1)])


@tf_op("Split")
def _split(ctx: NodeContext):
    axis = ctx.ints(0, "axis")[0]
    return ctx.make("Split", [ctx.input(1), ctx.i64(axis, "axis")], num_splits=int(ctx.attr("num_split"))).outputs()


@tf_op("SplitV")
def _split_v(ctx: NodeContext):
    axis = ctx.ints(2, "axis")[0]
    return ctx.make("VariadicSplit", [ctx.input(0), ctx.i64(axis, "axis"),
                                      as_i64(ctx, ctx.input(1), "lengths")]).outputs()


@tf_op("Pad", "PadV2", "MirrorPad")
def _pad(ctx: NodeContext):
    x = ctx.input(0)
    pads = np.asarray(ctx.ints(1, "paddings"), dtype=np.int64).reshape(-1, 2)
    ins = [x, ctx.i64(pads[:, 0], "pads_begin"), ctx.i64(pads[:, 1], "pads_end")]
    if ctx.op == "MirrorPad":
        return ctx.make1("Pad", ins, pad_mode=ctx.attr("mode", "REFLECT").lower())
    if ctx.op == "PadV2":
        ins.append(scalar(ctx, ctx.input(2), "pad_value"))
    return ctx.make1("Pad", ins, pad_mode="constant")


@tf_op("Tile")
def _tile(ctx: NodeContext):
    return ctx.make1("Tile", [ctx.input(0), as_i64(ctx, ctx.input(1), "repeats")])


@tf_op("Fill")
def _fill(ctx: NodeContext):
    return ctx.make1("Broadcast", [scalar(ctx, ctx.input(1), "value"), as_i64(ctx, ctx.input(0), "dims")])


@tf_op("BroadcastTo")
def _broadcast_to(ctx: NodeContext):
    return ctx.make1("Broadcast", [ctx.input(0), as_i64(ctx, ctx.input(1), "shape")])


@tf_op("ZerosLike", "OnesLike")
def _like(ctx: NodeContext):
    x = ctx.input(0)
    value = ctx.scalar_like(x, 0 if ctx.op == "ZerosLike" else 1, "value")
    return ctx.make1("Broadcast", [value, ctx.make1("ShapeOf", [x], "shape")])


@tf_op("Range")
def _range(ctx: NodeContext):
    args = [scalar(ctx, ctx.input(i), f"arg{i}") for i in range(3)]
    return ctx.make1("Range", args, output_type=ctx.attr("Tidx", Type.i32).name)


@tf_op("Cast")
def _cast(ctx: NodeContext):
    return ctx.make1("Convert", [ctx.input(0)], destination_type=ctx.attr("DstT").name)


@tf_op("SelectV2", "Select")
def _select(ctx: NodeContext):
    cond, a, b = ctx.inputs()
    if ctx.op == "Select" and ctx.rank(cond) == 1 and ctx.rank(a) > 1:
        # v1 Select with a vector condition picks whole rows
        cond = ctx.make1("Reshape", [cond, ctx.i64([-1] + [1] * (ctx.rank(a) - 1), "rows")], "cond_rows",
                         special_zero=False)
    return ctx.make1("Select", [cond, a, b])


@tf_op("OneHot")
def _one_hot(ctx: NodeContext):
    idx, depth, on, off = ctx.inputs()
    return ctx.make1("OneHot", [idx, scalar(ctx, depth, "depth"), scalar(ctx, on, "on"), scalar(ctx, off, "off")],
                     axis=int(ctx.attr("axis", -1)))


@tf_op("ReverseV2")
def _reverse(ctx: NodeContext):
    return ctx.make1("Reverse", [ctx.input(0), as_i64(ctx, ctx.input(1), "axes")], mode="index")


@tf_op("Cumsum", "Cumprod")
def _cumulative(ctx: NodeContext):
    op = "CumSum" if ctx.op == "Cumsum" else "CumProd"
    return ctx.make1(op, [ctx.input(0), ctx.input(1)], exclusive=bool(ctx.attr("exclusive", False)),
                     reverse=bool(ctx.attr("reverse", False)))


@tf_op("NoOp", "Assert")
def _no_value(ctx: NodeContext):
    raise FrontendError(f"TensorFlow {ctx.op} node '{ctx.name}' has no value to use")
