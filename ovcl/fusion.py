"""Compile-time fusion on a static graph (after specialisation, before lowering).

1. Epilogues: a Convolution, GroupConvolution or MatMul followed by a bias Add (a constant along the channel
   axis, or the last axis for MatMul), a residual Add (a tensor of the output's shape) and an activation
   becomes one node whose kernel applies them before storing: ``act(op + bias + residual)``. The node keeps
   its type; the extra inputs are appended and ``rt_info["fused"]`` says which is which.
2. Element-wise chains: connected element-wise ops of one output shape, whose intermediate results have no
   other consumer, become one ``FusedEltwise`` node: one kernel, one pass over memory.

Fused nodes exist only here and in lowering; they are never written to IR (decision 1 of the design).
"""
from __future__ import annotations

import numpy as np

from ovcl.ir import Model, Node, Output
from ovcl.ir.node import _PortInfo
from ovcl.ir.ops import constant
from ovcl.ir.ops.registry import Op, register

from .lowering.eltwise import ELTWISE_OPS

EPILOGUE_HOSTS = {"Convolution": 1, "GroupConvolution": 1, "MatMul": -1}   # op -> axis the bias runs along
ACTIVATIONS = {"Relu", "Clamp", "Sigmoid", "Tanh", "Gelu", "HSwish", "HSigmoid", "Elu", "Mish", "SoftPlus", "Swish"}


@register
class FusedEltwise(Op):
    """Internal: ``attrs["steps"]`` lists ``{op, attrs, operands, type}``; operand k < number of inputs is
    input k, else the result of step k - number of inputs."""
    type_name = "FusedEltwise"
    internal = True
    attrs = {"steps": [], "out_type": "f32", "out_shape": []}

    @classmethod
    def infer(cls, node):
        from ovcl.ir import PartialShape, Type
        return [(Type.from_name(node.attrs["out_type"]), PartialShape(node.attrs["out_shape"]))]


def _consumers(model: Model) -> dict[Output, list[Node]]:
    users: dict[Output, list[Node]] = {}
    for node in model.get_ordered_ops():
        for src in node.input_values():
            users.setdefault(src, []).append(node)
    return users


def _only_user(users, out: Output) -> Node | None:
    u = users.get(out, [])
    return u[0] if len(u) == 1 and u[0].type_name != "Result" else None


def _bias_vector(host: Node, add: Node, out: Output) -> np.ndarray | None:
    """The constant operand of ``add`` as a 1-D per-channel vector, if it is one."""
    other = add.input_value(1) if add.input_value(0) == out else add.input_value(0)
    if other.node.type_name != "Constant" or other.get_element_type() != out.get_element_type():
        return None
    shape = out.get_shape()
    value = other.node.value
    if value.ndim > len(shape):
        return None
    axis = EPILOGUE_HOSTS[host.type_name] % len(shape)
    padded = (1,) * (len(shape) - value.ndim) + value.shape
    if any(d != 1 for k, d in enumerate(padded) if k != axis) or padded[axis] not in (1, shape[axis]):
        return None
    return np.ascontiguousarray(np.broadcast_to(value.reshape(-1), (shape[axis],)))


def fuse_epilogues(model: Model) -> int:
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    mapping: dict[Output, Output] = {}
    count = 0
    for host in model.get_ordered_ops():
        if host.type_name not in EPILOGUE_HOSTS or host.get_output_element_type(0).name != "f32":
            continue
        out = host.output(0)
        extra: list[Output] = []
        fused: dict = {}
        absorbed = [host.name]
        tail = out
        nxt = _only_user(users, tail) if tail not in outputs else None
        if nxt is not None and nxt.type_name == "Add":
            bias = _bias_vector(host, nxt, tail)
            if bias is not None:
                fused["bias"] = host.get_input_size() + len(extra)
                extra.append(constant(bias, name=f"{host.name}/bias").output(0))
                absorbed.append(nxt.name)
                tail = nxt.output(0)
                nxt = _only_user(users, tail) if tail not in outputs else None
        if nxt is not None and nxt.type_name == "Add":
            other = nxt.input_value(1) if nxt.input_value(0) == tail else nxt.input_value(0)
            if (other != tail and other.get_partial_shape() == tail.get_partial_shape()
                    and other.get_element_type() == tail.get_element_type()):
                fused["residual"] = host.get_input_size() + len(extra)
                extra.append(other)
                absorbed.append(nxt.name)
                tail = nxt.output(0)
                nxt = _only_user(users, tail) if tail not in outputs else None
        if nxt is not None and nxt.type_name in ACTIVATIONS and nxt.get_input_size() == 1:
            fused["activation"] = (nxt.type_name, dict(nxt.attrs))
            absorbed.append(nxt.name)
            tail = nxt.output(0)
        if not fused:
            continue
        node = Node(host.op, host.input_values() + extra, dict(host.attrs), name=host.name, version=host.version)
        node.rt_info = dict(host.rt_info, fused=fused, fused_nodes=absorbed)
        port = _PortInfo()
        port.element_type = out.get_element_type()
        port.partial_shape = out.get_partial_shape()
        node._outputs.append(port)
        mapping[tail] = node.output(0)
        count += 1
    model.replace_outputs(mapping)
    return count


def fuse_eltwise_chains(model: Model) -> int:
    users = _consumers(model)
    outputs = {r.input_value(0) for r in model.get_results()}
    eltwise = set(ELTWISE_OPS) - {"PRelu"}      # PRelu's per-channel slope needs its own indexing
    group: dict[int, list[Node]] = {}           # tail node id -> nodes of its group, in order
    owner: dict[int, int] = {}                  # node id -> tail id of its group
    for node in model.get_ordered_ops():
        if node.type_name not in eltwise or node.get_output_size() != 1:
            continue
        members = []
        for src in node.input_values():
            p = src.node
            if (p.id in owner and src not in outputs and _only_user(users, src) is node
                    and src.get_partial_shape() == node.get_output_partial_shape(0)):
                tail = owner[p.id]
                if tail in group:
                    members.extend(group.pop(tail))
        members.append(node)
        for m in members:
            owner[m.id] = node.id
        group[node.id] = members
    mapping: dict[Output, Output] = {}
    count = 0
    for tail_id, members in group.items():
        if len(members) < 2:
            continue
        mapping.update(_fuse_group(members))
        count += 1
    model.replace_outputs(mapping)
    return count


def _fuse_group(members: list[Node]) -> dict[Output, Output]:
    inside = {m.id: j for j, m in enumerate(members)}
    inputs: list[Output] = []
    steps = []
    for m in members:
        operands = []
        for src in m.input_values():
            if src.node.id in inside:
                operands.append(("step", inside[src.node.id]))
            else:
                if src not in inputs:
                    inputs.append(src)
                operands.append(("in", inputs.index(src)))
        steps.append((m, operands))
    n = len(inputs)
    tail = members[-1]
    out = tail.output(0)
    attrs = {
        "steps": [{"op": m.type_name, "attrs": dict(m.attrs), "type": m.get_output_element_type(0).name,
                   "operands": [k if kind == "in" else n + k for kind, k in ops]} for m, ops in steps],
        "out_type": out.get_element_type().name,
        "out_shape": list(out.get_shape()),
    }
    node = Node(FusedEltwise, inputs, attrs, name=tail.name)
    node.rt_info["fused_nodes"] = [m.name for m in members]
    node.validate()
    return {out: node.output(0)}


def fuse(model: Model) -> dict[str, int]:
    """Run every fusion on ``model`` in place; returns counts per kind."""
    return {"epilogues": fuse_epilogues(model), "eltwise_chains": fuse_eltwise_chains(model)}
