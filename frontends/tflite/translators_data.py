"""TFLite data movement: reshapes, transposes, concatenation, padding, slicing, splitting, packing, gathers,
tiling and the shape ops (SHAPE, FILL, RANGE, BROADCAST_TO)."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Output

from .graph import NodeContext, tflite_op


def _as_i64(ctx: NodeContext, x: Output, suffix: str) -> Output:
    if x.get_element_type().name == "i64":
        return x
    return ctx.make1("Convert", [x], suffix, destination_type="i64")


@tflite_op("RESHAPE")
def _reshape(ctx: NodeContext):
    x = ctx.input(0)
    if ctx.tensor(1) is not None:
        v = ctx.const_value(1)
        shape = ctx.i64(v, "shape") if v is not None else _as_i64(ctx, ctx.input(1), "shape")
    elif ctx.opt("NewShapeLength", 0):
        shape = ctx.i64(ctx.options.NewShapeAsNumpy(), "shape")
    else:                                                      # neither: the output tensor's shape
        shape = ctx.i64(ctx.out_tensor().shape, "shape")
    return ctx.make1("Reshape", [x, shape], special_zero=False)


@tflite_op("SQUEEZE")
def _squeeze(ctx: NodeContext):
    x = ctx.input(0)
    dims = [int(d) for d in ctx.options.SqueezeDimsAsNumpy()] if ctx.opt("SqueezeDimsLength", 0) else []
    if not dims:
        dims = [k for k, d in enumerate(ctx.static_shape(x)) if d == 1]
    return ctx.make1("Squeeze", [x, ctx.i64(dims, "axes")])


@tflite_op("EXPAND_DIMS")
def _expand_dims(ctx: NodeContext):
    x = ctx.input(0)
    axis = ctx.ints(1, "axis")[0]
    if axis < 0:
        axis += ctx.rank(x) + 1
    return ctx.make1("Unsqueeze", [x, ctx.i64([axis], "axes")])


@tflite_op("TRANSPOSE")
def _transpose(ctx: NodeContext):
    return ctx.make1("Transpose", [ctx.input(0), ctx.i64(ctx.ints(1, "perm"), "perm")])


@tflite_op("CONCATENATION")
def _concat(ctx: NodeContext):
    parts = [ctx.input(i) for i in range(ctx.num_inputs)]
    y = ctx.make1("Concat", parts, axis=int(ctx.opt("Axis", 0)) % ctx.rank(parts[0]))
    return ctx.activation(y)


@tflite_op("PAD", "PADV2", "MIRROR_PAD")
def _pad(ctx: NodeContext):
    x = ctx.input(0)
    pads = np.asarray(ctx.ints(1, "paddings"), dtype=np.int64).reshape(-1, 2)
    ins = [x, ctx.i64(pads[:, 0], "pads_begin"), ctx.i64(pads[:, 1], "pads_end")]
    if ctx.opcode == "MIRROR_PAD":
        mode = "reflect" if int(ctx.opt("Mode", 0)) == 0 else "symmetric"
        return ctx.make1("Pad", ins, pad_mode=mode)
    if ctx.opcode == "PADV2" and ctx.tensor(2) is not None:
        ins.append(ctx.make1("Reshape", [ctx.input(2), ctx.i64([], "scalar")], "pad_value", special_zero=False))
    elif ctx.tensor(0).quant is not None:
        # a quantized PAD fills with the zero point, whose real value is 0
        ins.append(ctx.scalar_like(x, 0.0, "pad_value"))
    return ctx.make1("Pad", ins, pad_mode="constant")


@tflite_op("GATHER")
def _gather(ctx: NodeContext):
    x, idx = ctx.input(0), ctx.input(1)
    axis = int(ctx.opt("Axis", 0))
    return ctx.make1("Gather", [x, idx, ctx.i64(axis, "axis")], batch_dims=int(ctx.opt("BatchDims", 0)))


@tflite_op("GATHER_ND")
def _gather_nd(ctx: NodeContext):
    return ctx.make1("GatherND", [ctx.input(0), ctx.input(1)])


@tflite_op("EMBEDDING_LOOKUP")
def _embedding_lookup(ctx: NodeContext):
    return ctx.make1("Gather", [ctx.input(1), ctx.input(0), ctx.i64(0, "axis")])


def _bits(mask: int, n: int) -> list[int]:
    return [(int(mask) >> k) & 1 for k in range(n)]


@tflite_op("STRIDED_SLICE")
def _strided_slice(ctx: NodeContext):
    x = ctx.input(0)
    begin, end, strides = ctx.ints(1, "begin"), ctx.ints(2, "end"), ctx.ints(3, "strides")
    n = len(begin)
    if ctx.opt("Offset", False):                               # end counts from begin
        end = [b + e for b, e in zip(begin, end)]
    masks = {"begin_mask": _bits(ctx.opt("BeginMask", 0), n), "end_mask": _bits(ctx.opt("EndMask", 0), n),
             "new_axis_mask": _bits(ctx.opt("NewAxisMask", 0), n),
             "shrink_axis_mask": _bits(ctx.opt("ShrinkAxisMask", 0), n),
             "ellipsis_mask": _bits(ctx.opt("EllipsisMask", 0), n)}
    return ctx.make1("StridedSlice", [x, ctx.i64(begin, "begin"), ctx.i64(end, "end"), ctx.i64(strides, "strides")],
                     **masks)


@tflite_op("SLICE")
def _slice(ctx: NodeContext):
    x = ctx.input(0)
    begin, size = ctx.ints(1, "begin"), ctx.ints(2, "size")
    big = np.iinfo(np.int64).max
    end = [big if s == -1 else b + s for b, s in zip(begin, size)]
    return ctx.make1("Slice", [x, ctx.i64(begin, "start"), ctx.i64(end, "stop"), ctx.i64([1] * len(begin), "step")])


@tflite_op("SPLIT")
def _split(ctx: NodeContext):
    axis = ctx.ints(0, "axis")[0]
    x = ctx.input(1)
    n = int(ctx.opt("NumSplits", len(ctx.op.outputs)))
    return ctx.make("Split", [x, ctx.i64(axis, "axis")], num_splits=n).outputs()


@tflite_op("SPLIT_V")
def _split_v(ctx: NodeContext):
    x = ctx.input(0)
    sizes = ctx.ints(1, "size_splits")
    axis = ctx.ints(2, "axis")[0]
    return ctx.make("VariadicSplit", [x, ctx.i64(axis, "axis"), ctx.i64(sizes, "lengths")]).outputs()


@tflite_op("PACK")
def _pack(ctx: NodeContext):
    parts = [ctx.input(i) for i in range(ctx.num_inputs)]
    axis = int(ctx.opt("Axis", 0))
    if axis < 0:
        axis += ctx.rank(parts[0]) + 1
    ax = ctx.i64([axis], "axis")
    parts = [ctx.make1("Unsqueeze", [p, ax], f"unsqueeze_{k}") for k, p in enumerate(parts)]
    return ctx.make1("Concat", parts, axis=axis)


@tflite_op("UNPACK")
def _unpack(ctx: NodeContext):
    x = ctx.input(0)
    axis = int(ctx.opt("Axis", 0)) % ctx.rank(x)
    n = int(ctx.opt("Num", len(ctx.op.outputs)))
    parts = ctx.make("Split", [x, ctx.i64(axis, "axis")], "split", num_splits=n).outputs()
    ax = ctx.i64([axis], "squeeze_axis")
    return [ctx.make1("Squeeze", [p, ax], f"squeeze_{k}") for k, p in enumerate(parts)]


@tflite_op("TILE")
def _tile(ctx: NodeContext):
    return ctx.make1("Tile", [ctx.input(0), _as_i64(ctx, ctx.input(1), "repeats")])


@tflite_op("REVERSE_V2")
def _reverse(ctx: NodeContext):
    return ctx.make1("Reverse", [ctx.input(0), _as_i64(ctx, ctx.input(1), "axes")], mode="index")


@tflite_op("SHAPE")
def _shape(ctx: NodeContext):
    return ctx.make1("ShapeOf", [ctx.input(0)], output_type=ctx.out_tensor().type.name)


@tflite_op("FILL")
def _fill(ctx: NodeContext):
    value = ctx.make1("Reshape", [ctx.input(1), ctx.i64([], "scalar")], "value", special_zero=False)
    return ctx.make1("Broadcast", [value, _as_i64(ctx, ctx.input(0), "dims")])


@tflite_op("BROADCAST_TO")
def _broadcast_to(ctx: NodeContext):
    return ctx.make1("Broadcast", [ctx.input(0), _as_i64(ctx, ctx.input(1), "shape")])


@tflite_op("RANGE")
def _range(ctx: NodeContext):
    scalars = [ctx.make1("Reshape", [ctx.input(i), ctx.i64([], f"scalar{i}")], f"arg{i}", special_zero=False)
               for i in range(3)]
    return ctx.make1("Range", scalars, output_type=ctx.out_tensor().type.name)


@tflite_op("CUMSUM")
def _cumsum(ctx: NodeContext):
    return ctx.make1("CumSum", [ctx.input(0), ctx.input(1)], exclusive=bool(ctx.opt("Exclusive", False)),
                     reverse=bool(ctx.opt("Reverse", False)))
