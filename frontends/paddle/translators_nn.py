"""Convolutions, normalizations and pooling. Paddle's spatial ops take ``data_format`` NCHW (OpenVINO's layout)
or NHWC (wrapped in Transposes); filters are always [out, in / groups, kh, kw] ([in, out / groups, ...] for
transposed convolutions). ``paddings`` is [ph, pw] or [top, bottom, left, right]; ``padding_algorithm`` SAME /
VALID overrides it."""
from __future__ import annotations

import numpy as np

from ovcl.ir import Output

from .graph import NodeContext, paddle_op


def _channels_first(ctx: NodeContext) -> bool:
    return ctx.data_format() not in ("NHWC", "NDHWC", "NLC")


def _to_nchw(ctx: NodeContext, x: Output) -> Output:
    return x if _channels_first(ctx) else ctx.nchw(x)


def _from_nchw(ctx: NodeContext, y: Output) -> Output:
    return y if _channels_first(ctx) else ctx.nhwc(y)


def _pads(ctx: NodeContext, nd: int) -> dict:
    """pads_begin / pads_end / auto_pad of ``paddings`` and ``padding_algorithm`` (SAME as OpenVINO's
    same_upper, which is Paddle's rule where there is no dilation: pools)."""
    algo = str(ctx.attr("padding_algorithm", "EXPLICIT")).upper()
    p = [int(v) for v in ctx.attr("paddings", [0] * nd)]
    if algo == "SAME":
        return {"pads_begin": [0] * nd, "pads_end": [0] * nd, "auto_pad": "same_upper"}
    if algo == "VALID":
        return {"pads_begin": [0] * nd, "pads_end": [0] * nd, "auto_pad": "valid"}
    if len(p) == nd:
        return {"pads_begin": p, "pads_end": p, "auto_pad": "explicit"}
    if len(p) == 2 * nd:
        return {"pads_begin": p[0::2], "pads_end": p[1::2], "auto_pad": "explicit"}
    raise ctx.fail(f"paddings {p} do not fit {nd} spatial axes")


def _spatial_sizes(ctx: NodeContext, x: Output) -> list[int]:
    dims = list(x.get_partial_shape())[2:]
    if not all(d.is_static for d in dims):
        raise ctx.fail(f"the spatial sizes must be static, not {x.get_partial_shape()}")
    return [d.get_length() for d in dims]


def _conv_geometry(ctx: NodeContext, x: Output, w: Output, nd: int) -> dict:
    """strides, dilations and pads of a convolution (plain or transposed). SAME pads follow Paddle: from the
    input's size, ``(ceil(in / s) - 1) · s + k - in`` in all, the smaller half first, and the dilation set to 1."""
    attrs = {"strides": ctx.ints("strides", None, [1] * nd), "dilations": ctx.ints("dilations", None, [1] * nd),
             **_pads(ctx, nd)}
    if attrs["auto_pad"] == "same_upper":
        sizes = _spatial_sizes(ctx, x)
        kernel = ctx.static_shape(w, "filter")[2:]
        total = [max((-(-n // s) - 1) * s + k - n, 0) for n, s, k in zip(sizes, attrs["strides"], kernel)]
        attrs.update(pads_begin=[t // 2 for t in total], pads_end=[t - t // 2 for t in total], auto_pad="explicit",
                     dilations=[1] * nd)
    return attrs


def _groups(ctx: NodeContext, w: Output) -> int:
    groups = int(ctx.attr("groups", 1))
    if groups < 1 or ctx.static_shape(w, "filter")[0] % groups:
        raise ctx.fail(f"groups {groups} does not divide the filter's {ctx.static_shape(w, 'filter')[0]} rows")
    return groups


def _group_weights(ctx: NodeContext, w: Output, groups: int) -> Output:
    shape = ctx.static_shape(w, "filter")
    return ctx.make1("Reshape", [w, ctx.i64([groups, shape[0] // groups, *shape[1:]], "group_shape")],
                     "group_filter", special_zero=False)


@paddle_op("conv2d", "depthwise_conv2d", "conv3d")
def _conv(ctx: NodeContext):
    x = _to_nchw(ctx, ctx.input(0))
    w = ctx.input(1)
    attrs = _conv_geometry(ctx, x, w, ctx.rank(w) - 2)
    groups = _groups(ctx, w)
    if groups == 1:
        y = ctx.make1("Convolution", [x, w], **attrs)
    else:
        y = ctx.make1("GroupConvolution", [x, _group_weights(ctx, w, groups)], **attrs)
    return _from_nchw(ctx, y)


@paddle_op("conv2d_transpose", "depthwise_conv2d_transpose")
def _conv_transpose(ctx: NodeContext):
    x = _to_nchw(ctx, ctx.input(0))
    w = ctx.input(1)
    nd = ctx.rank(w) - 2
    attrs = _conv_geometry(ctx, x, w, nd)
    strides, dil = attrs["strides"], attrs["dilations"]
    opad = ctx.ints("output_padding", None, []) or [0] * nd
    out_size = ctx.ints("output_size", 2, []) if ctx.has_input(2) or ctx.attr("output_size") else []
    if out_size:        # output_size fixes the output padding: the size with none is the smallest it can be
        sizes = _spatial_sizes(ctx, x)
        kernel = ctx.static_shape(w, "filter")[2:]
        if attrs["auto_pad"] != "explicit":
            raise ctx.fail("output_size with VALID padding is not supported")
        pb, pe = attrs["pads_begin"], attrs["pads_end"]
        least = [(sizes[i] - 1) * strides[i] - pb[i] - pe[i] + dil[i] * (kernel[i] - 1) + 1 for i in range(nd)]
        opad = [int(o) - m for o, m in zip(out_size[-nd:], least)]
        if any(p < 0 or p >= max(strides[i], dil[i]) for i, p in enumerate(opad)):
            raise ctx.fail(f"output_size {out_size} cannot be reached from input size {sizes}")
    attrs["output_padding"] = opad
    groups = _groups(ctx, w)
    if groups == 1:
        y = ctx.make1("ConvolutionBackpropData", [x, w], **attrs)
    else:
        y = ctx.make1("GroupConvolutionBackpropData", [x, _group_weights(ctx, w, groups)], **attrs)
    return _from_nchw(ctx, y)


@paddle_op("batch_norm")
def _batch_norm(ctx: NodeContext):
    """Inference batch norm: x, mean, variance, scale, bias (PIR's order)."""
    x = _to_nchw(ctx, ctx.input(0))
    mean, var = ctx.input(1), ctx.input(2)
    c = ctx.static_shape(mean, "mean")
    scale = ctx.input(3) if ctx.has_input(3) else ctx.const(np.ones(c, np.float32), suffix="scale")
    bias = ctx.input(4) if ctx.has_input(4) else ctx.const(np.zeros(c, np.float32), suffix="bias")
    y = ctx.make1("BatchNormInference", [x, scale, bias, mean, var], epsilon=float(ctx.attr("epsilon", 1e-5)))
    return _from_nchw(ctx, y)


@paddle_op("layer_norm")
def _layer_norm(ctx: NodeContext):
    """Normalized over the axes from ``begin_norm_axis``; scale and bias are flat over them."""
    x = ctx.input(0)
    r = ctx.rank(x)
    begin = int(ctx.attr("begin_norm_axis", 1))
    begin += r if begin < 0 else 0
    y = ctx.make1("MVN", [x, ctx.i64(list(range(begin, r)), "axes")], normalize_variance=True,
                  eps=float(ctx.attr("epsilon", 1e-5)), eps_mode="inside_sqrt")
    dims = list(x.get_partial_shape())[begin:]
    norm_shape = [d.get_length() for d in dims] if all(d.is_static for d in dims) else None
    for i, (op, suffix) in ((1, ("Multiply", "scale")), (2, ("Add", "bias"))):
        if ctx.has_input(i):
            p = ctx.input(i)
            if norm_shape is None:
                raise ctx.fail("the normalized dimensions must be static")
            p = ctx.make1("Reshape", [p, ctx.i64(norm_shape, f"{suffix}_shape")], f"{suffix}_reshape",
                          special_zero=False)
            y = ctx.make1(op, [y, p], suffix)
    return [y]


@paddle_op("pool2d", "pool3d", "max_pool2d_with_index", "max_pool3d_with_index")
def _pool(ctx: NodeContext):
    """Max and average pooling, global and adaptive ones; ``max_pool*_with_index`` also gives each maximum's
    index in its channel's input plane (the mask)."""
    x = _to_nchw(ctx, ctx.input(0))
    nd = ctx.rank(x) - 2
    with_index = ctx.type.endswith("_with_index")
    kind = "max" if with_index else str(ctx.attr("pooling_type", "max"))
    if kind not in ("max", "avg"):
        raise ctx.fail(f"pooling_type '{kind}' is not supported")
    kernel = ctx.ints("kernel_size", 1)
    if ctx.attr("global_pooling", False) or (ctx.attr("adaptive", False) and kernel == [1] * nd):
        kernel, adaptive = [1] * nd, True
    else:
        adaptive = bool(ctx.attr("adaptive", False))
    if adaptive:
        size = ctx.i64(kernel, "output_size")
        if kind == "avg":
            return _from_nchw(ctx, ctx.make1("AdaptiveAvgPool", [x, size]))
        node = ctx.make("AdaptiveMaxPool", [x, size], index_element_type="i32")
        return [_from_nchw(ctx, node.output(0)), node.output(1)] if with_index else _from_nchw(ctx, node.output(0))
    attrs = {"kernel": kernel, "strides": ctx.ints("strides", None, [1] * nd), **_pads(ctx, nd),
             "rounding_type": "ceil" if ctx.attr("ceil_mode", False) else "floor"}
    if kind == "max":
        node = ctx.make("MaxPool", [x], dilations=[1] * nd, axis=2, index_element_type="i32", **attrs)
        return [_from_nchw(ctx, node.output(0)), node.output(1)] if with_index else _from_nchw(ctx, node.output(0))
    exclusive = bool(ctx.attr("exclusive", True))
    if not exclusive and attrs["rounding_type"] == "ceil" and attrs["auto_pad"] == "explicit":
        # Paddle divides by the window clipped to the padded input, OpenVINO by the whole kernel: pad with
        # zeros for real, and let AvgPool leave out what lies beyond them
        x = ctx.make1("Pad", [x, ctx.i64([0, 0, *attrs["pads_begin"]], "pads_begin"),
                              ctx.i64([0, 0, *attrs["pads_end"]], "pads_end"), ctx.scalar_like(x, 0, "zero")],
                      "pad", pad_mode="constant")
        attrs.update(pads_begin=[0] * nd, pads_end=[0] * nd)
        exclusive = True
    y = ctx.make1("AvgPool", [x], **{"exclude-pad": exclusive}, **attrs)
    return _from_nchw(ctx, y)


@paddle_op("bilinear_interp", "nearest_interp", "linear_interp", "bicubic_interp", "trilinear_interp")
def _interp(ctx: NodeContext):
    """Resize to ``out_size`` / ``size_tensor`` / ``out_h`` and ``out_w``, or by ``scale``."""
    x = _to_nchw(ctx, ctx.input(0))
    dims = list(x.get_partial_shape())[2:]
    spatial = [d.get_length() for d in dims] if all(d.is_static for d in dims) else None
    nd = ctx.rank(x) - 2
    sizes = None
    if ctx.has_input(1) or ctx.has_input(2):
        sizes = ctx.ints("out_size", 1 if ctx.has_input(1) else 2)
    else:
        named = [int(ctx.attr(k, -1)) for k in ("out_d", "out_h", "out_w")[3 - nd:]]
        if all(v > 0 for v in named):
            sizes = named
    align = bool(ctx.attr("align_corners", False))
    scales = None
    if sizes is None:
        scale = ctx.const_value(3) if ctx.has_input(3) else ctx.attr("scale", [])
        scale = [float(s) for s in np.asarray(scale).reshape(-1)]
        if not scale or spatial is None:
            raise ctx.fail("neither an output size nor a scale with static input sizes")
        scale = scale * nd if len(scale) == 1 else scale
        if len(scale) != nd or not all(0 < s < 1e6 for s in scale):
            raise ctx.fail(f"scale {scale} does not fit {nd} spatial axes")
        sizes = [int(n * s) for n, s in zip(spatial, scale)]
        if not align:       # Paddle maps output to input coordinates by 1 / scale, not by the sizes' ratio
            scales = scale
    method = str(ctx.attr("interp_method", ctx.type.split("_")[0]))
    mode = {"nearest": "nearest", "bilinear": "linear_onnx", "linear": "linear_onnx", "trilinear": "linear_onnx",
            "bicubic": "cubic"}.get(method)
    if mode is None:
        raise ctx.fail(f"interp_method '{method}' is not supported")
    if align:
        coord = "align_corners"
    elif mode == "nearest":
        coord = "asymmetric"
    else:
        coord = "half_pixel" if int(ctx.attr("align_mode", 1)) == 0 or mode == "cubic" else "asymmetric"
    target = ctx.i64(sizes, "sizes") if scales is None else ctx.const(np.asarray(scales, np.float32), suffix="scales")
    y = ctx.make1("Interpolate", [x, target, ctx.i64(list(range(2, 2 + nd)), "axes")], mode=mode,
                  shape_calculation_mode="sizes" if scales is None else "scales", coordinate_transformation_mode=coord,
                  nearest_mode="round_prefer_ceil" if align else "floor", cube_coeff=-0.75)
    return _from_nchw(ctx, y)


@paddle_op("pad3d")
def _pad3d(ctx: NodeContext):
    """Pads [left, right, top, bottom, front, back] of an NCDHW / NDHWC tensor."""
    x = ctx.input(0)
    p = ctx.ints("paddings", 1)
    mode = str(ctx.attr("mode", "constant"))
    if mode not in ("constant", "reflect", "replicate"):
        raise ctx.fail(f"mode '{mode}' is not supported")
    r = ctx.rank(x)
    begin, end = [0] * r, [0] * r
    spatial = [4, 3, 2] if ctx.attr("data_format", "NCDHW") == "NCDHW" else [3, 2, 1]
    for k, axis in enumerate(spatial):
        begin[axis], end[axis] = p[2 * k], p[2 * k + 1]
    value = ctx.scalar_like(x, float(ctx.attr("pad_value", 0.0)), "value")
    return ctx.make1("Pad", [x, ctx.i64(begin, "begin"), ctx.i64(end, "end"), value],
                     pad_mode={"replicate": "edge"}.get(mode, mode))
