"""ONNX MatMul, Gemm and Einsum, onto OpenVINO's MatMul (Einsum: transposes, reshapes and MatMuls, as
OpenVINO's ONNX frontend decomposes it)."""
from __future__ import annotations

import numpy as np

from .graph import NodeContext, onnx_op


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
        y = ctx.make("Multiply", [y, ctx.scalar_like(y, alpha, "alpha")], "alpha").output(0)
    if c is not None and beta != 0.0:
        if beta != 1.0:
            c = ctx.make("Multiply", [c, ctx.scalar_like(c, beta, "beta")], "beta").output(0)
        y = ctx.make("Add", [y, c], "bias").output(0)
    return y


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
    return ctx.make("Transpose", [x, ctx.i64(perm, suffix + "_perm")], suffix).output(0)


def _reshape(ctx: NodeContext, x, shape, suffix):
    return ctx.make("Reshape", [x, ctx.i64(shape, suffix + "_shape")], suffix, special_zero=False).output(0)


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
            x = ctx.make("ReduceSum", [x, ctx.i64([p1], f"diag{k}_{c}_axes")], f"diag{k}_{c}_sum",
                         keep_dims=False).output(0)
            ls = ls[:p1] + ls[p1 + 1:]
        xs[k], labels[k] = x, ls
    ops_ = list(zip(xs, labels))
    step = 0

    def reduce_private(x, ls, keep_labels, tag):
        drop = [k for k, c in enumerate(ls) if c not in keep_labels]
        if not drop:
            return x, ls
        x = ctx.make("ReduceSum", [x, ctx.i64(drop, tag + "_axes")], tag, keep_dims=False).output(0)
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
