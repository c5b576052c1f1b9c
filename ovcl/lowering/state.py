"""Model state (``ir/ops/state.py``): ReadValue copies the variable's current value out of the infer request's
state buffer (or, while there is none, is a view of its initial value: the input, or zeros), Assign copies its
input into the buffer the next inference reads. Both are ``data_copy`` launches on the device: the state never
goes through the host. The state buffers are the request's, bound to these launches at each inference
(``executor.Plan.run``); the compiler lowers every Assign after every other node, so a ReadValue always reads
the value from before this inference.

A ReadValue and the ScatterUpdate its Assign stores, marked ``STATE_IN_PLACE`` (a decoder's KV cache with fixed
slots, ``ir.passes.stateful.fixed_capacity_cache``), copy nothing: the ReadValue is a view of the state buffer,
the update is lowered after every other node and written into that buffer (``data.py``), and the Assign finds
its value there already (the write buffer is the read one, the size staying)."""
import numpy as np

from ovcl.ir.ops.state import STATE_IN_PLACE, STATE_SHAPE

from .base import LoweringContext, lowers
from .data import dim, emit_copy


@lowers("ReadValue")
def _read_value(ctx: LoweringContext):
    out = ctx.outputs[0]
    spec = ctx.node.rt_info.get(STATE_SHAPE)
    if spec is None:
        raise ctx.fail("a ReadValue must be specialised for the state it reads before it is compiled")
    if spec["shape"] is None:           # no value yet: the initial one
        ctx.alias(0, ctx.inputs[0] if ctx.inputs else
                  ctx.constant(np.zeros(out.shape, dtype=np.bool_ if out.type.name == "boolean" else out.type.dtype),
                               f"{ctx.node.name}/zeros"))
        return
    state = ctx.state(ctx.attrs["variable_id"], "read", out.shape, out.type)
    if STATE_IN_PLACE in ctx.node.rt_info:
        ctx.alias(0, state)
        return
    emit_copy(ctx, out, state, [dim(out.numel, 1, 1)])


@lowers("Assign")
def _assign(ctx: LoweringContext):
    x = ctx.inputs[0]
    ctx.alias(0, x)
    state = ctx.state(ctx.attrs["variable_id"], "write", x.shape, x.type)
    if x.storage.variable == (ctx.attrs["variable_id"], "read"):      # updated in place
        return
    emit_copy(ctx, state, x, [dim(x.numel, 1, 1)])
