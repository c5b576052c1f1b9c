"""ATen neural-network ops: linear and matrix products, normalisations, attention, softmax, convolutions,
pooling, reductions, resizing."""
from __future__ import annotations

import math

import numpy as np

from ovcl.ir import Output, Type, ops

from .graph import NodeContext, torch_op


def _norm(d: int, rank: int) -> int:
    return d + rank if d < 0 else d


def _cst(ctx, value, like: Output, suffix="const"):
    return ctx.const(np.asarray(value, dtype=like.get_element_type().dtype), suffix=suffix)


def _is_one(v) -> bool:
    return not isinstance(v, Output) and v == 1


# -- matrix products --------------------------------------------------------------

@torch_op("aten.linear.default")
def _linear(ctx: NodeContext):
    x, w = ctx.input(0), ctx.input(1)
    y = ctx.make("MatMul", [x, w], "matmul" if ctx.arg(2) is not None else "", transpose_a=False, transpose_b=True)
    if ctx.arg(2) is not None:
        y = ctx.make("Add", [y, ctx.input(2)])
    return y


@torch_op("aten.mm.default", "aten.bmm.default", "aten.matmul.default")
def _matmul(ctx):
    t = ctx.out_type
    return ctx.make("MatMul", [ctx.input(0, t), ctx.input(1, t)], transpose_a=False, transpose_b=False)


def _scale(ctx, x: Output, factor, suffix: str) -> Output:
    if _is_one(factor):
        return x
    return ctx.make("Multiply", [x, ctx.tensor(factor, x.get_element_type())], suffix)


@torch_op("aten.addmm.default", "aten.baddbmm.default", "aten.addbmm.default")
def _addmm(ctx):
    t = ctx.out_type
    bias, a, b = ctx.input(0, t), ctx.input(1, t), ctx.input(2, t)
    beta, alpha = ctx.arg("beta", 1), ctx.arg("alpha", 1)
    y = ctx.make("MatMul", [a, b], "matmul", transpose_a=False, transpose_b=False)
    if ctx.op_name.startswith("aten.addbmm"):
        y = ctx.make("ReduceSum", [y, ctx.i64([0])], "batch_sum", keep_dims=False)
    y = _scale(ctx, y, alpha, "alpha")
    if not isinstance(beta, Output) and beta == 0:
        return y
    return ctx.make("Add", [y, _scale(ctx, bias, beta, "beta")])


# -- normalisations ---------------------------------------------------------------

def _layer_norm(ctx, x, ndims, w, b, eps):
    axes = ctx.i64(list(range(-ndims, 0)))
    y = ctx.make("MVN", [x, axes], "mvn", normalize_variance=True, eps=float(eps), eps_mode="inside_sqrt")
    if w is not None:
        y = ctx.make("Multiply", [y, ctx.tensor(w)], "scale" if b is not None else "")
    if b is not None:
        y = ctx.make("Add", [y, ctx.tensor(b)])
    return y


@torch_op("aten.layer_norm.default")
def _layer_norm_op(ctx):
    return _layer_norm(ctx, ctx.input(0), len(ctx.arg(1)), ctx.arg(2), ctx.arg(3), ctx.arg(4, 1e-5))


@torch_op("aten.native_layer_norm.default")
def _native_layer_norm(ctx):
    return [_layer_norm(ctx, ctx.input(0), len(ctx.arg(1)), ctx.arg(2), ctx.arg(3), ctx.arg(4, 1e-5)), None, None]


@torch_op("aten.group_norm.default")
def _group_norm(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    g = int(ctx.arg(1))
    w, b, eps = ctx.arg(2), ctx.arg(3), ctx.arg(4, 1e-5)
    grouped = ctx.make("Reshape", [x, ctx.shape_vector([0, g, -1])], "groups", special_zero=True)
    y = ctx.make("MVN", [grouped, ctx.i64([2])], "mvn", normalize_variance=True, eps=float(eps),
                 eps_mode="inside_sqrt")
    y = ctx.make("Reshape", [y, ctx.shape_of(x)], "back", special_zero=False)
    chan = [1, -1] + [1] * (r - 2)
    if w is not None:
        y = ctx.make("Multiply", [y, ctx.make("Reshape", [ctx.tensor(w), ctx.i64(chan)], "w", special_zero=False)],
                     "scale")
    if b is not None:
        y = ctx.make("Add", [y, ctx.make("Reshape", [ctx.tensor(b), ctx.i64(chan)], "b", special_zero=False)])
    return y


def _ones_like_channels(ctx, x, value, suffix):
    c = ctx.dim(x, 1)
    if not isinstance(c, int):
        raise ctx.fail("batch norm without weights needs a static channel count")
    return ctx.const(np.full([c], value, dtype=x.get_element_type().dtype), suffix=suffix)


def _batch_norm(ctx, x, w, b, mean, var, eps):
    w = ctx.tensor(w) if w is not None else _ones_like_channels(ctx, x, 1, "gamma")
    b = ctx.tensor(b) if b is not None else _ones_like_channels(ctx, x, 0, "beta")
    if mean is None or var is None:
        raise ctx.fail("batch norm without running statistics (training mode): call module.eval() first")
    return ctx.make("BatchNormInference", [x, w, b, ctx.tensor(mean), ctx.tensor(var)], epsilon=float(eps))


@torch_op("aten._native_batch_norm_legit_no_training.default")
def _bn_no_training(ctx):
    y = _batch_norm(ctx, ctx.input(0), ctx.arg(1), ctx.arg(2), ctx.arg(3), ctx.arg(4), ctx.arg(6, 1e-5))
    return [y, None, None]


@torch_op("aten.batch_norm.default", "aten.native_batch_norm.default", "aten._native_batch_norm_legit.default")
def _bn(ctx):
    name = ctx.op_name
    if name.startswith("aten.batch_norm"):
        training, eps = ctx.arg(5), ctx.arg(7, 1e-5)
    else:
        training, eps = ctx.arg(5), ctx.arg(7, 1e-5)
    if training:
        raise ctx.fail("batch norm in training mode: call module.eval() before converting")
    y = _batch_norm(ctx, ctx.input(0), ctx.arg(1), ctx.arg(2), ctx.arg(3), ctx.arg(4), eps)
    return y if name.startswith("aten.batch_norm") else [y, None, None]


# -- attention and softmax -----------------------------------------------------------

@torch_op("aten.scaled_dot_product_attention.default")
def _sdpa(ctx):
    q, k, v = ctx.input(0), ctx.input(1), ctx.input(2)
    mask = ctx.arg(3)
    dropout, causal = ctx.arg(4, 0.0), ctx.arg(5, False)
    scale = ctx.arg("scale")
    gqa = bool(ctx.arg("enable_gqa", False)) and ctx.dim(q, ctx.rank(q) - 3) != ctx.dim(k, ctx.rank(k) - 3)
    t = q.get_element_type()
    if dropout and dropout > 0:
        raise ctx.fail("attention dropout (dropout_p > 0): call module.eval() before converting")
    if causal and mask is not None:
        raise ctx.fail("both attn_mask and is_causal are set")
    if "ScaledDotProductAttention" in ops.OPS:
        # the fused op (opset13): boolean mask True takes part, float masks are added, a scalar 0 is none
        ins = [q, k, v]
        if mask is not None:
            m = ctx.tensor(mask)
            ins.append(m if m.get_element_type() == Type.boolean else ctx.convert(m, t))
        elif scale is not None:
            ins.append(_cst(ctx, 0, q, "nomask"))
        if scale is not None:
            ins.append(ctx.scalar(scale, t) if isinstance(scale, Output) else _cst(ctx, scale, q, "scale"))
        # grouped-query attention: query head h reads key/value head h // (Hq / Hkv) in both torch and ovcl
        return ctx.make("ScaledDotProductAttention", ins, causal=bool(causal))
    if gqa:
        raise ctx.fail("grouped-query attention (enable_gqa with fewer key/value heads) needs the fused op")
    return _sdpa_decomposed(ctx, q, k, v, mask, causal, scale)


def _sdpa_decomposed(ctx, q, k, v, mask, causal, scale):
    """MatMul, scale, mask, Softmax, MatMul: for builds of the IR without the fused op."""
    t = q.get_element_type()
    e = ctx.dim(q, ctx.rank(q) - 1)
    if scale is None:
        if isinstance(e, int):
            scale = 1.0 / math.sqrt(e)
        else:
            ef = ctx.convert(e, t)
            scale = ctx.make("Divide", [_cst(ctx, 1.0, q, "one"), ctx.make("Sqrt", [ef], "sqrt_e")], "scale")
    qs = ctx.make("Multiply", [q, ctx.tensor(scale, t)], "q_scaled")
    scores = ctx.make("MatMul", [qs, k], "scores", transpose_a=False, transpose_b=True)
    if causal:
        rq, rk = ctx.rank(q), ctx.rank(k)
        lq, lk = ctx.dim(q, rq - 2), ctx.dim(k, rk - 2)
        rows = ctx.make("Range", [ctx.i64(0), ctx.scalar(lq), ctx.i64(1)], "rows", output_type="i64")
        cols = ctx.make("Range", [ctx.i64(0), ctx.scalar(lk), ctx.i64(1)], "cols", output_type="i64")
        rows = ctx.make("Unsqueeze", [rows, ctx.i64([1])], "rows2")
        keep = ctx.make("GreaterEqual", [rows, cols], "causal")
        scores = ctx.make("Select", [keep, scores, _cst(ctx, -np.inf, q, "ninf")], "causal_mask")
    if mask is not None:
        m = ctx.tensor(mask)
        if m.get_element_type() == Type.boolean:
            scores = ctx.make("Select", [m, scores, _cst(ctx, -np.inf, q, "ninf_mask")], "masked")
        else:
            scores = ctx.make("Add", [scores, ctx.convert(m, t)], "masked")
    p = ctx.make("Softmax", [scores], "softmax", axis=-1)
    return ctx.make("MatMul", [p, v], transpose_a=False, transpose_b=False)


@torch_op("aten._softmax.default", "aten.softmax.int", "aten._log_softmax.default", "aten.log_softmax.int",
          "aten._safe_softmax.default")
def _softmax(ctx):
    x = ctx.input(0)
    t = ctx.out_type
    x = ctx.convert(x, t)
    d = _norm(int(ctx.arg(1)), max(ctx.rank(x), 1))
    op = "LogSoftmax" if "log_softmax" in ctx.op_name else "Softmax"
    return ctx.make(op, [x], axis=d)


# -- convolution and pooling ---------------------------------------------------------

def _ntuple(v, n):
    if isinstance(v, int):
        return [v] * n
    v = [int(x) for x in v]
    return v * n if len(v) == 1 else v


def _reshape_const_or_node(ctx, w: Output, shape, suffix):
    if w.node.type_name == "Constant":
        return ctx.const(w.node.value.reshape(shape), suffix=suffix)
    return ctx.make("Reshape", [w, ctx.i64(shape)], suffix, special_zero=False)


def _conv(ctx, x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    wt = w.get_partial_shape()
    if wt.rank_is_dynamic or not wt.is_static:
        raise ctx.fail("convolution weights of unknown shape")
    wshape = list(wt.to_shape())
    n = len(wshape) - 2
    stride, dilation = _ntuple(stride, n), _ntuple(dilation, n)
    auto_pad = "explicit"
    if isinstance(padding, str):
        if padding == "valid":
            pads = [0] * n
        elif padding == "same":
            pads = None
            auto_pad = "same_upper"
        else:
            raise ctx.fail(f"padding '{padding}'")
    else:
        pads = _ntuple(padding, n)
    attrs = dict(strides=stride, dilations=dilation, auto_pad=auto_pad,
                 pads_begin=pads if pads is not None else [0] * n, pads_end=pads if pads is not None else [0] * n)
    if auto_pad == "same_upper":
        # torch puts the odd extra padding at the end, as same_upper does
        total = [d * (k - 1) for d, k in zip(dilation, wshape[2:])]
        attrs.update(pads_begin=[tp // 2 for tp in total], pads_end=[tp - tp // 2 for tp in total],
                     auto_pad="explicit")
    groups = int(groups)
    if transposed:
        op = "ConvolutionBackpropData"
        outp = _ntuple(output_padding, n)
        if groups > 1:
            op = "GroupConvolutionBackpropData"
            w = _reshape_const_or_node(ctx, w, [groups, wshape[0] // groups] + wshape[1:], "weights")
        y = ctx.make(op, [x, w], "conv" if b is not None else "", output_padding=outp, **attrs)
    elif groups > 1:
        w = _reshape_const_or_node(ctx, w, [groups, wshape[0] // groups] + wshape[1:], "weights")
        y = ctx.make("GroupConvolution", [x, w], "conv" if b is not None else "", **attrs)
    else:
        y = ctx.make("Convolution", [x, w], "conv" if b is not None else "", **attrs)
    if b is not None:
        b = ctx.tensor(b)
        b = _reshape_const_or_node(ctx, b, [1, -1] + [1] * n, "bias")
        y = ctx.make("Add", [y, b])
    return y


@torch_op("aten.convolution.default", "aten._convolution.default")
def _convolution(ctx):
    return _conv(ctx, ctx.input(0), ctx.input(1), ctx.arg(2), ctx.arg(3), ctx.arg(4), ctx.arg(5), ctx.arg(6),
                 ctx.arg(7), ctx.arg(8))


@torch_op("aten.conv1d.default", "aten.conv2d.default", "aten.conv3d.default", "aten.conv1d.padding",
          "aten.conv2d.padding", "aten.conv3d.padding")
def _convnd(ctx):
    return _conv(ctx, ctx.input(0), ctx.input(1), ctx.arg(2), ctx.arg(3, 1), ctx.arg(4, 0), ctx.arg(5, 1),
                 False, 0, ctx.arg(6, 1))


@torch_op("aten.conv_transpose1d.default", "aten.conv_transpose2d.input", "aten.conv_transpose3d.input")
def _conv_transpose(ctx):
    return _conv(ctx, ctx.input(0), ctx.input(1), ctx.arg(2), ctx.arg(3, 1), ctx.arg(4, 0), ctx.arg(7, 1),
                 True, ctx.arg(5, 0), ctx.arg(6, 1))


def _pool_args(ctx, n, kernel, stride, padding, dilation=None):
    kernel = _ntuple(kernel, n)
    stride = _ntuple(stride, n) if stride else list(kernel)
    padding = _ntuple(padding, n)
    dilation = _ntuple(dilation, n) if dilation is not None else [1] * n
    return kernel, stride, padding, dilation


@torch_op("aten.max_pool1d.default", "aten.max_pool2d.default", "aten.max_pool3d.default",
          "aten.max_pool2d_with_indices.default", "aten.max_pool3d_with_indices.default",
          "aten.max_pool1d_with_indices.default")
def _max_pool(ctx):
    x = ctx.input(0)
    n = ctx.rank(x) - 2
    kernel, stride, padding, dilation = _pool_args(ctx, n, ctx.arg(1), ctx.arg(2), ctx.arg(3, 0), ctx.arg(4, 1))
    ceil = bool(ctx.arg(5, False))
    node = ctx.make_node("MaxPool", [x], strides=stride, dilations=dilation, pads_begin=padding, pads_end=padding,
                         kernel=kernel, rounding_type="ceil_torch" if ceil else "floor", auto_pad="explicit",
                         index_element_type="i64", axis=2)
    if "with_indices" in ctx.op_name:
        return [node.output(0), node.output(1)]
    return node.output(0)


@torch_op("aten.avg_pool1d.default", "aten.avg_pool2d.default", "aten.avg_pool3d.default")
def _avg_pool(ctx):
    x = ctx.input(0)
    n = ctx.rank(x) - 2
    kernel, stride, padding, _ = _pool_args(ctx, n, ctx.arg(1), ctx.arg(2), ctx.arg(3, 0))
    ceil, include_pad = bool(ctx.arg(4, False)), bool(ctx.arg(5, True))
    if n > 1 and ctx.arg(6) is not None:
        raise ctx.fail("avg_pool with divisor_override is not supported")
    return ctx.make("AvgPool", [x], strides=stride, pads_begin=padding, pads_end=padding, kernel=kernel,
                    **{"exclude-pad": not include_pad}, rounding_type="ceil_torch" if ceil else "floor",
                    auto_pad="explicit")


@torch_op("aten.adaptive_avg_pool1d.default", "aten.adaptive_avg_pool2d.default",
          "aten.adaptive_avg_pool3d.default", "aten._adaptive_avg_pool2d.default", "aten._adaptive_avg_pool3d.default")
def _adaptive_avg(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    n = r - 2 if r > 2 else 1
    size = ctx.arg(1)
    size = _ntuple(size, n) if not isinstance(size, (list, tuple)) or all(not isinstance(s, Output) for s in size) \
        else size
    if all(isinstance(s, int) and s == 1 for s in size):
        return ctx.make("ReduceMean", [x, ctx.i64(list(range(r - n, r)))], keep_dims=True)
    return ctx.make("AdaptiveAvgPool", [x, ctx.shape_vector(size)])


@torch_op("aten.adaptive_max_pool1d.default", "aten.adaptive_max_pool2d.default", "aten.adaptive_max_pool3d.default")
def _adaptive_max(ctx):
    x = ctx.input(0)
    n = ctx.rank(x) - 2
    size = _ntuple(ctx.arg(1), n)
    node = ctx.make_node("AdaptiveMaxPool", [x, ctx.shape_vector(size)], index_element_type="i64")
    return [node.output(0), node.output(1)]


# -- reductions ---------------------------------------------------------------------

_REDUCE = {"mean": "ReduceMean", "sum": "ReduceSum", "amax": "ReduceMax", "amin": "ReduceMin", "prod": "ReduceProd",
           "any": "ReduceLogicalOr", "all": "ReduceLogicalAnd"}


@torch_op("aten.mean.dim", "aten.mean.default", "aten.sum.dim_IntList", "aten.sum.default", "aten.amax.default",
          "aten.amin.default", "aten.prod.dim_int", "aten.prod.default", "aten.any.dim", "aten.any.dims",
          "aten.any.default", "aten.all.dim", "aten.all.default", "aten.all.dims")
def _reduce(ctx):
    name = ctx.op_name.split(".")[1]
    t = ctx.out_type
    x = ctx.input(0)
    r = ctx.rank(x)
    if name in ("any", "all"):
        x = ctx.convert(x, Type.boolean)
    else:
        x = ctx.convert(x, t)
    if ctx.op_name.endswith(".default") and name not in ("amax", "amin"):
        dims, keep = list(range(r)), False
    else:
        d = ctx.arg(1)
        dims = list(range(r)) if d is None or (isinstance(d, (list, tuple)) and not d) else \
            ([d] if isinstance(d, int) else list(d))
        keep = bool(ctx.arg("keepdim", False))
    if r == 0:
        return x
    dims = sorted({_norm(int(d), r) for d in dims})
    return ctx.make(_REDUCE[name], [x, ctx.i64(dims)], keep_dims=keep)


@torch_op("aten.var.correction", "aten.var.dim", "aten.std.correction", "aten.std.dim", "aten.var_mean.correction")
def _var(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    d = ctx.arg(1)
    dims = list(range(r)) if d is None or not d else ([d] if isinstance(d, int) else list(d))
    dims = sorted({_norm(int(k), r) for k in dims})
    if ctx.op_name.endswith("correction"):
        corr = ctx.arg("correction")
        corr = 1 if corr is None else corr
    else:
        corr = 1 if ctx.arg(2, True) else 0
    keep = bool(ctx.arg("keepdim", False))
    axes = ctx.i64(dims)
    mean = ctx.make("ReduceMean", [x, axes], "mean", keep_dims=True)
    sq = ctx.make("SquaredDifference", [x, mean], "sq")
    ssum = ctx.make("ReduceSum", [sq, axes], "ssum", keep_dims=keep)
    sizes = [ctx.dim(x, k) for k in dims]
    if all(isinstance(n, int) for n in sizes):
        denom = _cst(ctx, max(int(np.prod(sizes)) - corr, 0), x, "n")
    else:
        count = ctx.make("ReduceProd", [ctx.make("Gather", [ctx.shape_of(x), axes, ctx.i64(0)], "sizes"),
                                        ctx.i64([0])], "count", keep_dims=False)
        denom = ctx.convert(ctx.make("Subtract", [count, ctx.i64(corr)], "dof"), x.get_element_type())
    var = ctx.make("Divide", [ssum, denom], "var")
    if ctx.op_name.startswith("aten.std"):
        return ctx.make("Sqrt", [var])
    if ctx.op_name.startswith("aten.var_mean"):
        m = mean if keep else ctx.make("Squeeze", [mean, axes], "mean_out")
        return [var, m]
    return var


@torch_op("aten.max.dim", "aten.min.dim")
def _max_dim(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    d = _norm(int(ctx.arg(1)), r)
    keep = bool(ctx.arg(2, False))
    node = ctx.make_node("TopK", [x, ctx.i64(1)], axis=d, mode="max" if "max" in ctx.op_name else "min",
                         sort="none", index_element_type="i64")
    vals, idx = node.output(0), node.output(1)
    if not keep:
        vals = ctx.make("Squeeze", [vals, ctx.i64([d])], "values")
        idx = ctx.make("Squeeze", [idx, ctx.i64([d])], "indices")
    return [vals, idx]


@torch_op("aten.max.default", "aten.min.default")
def _max_all(ctx):
    x = ctx.input(0)
    op = "ReduceMax" if "max" in ctx.op_name else "ReduceMin"
    return ctx.make(op, [x, ctx.i64(list(range(ctx.rank(x))))], keep_dims=False)


@torch_op("aten.argmax.default", "aten.argmin.default")
def _argmax(ctx):
    x = ctx.input(0)
    d = ctx.arg(1)
    keep = bool(ctx.arg(2, False))
    if d is None:
        x = ctx.make("Reshape", [x, ctx.i64([-1])], "flat", special_zero=False)
        d, keep = 0, False
    d = _norm(int(d), ctx.rank(x))
    node = ctx.make_node("TopK", [x, ctx.i64(1)], axis=d, mode="max" if "argmax" in ctx.op_name else "min",
                         sort="none", index_element_type="i64")
    idx = node.output(1)
    return idx if keep else ctx.make("Squeeze", [idx, ctx.i64([d])])


@torch_op("aten.topk.default")
def _topk(ctx):
    x = ctx.input(0)
    d = _norm(int(ctx.arg(2, -1)), ctx.rank(x))
    largest, sort = ctx.arg(3, True), ctx.arg(4, True)
    node = ctx.make_node("TopK", [x, ctx.scalar(ctx.arg(1))], axis=d, mode="max" if largest else "min",
                         sort="value" if sort else "none", index_element_type="i64")
    return [node.output(0), node.output(1)]


# -- resizing -----------------------------------------------------------------------

@torch_op("aten.upsample_nearest1d.vec", "aten.upsample_nearest2d.vec", "aten.upsample_nearest3d.vec",
          "aten.upsample_bilinear2d.vec", "aten.upsample_linear1d.vec", "aten.upsample_trilinear3d.vec",
          "aten.upsample_bicubic2d.vec", "aten.upsample_nearest2d.default", "aten.upsample_bilinear2d.default")
def _upsample(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    n = r - 2
    name = ctx.op_name.split(".")[1]
    nearest = "nearest" in name
    if ctx.op_name.endswith(".vec"):
        size = ctx.arg(1)
        if nearest:
            align, scales = False, ctx.arg(2)
        else:
            align, scales = bool(ctx.arg(2)), ctx.arg(3)
    else:
        size = ctx.arg(1)
        align = False if nearest else bool(ctx.arg(2))
        rest = [ctx.arg(k) for k in range(2 if nearest else 3, 2 + n + (0 if nearest else 1))]
        scales = rest if any(s is not None for s in rest) else None
    mode = "nearest" if nearest else ("cubic" if "bicubic" in name else "linear_onnx")
    if nearest:
        coord = "asymmetric"
    else:
        coord = "align_corners" if align else "pytorch_half_pixel"
    axes = ctx.i64(list(range(2, r)))
    if size is not None:
        sizes = ctx.shape_vector(list(size))
        return ctx.make("Interpolate", [x, sizes, axes], mode=mode, shape_calculation_mode="sizes",
                        coordinate_transformation_mode=coord, nearest_mode="floor", antialias=False,
                        pads_begin=[0] * r, pads_end=[0] * r, cube_coeff=-0.75)
    sc = ctx.const(np.asarray([float(s) for s in _ntuple_f(scales, n)], dtype=np.float32), suffix="scales")
    return ctx.make("Interpolate", [x, sc, axes], mode=mode, shape_calculation_mode="scales",
                    coordinate_transformation_mode=coord, nearest_mode="floor", antialias=False,
                    pads_begin=[0] * r, pads_end=[0] * r, cube_coeff=-0.75)


def _ntuple_f(v, n):
    if isinstance(v, (int, float)):
        return [v] * n
    v = list(v)
    return v * n if len(v) == 1 else v


@torch_op("aten.pixel_shuffle.default")
def _pixel_shuffle(ctx):
    return ctx.make("DepthToSpace", [ctx.input(0)], block_size=int(ctx.arg(1)), mode="depth_first")


@torch_op("aten.rms_norm.default")
def _rms_norm(ctx):
    x = ctx.input(0)
    n = len(ctx.arg(1))
    w, eps = ctx.arg(2), ctx.arg(3)
    if eps is None:
        eps = float(np.finfo(x.get_element_type().dtype).eps)
    axes = ctx.i64(list(range(-n, 0)))
    ms = ctx.make("ReduceMean", [ctx.make("Multiply", [x, x], "sq"), axes], "ms", keep_dims=True)
    rms = ctx.make("Sqrt", [ctx.make("Add", [ms, _cst(ctx, eps, x, "eps")], "ms_eps")], "rms")
    y = ctx.make("Divide", [x, rms], "norm" if w is not None else "")
    if w is not None:
        y = ctx.make("Multiply", [y, ctx.tensor(w)])
    return y


@torch_op("aten.linalg_vector_norm.default", "aten.norm.ScalarOpt_dim")
def _vector_norm(ctx):
    x = ctx.input(0)
    r = ctx.rank(x)
    order, d, keep = ctx.arg(1, 2), ctx.arg(2), bool(ctx.arg(3, False))
    dims = list(range(r)) if d is None or (isinstance(d, (list, tuple)) and not d) else \
        ([d] if isinstance(d, int) else list(d))
    axes = ctx.i64(sorted({_norm(int(k), r) for k in dims}))
    if order == 2:
        return ctx.make("ReduceL2", [x, axes], keep_dims=keep)
    if order == 1:
        return ctx.make("ReduceL1", [x, axes], keep_dims=keep)
    if order in (float("inf"), float("-inf")):
        a = ctx.make("Abs", [x], "abs")
        return ctx.make("ReduceMax" if order > 0 else "ReduceMin", [a, axes], keep_dims=keep)
    raise ctx.fail(f"vector norm of order {order}")
