"""ONNX convolution, pooling and normalisation ops: Conv, ConvTranspose, MaxPool, AveragePool, LpPool,
GlobalAveragePool, GlobalMaxPool, GlobalLpPool, BatchNormalization, LRN."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op

_AUTO_PAD = {"NOTSET": "explicit", "VALID": "valid", "SAME_UPPER": "same_upper", "SAME_LOWER": "same_lower"}


def spatial_rank(ctx: NodeContext, x, w=None) -> int:
    ks = ctx.attr("kernel_shape")
    if ks:
        return len(ks)
    if w is not None and not w.get_partial_shape().rank_is_dynamic:
        return len(w.get_partial_shape()) - 2
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic:
        raise ctx.fail("the spatial rank is unknown: give kernel_shape or a ranked input")
    return len(ps) - 2


def window_attrs(ctx: NodeContext, nd: int) -> dict:
    pads = list(ctx.attr("pads", [0] * (2 * nd)))
    if len(pads) != 2 * nd:
        raise ctx.fail(f"pads has {len(pads)} values for {nd} spatial axes")
    auto = ctx.attr("auto_pad", "NOTSET")
    if auto not in _AUTO_PAD:
        raise ctx.fail(f"auto_pad '{auto}' is not supported")
    return {"strides": [int(v) for v in ctx.attr("strides", [1] * nd)],
            "pads_begin": [int(v) for v in pads[:nd]], "pads_end": [int(v) for v in pads[nd:]],
            "auto_pad": _AUTO_PAD[auto]}


def _add_bias(ctx: NodeContext, y, b, nd: int):
    if b is None:
        return y
    shape = [1, -1] + [1] * nd
    bv = ctx.const_value(2)
    if bv is not None:
        bc = ctx.const(np.asarray(bv).reshape(shape), suffix="bias")
    else:
        bc = ctx.make("Reshape", [b, ctx.const(np.array(shape, dtype=np.int64), suffix="bias_shape")],
                      "bias_reshape", special_zero=False).output(0)
    return ctx.make("Add", [y, bc], "add_bias")


def group_weights(ctx: NodeContext, w, groups: int, transposed: bool):
    """ONNX [OC, IC/G, k...] (Conv) or [IC, OC/G, k...] (ConvTranspose) -> [G, ., ., k...] via Reshape."""
    ps = w.get_partial_shape()
    if ps.rank_is_dynamic:
        raise ctx.fail("grouped weights of unknown rank")
    dims = list(ps)
    rest = [d.to_int() for d in dims[1:]]
    if any(v < 0 for v in rest):
        raise ctx.fail("grouped weights need static shapes beyond the first axis")
    target = [groups, -1] + rest
    return ctx.make("Reshape", [w, ctx.const(np.array(target, dtype=np.int64), suffix="group_shape")],
                    "weights_grouped", special_zero=False).output(0)


@onnx_op("Conv")
def _conv(ctx: NodeContext):
    x, w, b = ctx.input(0), ctx.input(1), ctx.input(2)
    nd = spatial_rank(ctx, x, w)
    attrs = window_attrs(ctx, nd)
    attrs["dilations"] = [int(v) for v in ctx.attr("dilations", [1] * nd)]
    groups = int(ctx.attr("group", 1))
    if groups == 1:
        y = ctx.make("Convolution", [x, w], **attrs)
    else:
        y = ctx.make("GroupConvolution", [x, group_weights(ctx, w, groups, False)], **attrs)
    return _add_bias(ctx, y.output(0), b, nd)


@onnx_op("ConvTranspose")
def _conv_transpose(ctx: NodeContext):
    x, w, b = ctx.input(0), ctx.input(1), ctx.input(2)
    nd = spatial_rank(ctx, x, w)
    strides = [int(v) for v in ctx.attr("strides", [1] * nd)]
    dil = [int(v) for v in ctx.attr("dilations", [1] * nd)]
    opad = [int(v) for v in ctx.attr("output_padding", [0] * nd)]
    pads = [int(v) for v in ctx.attr("pads", [0] * (2 * nd))]
    auto = ctx.attr("auto_pad", "NOTSET")
    out_shape = ctx.attr("output_shape")
    groups = int(ctx.attr("group", 1))
    attrs = {"strides": strides, "dilations": dil, "output_padding": opad, "pads_begin": pads[:nd],
             "pads_end": pads[nd:], "auto_pad": "explicit"}
    if out_shape is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
        # resolve to explicit pads, as ONNX defines them (needs static input and kernel sizes)
        xs = x.get_partial_shape()
        ws = w.get_partial_shape()
        if xs.rank_is_dynamic or ws.rank_is_dynamic or not all(d.is_static for d in list(xs)[2:] + list(ws)[2:]):
            raise ctx.fail("output_shape / SAME auto_pad need static input and kernel sizes")
        sizes = [d.min for d in list(xs)[2:]]
        kernel = [d.min for d in list(ws)[2:]]
        out = list(out_shape)[-nd:] if out_shape is not None else [sizes[i] * strides[i] for i in range(nd)]
        pb, pe = [], []
        for i in range(nd):
            total = strides[i] * (sizes[i] - 1) + opad[i] + (kernel[i] - 1) * dil[i] + 1 - out[i]
            if auto == "SAME_UPPER":
                pb.append(total // 2)
                pe.append(total - total // 2)
            else:
                pb.append(total - total // 2)
                pe.append(total // 2)
        attrs["pads_begin"], attrs["pads_end"] = pb, pe
    elif auto == "VALID":
        attrs["auto_pad"] = "valid"
    if groups == 1:
        y = ctx.make("ConvolutionBackpropData", [x, w], **attrs)
    else:
        y = ctx.make("GroupConvolutionBackpropData", [x, group_weights(ctx, w, groups, True)], **attrs)
    return _add_bias(ctx, y.output(0), b, nd)


def _rounding(ctx: NodeContext) -> str:
    return "ceil_torch" if ctx.attr("ceil_mode", 0) else "floor"


@onnx_op("MaxPool")
def _maxpool(ctx: NodeContext):
    x = ctx.input(0)
    nd = spatial_rank(ctx, x)
    attrs = window_attrs(ctx, nd)
    if ctx.attr("storage_order", 0) and len(ctx.proto.output) > 1 and ctx.proto.output[1]:
        raise ctx.fail("Indices in column-major storage_order=1 are not supported")
    y = ctx.make("MaxPool", [x], kernel=[int(v) for v in ctx.attr("kernel_shape")],
                 dilations=[int(v) for v in ctx.attr("dilations", [1] * nd)], rounding_type=_rounding(ctx),
                 index_element_type="i64", axis=0, **attrs)
    if len(ctx.proto.output) < 2 or not ctx.proto.output[1]:
        y.rt_info["indices_unused"] = True      # the kernel may skip writing them
    return [y.output(0), y.output(1)]


def _avgpool(ctx: NodeContext, x, nd: int, count_include_pad: bool):
    attrs = window_attrs(ctx, nd)
    dil = [int(v) for v in ctx.attr("dilations", [1] * nd)]
    if any(d != 1 for d in dil):
        raise ctx.fail("dilated average pooling is not supported")
    return ctx.make("AvgPool", [x], kernel=[int(v) for v in ctx.attr("kernel_shape")],
                    rounding_type=_rounding(ctx), **{"exclude-pad": not count_include_pad}, **attrs)


@onnx_op("AveragePool")
def _averagepool(ctx: NodeContext):
    x = ctx.input(0)
    return _avgpool(ctx, x, spatial_rank(ctx, x), bool(ctx.attr("count_include_pad", 0)))


@onnx_op("LpPool")
def _lppool(ctx: NodeContext):
    x = ctx.input(0)
    nd = spatial_rank(ctx, x)
    p = float(ctx.attr("p", 2))
    dt = x.get_element_type().dtype
    k = int(np.prod(ctx.attr("kernel_shape")))
    xp = ctx.make("Abs", [x], "abs").output(0)
    if p != 1.0:
        xp = ctx.make("Power", [xp, ctx.const(np.array(p, dt), suffix="p")], "pow").output(0)
    s = ctx.make("Multiply", [_avgpool(ctx, xp, nd, True).output(0), ctx.const(np.array(k, dt), suffix="k")],
                 "sum").output(0)
    if p == 1.0:
        return s
    return ctx.make("Power", [s, ctx.const(np.array(1.0 / p, dt), suffix="inv_p")], "root")


def _global_shape(ctx: NodeContext, x):
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic:
        raise ctx.fail("global pooling needs a ranked input")
    return ctx.const(np.ones(len(ps) - 2, dtype=np.int64), suffix="output_shape")


@onnx_op("GlobalAveragePool")
def _global_avg(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make("AdaptiveAvgPool", [x, _global_shape(ctx, x)])


@onnx_op("GlobalMaxPool")
def _global_max(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make("AdaptiveMaxPool", [x, _global_shape(ctx, x)], index_element_type="i64").output(0)


@onnx_op("GlobalLpPool")
def _global_lp(ctx: NodeContext):
    x = ctx.input(0)
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic or not all(d.is_static for d in list(ps)[2:]):
        raise ctx.fail("GlobalLpPool needs static spatial sizes")
    p = float(ctx.attr("p", 2))
    dt = x.get_element_type().dtype
    sizes = [d.min for d in list(ps)[2:]]
    xp = ctx.make("Power", [ctx.make("Abs", [x], "abs").output(0), ctx.const(np.array(p, dt), suffix="p")],
                  "pow").output(0)
    m = ctx.make("AdaptiveAvgPool", [xp, _global_shape(ctx, x)], "mean").output(0)
    s = ctx.make("Multiply", [m, ctx.const(np.array(np.prod(sizes), dt), suffix="n")], "sum").output(0)
    return ctx.make("Power", [s, ctx.const(np.array(1.0 / p, dt), suffix="inv_p")], "root")


@onnx_op("BatchNormalization")
def _batchnorm(ctx: NodeContext):
    if ctx.opset >= 14 and ctx.attr("training_mode", 0):
        raise ctx.fail("training_mode=1 (batch statistics) is not supported: export the model for inference")
    if ctx.opset < 7 and not ctx.attr("is_test", 0) and len([o for o in ctx.proto.output if o]) > 1:
        raise ctx.fail("training form (is_test=0 with statistics outputs) is not supported")
    if ctx.opset < 9 and not ctx.attr("spatial", 1):
        raise ctx.fail("spatial=0 (per-activation statistics) is not supported")
    extra = [o for o in list(ctx.proto.output)[1:] if o]
    if extra:
        raise ctx.fail(f"training outputs {extra} (running/saved statistics) are not supported; only the "
                       f"inference form with one output is")
    x = ctx.input(0)
    return ctx.make("BatchNormInference", [x, ctx.input(1), ctx.input(2), ctx.input(3), ctx.input(4)],
                    epsilon=float(ctx.attr("epsilon", 1e-5)))


@onnx_op("LRN")
def _lrn(ctx: NodeContext):
    size = ctx.attr("size")
    if size is None:
        raise ctx.fail("attribute size is required")
    return ctx.make("LRN", [ctx.input(0), ctx.const(np.array([1], dtype=np.int64), suffix="axes")],
                    alpha=float(ctx.attr("alpha", 1e-4)), beta=float(ctx.attr("beta", 0.75)),
                    bias=float(ctx.attr("bias", 1.0)), size=int(size))


@onnx_op("Col2Im")
def _col2im(ctx: NodeContext):
    nd = None
    bs = ctx.input(2).get_partial_shape()
    if not bs.rank_is_dynamic and bs[0].is_static:
        nd = bs[0].get_length()
    if nd is None:
        raise ctx.fail("the length of block_shape must be known")
    pads = list(ctx.attr("pads", [0] * (2 * nd)))
    return ctx.make("Col2Im", [ctx.input(0), ctx.input(1), ctx.input(2)],
                    strides=list(ctx.attr("strides", [1] * nd)), dilations=list(ctx.attr("dilations", [1] * nd)),
                    pads_begin=pads[:nd], pads_end=pads[nd:])


@onnx_op("DeformConv")
def _deform_conv(ctx: NodeContext):
    x, w, off, b, mask = (ctx.input(i) for i in range(5))
    nd = ctx.rank(x) - 2
    if nd != 2:
        raise ctx.fail("only 2-D DeformConv is supported")
    pads = list(ctx.attr("pads", [0] * (2 * nd)))
    ins = [x, off, w] + ([mask] if mask is not None else [])
    y = ctx.make("DeformableConvolution", ins, strides=list(ctx.attr("strides", [1] * nd)),
                 pads_begin=pads[:nd], pads_end=pads[nd:], dilations=list(ctx.attr("dilations", [1] * nd)),
                 group=int(ctx.attr("group", 1)), deformable_group=int(ctx.attr("offset_group", 1)),
                 bilinear_interpolation_pad=True).output(0)
    if b is not None:
        bias = ctx.make("Reshape", [b, ctx.i64([1, -1, 1, 1], "bias_shape")], "bias", special_zero=False)
        y = ctx.make("Add", [y, bias], "add_bias").output(0)
    return y


@onnx_op("MaxUnpool")
def _max_unpool(ctx: NodeContext):
    """Values scattered to their flat indices in a zero tensor of the inferred shape ((in - 1) * stride -
    pads + kernel); with output_shape, zero-padded (or cut) at the end to it, as ONNX's reference does."""
    x, idx, out_shape = ctx.input(0), ctx.input(1), ctx.input(2)
    ps = x.get_partial_shape()
    if not ps.is_static:
        raise ctx.fail("the input shape must be static")
    shape = ps.to_shape()
    k = list(ctx.attr("kernel_shape"))
    nd = len(k)
    strides = list(ctx.attr("strides", [1] * nd))
    pads = list(ctx.attr("pads", [0] * (2 * nd)))
    inferred = list(shape[:2]) + [(shape[2 + d] - 1) * strides[d] - (pads[d] + pads[nd + d]) + k[d] for d in range(nd)]
    total = int(np.prod(inferred, dtype=np.int64))
    dt = x.get_element_type().dtype
    flat = ctx.i64([-1], "flat")
    xs = ctx.make("Reshape", [x, flat], "x_flat", special_zero=False).output(0)
    ids = ctx.make("Reshape", [idx, ctx.i64([-1], "flat_i")], "i_flat", special_zero=False).output(0)
    y = ctx.make("ScatterElementsUpdate", [ctx.const(np.zeros(total, dtype=dt), suffix="zeros"), ids, xs,
                                            ctx.i64(0, "axis")], "scatter", reduction="none").output(0)
    y = ctx.make("Reshape", [y, ctx.i64(inferred, "inferred")], "unflat", special_zero=False).output(0)
    if out_shape is None:
        return y
    target = ctx.make("Convert", [out_shape], "target", destination_type="i64").output(0)
    grow = ctx.make("Subtract", [target, ctx.i64(inferred, "inferred2")], "grow").output(0)
    return ctx.make("Pad", [y, ctx.i64([0] * len(inferred), "pads_begin"), grow,
                            ctx.const(np.zeros((), dtype=dt), suffix="value")], pad_mode="constant")
