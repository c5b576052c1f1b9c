"""ONNX linear algebra, reductions, softmax and normalisation: MatMul, Gemm, Reduce*, ArgMax/ArgMin, Softmax,
LogSoftmax, LayerNormalization, InstanceNormalization, GroupNormalization, MeanVarianceNormalization,
LpNormalization, TopK, CumSum, Einsum. Translated as OpenVINO's ONNX frontend does, into MatMul, Reduce*,
Softmax, MVN, NormalizeL2, TopK and CumSum plus element-wise ops."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


def _rank(ctx: NodeContext, x) -> int:
    ps = x.get_partial_shape()
    if ps.rank_is_dynamic:
        raise ctx.fail("the input rank must be known")
    return len(ps)


def _i64(ctx: NodeContext, values, suffix="axes"):
    return ctx.const(np.asarray(values, dtype=np.int64), suffix=suffix)


def _scalar_like(ctx: NodeContext, x, value, suffix="const"):
    return ctx.const(np.array(value, dtype=x.get_element_type().dtype), suffix=suffix)


# -- MatMul, Gemm ---------------------------------------------------------------------------------------------

@onnx_op("MatMul")
def _matmul(ctx: NodeContext):
    return ctx.make("MatMul", [ctx.input(0), ctx.input(1)])


@onnx_op("Gemm")
def _gemm(ctx: NodeContext):
    a, b, c = ctx.input(0), ctx.input(1), ctx.input(2)
    alpha, beta = float(ctx.attr("alpha", 1.0)), float(ctx.attr("beta", 1.0))
    y = ctx.make("MatMul", [a, b], "matmul", transpose_a=bool(ctx.attr("transA", 0)),
                 transpose_b=bool(ctx.attr("transB", 0))).output(0)
    if alpha != 1.0:
        y = ctx.make("Multiply", [y, _scalar_like(ctx, y, alpha, "alpha")], "alpha").output(0)
    if c is not None and beta != 0.0:
        if beta != 1.0:
            c = ctx.make("Multiply", [c, _scalar_like(ctx, c, beta, "beta")], "beta").output(0)
        y = ctx.make("Add", [y, c], "bias").output(0)
    return y


# -- reductions -----------------------------------------------------------------------------------------------

def _reduce_axes(ctx: NodeContext, x):
    """The axes Output of an ONNX Reduce* node, or None for "leave the input as it is"."""
    as_input = ctx.opset >= (13 if ctx.op_type == "ReduceSum" else 18)
    if as_input:
        axes_in = ctx.input(1)
        ps = axes_in.get_partial_shape() if axes_in is not None else None
        if ps is not None and ps.is_static and int(np.prod(ps.to_shape())) == 0:
            axes_in = None                 # an empty axes tensor (even a graph input) is "no axes given"
        if axes_in is not None:
            v = ctx.const_value(1)
            if v is None:
                return axes_in
            axes = np.asarray(v).reshape(-1).tolist()
        else:
            axes = []
    else:
        axes = list(ctx.attr("axes", []) or [])
    if not axes:
        if ctx.attr("noop_with_empty_axes", 0):
            return None
        axes = list(range(_rank(ctx, x)))
    return _i64(ctx, axes)


def _reduce(ctx: NodeContext, op: str, x, axes, keep: bool, suffix: str = ""):
    return ctx.make(op, [x, axes], suffix, keep_dims=keep).output(0)


_DIRECT = {"ReduceSum": "ReduceSum", "ReduceMean": "ReduceMean", "ReduceMax": "ReduceMax", "ReduceMin": "ReduceMin",
           "ReduceProd": "ReduceProd", "ReduceL1": "ReduceL1", "ReduceL2": "ReduceL2"}


@onnx_op("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
         "ReduceLogSumExp", "ReduceSumSquare")
def _reductions(ctx: NodeContext):
    x = ctx.input(0)
    keep = bool(ctx.attr("keepdims", 1))
    axes = _reduce_axes(ctx, x)
    op = ctx.op_type
    if axes is None:                      # noop_with_empty_axes: the input unchanged (a copy)
        if op == "ReduceSumSquare":
            return ctx.make("Multiply", [x, x])
        if op == "ReduceLogSum":
            return ctx.make("Log", [x])
        if op in ("ReduceL1", "ReduceL2"):
            return ctx.make("Abs", [x])
        return ctx.make("Convert", [x], destination_type=x.get_element_type().name)
    if op in _DIRECT:
        return ctx.make(_DIRECT[op], [x, axes], keep_dims=keep)
    if op == "ReduceSumSquare":
        sq = ctx.make("Multiply", [x, x], "square").output(0)
        return ctx.make("ReduceSum", [sq, axes], keep_dims=keep)
    if op == "ReduceLogSum":
        return ctx.make("Log", [_reduce(ctx, "ReduceSum", x, axes, keep, "sum")])
    # ReduceLogSumExp, stable: log(sum(exp(x - max))) + max
    m_keep = _reduce(ctx, "ReduceMax", x, axes, True, "max_keep")
    e = ctx.make("Exp", [ctx.make("Subtract", [x, m_keep], "shift").output(0)], "exp").output(0)
    s = ctx.make("Log", [_reduce(ctx, "ReduceSum", e, axes, keep, "sum")], "log").output(0)
    m = m_keep if keep else _reduce(ctx, "ReduceMax", x, axes, False, "max")
    return ctx.make("Add", [s, m])


@onnx_op("ArgMax", "ArgMin")
def _argmax(ctx: NodeContext):
    x = ctx.input(0)
    rank = _rank(ctx, x)
    axis = int(ctx.attr("axis", 0)) % rank
    keep = bool(ctx.attr("keepdims", 1))
    last = bool(ctx.attr("select_last_index", 0))
    src = x
    if last:
        src = ctx.make("Reverse", [x, _i64(ctx, [axis])], "reverse", mode="index").output(0)
    topk = ctx.make("TopK", [src, ctx.const(np.array(1, dtype=np.int64), suffix="k")], "topk", axis=axis,
                    mode="max" if ctx.op_type == "ArgMax" else "min", sort="none", index_element_type="i64")
    idx = topk.output(1)
    if last:
        dim = x.get_partial_shape()[axis]
        if not dim.is_static:
            raise ctx.fail("select_last_index needs a static size of the reduced axis")
        idx = ctx.make("Subtract", [ctx.const(np.array(dim.min - 1, dtype=np.int64), suffix="last"), idx],
                       "last").output(0)
    if not keep:
        idx = ctx.make("Squeeze", [idx, _i64(ctx, [axis])], "squeeze").output(0)
    return idx


# -- softmax --------------------------------------------------------------------------------------------------

@onnx_op("Softmax", "LogSoftmax")
def _softmax(ctx: NodeContext):
    x = ctx.input(0)
    op = ctx.op_type
    if ctx.opset >= 13:
        return ctx.make(op, [x], axis=int(ctx.attr("axis", -1)))
    # opset < 13: the input is seen as 2-D [prod(dims[:axis]), prod(dims[axis:])]
    ps = x.get_partial_shape()
    rank = _rank(ctx, x)
    axis = int(ctx.attr("axis", 1)) % max(rank, 1)
    if axis == rank - 1:
        return ctx.make(op, [x], axis=axis)
    tail = ps[axis:]
    if not all(d.is_static for d in tail):
        raise ctx.fail(f"opset {ctx.opset} softmax over axes {axis}.. needs their sizes static, got {ps}")
    inner = int(np.prod([d.min for d in tail], dtype=np.int64))
    flat = ctx.make("Reshape", [x, _i64(ctx, [-1, inner], "flat_shape")], "flatten", special_zero=False).output(0)
    y = ctx.make(op, [flat], "softmax", axis=1).output(0)
    if ps.is_static:
        target = _i64(ctx, list(ps.to_shape()), "shape")
    else:
        target = ctx.make("ShapeOf", [x], "shape", output_type="i64").output(0)
    return ctx.make("Reshape", [y, target], special_zero=False)


# -- normalisation --------------------------------------------------------------------------------------------

def _per_channel(ctx: NodeContext, v, rank: int, suffix: str):
    """[C] -> [C, 1, ..., 1] so that it broadcasts along axis 1 of a rank-``rank`` tensor."""
    if rank <= 2:
        return v
    return ctx.make("Unsqueeze", [v, _i64(ctx, list(range(1, rank - 1)), suffix + "_axes")], suffix).output(0)


@onnx_op("LayerNormalization")
def _layer_norm(ctx: NodeContext):
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    rank = _rank(ctx, x)
    axis = int(ctx.attr("axis", -1)) % rank
    eps = float(ctx.attr("epsilon", 1e-5))
    axes = _i64(ctx, list(range(axis, rank)))
    y = ctx.make("MVN", [x, axes], "mvn", normalize_variance=True, eps=eps, eps_mode="inside_sqrt").output(0)
    if scale is not None:
        y = ctx.make("Multiply", [y, scale], "scale").output(0)
    if bias is not None:
        y = ctx.make("Add", [y, bias], "bias").output(0)
    outs = [y]
    wants = [k < len(ctx.proto.output) and bool(ctx.proto.output[k]) for k in (1, 2)]
    if any(wants):
        mean = ctx.make("ReduceMean", [x, axes], "mean", keep_dims=True).output(0)
        d = ctx.make("Subtract", [x, mean], "centered").output(0)
        var = ctx.make("ReduceMean", [ctx.make("Multiply", [d, d], "sq").output(0), axes], "var",
                       keep_dims=True).output(0)
        std = ctx.make("Sqrt", [ctx.make("Add", [var, _scalar_like(ctx, var, eps, "eps")], "var_eps").output(0)],
                       "std").output(0)
        inv = ctx.make("Divide", [_scalar_like(ctx, std, 1.0, "one"), std], "inv_std").output(0)
        outs += [mean, inv]
    return outs


@onnx_op("InstanceNormalization")
def _instance_norm(ctx: NodeContext):
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    rank = _rank(ctx, x)
    eps = float(ctx.attr("epsilon", 1e-5))
    y = ctx.make("MVN", [x, _i64(ctx, list(range(2, rank)))], "mvn", normalize_variance=True, eps=eps,
                 eps_mode="inside_sqrt").output(0)
    y = ctx.make("Multiply", [y, _per_channel(ctx, scale, rank, "scale_c")], "scale").output(0)
    return ctx.make("Add", [y, _per_channel(ctx, bias, rank, "bias_c")])


@onnx_op("GroupNormalization")
def _group_norm(ctx: NodeContext):
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    rank = _rank(ctx, x)
    g = int(ctx.attr("num_groups"))
    eps = float(ctx.attr("epsilon", 1e-5))
    grouped = ctx.make("Reshape", [x, _i64(ctx, [0, g, -1], "group_shape")], "group", special_zero=True).output(0)
    y = ctx.make("MVN", [grouped, _i64(ctx, [2])], "mvn", normalize_variance=True, eps=eps,
                 eps_mode="inside_sqrt").output(0)
    if ctx.opset < 21:           # opset 18: scale and bias per group
        s = ctx.make("Reshape", [scale, _i64(ctx, [1, g, 1], "gshape_s")], "scale_g", special_zero=False).output(0)
        b = ctx.make("Reshape", [bias, _i64(ctx, [1, g, 1], "gshape_b")], "bias_g", special_zero=False).output(0)
        y = ctx.make("Add", [ctx.make("Multiply", [y, s], "scale").output(0), b], "bias").output(0)
    ps = x.get_partial_shape()
    target = (_i64(ctx, list(ps.to_shape()), "shape") if ps.is_static
              else ctx.make("ShapeOf", [x], "shape", output_type="i64").output(0))
    y = ctx.make("Reshape", [y, target], "ungroup", special_zero=False).output(0)
    if ctx.opset >= 21:          # opset 21: per channel
        y = ctx.make("Multiply", [y, _per_channel(ctx, scale, rank, "scale_c")], "scale").output(0)
        y = ctx.make("Add", [y, _per_channel(ctx, bias, rank, "bias_c")], "bias").output(0)
    return y


@onnx_op("MeanVarianceNormalization")
def _mvn(ctx: NodeContext):
    x = ctx.input(0)
    axes = list(ctx.attr("axes", [0, 2, 3]))
    return ctx.make("MVN", [x, _i64(ctx, axes)], normalize_variance=True, eps=1e-9, eps_mode="outside_sqrt")


@onnx_op("LpNormalization")
def _lp_norm(ctx: NodeContext):
    x = ctx.input(0)
    axis = int(ctx.attr("axis", -1))
    p = int(ctx.attr("p", 2))
    axes = _i64(ctx, [axis])
    if p == 2:
        return ctx.make("NormalizeL2", [x, axes], eps=0.0, eps_mode="add")
    if p == 1:
        return ctx.make("Divide", [x, ctx.make("ReduceL1", [x, axes], "l1", keep_dims=True).output(0)])
    raise ctx.fail(f"p must be 1 or 2, got {p}")


# -- TopK, CumSum ---------------------------------------------------------------------------------------------

@onnx_op("TopK")
def _topk(ctx: NodeContext):
    x = ctx.input(0)
    if ctx.opset < 10:
        k = ctx.const(np.array(int(ctx.attr("k")), dtype=np.int64), suffix="k")
    else:
        v = ctx.const_value(1)
        k = ctx.const(np.array(int(np.asarray(v).reshape(-1)[0]), dtype=np.int64), suffix="k") if v is not None \
            else ctx.make("Squeeze", [ctx.input(1)], "k").output(0)
    largest = bool(ctx.attr("largest", 1)) if ctx.opset >= 11 else True
    sort = ("value" if ctx.attr("sorted", 1) else "none") if ctx.opset >= 11 else "value"
    node = ctx.make("TopK", [x, k], axis=int(ctx.attr("axis", -1)), mode="max" if largest else "min", sort=sort,
                    index_element_type="i64")
    return [node.output(0), node.output(1)]


@onnx_op("CumSum")
def _cumsum(ctx: NodeContext):
    return ctx.make("CumSum", [ctx.input(0), ctx.input(1)], exclusive=bool(ctx.attr("exclusive", 0)),
                    reverse=bool(ctx.attr("reverse", 0)))


# -- Einsum ---------------------------------------------------------------------------------------------------

def _einsum_parse(ctx: NodeContext, eq: str, ranks: list[int]):
    """Operand label lists and output labels, with '...' expanded to fresh labels aligned to the right."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ctx.fail(f"equation '{eq}' names {len(terms)} operands, the node has {len(ranks)}")
    used = set(c for c in eq if c.isalpha())
    pool = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    n_ell = max((r - len(t.replace("...", "")) for t, r in zip(terms, ranks) if "..." in t), default=0)
    ell = pool[:n_ell]
    labels = []
    for t, r in zip(terms, ranks):
        if "..." in t:
            pre, post = t.split("...")
            k = r - len(pre) - len(post)
            labels.append(list(pre) + ell[n_ell - k:] + list(post))
        else:
            labels.append(list(t))
        if len(labels[-1]) != r:
            raise ctx.fail(f"term '{t}' does not match an operand of rank {r}")
    if arrow:
        out = list(rhs.replace("...", "".join(ell))) if "..." in rhs else list(rhs)
    else:
        counts = {}
        for ls in labels:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        out = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    return labels, out


def _dim(x, labels, c) -> int:
    return x.get_partial_shape()[labels.index(c)].min


def _transpose(ctx: NodeContext, x, labels, order, suffix):
    perm = [labels.index(c) for c in order]
    if perm == list(range(len(perm))):
        return x
    return ctx.make("Transpose", [x, _i64(ctx, perm, suffix + "_perm")], suffix).output(0)


def _reshape(ctx: NodeContext, x, shape, suffix):
    return ctx.make("Reshape", [x, _i64(ctx, shape, suffix + "_shape")], suffix, special_zero=False).output(0)


@onnx_op("Einsum")
def _einsum(ctx: NodeContext):
    xs = [i for i in ctx.inputs()]
    for x in xs:
        if not x.get_partial_shape().is_static:
            raise ctx.fail("Einsum needs static input shapes")
    shapes = [list(x.get_partial_shape().to_shape()) for x in xs]
    labels, out = _einsum_parse(ctx, str(ctx.attr("equation")), [len(s) for s in shapes])
    size = {}
    for ls, s in zip(labels, shapes):
        for c, d in zip(ls, s):
            if size.get(c, d) != d and d != 1 and size[c] != 1:
                raise ctx.fail(f"label '{c}' has sizes {size[c]} and {d} (broadcasting is not supported)")
            size[c] = max(size.get(c, 1), d)
    # a label repeated within one operand takes its diagonal: multiply by an identity mask, sum one copy away
    for k, (x, ls) in enumerate(zip(xs, labels)):
        while len(set(ls)) != len(ls):
            c = next(c for c in ls if ls.count(c) > 1)
            p0 = ls.index(c)
            p1 = ls.index(c, p0 + 1)
            mshape = [1] * len(ls)
            mshape[p0] = mshape[p1] = size[c]
            mask = np.eye(size[c], dtype=x.get_element_type().dtype).reshape(mshape)
            x = ctx.make("Multiply", [x, ctx.const(mask, suffix=f"diag{k}_{c}_mask")], f"diag{k}_{c}").output(0)
            x = ctx.make("ReduceSum", [x, _i64(ctx, [p1], f"diag{k}_{c}_axes")], f"diag{k}_{c}_sum",
                         keep_dims=False).output(0)
            ls = ls[:p1] + ls[p1 + 1:]
        xs[k], labels[k] = x, ls
    ops_ = list(zip(xs, labels))
    step = 0

    def reduce_private(x, ls, keep_labels, tag):
        drop = [k for k, c in enumerate(ls) if c not in keep_labels]
        if not drop:
            return x, ls
        x = ctx.make("ReduceSum", [x, _i64(ctx, drop, tag + "_axes")], tag, keep_dims=False).output(0)
        return x, [c for c in ls if c in keep_labels]

    x, ls = ops_[0]
    x, ls = reduce_private(x, ls, set(out) | {c for _, l2 in ops_[1:] for c in l2}, "sum0")
    for j in range(1, len(ops_)):
        y, ly = ops_[j]
        later = set(out) | {c for _, l2 in ops_[j + 1:] for c in l2}
        y, ly = reduce_private(y, ly, later | set(ls), f"sum{j}")
        x, ls = reduce_private(x, ls, later | set(ly), f"sumx{j}")
        batch = [c for c in ls if c in ly and c in later]
        contr = [c for c in ls if c in ly and c not in later]
        a_only = [c for c in ls if c not in ly]
        b_only = [c for c in ly if c not in ls]
        for c in batch + contr:
            if _dim(x, ls, c) != _dim(y, ly, c):
                raise ctx.fail(f"label '{c}' would need broadcasting, which Einsum translation does not support")
        step += 1
        xa = _transpose(ctx, x, ls, batch + a_only + contr, f"ta{step}")
        yb = _transpose(ctx, y, ly, batch + contr + b_only, f"tb{step}")
        pa = int(np.prod([size[c] for c in a_only], dtype=np.int64))
        pc = int(np.prod([size[c] for c in contr], dtype=np.int64))
        pb = int(np.prod([size[c] for c in b_only], dtype=np.int64))
        bs = [size[c] for c in batch]
        xa = _reshape(ctx, xa, bs + [pa, pc], f"ra{step}")
        yb = _reshape(ctx, yb, bs + [pc, pb], f"rb{step}")
        z = ctx.make("MatMul", [xa, yb], f"mm{step}").output(0)
        x = _reshape(ctx, z, bs + [size[c] for c in a_only + b_only], f"rz{step}")
        ls = batch + a_only + b_only
    x, ls = reduce_private(x, ls, set(out), "sum_out")
    if sorted(ls) != sorted(out):
        raise ctx.fail(f"output labels {''.join(out)} do not match the operands")
    y = _transpose(ctx, x, ls, out, "out")
    if y is xs[0]:
        y = ctx.make("Convert", [y], "copy", destination_type=y.get_element_type().name).output(0)
    return y
