"""TensorFlow reductions (Mean, Sum, Max, Min, Prod, All, Any), ArgMax / ArgMin and TopKV2."""
from __future__ import annotations

from .graph import NodeContext, tf_op

_REDUCE = {"Mean": "ReduceMean", "Sum": "ReduceSum", "Max": "ReduceMax", "Min": "ReduceMin", "Prod": "ReduceProd",
           "All": "ReduceLogicalAnd", "Any": "ReduceLogicalOr"}


@tf_op(*_REDUCE)
def _reduce(ctx: NodeContext):
    axes = ctx.make1("Convert", [ctx.input(1)], "axes", destination_type="i64")
    return ctx.make1(_REDUCE[ctx.op], [ctx.input(0), axes], keep_dims=bool(ctx.attr("keep_dims", False)))


@tf_op("ArgMax", "ArgMin")
def _arg(ctx: NodeContext):
    x = ctx.input(0)
    axis = ctx.ints(1, "axis")[0] % ctx.rank(x)
    out_t = ctx.attr("output_type")
    topk = ctx.make("TopK", [x, ctx.i64(1, "k")], "topk", axis=axis, mode="max" if ctx.op == "ArgMax" else "min",
                    sort="none", index_element_type=out_t.name if out_t is not None else "i64", stable=True)
    return ctx.make1("Squeeze", [topk.output(1), ctx.i64([axis], "axis")])


@tf_op("TopKV2")
def _top_k(ctx: NodeContext):
    x = ctx.input(0)
    k = ctx.make1("Reshape", [ctx.input(1), ctx.i64([], "scalar")], "k", special_zero=False)
    idx_t = ctx.attr("index_type")
    topk = ctx.make("TopK", [x, k], axis=-1, mode="max", sort="value" if ctx.attr("sorted", True) else "none",
                    index_element_type=idx_t.name if idx_t is not None else "i32", stable=True)
    return topk.outputs()
