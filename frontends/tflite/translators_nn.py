"""TFLite convolutions, pooling, resizing and depth/space moves. Each runs as the OpenVINO op in NCHW between
two Transposes (removed again by the layout pass); weights are rearranged from TFLite's OHWI layouts."""
from __future__ import annotations

from ovcl.frontends.tf_semantics import resize_attrs, transposed_conv_pads
from ovcl.ir import Output

from .graph import NodeContext, tflite_op

_PADDING = {0: "same_upper", 1: "valid"}     # Padding enum: SAME, VALID


def _auto_pad(ctx: NodeContext) -> str:
    code = int(ctx.opt("Padding", 0))
    if code not in _PADDING:
        raise ctx.fail(f"padding mode {code} is not supported")
    return _PADDING[code]


def _window(ctx: NodeContext) -> dict:
    return {"strides": [int(ctx.opt("StrideH", 1)), int(ctx.opt("StrideW", 1))], "pads_begin": [0, 0],
            "pads_end": [0, 0], "auto_pad": _auto_pad(ctx)}


def _bias_act(ctx: NodeContext, y: Output, bias_input: int) -> Output:
    """The NCHW result plus the per-channel bias (where given), the fused activation, back to NHWC."""
    b = ctx.input(bias_input)
    if b is not None:
        b = ctx.make1("Reshape", [b, ctx.i64([1, -1, 1, 1], "bias_shape")], "bias_nchw", special_zero=False)
        y = ctx.make1("Add", [y, b], "add_bias")
    return ctx.nhwc(ctx.activation(y))


def _channels(ctx: NodeContext, x: Output) -> int:
    c = x.get_partial_shape()[-1]
    if not c.is_static:
        raise ctx.fail("the input's channel count must be static")
    return c.get_length()


@tflite_op("CONV_2D")
def _conv2d(ctx: NodeContext):
    x = ctx.input(0)                                           # NHWC
    oc, kh, kw, icg = ctx.static_shape(ctx.input(1), "filter")  # OHWI
    attrs = _window(ctx)
    attrs["dilations"] = [int(ctx.opt("DilationHFactor", 1)), int(ctx.opt("DilationWFactor", 1))]
    groups = _channels(ctx, x) // icg
    shape = [oc, icg, kh, kw] if groups == 1 else [groups, oc // groups, icg, kh, kw]
    w = ctx.weights(1, lambda d: d.transpose(0, 3, 1, 2).reshape(shape), 0, [*shape[:-3], 1, 1, 1])
    if w is None:                                              # weights computed at run time
        w = ctx.make1("Transpose", [ctx.input(1), ctx.i64([0, 3, 1, 2], "oihw")], "weights_oihw")
        if groups > 1:
            w = ctx.make1("Reshape", [w, ctx.i64(shape, "gshape")], "weights_grouped", special_zero=False)
    op = "Convolution" if groups == 1 else "GroupConvolution"
    return _bias_act(ctx, ctx.make1(op, [ctx.nchw(x), w], **attrs), 2)


@tflite_op("DEPTHWISE_CONV_2D")
def _depthwise(ctx: NodeContext):
    x = ctx.input(0)
    _, kh, kw, total = ctx.static_shape(ctx.input(1), "filter")   # [1, KH, KW, C * M]
    attrs = _window(ctx)
    attrs["dilations"] = [int(ctx.opt("DilationHFactor", 1)), int(ctx.opt("DilationWFactor", 1))]
    c = _channels(ctx, x)
    m = total // c
    w = ctx.weights(1, lambda d: d.reshape(kh, kw, c, m).transpose(2, 3, 0, 1).reshape(c, m, 1, kh, kw), 3,
                    [c, m, 1, 1, 1])
    if w is None:
        w = ctx.make1("Reshape", [ctx.input(1), ctx.i64([kh, kw, c, m], "hwcm")], "weights_hwcm", special_zero=False)
        w = ctx.make1("Transpose", [w, ctx.i64([2, 3, 0, 1], "cmhw")], "weights_cmhw")
        w = ctx.make1("Reshape", [w, ctx.i64([c, m, 1, kh, kw], "gshape")], "weights_grouped", special_zero=False)
    return _bias_act(ctx, ctx.make1("GroupConvolution", [ctx.nchw(x), w], **attrs), 2)


@tflite_op("TRANSPOSE_CONV")
def _transpose_conv(ctx: NodeContext):
    out_shape = ctx.ints(0, "output_shape")                    # NHWC
    x = ctx.input(2)
    oc, kh, kw, _ = ctx.static_shape(ctx.input(1), "filter")   # OHWI
    h, wd = ctx.static_shape(x)[1:3]
    strides = [int(ctx.opt("StrideH", 1)), int(ctx.opt("StrideW", 1))]
    same = _auto_pad(ctx) == "same_upper"
    pads_begin, pads_end, extra = zip(*(transposed_conv_pads(n, k, s, 1, out, same) for n, k, s, out in
                                        ((h, kh, strides[0], out_shape[1]), (wd, kw, strides[1], out_shape[2]))))
    pads_begin, pads_end, extra = list(pads_begin), list(pads_end), list(extra)
    if any(e < 0 for e in extra):
        raise ctx.fail(f"output_shape {out_shape} is smaller than the convolution gives")
    w = ctx.weights(1, lambda d: d.transpose(3, 0, 1, 2), 0, [1, oc, 1, 1])      # IOHW
    if w is None:
        w = ctx.make1("Transpose", [ctx.input(1), ctx.i64([3, 0, 1, 2], "iohw")], "weights_iohw")
    y = ctx.make1("ConvolutionBackpropData", [ctx.nchw(x), w], strides=strides, pads_begin=pads_begin,
                  pads_end=pads_end, dilations=[1, 1], output_padding=extra)
    return _bias_act(ctx, y, 3)


def _pool(ctx: NodeContext, kind: str):
    x = ctx.input(0)
    attrs = _window(ctx)
    attrs["kernel"] = [int(ctx.opt("FilterHeight", 1)), int(ctx.opt("FilterWidth", 1))]
    if kind == "AvgPool":
        y = ctx.make1("AvgPool", [ctx.nchw(x)], **{"exclude-pad": True}, **attrs)   # TF averages in-range taps
    else:
        y = ctx.make("MaxPool", [ctx.nchw(x)], **attrs).output(0)
    return ctx.nhwc(ctx.activation(y))


@tflite_op("AVERAGE_POOL_2D")
def _avg_pool(ctx: NodeContext):
    return _pool(ctx, "AvgPool")


@tflite_op("MAX_POOL_2D")
def _max_pool(ctx: NodeContext):
    return _pool(ctx, "MaxPool")


@tflite_op("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
def _resize(ctx: NodeContext):
    x = ctx.input(0)
    size = ctx.ints(1, "size")
    attrs = resize_attrs(ctx.opcode == "RESIZE_BILINEAR", bool(ctx.opt("AlignCorners", False)),
                         bool(ctx.opt("HalfPixelCenters", False)))
    y = ctx.make1("Interpolate", [ctx.nchw(x), ctx.i64(size, "sizes"), ctx.i64([2, 3], "axes")],
                  shape_calculation_mode="sizes", **attrs)
    return ctx.nhwc(y)


@tflite_op("DEPTH_TO_SPACE", "SPACE_TO_DEPTH")
def _depth_space(ctx: NodeContext):
    # TensorFlow's channel order within a block is OpenVINO's blocks_first
    op = "DepthToSpace" if ctx.opcode == "DEPTH_TO_SPACE" else "SpaceToDepth"
    y = ctx.make1(op, [ctx.nchw(ctx.input(0))], block_size=int(ctx.opt("BlockSize", 1)), mode="blocks_first")
    return ctx.nhwc(y)


@tflite_op("L2_POOL_2D")
def _l2_pool(ctx: NodeContext):
    x = ctx.input(0)
    attrs = _window(ctx)
    attrs["kernel"] = [int(ctx.opt("FilterHeight", 1)), int(ctx.opt("FilterWidth", 1))]
    sq = ctx.make1("Multiply", [x, x], "square")
    y = ctx.make1("AvgPool", [ctx.nchw(sq)], "mean", **{"exclude-pad": True}, **attrs)
    return ctx.nhwc(ctx.activation(ctx.make1("Sqrt", [y], "sqrt")))

