"""TensorFlow MatMul, BatchMatMul and Einsum (Keras' EinsumDense and attention), onto OpenVINO's MatMul."""
from __future__ import annotations

from ovcl.ir import Output

from .graph import NodeContext, tf_op


@tf_op("MatMul")
def _matmul(ctx: NodeContext):
    return ctx.make1("MatMul", [ctx.input(0), ctx.input(1)], transpose_a=bool(ctx.attr("transpose_a", False)),
                     transpose_b=bool(ctx.attr("transpose_b", False)))


@tf_op("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def _batch_matmul(ctx: NodeContext):
    a, b = ctx.input(0), ctx.input(1)
    out = ctx.attr("Tout")            # V3: the product's type, which may be wider than the inputs'
    if out is not None:
        a, b = (x if x.get_element_type() == out else
                ctx.make1("Convert", [x], f"{k}_to_tout", destination_type=out.name) for k, x in (("a", a), ("b", b)))
    return ctx.make1("MatMul", [a, b], transpose_a=bool(ctx.attr("adj_x", False)),
                     transpose_b=bool(ctx.attr("adj_y", False)))


def _dims(ctx: NodeContext, x: Output, axes: list[int], suffix: str) -> Output:
    """The lengths of ``x``'s ``axes`` as a 1-D i64 tensor (constant where they are static)."""
    shape = ctx.make1("ShapeOf", [x], suffix + "_shape", output_type="i64")
    return ctx.make1("Gather", [shape, ctx.i64(axes, suffix + "_axes"), ctx.i64(0, suffix + "_axis")], suffix)


def _prod(ctx: NodeContext, dims: Output, suffix: str) -> Output:
    return ctx.make1("ReduceProd", [dims, ctx.i64([0], suffix + "_axis")], suffix, keep_dims=True)


def _expand_ellipsis(spec: str, n: int, fill: str) -> str:
    """``spec`` with its ``...`` as the last ``n`` letters of ``fill`` (letters the equation does not use)."""
    return spec.replace("...", fill[len(fill) - n:] if n else "")


@tf_op("Einsum")
def _einsum(ctx: NodeContext):
    """Two operands: batch letters (in both and the output), contracted letters (in both, not the output) and
    each side's free letters become one batched MatMul between Transposes and Reshapes; letters on one side only
    and not in the output are summed first. One operand: a sum and a Transpose."""
    eq = ctx.attr("equation").replace(" ", "")
    lhs, out = eq.split("->") if "->" in eq else (eq, None)
    xs = ctx.inputs()
    specs = lhs.split(",")
    if len(specs) != len(xs) or len(xs) > 2:
        raise ctx.fail(f"equation '{eq}' with {len(xs)} operands: one or two operands are supported")
    ranks = [ctx.rank(x) for x in xs]
    fill = "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in eq)
    ell = max([r - (len(s) - 3) for s, r in zip(specs, ranks) if "..." in s], default=0)
    specs = [_expand_ellipsis(s, r - (len(s) - 3), fill) if "..." in s else s for s, r in zip(specs, ranks)]
    if out is None:
        letters = "".join(specs)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    out = _expand_ellipsis(out, ell, fill)
    for s, r in zip(specs, ranks):
        if len(s) != r or len(set(s)) != len(s):
            raise ctx.fail(f"equation '{eq}': repeated letters in an operand (diagonals) or a rank mismatch "
                           f"are not supported")
    # sum what only one operand has and the output does not
    for k, (x, s) in enumerate(zip(xs, specs)):
        others = "".join(specs[:k] + specs[k + 1:]) + out
        gone = [i for i, c in enumerate(s) if c not in others]
        if gone:
            xs[k] = ctx.make1("ReduceSum", [x, ctx.i64(gone, f"sum{k}_axes")], f"sum{k}", keep_dims=False)
            specs[k] = "".join(c for c in s if c in others)
    if len(xs) == 1:
        s = specs[0]
        return ctx.make1("Transpose", [xs[0], ctx.i64([s.index(c) for c in out], "perm")])
    (a, sa), (b, sb) = zip(xs, specs)
    batch = [c for c in sa if c in sb and c in out]
    contract = [c for c in sa if c in sb and c not in out]
    afree = [c for c in sa if c not in sb]
    bfree = [c for c in sb if c not in sa]
    a = ctx.make1("Transpose", [a, ctx.i64([sa.index(c) for c in batch + afree + contract], "a_perm")], "a_t")
    b = ctx.make1("Transpose", [b, ctx.i64([sb.index(c) for c in batch + contract + bfree], "b_perm")], "b_t")
    nb, na, nc = len(batch), len(afree), len(contract)
    # batch lengths broadcast between the operands (TensorFlow allows 1 against n)
    bdims = ctx.make1("Maximum", [_dims(ctx, a, list(range(nb)), "a_batch"),
                                  _dims(ctx, b, list(range(nb)), "b_batch")], "batch_dims")
    adims, bdims_free = _dims(ctx, a, list(range(nb, nb + na)), "a_free"), \
        _dims(ctx, b, list(range(nb + nc, nb + nc + len(bfree))), "b_free")
    k = _prod(ctx, _dims(ctx, a, list(range(nb + na, nb + na + nc)), "k_dims"), "k")
    a3 = ctx.make1("Reshape", [a, ctx.make1("Concat", [_dims(ctx, a, list(range(nb)), "a_b"),
                                                        _prod(ctx, adims, "m"), k], "a_shape", axis=0)],
                   "a_3d", special_zero=False)
    b3 = ctx.make1("Reshape", [b, ctx.make1("Concat", [_dims(ctx, b, list(range(nb)), "b_b"), k,
                                                        _prod(ctx, bdims_free, "n")], "b_shape", axis=0)],
                   "b_3d", special_zero=False)
    y = ctx.make1("MatMul", [a3, b3], "matmul")
    y = ctx.make1("Reshape", [y, ctx.make1("Concat", [bdims, adims, bdims_free], "y_shape", axis=0)], "y_nd",
                  special_zero=False)
    order = batch + afree + bfree
    perm = [order.index(c) for c in out]
    if perm == list(range(len(perm))):
        return y
    return ctx.make1("Transpose", [y, ctx.i64(perm, "perm")])

