"""TFLite reductions (MEAN, SUM, REDUCE_*) and ARG_MAX / ARG_MIN."""
from __future__ import annotations

from .graph import NodeContext, tflite_op

_REDUCE = {"MEAN": "ReduceMean", "SUM": "ReduceSum", "REDUCE_MAX": "ReduceMax", "REDUCE_MIN": "ReduceMin",
           "REDUCE_PROD": "ReduceProd", "REDUCE_ANY": "ReduceLogicalOr", "REDUCE_ALL": "ReduceLogicalAnd"}


@tflite_op(*_REDUCE)
def _reduce(ctx: NodeContext):
    x = ctx.input(0)
    axes = ctx.ints(1, "axes")
    return ctx.make1(_REDUCE[ctx.opcode], [x, ctx.i64(axes, "axes")], keep_dims=bool(ctx.opt("KeepDims", False)))


@tflite_op("ARG_MAX", "ARG_MIN")
def _arg(ctx: NodeContext):
    x = ctx.input(0)
    axis = ctx.ints(1, "axis")[0] % ctx.rank(x)
    out_t = ctx.out_tensor().type
    topk = ctx.make("TopK", [x, ctx.i64(1, "k")], "topk", axis=axis, mode="max" if ctx.opcode == "ARG_MAX" else "min",
                    sort="none", index_element_type=out_t.name, stable=True)
    return ctx.make1("Squeeze", [topk.output(1), ctx.i64([axis], "axis")])
