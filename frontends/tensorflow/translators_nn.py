"""TensorFlow convolutions, pooling, normalization, softmax, resizing and depth/space moves. Spatial ops run as
the OpenVINO op in NCHW between two Transposes (removed again by the layout pass); filters are rearranged from
TensorFlow's HWIO layouts (constant filters are rearranged once, at conversion)."""
from __future__ import annotations

from ovcl.frontends.tf_semantics import resize_attrs, transposed_conv_pads
from ovcl.ir import Output

from .graph import NodeContext, tf_op


def _padding(ctx: NodeContext) -> dict:
    """Padding attributes of a window op: SAME, VALID or EXPLICIT (``explicit_paddings``, per dimension)."""
    mode = ctx.attr("padding", "VALID")
    n = len(ctx.spatial(ctx.attr("strides")))
    if mode == "SAME":
        return {"auto_pad": "same_upper", "pads_begin": [0] * n, "pads_end": [0] * n}
    if mode == "VALID":
        return {"auto_pad": "valid", "pads_begin": [0] * n, "pads_end": [0] * n}
    if mode == "EXPLICIT":
        pads = ctx.attr("explicit_paddings")
        pairs = ctx.spatial([pads[2 * k:2 * k + 2] for k in range(len(pads) // 2)])
        return {"auto_pad": "explicit", "pads_begin": [p[0] for p in pairs], "pads_end": [p[1] for p in pairs]}
    raise ctx.fail(f"padding {mode} is not supported")


def _window(ctx: NodeContext) -> dict:
    attrs = _padding(ctx)
    attrs["strides"] = ctx.spatial(ctx.attr("strides"))
    return attrs


def _channels(ctx: NodeContext, x: Output) -> int:
    c = x.get_partial_shape()[1 if ctx.data_format().startswith("NC") else -1]
    if not c.is_static:
        raise ctx.fail("the input's channel count must be static")
    return c.get_length()


@tf_op("Conv2D", "Conv3D")
def _conv(ctx: NodeContext):
    x, f = ctx.input(0), ctx.input(1)                   # filter [spatial..., I, O]
    shape = ctx.static_shape(f, "filter")
    r = len(shape)
    attrs = _window(ctx)
    attrs["dilations"] = ctx.spatial(ctx.attr("dilations", [1] * r))
    w = ctx.make1("Transpose", [f, ctx.i64([r - 1, r - 2, *range(r - 2)], "oihw")], "filter_oihw")
    groups = _channels(ctx, x) // shape[-2]
    if groups == 1:
        return ctx.nhwc(ctx.make1("Convolution", [ctx.nchw(x), w], **attrs))
    o = shape[-1]
    w = ctx.make1("Reshape", [w, ctx.i64([groups, o // groups, shape[-2], *shape[:-2]], "gshape")],
                  "filter_grouped", special_zero=False)
    return ctx.nhwc(ctx.make1("GroupConvolution", [ctx.nchw(x), w], **attrs))


@tf_op("DepthwiseConv2dNative")
def _depthwise(ctx: NodeContext):
    x, f = ctx.input(0), ctx.input(1)                   # filter [H, W, C, M]
    kh, kw, c, m = ctx.static_shape(f, "filter")
    attrs = _window(ctx)
    attrs["dilations"] = ctx.spatial(ctx.attr("dilations", [1, 1, 1, 1]))
    w = ctx.make1("Transpose", [f, ctx.i64([2, 3, 0, 1], "cmhw")], "filter_cmhw")
    w = ctx.make1("Reshape", [w, ctx.i64([c, m, 1, kh, kw], "gshape")], "filter_grouped", special_zero=False)
    return ctx.nhwc(ctx.make1("GroupConvolution", [ctx.nchw(x), w], **attrs))


@tf_op("Conv2DBackpropInput")
def _conv_transpose(ctx: NodeContext):
    f, x = ctx.input(1), ctx.input(2)                   # filter [H, W, O, I]
    axes = ctx.spatial(list(range(ctx.rank(x))))
    out = ctx.int_entries(0, axes, "input_sizes")      # the result's spatial size (the batch may be dynamic)
    kernel = ctx.static_shape(f, "filter")[:2]
    dims = [x.get_partial_shape()[a] for a in axes]
    if not all(d.is_static for d in dims):
        raise ctx.fail(f"the input's spatial size must be static, not {x.get_partial_shape()}")
    spatial = [d.get_length() for d in dims]
    strides = ctx.spatial(ctx.attr("strides"))
    dilations = ctx.spatial(ctx.attr("dilations", [1, 1, 1, 1]))
    mode = ctx.attr("padding", "VALID")
    explicit = _padding(ctx) if mode == "EXPLICIT" else None
    pads_begin, pads_end, extra = [], [], []
    for k, (n, kk, s, d, o) in enumerate(zip(spatial, kernel, strides, dilations, out)):
        begin, end, more = transposed_conv_pads(n, kk, s, d, o, mode == "SAME")
        if explicit is not None:                       # the given crops instead of VALID's none
            begin, end = explicit["pads_begin"][k], explicit["pads_end"][k]
            more += begin + end
        pads_begin.append(begin)
        pads_end.append(end)
        extra.append(more)
    if any(e < 0 for e in extra):
        raise ctx.fail(f"input_sizes {out} is smaller than the transposed convolution gives")
    w = ctx.make1("Transpose", [f, ctx.i64([3, 2, 0, 1], "iohw")], "filter_iohw")
    y = ctx.make1("ConvolutionBackpropData", [ctx.nchw(x), w], strides=strides, pads_begin=pads_begin,
                  pads_end=pads_end, dilations=dilations, output_padding=extra)
    return ctx.nhwc(y)


def _pool(ctx: NodeContext, kind: str):
    x = ctx.input(0)
    attrs = _window(ctx)
    attrs["kernel"] = ctx.spatial(ctx.attr("ksize"))
    if kind == "AvgPool":
        y = ctx.make1("AvgPool", [ctx.nchw(x)], **{"exclude-pad": True}, **attrs)   # TF averages in-range taps
    else:
        y = ctx.make("MaxPool", [ctx.nchw(x)], **attrs).output(0)
    return ctx.nhwc(y)


@tf_op("AvgPool", "AvgPool3D")
def _avg_pool(ctx: NodeContext):
    return _pool(ctx, "AvgPool")


@tf_op("MaxPool", "MaxPool3D")
def _max_pool(ctx: NodeContext):
    return _pool(ctx, "MaxPool")


def _per_channel(ctx: NodeContext, v: Output, rank: int, suffix: str) -> Output:
    """A per-channel vector shaped to broadcast against a tensor of ``rank`` in the node's data format."""
    if not ctx.data_format().startswith("NC"):
        return v
    return ctx.make1("Reshape", [v, ctx.i64([-1] + [1] * (rank - 2), suffix + "_shape")], suffix,
                     special_zero=False)


@tf_op("BiasAdd", "BiasAddV1")
def _bias_add(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make1("Add", [x, _per_channel(ctx, ctx.input(1), ctx.rank(x), "bias")])


@tf_op("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _fused_batch_norm(ctx: NodeContext):
    if ctx.attr("is_training", False):
        raise ctx.fail("batch normalization in training mode (is_training=true): export the model for inference")
    x, scale, offset, mean, var = ctx.inputs()[:5]
    # y = x * a + b with a = scale / sqrt(var + eps), b = offset - mean * a: constants fold, and the two
    # element-wise ops fuse into the kernel that produces x
    eps = ctx.scalar_like(var, float(ctx.attr("epsilon", 1e-3)), "epsilon")
    a = ctx.make1("Divide", [scale, ctx.make1("Sqrt", [ctx.make1("Add", [var, eps], "var_eps")], "std")], "a")
    b = ctx.make1("Subtract", [offset, ctx.make1("Multiply", [mean, a], "mean_a")], "b")
    r = ctx.rank(x)
    y = ctx.make1("Add", [ctx.make1("Multiply", [x, _per_channel(ctx, a, r, "a_c")], "scaled"),
                          _per_channel(ctx, b, r, "b_c")])
    return [y, mean, var, mean, var, mean]


@tf_op("Softmax", "LogSoftmax")
def _softmax(ctx: NodeContext):
    return ctx.make1(ctx.op, [ctx.input(0)], axis=-1)


@tf_op("LRN")
def _lrn(ctx: NodeContext):
    r = int(ctx.attr("depth_radius", 5))
    size = 2 * r + 1
    # TensorFlow's alpha multiplies the plain sum of squares; OpenVINO's is divided by the window size
    y = ctx.make1("LRN", [ctx.nchw(ctx.input(0)), ctx.i64([1], "axes")], alpha=float(ctx.attr("alpha", 1.0)) * size,
                  beta=float(ctx.attr("beta", 0.5)), bias=float(ctx.attr("bias", 1.0)), size=size)
    return ctx.nhwc(y)


@tf_op("ResizeBilinear", "ResizeNearestNeighbor")
def _resize(ctx: NodeContext):
    x = ctx.input(0)
    attrs = resize_attrs(ctx.op == "ResizeBilinear", bool(ctx.attr("align_corners", False)),
                         bool(ctx.attr("half_pixel_centers", False)))
    size = ctx.make1("Convert", [ctx.input(1)], "sizes", destination_type="i64")
    y = ctx.make1("Interpolate", [ctx.nchw(x), size, ctx.i64([2, 3], "axes")], shape_calculation_mode="sizes",
                  **attrs)
    return ctx.nhwc(y)


@tf_op("DepthToSpace", "SpaceToDepth")
def _depth_space(ctx: NodeContext):
    # TensorFlow's channel order within a block is OpenVINO's blocks_first
    y = ctx.make1(ctx.op, [ctx.nchw(ctx.input(0))], block_size=int(ctx.attr("block_size")), mode="blocks_first")
    return ctx.nhwc(y)


def _block_shape(ctx: NodeContext, x: Output) -> tuple[list[int], list[int]]:
    """The block sizes, and the static lengths of ``x``'s axes after the batch (the batch may be dynamic)."""
    block = ctx.ints(1, "block_shape")
    dims = x.get_partial_shape()
    if dims.rank_is_dynamic or not all(d.is_static for d in list(dims)[1:]):
        raise ctx.fail(f"all but the batch dimension must be static, not {dims}")
    return block, [d.get_length() for d in list(dims)[1:]]


@tf_op("SpaceToBatchND")
def _space_to_batch(ctx: NodeContext):
    """Pad, split each blocked axis into (length / block, block), move the blocks in front of the batch and
    merge them into it. TensorFlow makes these around convolutions with dilations."""
    x = ctx.input(0)
    block, rest = _block_shape(ctx, x)
    m = len(block)
    pads = [ctx.ints(2, "paddings")[2 * k:2 * k + 2] for k in range(m)]
    n = len(rest) + 1
    x = ctx.make1("Pad", [x, ctx.i64([0] + [p[0] for p in pads] + [0] * (n - 1 - m), "pads_begin"),
                          ctx.i64([0] + [p[1] for p in pads] + [0] * (n - 1 - m), "pads_end")], "pad",
                  pad_mode="constant")
    padded = [rest[k] + pads[k][0] + pads[k][1] for k in range(m)]
    split = [0] + [v for k in range(m) for v in (padded[k] // block[k], block[k])] + rest[m:]
    x = ctx.make1("Reshape", [x, ctx.i64(split, "split_shape")], "split", special_zero=True)
    perm = [2 * k + 2 for k in range(m)] + [0] + [2 * k + 1 for k in range(m)] + list(range(2 * m + 1, len(split)))
    x = ctx.make1("Transpose", [x, ctx.i64(perm, "perm")], "blocks_first")
    return ctx.make1("Reshape", [x, ctx.i64([-1] + [padded[k] // block[k] for k in range(m)] + rest[m:], "shape")],
                     special_zero=False)


@tf_op("BatchToSpaceND")
def _batch_to_space(ctx: NodeContext):
    """The inverse: split the blocks out of the batch, interleave each with its axis, then crop."""
    x = ctx.input(0)
    block, rest = _block_shape(ctx, x)
    m = len(block)
    crops = [ctx.ints(2, "crops")[2 * k:2 * k + 2] for k in range(m)]
    x = ctx.make1("Reshape", [x, ctx.i64(block + [-1] + rest, "split_shape")], "split", special_zero=False)
    perm = [m] + [v for k in range(m) for v in (m + 1 + k, k)] + list(range(2 * m + 1, 2 * m + 1 + len(rest) - m))
    x = ctx.make1("Transpose", [x, ctx.i64(perm, "perm")], "interleave")
    full = [rest[k] * block[k] for k in range(m)]
    x = ctx.make1("Reshape", [x, ctx.i64([0] + full + rest[m:], "merged_shape")], "merge", special_zero=True)
    begin = [c[0] for c in crops]
    end = [full[k] - crops[k][1] for k in range(m)]
    return ctx.make1("Slice", [x, ctx.i64(begin, "begin"), ctx.i64(end, "end"), ctx.i64([1] * m, "step"),
                               ctx.i64(list(range(1, m + 1)), "axes")])
